"""Benchmark: the case list and the dashboard, warm and on a process's first request.

Uses the data of ``bench/cases_bench.py`` (seeded demo cases, grown by copying
them in SQL), in the database ``DATABASE_URL`` names (PostgreSQL) or in
``/tmp/memoria-list-bench-sqlite-<events>`` (SQLite, without ``DATABASE_URL``);
the master key stays in ``MEMORIA_DATA_DIR`` (default
``/tmp/memoria-list-bench-<database>-<events>``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \\
        .venv/bin/python bench/list_bench.py --events 100000
    .venv/bin/python bench/list_bench.py --events 100000

Every figure is a whole request through Django's test client as a signed-in
coordinator (session, access check, filters, sort, count, page query,
decryption, template, audit entry). "warm" is the median of ``--repeat``
requests in one process; "cold" is the first request of a new process (a
subprocess per measurement, median of ``--cold`` of them: it loads the key
and, since the case index, decrypts the organization's index). It runs with
the code of the checkout it is in, so the same script times the code before
and after a change (copy it into the other checkout). Markdown rows for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def configure(events: int) -> None:
    # The data directory holds the master key: one per database benchmarked.
    from django_setup import data_directory, start

    start(data_directory("list-bench", events))


def grow(organization, events: int) -> None:
    from cases_bench import REPLICATED, analyze, generate, replicate

    from memoria.cases.models import Event, Person

    if Event.objects.filter(organization=organization).count() >= events:
        return
    generate(organization, 4000, seed=2026)  # the base set: about 2,000 events
    per_event = Person.objects.filter(organization=organization).count() / max(
        1, Event.objects.filter(organization=organization).count()
    )
    replicate(organization, int(events * per_event), REPLICATED)
    analyze()


def scenarios(organization) -> dict[str, tuple[str, dict]]:
    from memoria.cases.models import Term

    violations = Term.objects.filter(vocabulary__code="violation_type")
    common = violations.get(code="disappearance_private").pk
    rare = violations.get(code="femicide").pk
    cases = f"/o/{organization.slug}/cases/"
    return {
        "list, default sort": (cases, {}),
        "list, rare violation": (cases, {"violation_type": rare}),
        "list, rare profile": (cases, {"profile": "is_indigenous_authority"}),
        "list, violation + state + year, by state": (
            cases,
            {
                "violation_type": common,
                "state": "08",
                "date_from": "2019-01-01",
                "date_to": "2019-12-31",
                "sort": "state",
            },
        ),
        "list, page 2000 (offset 50,000)": (cases, {"page": 2000}),
        "list, oldest first, page 40": (cases, {"sort": "start", "page": 40}),
        "dashboard": (f"{cases}statistics/", {}),
    }


def timed(client, url: str, query: dict) -> float:
    started = time.perf_counter()
    response = client.get(url, {key: str(value) for key, value in query.items()})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def cold(label: str, events: int, runs: int) -> float:
    """The first request of ``runs`` new processes (Django set up before the clock starts)."""
    times = []
    for _ in range(runs):
        output = subprocess.run(  # noqa: S603 - this script, with our own arguments
            [sys.executable, __file__, "--events", str(events), "--first", label],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        ).stdout
        times.append(json.loads(output.strip().splitlines()[-1])["ms"])
    return statistics.median(times)


def after_an_edit(client, organization, repeat: int) -> float | None:
    """A list request right after another process changed one case (the index's refresh)."""
    try:
        from memoria.cases import caseindex
    except ImportError:
        return None
    from django.db import transaction

    from memoria.cases.models import Event

    event = Event.objects.filter(organization=organization).order_by("-number").first()
    url, query = scenarios(organization)["list, default sort"]
    times = []
    for _ in range(repeat):
        with transaction.atomic():
            caseindex.rebuild([event.pk])
        times.append(timed(client, url, query))
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold", type=int, default=3, help="processes per cold figure")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--first", help=argparse.SUPPRESS)  # a subprocess of cold()
    args = parser.parse_args()
    configure(args.events)
    from cases_bench import login, organization_and_user
    from django.db import connection

    from memoria.cases.models import Event

    organization, user = organization_and_user()
    if args.first:
        client = login(user)
        url, query = scenarios(organization)[args.first]
        print(json.dumps({"ms": timed(client, url, query)}))
        return 0
    grow(organization, args.events)
    if args.generate_only:
        return 0
    client = login(user)
    total = Event.objects.filter(organization=organization).count()
    print(
        f"# {connection.vendor}, {total:,} events; {platform.machine()}, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print("| request | warm (ms) | cold (ms) |")
    print("|---|---:|---:|")
    for label, (url, query) in scenarios(organization).items():
        timed(client, url, query)
        warm = statistics.median(timed(client, url, query) for _ in range(args.repeat))
        first = cold(label, args.events, args.cold) if args.cold else float("nan")
        print(f"| {label} | {warm:.0f} | {first:.0f} |", flush=True)
    edit = after_an_edit(client, organization, args.repeat)
    if edit is not None:
        print(f"| list, default sort, after one case changed | {edit:.0f} | |")
    print(f"# load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
