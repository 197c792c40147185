"""``memoria worker``: run background jobs (imports from the web, reindexing, ...).

On the embedded SQLite database ``memoria serve`` starts one itself; with
PostgreSQL run it as its own service (docs/operations.md). Several workers
may run against PostgreSQL: each job is claimed by one of them.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run background jobs",
        description="Claim and run background jobs (web imports, reindexing, periodic "
        "tasks) until stopped with SIGTERM or Ctrl+C. A job being prepared is put back "
        "in the queue; a job already writing finishes first. See docs/operations.md.",
    )
    parser.add_argument(
        "--once", action="store_true", help="run what is due now, then exit (for cron or tests)"
    )
    parser.add_argument(
        "--poll", type=float, default=1.0, metavar="SECONDS", help="pause when idle (default 1)"
    )
    parser.add_argument(
        "--lease",
        type=int,
        default=60,
        metavar="SECONDS",
        help="how long a job stays claimed without a heartbeat before another worker "
        "may take it over (default 60)",
    )
    parser.add_argument(
        "--heartbeat",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often the worker reports it is alive (default 5)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import logging
    import signal
    import sys

    from memoria.cli.common import CommandError, setup_django

    if args.poll <= 0 or args.lease < 1 or args.heartbeat <= 0:
        raise CommandError("--poll, --lease and --heartbeat must be positive")
    if args.heartbeat >= args.lease:
        raise CommandError("--heartbeat must be shorter than --lease")
    setup_django()
    from django.db import connection

    from memoria.jobs.models import Job
    from memoria.jobs.worker import Worker

    if Job._meta.db_table not in connection.introspection.table_names():
        raise CommandError(
            "the database has no job table yet: run 'memoria manage migrate' first "
            "('memoria serve' does it)"
        )

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s", stream=sys.stderr
    )
    worker = Worker(
        poll_seconds=args.poll, lease_seconds=args.lease, heartbeat_seconds=args.heartbeat
    )

    def ask_to_stop(signum, _frame) -> None:
        print(
            f"worker {worker.worker_id}: stopping ({signal.Signals(signum).name})", file=sys.stderr
        )
        worker.stop()
        # A second signal stops at once (the job's transaction rolls back).
        signal.signal(signum, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)
    print(f"worker {worker.worker_id}: started", file=sys.stderr, flush=True)
    ran = worker.run(once=args.once)
    print(f"worker {worker.worker_id}: stopped after {ran} jobs", file=sys.stderr, flush=True)
    return 0
