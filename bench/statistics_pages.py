"""Benchmark: the statistics page over a million documented persons, p95 of whole requests.

Generates, from a seed, an organization's case index of ``--persons`` direct
victims (1 to 4 per case: about 690,000 cases for 1,000,000 persons) with
realistic spreads of dates (2006-2026), municipalities (weighted by
population), violation types, perpetrator kinds, sex, age band and profile
flags, builds its arrays with ``memoria.cases.caseindex._arrays`` (the code a
process runs after decrypting the entries) and places them in this process's
index cache under the organization's clock, as a process that has read the
index holds them. Then it times whole requests of the statistics page
through Django's test client as a signed-in reader (session, access check,
clock query, filters, counts, Term/State/Municipality queries, charts, map,
template), ``--repeat`` times per scenario, and prints the median and p95:
"computed" drops the kept rendering before each request (as after any change
to the index), "kept" does not (the same index version and filters again).

What it does not generate: the encrypted rows themselves. So it measures a
warm process; ``bench/index_cold.py`` writes the encrypted rows of the same
generated index and times a new process's load and first page.

    .venv/bin/python bench/statistics_pages.py --persons 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/statistics_pages.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's code, not the one the environment names

import argparse  # noqa: E402
import datetime  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def configure() -> None:
    from django_setup import data_directory, start

    start(data_directory("stats-bench"))


def entries(persons: int, seed: int) -> dict[int, list]:
    """Index entries (the decrypted form) of cases with ``persons`` direct victims in all."""
    from memoria.cases.models import Term
    from memoria.places.models import Municipality

    rng = np.random.default_rng(seed)
    places = list(Municipality.objects.values_list("cvegeo", "population_total"))
    weights = np.array([population for _code, population in places], dtype=float)
    codes = [code for code, _population in places]
    violations = list(
        Term.objects.filter(vocabulary__code="violation_type").values_list("pk", flat=True)
    )
    kinds = list(
        Term.objects.filter(vocabulary__code="perpetrator_kind").values_list("pk", "state_actor")
    )
    state_kind = {pk for pk, state in kinds if state}
    victims = rng.choice([1, 2, 3, 4], p=[0.75, 0.15, 0.07, 0.03], size=persons)
    victims = victims[np.cumsum(victims) <= persons]
    cases = len(victims)
    place = rng.choice(len(codes), p=weights / weights.sum(), size=cases)
    first = datetime.date(2006, 1, 1).toordinal()
    days = rng.integers(0, datetime.date(2026, 12, 1).toordinal() - first, size=cases)
    precision = rng.choice([0, 1, 2, 3], p=[0.03, 0.07, 0.2, 0.7], size=cases)
    found = {}
    for i in range(cases):
        n = int(victims[i])
        event_kinds = sorted(
            {kinds[k][0] for k in rng.integers(0, len(kinds), size=rng.integers(0, 3))}
        )
        state_acts = n if set(event_kinds) & state_kind else 0
        found[i + 1] = [
            i + 1,
            codes[place[i]][:2],
            codes[place[i]],
            first + int(days[i]) if precision[i] else 0,
            int(precision[i]),
            int(rng.integers(0, 4)),
            sorted({violations[v] for v in rng.integers(0, len(violations), size=n)}),
            event_kinds,
            int(bool(state_acts)),
            int(rng.integers(0, 256)) & int(rng.integers(0, 256)) & 0b11111110,
            state_acts,
            [[int(rng.integers(0, 4)), int(rng.integers(0, 7))] for _ in range(n)],
            n,
        ]
    return found


def install(organization, snapshot) -> None:
    """Put ``snapshot`` in this process's cache as the organization's current index."""
    from memoria.cases import caseindex
    from memoria.cases.models import CaseIndexClock

    clock, _created = CaseIndexClock.objects.update_or_create(
        organization=organization,
        defaults={"generation": secrets.token_hex(8), "seq": len(snapshot), "epoch": 0},
    )
    caseindex._cache[organization.pk] = caseindex._Cached(
        clock.generation, clock.epoch, clock.seq, snapshot
    )


def scenarios(organization) -> dict[str, dict]:
    from memoria.cases.models import Term

    homicide = Term.objects.get(vocabulary__code="violation_type", code="homicide").pk
    return {
        "no filter (states map)": {},
        "no filter, rate map": {"measure": "rate"},
        "one year": {"date_from": "2019-01-01", "date_to": "2019-12-31"},
        "state (its municipalities map)": {"state": "08"},
        "violation + state + period, rate": {
            "violation_type": homicide,
            "state": "14",
            "date_from": "2015-01-01",
            "date_to": "2020-12-31",
            "measure": "rate",
        },
        "all municipalities map": {"map": "municipalities"},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    configure()
    from cases_bench import login, organization_and_user
    from django.db import connection

    from memoria.cases import caseindex
    from memoria.cases.statistics import forget_rendered

    organization, user = organization_and_user()
    started = time.perf_counter()
    found = entries(args.persons, args.seed)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    snapshot = caseindex._arrays(found)
    built = time.perf_counter() - started
    del found
    install(organization, snapshot)
    client = login(user)
    url = f"/o/{organization.slug}/cases/statistics/"
    print(
        f"# {connection.vendor}; {len(snapshot):,} cases, "
        f"{int(snapshot.sexes.sum()):,} direct victims; {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}; generated in {generated:.0f} s, "
        f"arrays built in {built:.1f} s"
    )
    print("| request | computed: median / p95 (ms) | kept: median / p95 (ms) | page size (KB) |")
    print("|---|---:|---:|---:|")
    for label, query in scenarios(organization).items():
        response = client.get(url, query)  # once untimed (first use of the templates)
        assert response.status_code == 200, response.status_code
        found = {}
        for kept in (False, True):
            times = []
            for _ in range(args.repeat):
                if not kept:  # as after any change to the index: counted and rendered again
                    forget_rendered()
                begun = time.perf_counter()
                response = client.get(url, query)
                times.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200
            found[kept] = f"{statistics.median(times):.0f} / {np.percentile(times, 95):.0f}"
        size = len(response.content) / 1024
        print(f"| {label} | {found[False]} | {found[True]} | {size:.0f} |", flush=True)
    print(f"# load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
