"""Benchmark: the network figures over a million documented persons (issue #16, item 1).

Builds the same generated case index as ``bench/statistics_pages.py`` (its
``entries``, from a seed; about 690,000 cases for 1,000,000 persons), places
it in this process's index cache, and times:

* "shared, computed": what a counts-only agreement computes on the sharing
  side (``shared_figures.compute`` with k = 5 over every case: one series per
  year and dimension, each suppressed) — the worker's cost per agreement;
* "own, computed": the exact figures the page counts for the organization
  itself, as after any change to its cases;
* whole requests of ``/o/<slug>/network/figures/`` (every year, and one year)
  through Django's test client as a signed-in reader, with the own figures
  kept for the index version (a repeated view).

No partner is generated: a partner's part is one decrypted JSON row.

    .venv/bin/python bench/network_figures.py --persons 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/network_figures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's code, not the one the environment names

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def timed(call, repeat: int) -> str:
    times = []
    for _ in range(repeat):
        begun = time.perf_counter()
        call()
        times.append((time.perf_counter() - begun) * 1000)
    return f"{np.median(times):.0f} / {np.percentile(times, 95):.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    import statistics_pages as bench

    bench.configure()
    from cases_bench import login, organization_and_user
    from django.db import connection

    from memoria.cases import caseindex, shared_figures
    from memoria.network import figures

    organization, user = organization_and_user()
    snapshot = caseindex._arrays(bench.entries(args.persons, args.seed))
    bench.install(organization, snapshot)
    print(
        f"# {connection.vendor}; {len(snapshot):,} cases; {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print("| what | median / p95 (ms) |")
    print("|---|---:|")
    shared = timed(lambda: shared_figures.compute(organization, 5), args.repeat)
    print(f"| shared, computed (k = 5) | {shared} |")
    own = timed(lambda: shared_figures.compute(organization, None), args.repeat)
    print(f"| own, computed (exact) | {own} |")
    client = login(user)
    url = f"/o/{organization.slug}/network/figures/"
    for label, query in (("page, every year", {}), ("page, one year", {"year": "2019"})):
        assert client.get(url, query).status_code == 200  # once untimed (own figures kept)
        print(f"| {label}, own kept | {timed(lambda q=query: client.get(url, q), args.repeat)} |")
    figures._own.clear()
    print(f"# load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
