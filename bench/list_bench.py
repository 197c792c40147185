"""Benchmark: counting the case list's matches exactly, and its sort by the full date.

Uses the data of ``bench/cases_bench.py`` (seeded demo cases, grown by copying
them in SQL), in the database ``DATABASE_URL`` names (PostgreSQL) or in
``/tmp/memoria-list-bench-sqlite-<events>`` (SQLite, without ``DATABASE_URL``);
the master key stays in ``/tmp/memoria-list-bench-<database>-<events>``:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \\
        .venv/bin/python bench/list_bench.py --events 100000
    .venv/bin/python bench/list_bench.py --events 100000

It times, per kind of filter, the exact ``COUNT`` the list now shows, the
count capped at 1,001 rows it showed before, and the whole list page through
Django's test client as a signed-in coordinator (access check, count, query,
date refinement of the page, decryption, template, audit entry). Medians of
``--repeat`` runs, as Markdown rows for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def configure(events: int) -> None:
    # The data directory holds the master key: one per database benchmarked.
    vendor = "postgres" if os.environ.get("DATABASE_URL") else "sqlite"
    data_dir = Path(f"/tmp/memoria-list-bench-{vendor}-{events}")  # noqa: S108
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MEMORIA_DATA_DIR", str(data_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "memoria.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", interactive=False, verbosity=0)


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


def median_ms(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    configure(args.events)
    from cases_bench import login, organization_and_user
    from django.db import connection

    from memoria.cases import listing
    from memoria.cases.forms import CaseFilterForm
    from memoria.cases.models import Event, Term

    organization, user = organization_and_user()
    grow(organization, args.events)
    if args.generate_only:
        return 0
    client = login(user)
    total = Event.objects.filter(organization=organization).count()
    violations = Term.objects.filter(vocabulary__code="violation_type")
    common = violations.get(code="disappearance_private").pk
    rare = violations.get(code="femicide").pk
    filters = {
        "none": {},
        "state": {"state": "08"},
        "violation (common)": {"violation_type": common},
        "violation (rare)": {"violation_type": rare},
        "violation + state": {"violation_type": common, "state": "08"},
        "profile": {"profile": "is_searching_relative"},
        "status": {"status": "verified"},
        "dates": {"date_from": "2019-01-01", "date_to": "2019-12-31"},
    }
    print(
        f"# {connection.vendor}, {total:,} events; {platform.machine()}, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(
        "| filter | matches | exact COUNT (ms) | capped COUNT (ms) | page 1 (ms) | page 40 (ms) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, data in filters.items():
        form = CaseFilterForm(
            {key: str(value) for key, value in data.items()}, organization=organization
        )
        assert form.is_valid(), form.errors
        events = listing.filter_events(organization, form)
        exact = events.order_by().count()
        exact_ms = median_ms(lambda events=events: events.order_by().count(), args.repeat)
        capped_ms = median_ms(lambda events=events: events.order_by()[:1001].count(), args.repeat)
        url = f"/o/{organization.slug}/cases/"
        query = {key: str(value) for key, value in data.items()}
        page_ms = median_ms(lambda query=query, url=url: client.get(url, query), args.repeat)
        deep_ms = median_ms(
            lambda query=query, url=url: client.get(url, {**query, "page": 40}), args.repeat
        )
        print(
            f"| {label} | {exact:,} | {exact_ms:.1f} | {capped_ms:.1f} | {page_ms:.0f} "
            f"| {deep_ms:.0f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
