"""Benchmark: person search and the filtered case list with many persons.

Generates fictional cases (``memoria.cases.demo``, seeded) until the
organization holds ``--persons`` people (victims and their relatives), then
times requests through Django's test client as a signed-in coordinator: the
full view (access check, query, decryption of the page shown, template, audit
entry), not the query alone. Results are printed as one Markdown table row per
measurement, ready for docs/benchmarks.md.

    .venv/bin/python bench/cases_bench.py --persons 100000 --database sqlite
    .venv/bin/python bench/cases_bench.py --persons 100000 --database postgres

With ``--list-only`` it times only the case list, alternating the former
subquery filters ("before", ``listing.filter_events_by_subqueries``) and the
per-event facets ("after", ``listing.filter_events``) on the same data and
requests, and reports p50/p95 per kind of filter:

    .venv/bin/python bench/cases_bench.py --persons 1 --data 1m --database postgres --list-only

The data stays in ``/tmp/memoria-bench-<database>-<data>`` (SQLite) or the
PostgreSQL database ``memoria_bench_<data>`` (``--data`` defaults to the number
of persons), so a second run measures without generating again, and a larger
``--persons`` with the same ``--data`` grows the data set; ``--fresh`` starts
over.

Targets (issue 3): person search p95 < 200 ms, filtered case list p95 < 300 ms,
at 1,000,000 persons.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
SLUG = "bench"


def configure(database: str, label: str, fresh: bool) -> None:
    name = f"memoria_bench_{label}"
    data_dir = Path(f"/tmp/memoria-bench-{database}-{label}")  # noqa: S108
    if fresh and data_dir.exists():
        import shutil

        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["MEMORIA_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "memoria.settings"
    if database == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists and fresh:
                connection.execute(f'DROP DATABASE "{name}"')
                exists = None
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    # Not setup_test_environment(): its template instrumentation would be timed too.
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", interactive=False, verbosity=0)


def organization_and_user():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from memoria.accounts.models import Membership, Organization, User
    from memoria.places.models import State

    organization, created = Organization.objects.get_or_create(
        slug=SLUG,
        defaults={"name": "Benchmark (ficticio)", "kind": "human_rights_centre", "is_demo": True},
    )
    if created:
        organization.states.add(*State.objects.filter(code__in=("08", "14", "28")))
    user = User.objects.filter(email="bench@memoria.example").first()
    if user is None:
        user = User.objects.create_user("bench@memoria.example", None, full_name="Bench")
        Membership.objects.create(user=user, organization=organization, role="coordinator")
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    return organization, user


def generate(organization, persons: int, seed: int) -> None:
    """Add seeded demo cases in committed chunks until ``persons`` people exist."""
    from django.db import transaction

    from memoria.cases.demo import DemoWriter
    from memoria.cases.models import Person

    have = Person.objects.filter(organization=organization).count()
    if have >= persons:
        print(f"# {have:,} persons already there; not generating", file=sys.stderr)
        return
    rng = random.Random(f"{seed}:{have}")
    writer = DemoWriter(organization, rng)
    started = time.perf_counter()
    start_count = have
    while have < persons:
        with transaction.atomic():
            for _ in writer.write(2000):
                pass
        have = Person.objects.filter(organization=organization).count()
        rate = (have - start_count) / (time.perf_counter() - started)
        print(f"# {have:,} persons ({rate:,.0f} persons/s)", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    print(f"# generated {have - start_count:,} persons in {elapsed:,.0f} s", file=sys.stderr)


# Tables copied by ``replicate``, with the foreign keys that point at copied rows.
REPLICATED = (
    ("Event", {}),
    ("Person", {}),
    ("Act", {"event_id": "Event", "victim_id": "Person"}),
    ("Attribution", {"act_id": "Act", "event_id": "Event"}),
    ("IndirectVictim", {"event_id": "Event", "direct_victim_id": "Person", "person_id": "Person"}),
    ("PersonSearchToken", {"person_id": "Person"}),
)


def replicate(organization, persons: int, tables=REPLICATED) -> None:
    """Grow the data set to ``persons`` by copying the generated cases in SQL.

    Generating a million persons through the ORM takes hours on this machine;
    copying the first generated set (the "base") with shifted primary keys and
    event numbers takes minutes. Copies keep their ciphertexts (same key, same
    columns), so every copy decrypts; names repeat once per copy, which makes
    frequent name keys more frequent, as a bigger real list would. Sources,
    interventions and history are not copied: neither page reads them.
    """
    from django.apps import apps
    from django.db import connection, transaction
    from django.db.models import Max, Min

    from memoria.cases.models import Event, Person

    models = {name: apps.get_model("cases", name) for name, _ in tables}
    base = {
        name: model.objects.filter(organization=organization).aggregate(lo=Min("id"), hi=Max("id"))
        for name, model in models.items()
    }
    base_persons = Person.objects.filter(
        organization=organization, pk__lte=base["Person"]["hi"]
    ).count()
    numbers = Event.objects.filter(organization=organization).aggregate(n=Max("number"))["n"]
    have = Person.objects.filter(organization=organization).count()
    copy = 0
    while have < persons:
        copy += 1
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for name, foreign in tables:
                model = models[name]
                top = model.objects.aggregate(n=Max("id"))["n"]
                span = base[name]["hi"] - base[name]["lo"] + 1
                shift = top - base[name]["lo"] + 1  # this copy starts right after the last row
                base[name]["shift"] = shift
                columns, values = [], []
                for field in model._meta.concrete_fields:
                    column = field.column
                    columns.append(connection.ops.quote_name(column))
                    if column == "id":
                        values.append(f"id + {shift}")
                    elif column in foreign:
                        values.append(f"{column} + {base[foreign[column]]['shift']}")
                    elif name == "Event" and column == "number":
                        values.append(f"number + {numbers * copy}")
                    else:
                        values.append(connection.ops.quote_name(column))
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from models
                    f"SELECT {', '.join(values)} FROM {table} "
                    f"WHERE organization_id = %s AND id BETWEEN %s AND %s",
                    [organization.pk, base[name]["lo"], base[name]["lo"] + span - 1],
                )
            if connection.vendor == "postgresql":
                for model in models.values():
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT MAX(id) FROM {table}))"
                    )
        have += base_persons
        print(
            f"# copy {copy}: {have:,} persons ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    index_copies(organization)


def index_copies(organization) -> None:
    """Write the case-index entries of the copied events (their numbers differ from the
    base's, and the entries are encrypted: they are built, not copied)."""
    from django.db import transaction

    from memoria.cases import caseindex
    from memoria.cases.models import Event

    started = time.perf_counter()
    missing = list(
        Event.objects.filter(organization=organization, index_entry__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for first in range(0, len(missing), 20_000):
        with transaction.atomic():
            caseindex.rebuild(missing[first : first + 20_000])
    elapsed = time.perf_counter() - started
    print(f"# indexed {len(missing):,} copied events in {elapsed:.0f} s", file=sys.stderr)


def analyze() -> None:
    """Refresh the planner's statistics, as autovacuum (PostgreSQL) eventually would.

    After a bulk load the statistics still describe empty tables: PostgreSQL
    then estimates one row everywhere and picks nested loops that take minutes.
    """
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"# ANALYZE took {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def login(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def misspell(rng: random.Random, word: str) -> str:
    """The ways names go wrong in lists: accents dropped, z/s, v/b, a dropped letter."""
    from memoria.names import strip_accents

    word = strip_accents(word)
    choice = rng.random()
    if choice < 0.3:
        return word.replace("z", "s").replace("v", "b")
    if choice < 0.5 and len(word) > 4:
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1 :]
    return word


def search_queries(organization, rng: random.Random, n: int) -> list[str]:
    from memoria.cases.models import Person

    ids = list(Person.objects.filter(organization=organization).values_list("pk", flat=True))
    queries = []
    for person in Person.objects.filter(pk__in=rng.sample(ids, min(n, len(ids)))):
        given = person.given_names.split()[0]
        kind = rng.random()
        if kind < 0.4:  # given name and paternal surname, misspelt
            words = [given, misspell(rng, person.paternal_surname)]
        elif kind < 0.7 and person.maternal_surname:  # surnames swapped
            words = [given, person.maternal_surname, person.paternal_surname]
        else:  # full name without accents
            words = [given, person.paternal_surname, person.maternal_surname]
        queries.append(" ".join(misspell(rng, w) if rng.random() < 0.2 else w for w in words if w))
    return queries


def list_queries(organization, rng: random.Random, n: int) -> list[str]:
    from memoria.cases.models import Term

    violations = list(
        Term.objects.filter(vocabulary__code="violation_type").values_list("pk", flat=True)
    )
    perpetrators = list(
        Term.objects.filter(vocabulary__code="perpetrator_kind").values_list("pk", flat=True)
    )
    states = ["08", "14", "28", "11", "12", "15"]
    queries = []
    for _ in range(n):
        params = {}
        year = rng.randint(2006, 2022)
        kind = rng.random()
        if kind < 0.25:
            label = "state + date range"
            params = {"state": rng.choice(states), "date_from": f"{year}-01-01",
                      "date_to": f"{year + 3}-12-31"}  # fmt: skip
        elif kind < 0.5:
            label = "violation type + state"
            params = {"violation_type": rng.choice(violations), "state": rng.choice(states)}
        elif kind < 0.7:
            label = "perpetrator kind"
            params = {"perpetrator_kind": rng.choice(perpetrators)}
        elif kind < 0.85:
            label = "victim profile + status"
            params = {"status": rng.choice(["open", "verified"]), "profile": "is_child"}
        else:
            label = "date from, by state, later page"
            params = {"date_from": f"{year}-01-01", "sort": "state", "page": rng.randint(1, 20)}
        queries.append((label, "&".join(f"{k}={v}" for k, v in params.items())))
    return queries


def measure(client, urls: list[str], warmup: int = 10, labels: list[str] | None = None) -> dict:
    """Wall-clock and CPU time of each request, in milliseconds.

    CPU time is this process's only (on PostgreSQL the server's work is not in
    it); on a shared, busy machine it shows what the request costs when the
    wall clock is inflated by waiting for a core.
    """
    for url in urls[:warmup]:
        client.get(url)
    wall, cpu = [], []
    by_label: dict[str, list[float]] = {}
    for i, url in enumerate(urls):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if labels:
            by_label.setdefault(labels[i], []).append(wall[-1])
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    result = {"n": len(wall), **percentiles(wall, ""), **percentiles(cpu, "cpu_")}
    result["kinds"] = {
        label: {"n": len(times), **percentiles(times, "")} for label, times in by_label.items()
    }
    return result


def measure_list_before_after(client, base: str, queries, repeats: int = 1) -> dict:
    """The case list timed with the old subquery filters ("before") and the facets ("after").

    Same data, same process, same requests; the two formulations alternate in
    rounds so a change of load on a shared machine hits both alike. Both are
    gone since the case index (issue 10): run it from a checkout before it.
    """
    from memoria.cases import listing

    if not hasattr(listing, "filter_events_by_subqueries"):
        raise SystemExit("--list-only compares the facets with subqueries: both are gone")

    urls = [f"{base}/cases/?{q}" for _label, q in queries]
    labels = [label for label, _q in queries]
    facets = listing.filter_events
    results = {"before": [], "after": []}
    try:
        for _round in range(repeats):
            for name, implementation in (
                ("before", listing.filter_events_by_subqueries),
                ("after", facets),
            ):
                listing.filter_events = implementation
                results[name].append(measure(client, urls, labels=labels))
                print(f"# {name} round {_round + 1}: load {load_average()}", file=sys.stderr)
    finally:
        listing.filter_events = facets
    return results


def percentiles(values: list[float], prefix: str) -> dict:
    values = sorted(values)
    return {
        f"{prefix}p50": statistics.median(values),
        f"{prefix}p95": values[int(0.95 * (len(values) - 1))],
        f"{prefix}max": values[-1],
    }


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> str:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()}-core {platform.machine()} ({model})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fresh", action="store_true", help="drop earlier benchmark data")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument(
        "--list-only",
        action="store_true",
        help="time only the case list, before (subquery filters) and after (facets), "
        "per kind of filter; the search index is then not copied by --replicate-to",
    )
    parser.add_argument("--rounds", type=int, default=2, help="before/after rounds (--list-only)")
    parser.add_argument(
        "--replicate-to",
        type=int,
        help="after generating --persons, grow to this many persons by copying in SQL",
    )
    parser.add_argument(
        "--data",
        help="name of the data set to use or grow (default: the number of persons); "
        "e.g. grow one data set from 100,000 to 1,000,000 and measure on the way",
    )
    args = parser.parse_args()

    configure(args.database, args.data or str(args.persons), args.fresh)
    from memoria.cases.models import Act, Event, Person

    organization, user = organization_and_user()
    generate(organization, args.persons, args.seed)
    if args.replicate_to:
        tables = REPLICATED[:-1] if args.list_only else REPLICATED
        replicate(organization, args.replicate_to, tables)
    analyze()
    if args.generate_only:
        return
    counts = (
        Person.objects.filter(organization=organization).count(),
        Event.objects.filter(organization=organization).count(),
        Act.objects.filter(organization=organization).count(),
    )
    rng = random.Random(args.seed)
    client = login(user)
    base = f"/o/{SLUG}"
    if args.list_only:
        print(f"# load average before the run (1, 5, 15 min): {load_average()}")
        queries = list_queries(organization, rng, args.requests)
        results = measure_list_before_after(client, base, queries, args.rounds)
        report_before_after(args.database, counts, results)
        return
    search = measure(
        client,
        [
            f"{base}/people/?{urlencode({'q': q})}"
            for q in search_queries(organization, rng, args.requests)
        ],
    )
    listing = measure(
        client,
        [f"{base}/cases/?{q}" for _kind, q in list_queries(organization, rng, args.requests)],
    )
    print(f"# machine: {machine()}; python {platform.python_version()}")
    print(f"# load average after the run (1, 5, 15 min): {load_average()}")
    print(f"# persons {counts[0]:,}, events {counts[1]:,}, acts {counts[2]:,}")
    print(
        "| database | persons | page | requests | p50 ms | p95 ms | max ms "
        "| CPU p50 ms | CPU p95 ms | target p95 |"
    )
    pages = (("person search", search, 200), ("filtered case list", listing, 300))
    for page, r, target in pages:
        print(
            f"| {args.database} | {counts[0]:,} | {page} | {r['n']} | {r['p50']:.0f} "
            f"| {r['p95']:.0f} | {r['max']:.0f} | {r['cpu_p50']:.0f} | {r['cpu_p95']:.0f} "
            f"| < {target} ms: {'met' if r['p95'] < target else 'missed'} |"
        )


def report_before_after(database: str, counts: tuple, results: dict) -> None:
    print(f"# machine: {machine()}; python {platform.python_version()}")
    print(f"# load average after the run (1, 5, 15 min): {load_average()}")
    print(f"# persons {counts[0]:,}, events {counts[1]:,}, acts {counts[2]:,}")
    print("| database | filter | requests | before p50 | before p95 | after p50 | after p95 |")
    print("|---|---|---|---|---|---|---|")
    rounds = len(results["after"])
    kinds = list(results["after"][0]["kinds"]) + ["all filters"]
    for kind in sorted(kinds[:-1]) + kinds[-1:]:
        cells = []
        for name in ("before", "after"):
            pick = [r if kind == "all filters" else r["kinds"][kind] for r in results[name]]
            p50 = "/".join(f"{r['p50']:.0f}" for r in pick)
            p95 = "/".join(f"{r['p95']:.0f}" for r in pick)
            cells += [p50, p95]
        n = results["after"][0] if kind == "all filters" else results["after"][0]["kinds"][kind]
        print(f"| {database} | {kind} | {n['n']} x {rounds} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
