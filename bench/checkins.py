"""Benchmark: from a missed check-in to the first notification, with 10,000 active check-ins.

Creates a fresh data directory and database (SQLite file, or a new PostgreSQL
database with ``--postgres``), ``--watches`` people at risk (10,000) each
with an active check-in whose deadline is staggered over ``--spread`` seconds
(an hour: about three missed deadlines a second), no grace, no cancel window,
and a one-step ladder to the circle's signed webhook: a local HTTP receiver in
this process that records when each message arrives. Then it starts
``memoria worker`` as its own process (the escalation loop and the delivery
loop, both polling every second) and, for ``--duration`` seconds, lets the
deadlines pass.

For each deadline that passed during the run: latency = arrival at the
receiver - (deadline + grace). Prints p50, p99 and max, the number of
samples, and the worker's CPU time (user + system, from /proc) over the run,
as a Markdown row for docs/benchmarks.md.

    .venv/bin/python bench/checkins.py                       # SQLite
    .venv/bin/python bench/checkins.py --postgres postgres://postgres@127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform as host
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "b" * 32


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                name = re.search(r"W\d+", json.loads(body)["subject"]).group(0)
                receiver.arrivals.setdefault(name, now)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=3600.0)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--postgres", help="server URL without database name")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-checkins-"))
    env = {**os.environ, "MEMORIA_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    env["DJANGO_SETTINGS_MODULE"] = "memoria.settings"
    for name in ("DATABASE_URL", "MEMORIA_MASTER_KEY_FILE", "MEMORIA_MASTER_KEY"):
        env.pop(name, None)
    db_name = None
    if args.postgres:
        import psycopg

        db_name = f"bench_checkins_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = f"{args.postgres}/{db_name}"
    os.environ.update(env)
    for name in ("DATABASE_URL",):
        if name not in env:
            os.environ.pop(name, None)

    sys.path.insert(0, str(ROOT))  # this tree's memoria, not an installed one
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from memoria.accounts.models import Organization
    from memoria.alerts.models import Channel
    from memoria.checkins.models import LadderStep, Watch
    from memoria.protection.models import PersonAtRisk

    receiver = Receiver()
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="Red", slug="red", kind="other")
    hook = Channel.objects.create(
        organization=org,
        kind="webhook",
        name="circle",
        config={"url": receiver.url, "secret": SECRET},
    )
    setup_started = time.monotonic()
    people = PersonAtRisk.objects.bulk_create(
        [PersonAtRisk(organization=org, display_name=f"W{n}") for n in range(args.watches)],
        batch_size=1000,
    )
    far = timezone.now() + dt.timedelta(days=1)
    watches = Watch.objects.bulk_create(
        [
            Watch(
                organization=org,
                person=person,
                every_hours=24,
                grace_minutes=0,
                cancel_minutes=0,
                deadline=far,
                next_action_at=far,
            )
            for person in people
        ],
        batch_size=1000,
    )
    steps = LadderStep.objects.bulk_create(
        [LadderStep(watch=w, position=0, audience="circle", delay_minutes=0) for w in watches],
        batch_size=1000,
    )
    through = LadderStep.channels.through
    through.objects.bulk_create(
        [through(ladderstep_id=s.pk, channel_id=hook.pk) for s in steps], batch_size=1000
    )
    connection.close()
    setup_seconds = time.monotonic() - setup_started

    # The worker first: the clock starts once it beats (loading Django is not measured).
    worker = subprocess.Popen(
        [sys.executable, "-m", "memoria", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from memoria.jobs.models import WorkerHeartbeat

    while not WorkerHeartbeat.objects.filter(pid=worker.pid).exists():
        time.sleep(0.5)
    # The deadlines, staggered from 5 s from now, set in one batch of statements.
    start = timezone.now() + dt.timedelta(seconds=5)
    step = args.spread / args.watches
    deadlines = {}
    rows = []
    for n, watch in enumerate(watches):
        deadline = start + dt.timedelta(seconds=n * step)
        deadlines[f"W{n}"] = deadline.timestamp()
        rows.append((deadline, deadline, watch.pk))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE checkins_watch SET deadline = %s, next_action_at = %s WHERE id = %s", rows
        )
    connection.close()
    cpu_before = cpu_seconds(worker.pid)
    run_started = time.time()
    end = start.timestamp() + args.duration
    while time.time() < end:
        time.sleep(1)
    due = {name for name, at in deadlines.items() if at <= end}
    waited = time.time()
    while not due <= receiver.arrivals.keys() and time.time() - waited < 120:
        time.sleep(0.2)
    cpu = cpu_seconds(worker.pid) - cpu_before
    wall = time.time() - run_started
    worker.terminate()
    worker.wait(timeout=60)
    latencies = sorted(receiver.arrivals[n] - deadlines[n] for n in due if n in receiver.arrivals)
    missing = len(due) - len(latencies)
    early = [x for x in latencies if x < 0]

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"| {backend} | {args.watches:,} | {len(latencies)} | {statistics.median(latencies):.2f} s "
        f"| {pct(0.99):.2f} s | {latencies[-1]:.2f} s | {cpu:.1f} s over {wall:.0f} s "
        f"({100 * cpu / wall:.0f}% of a core) | {missing} missing, {len(early)} early "
        f"| setup {setup_seconds:.0f} s |"
    )
    print(f"machine: {host.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    if db_name:
        import psycopg

        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
