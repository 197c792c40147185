"""Benchmark: how long an export of the demo organization's acts takes, per format.

Loads the demo network into a SQLite data directory (once), then writes each
format to memory ``--repeat`` times with ``memoria.cases.io.exporter`` and
reports the median wall time, the median CPU time of this process and the
number of queries. ``--code DIR`` imports Memoria from another checkout (for
example the commit before a change) with the same data, for a before/after:

    .venv/bin/python bench/export_bench.py                      # this checkout
    .venv/bin/python bench/export_bench.py --code /path/to/old  # another one

The data directory defaults to ``/tmp/memoria-export-bench``.
"""

from __future__ import annotations

import argparse
import inspect
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout to import Memoria from")
    parser.add_argument("--data-dir", default="/tmp/memoria-export-bench")  # noqa: S108
    parser.add_argument("--organization", default="sierra-viva")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="csv,xlsx,json")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    os.environ.pop("DATABASE_URL", None)
    os.environ["MEMORIA_DATA_DIR"] = args.data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "memoria.settings"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from memoria.accounts.models import Organization
    from memoria.cases.io import exporter

    if not Organization.objects.filter(slug=args.organization).exists():
        from memoria.cli.demo import load_and_report

        load_and_report()
    organization = Organization.objects.get(slug=args.organization)
    acts = exporter.count_acts(organization)
    print(
        f"# {exporter.__file__}\n# {acts:,} acts; {platform.machine()}, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print("| format | wall (s, median) | CPU (s, median) | queries | size (KB) |")
    print("|---|---:|---:|---:|---:|")
    accepts_language = "language" in inspect.signature(exporter.export_records).parameters
    for fmt in args.formats.split(","):
        walls, cpus = [], []
        for _ in range(args.repeat):
            out = io.BytesIO()
            extra = {"language": "es-mx"} if accepts_language and fmt != "json" else {}
            with CaptureQueriesContext(connection) as queries:
                wall, cpu = time.perf_counter(), time.process_time()
                exporter.export_records(organization, fmt, False, out, **extra)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
        print(
            f"| {fmt} | {statistics.median(walls):.2f} | {statistics.median(cpus):.2f} "
            f"| {len(queries.captured_queries)} | {len(out.getvalue()) // 1024:,} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
