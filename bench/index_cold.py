"""Benchmark: a new process's first statistics page over real encrypted index rows.

Generates the case index of ``--persons`` direct victims with
``bench/statistics_pages.py``'s seeded generator (about 725,000 cases for
1,000,000 persons) and writes it as a database written before blocks holds
it: one ``CaseIndexEntry`` per case, its entry encrypted on its own under
the organization's key (the entries' events are not written: the index is
all a statistics page reads, so foreign-key checks are off while inserting).
Then it times, each in ``--cold`` new processes (median):

* "one ciphertext per case": the index loaded from those rows;
* the migration ``cases`` 0017 packing them into blocks (once);
* "blocks": the index loaded from the blocks;

each as the cold load alone (``caseindex.snapshot``), as the first
statistics request of a process (test client, signed-in coordinator, Django
set up before the clock starts; the index loaded again within it) and as
the second request (the page computed afresh, the index in memory). A last
figure prepares the process as ``memoria serve``'s workers do at start
(``serve.warm_process``: the views imported, the index loaded) before the
first request, and one times a write's extra
cost: one case's block sealed again. With ``--before <checkout>`` the first
figure is taken with the code of another checkout instead (a copy of the code
before blocks: ``git archive <commit> | tar -x -C <dir>``), on the same rows.

    .venv/bin/python bench/index_cold.py --persons 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cold_bench \\
        .venv/bin/python bench/index_cold.py --persons 1000000

SQLite goes to a fresh file in ``/tmp/memoria-index-cold-sqlite-<persons>``;
drop the PostgreSQL database afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # this checkout's code, not the one the environment names


def configure(persons: int, migrate: bool = True) -> None:
    from django_setup import data_directory, start

    start(data_directory("index-cold", persons), migrate=migrate)


def write_entries(organization, persons: int, seed: int) -> int:
    """One encrypted entry row per case, as before blocks; how many."""
    import secrets

    import statistics_pages
    from django.db import connection, transaction

    from memoria.cases.caseindex import DATA_CONTEXT
    from memoria.cases.models import CaseIndexClock, CaseIndexEntry
    from memoria.vault.cipher import encrypt_text_with
    from memoria.vault.keys import active_key

    found = statistics_pages.entries(persons, seed)
    key = active_key(organization.pk)
    rows = []
    with connection.constraint_checks_disabled(), transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")  # no FK checks
        for pk, entry in found.items():
            sealed = encrypt_text_with(*key, json.dumps(entry), DATA_CONTEXT)
            rows.append(
                CaseIndexEntry(event_id=pk, organization_id=organization.pk, seq=pk, data=sealed)
            )
            if len(rows) == 5000:
                CaseIndexEntry.objects.bulk_create(rows)
                rows = []
        CaseIndexEntry.objects.bulk_create(rows)
        CaseIndexClock.objects.update_or_create(
            organization=organization,
            defaults={"generation": secrets.token_hex(8), "seq": len(found), "epoch": 0},
        )
    return len(found)


def first(persons: int, migrate: bool, warmed: bool = False) -> dict:
    """In a new process: the cold load, then the first statistics request (ms)."""
    configure(persons, migrate=migrate)
    sys.path.append(str(HERE))
    from cases_bench import login, organization_and_user

    from memoria.cases import caseindex
    from memoria.cases.statistics import forget_rendered

    organization, user = organization_and_user()
    client = login(user)
    started = time.perf_counter()
    if warmed:  # as a worker process of ``memoria serve`` does at start, before any request
        from memoria.cli.serve import warm_process

        for thread in warm_process():
            thread.join()
    index = caseindex.snapshot(organization)
    loaded = (time.perf_counter() - started) * 1000
    if not warmed:
        caseindex.clear()  # the request loads it again: the first request of a process
    url = f"/o/{organization.slug}/cases/statistics/"
    started = time.perf_counter()
    response = client.get(url)
    request = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    forget_rendered()  # the next page is computed afresh, not the one kept
    started = time.perf_counter()
    response = client.get(url)
    again = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return {"load": loaded, "request": request, "again": again, "cases": len(index)}


def cold(
    persons: int, runs: int, root: Path = ROOT, warmed: bool = False
) -> tuple[float, float, int]:
    found = []
    for _ in range(runs):
        output = subprocess.run(  # noqa: S603 - this script, with our own arguments
            [sys.executable, str(root / "bench" / "index_cold.py"), "--persons", str(persons)]
            + ["--first"]
            + ([] if root == ROOT else ["--no-migrate"])
            + (["--warmed"] if warmed else []),
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(root)},
        ).stdout
        found.append(json.loads(output.strip().splitlines()[-1]))
    return (
        median(item["load"] for item in found),
        median(item["request"] for item in found),
        median(item.get("again", float("nan")) for item in found),
        found[0]["cases"],
    )


def sealing(organization, runs: int = 5) -> float:
    """A write's extra cost: one case's entry put into its full block, sealed again (ms)."""
    from django.db import transaction

    from memoria.cases import caseindex
    from memoria.cases.models import CaseIndexClock, CaseIndexEntry

    pk = CaseIndexEntry.objects.filter(organization=organization).order_by("event_id")[100].pk
    generation = CaseIndexClock.objects.get(organization=organization).generation
    columns, _seq = next(
        caseindex._blocks(organization.pk, generation, [pk // caseindex.BLOCK_SIZE])
    )
    entry = caseindex._entries_of(caseindex._only(columns, [pk]))[pk]
    times = []
    for _ in range(runs):
        with transaction.atomic():
            started = time.perf_counter()
            first, generation = caseindex._advance_clock(organization.pk, 1)
            caseindex._seal(organization.pk, generation, {pk: entry}, first)
            times.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    return median(times)


def median(values) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def row(label: str, figures: tuple[float, float, float, int]) -> str:
    load, request, again, cases = figures
    return f"| {label} | {cases:,} | {load / 1000:.1f} | {request / 1000:.1f} | {again:.0f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cold", type=int, default=2, help="new processes per figure")
    parser.add_argument("--before", type=Path, help="a checkout of the code before blocks")
    parser.add_argument("--first", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-migrate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--warmed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first:
        print(json.dumps(first(args.persons, not args.no_migrate, args.warmed)))
        return 0
    configure(args.persons)
    sys.path.append(str(HERE))
    from cases_bench import organization_and_user
    from django.apps import apps
    from django.db import connection, transaction

    from memoria.cases.models import CaseIndexBlock, CaseIndexEntry

    organization, _user = organization_and_user()
    print(
        f"# {connection.vendor}; {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    if not CaseIndexEntry.objects.filter(organization=organization).exists():
        started = time.perf_counter()
        cases = write_entries(organization, args.persons, args.seed)
        print(f"# {cases:,} encrypted entries written in {time.perf_counter() - started:.0f} s")
    print(
        "| index stored as | cases | cold load (s) | first statistics request (s) "
        "| second request, computed (ms) |"
    )
    print("|---|---:|---:|---:|---:|")
    if not CaseIndexBlock.objects.filter(organization=organization).exists():
        if args.before:  # the code before blocks, on the same rows
            figures = cold(args.persons, args.cold, args.before)
            print(row("one ciphertext per case (code before)", figures), flush=True)
        else:  # this code reads such rows too (a database not yet migrated)
            print(row("one ciphertext per case", cold(args.persons, args.cold)), flush=True)
        import importlib

        packing = importlib.import_module("memoria.cases.migrations.0017_case_index_blocks")
        started = time.perf_counter()
        with transaction.atomic():
            packing.pack(apps, None)
        took = time.perf_counter() - started
        print(f"# migration 0017 (packing): {took:.0f} s, load {os.getloadavg()[0]:.1f}")
    print(row("blocks", cold(args.persons, args.cold)), flush=True)
    figures = cold(args.persons, args.cold, warmed=True)
    print(row("blocks, loaded at start (`warm`), then the request", figures), flush=True)
    print(f"# one case written: its block sealed again in {sealing(organization):.0f} ms (median)")
    print(f"# load {os.getloadavg()[0]:.1f}; blocks: {CaseIndexBlock.objects.count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
