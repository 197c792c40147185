"""Benchmark: an audited page under concurrent readers, on PostgreSQL.

Serves the platform with ``memoria serve`` (gunicorn, several workers) on
127.0.0.1 and a free port, signs in ``--readers`` members of one organization
(role reader, two-step sign-in done), and has each of them open case pages
(``/o/<slug>/cases/<id>/``: every view writes an audit entry) from its own
thread until ``--requests`` timed requests are done. Prints p50, p95, max,
throughput and how many server connections were waiting for a row lock
(sampled every 50 ms from ``pg_stat_activity``: the chain head is the only
row these requests lock) as a Markdown table row for docs/benchmarks.md,
then stops the server and checks the audit log (one entry per request,
chain intact). Then, with the server stopped, it times ``audit()`` alone from
as many threads (``--direct-calls`` each), to separate the audit write from
page rendering.

Run it from the tree to measure (``--source``, default: this repository), so
one script measures the code before and after a change in the same conditions:

    git clone -q /work/wt-audit /tmp/audit-before && git -C /tmp/audit-before checkout -q fc24ddc
    .venv/bin/python bench/audit_bench.py --source /tmp/audit-before --label before
    .venv/bin/python bench/audit_bench.py --label after

Each run starts from a fresh PostgreSQL database (``--database``, dropped and
created again) and a fresh data directory. Where the code has
``seal_pending`` (entries written pending, chained later), a thread of this
process seals every ``--seal-every`` seconds during the run, as the
background worker does.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
SLUG = "bench-audit"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="the Memoria tree to measure")
    parser.add_argument("--label", default="", help="a name for this run in the output row")
    parser.add_argument("--database", default="wt_audit_bench", help="PostgreSQL database")
    parser.add_argument("--readers", type=int, default=20, help="concurrent signed-in readers")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests in all")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per reader")
    parser.add_argument("--cases", type=int, default=40, help="cases the readers open")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--seal-every", type=float, default=5.0, help="seconds between sealings")
    parser.add_argument(
        "--direct-calls",
        type=int,
        default=100,
        help="then also time audit() itself: this many calls from each reader's thread (0: skip)",
    )
    parser.add_argument("--seed", type=int, default=9)
    return parser.parse_args()


def configure(args: argparse.Namespace) -> dict[str, str]:
    """A fresh database and data directory; Django set up on ``--source``."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{args.database}"')
    data_dir = tempfile.mkdtemp(prefix="memoria-audit-bench-")
    env = {
        **os.environ,
        "PYTHONPATH": str(args.source.resolve()),
        "MEMORIA_DATA_DIR": data_dir,
        "DATABASE_URL": f"{PG_SERVER}/{args.database}",
        "DJANGO_SETTINGS_MODULE": "memoria.settings",
    }
    env.pop("MEMORIA_PRODUCTION", None)
    os.environ.update({k: env[k] for k in ("MEMORIA_DATA_DIR", "DATABASE_URL")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "memoria.settings"
    sys.path.insert(0, str(args.source.resolve()))
    import django

    django.setup()
    import memoria

    if not Path(memoria.__file__).resolve().is_relative_to(args.source.resolve()):
        raise SystemExit(f"memoria was imported from {memoria.__file__}, not {args.source}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return env


def prepare(args: argparse.Namespace) -> tuple[list[str], list[int]]:
    """The organization, its cases, and one signed-in session per reader."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from memoria.accounts.models import Membership, Organization, User
    from memoria.cases.demo import DemoWriter
    from memoria.cases.models import Event
    from memoria.places.models import State

    try:  # two-factor devices moved from the vault to accounts (issue 9)
        from memoria.accounts.models import SealedTOTPDevice
    except ImportError:
        from memoria.vault.models import SealedTOTPDevice

    organization = Organization.objects.create(
        slug=SLUG, name="Benchmark (ficticio)", kind="human_rights_centre", is_demo=True
    )
    organization.states.add(*State.objects.filter(code__in=("08", "14", "28")))
    writer = DemoWriter(organization, random.Random(args.seed))
    for _ in writer.write(args.cases):
        pass
    cases = list(Event.objects.filter(organization=organization).values_list("pk", flat=True))
    sessions = []
    for number in range(args.readers):
        user = User.objects.create_user(f"lector{number}@memoria.example", None, full_name="L")
        Membership.objects.create(user=user, organization=organization, role="reader")
        device = SealedTOTPDevice.objects.create(user=user, name="app", confirmed=True)
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return sessions, cases


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args: argparse.Namespace, env: dict[str, str], port: int) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "memoria"),
        "serve",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--workers={args.workers}",
        f"--threads={args.threads}",
    ]
    log = open(Path(env["MEMORIA_DATA_DIR"]) / "serve.log", "wb")  # noqa: SIM115 - kept open
    server = subprocess.Popen(  # noqa: S603 - our own command
        command, cwd=args.source, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"memoria serve stopped; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("memoria serve did not answer within 60 s")


def read_cases(
    port: int, session: str, cases: list[int], count: int, timed: list[float], errors: list[str]
) -> None:
    """One reader: open ``count`` case pages, in a random order, on one keep-alive connection."""
    from django.conf import settings

    rng = random.Random(session)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    for _ in range(count):
        path = f"/o/{SLUG}/cases/{rng.choice(cases)}/"
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200 or b"<h1" not in body:
            errors.append(f"{path}: {response.status}")
        timed.append(elapsed)
    connection.close()


def run_readers(port: int, sessions: list[str], cases: list[int], each: int) -> tuple:
    timed: list[float] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=read_cases, args=(port, s, cases, each, timed, errors))
        for s in sessions
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timed, errors, time.perf_counter() - started


def lock_sampler(stop: threading.Event, database: str, samples: list[int]) -> threading.Thread:
    """Every 50 ms, count the server's connections waiting for a row lock (the chain head)."""
    import psycopg

    def loop() -> None:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            while not stop.wait(0.05):
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND wait_event_type = 'Lock'",
                    (database,),
                ).fetchone()
                samples.append(row[0])

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def sealer(stop: threading.Event, every: float) -> threading.Thread | None:
    """Seal pending entries every ``every`` seconds, as the worker does (if the code has it)."""
    from memoria.audit import log

    seal = getattr(log, "seal_pending", None)
    if seal is None:
        return None

    def loop() -> None:
        from django.db import connection

        while not stop.wait(every):
            seal()
        connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def time_audit_calls(args: argparse.Namespace, cases: list[int]) -> tuple:
    """``--readers`` threads each call ``audit()`` on its own connection, in autocommit.

    The web server is stopped by then: this isolates the audit write (and, in
    the code before, its wait for the chain head) from page rendering.
    """
    from django.db import connection

    from memoria.accounts.models import Organization, User
    from memoria.audit.log import audit
    from memoria.cases.models import Event

    organization = Organization.objects.get(slug=SLUG)
    events = list(Event.objects.filter(pk__in=cases))
    timed: list[float] = []

    def calls(number: int) -> None:
        user = User.objects.get(email=f"lector{number}@memoria.example")
        rng = random.Random(number)
        try:
            for _ in range(args.direct_calls):
                started = time.perf_counter()
                audit(user, organization, "case.view", rng.choice(events))
                timed.append(time.perf_counter() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=calls, args=(n,)) for n in range(args.readers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timed, time.perf_counter() - started


def row(label: str, readers: int, timed: list[float], wall: float, waiting: list[int]) -> str:
    ms = sorted(t * 1000 for t in timed)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    blocked = sum(1 for n in waiting if n) / max(1, len(waiting))
    return (
        f"| {label} | {readers} | {len(ms)} | {statistics.median(ms):.0f} | {p95:.0f} | "
        f"{ms[-1]:.0f} | {len(ms) / wall:.1f} | {statistics.fmean(waiting or [0]):.2f} | "
        f"{blocked:.0%} |"
    )


def main() -> int:
    args = parse_args()
    env = configure(args)
    sessions, cases = prepare(args)
    from memoria.audit import log
    from memoria.audit.models import AuditEntry

    port = free_port()
    server = start_server(args, env, port)
    stop = threading.Event()
    seal_thread = sampler = None
    waiting: list[int] = []
    try:
        load_before = os.getloadavg()
        _, errors, _ = run_readers(port, sessions, cases, args.warmup)
        before = AuditEntry.objects.filter(action="case.view").count()
        seal_thread = sealer(stop, args.seal_every)
        sampler = lock_sampler(stop, args.database, waiting)
        each = max(1, args.requests // args.readers)
        timed, run_errors, wall = run_readers(port, sessions, cases, each)
        errors += run_errors
        load_after = os.getloadavg()
    finally:
        stop.set()
        if sampler is not None:
            sampler.join()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        if seal_thread is not None:
            seal_thread.join()
    if hasattr(log, "seal_pending"):
        log.seal_pending()
    written = AuditEntry.objects.filter(action="case.view").count() - before
    direct_row = ""
    if args.direct_calls:
        stop = threading.Event()
        direct_waiting: list[int] = []
        sampler = lock_sampler(stop, args.database, direct_waiting)
        seal_thread = sealer(stop, args.seal_every)
        direct, direct_wall = time_audit_calls(args, cases)
        stop.set()
        sampler.join()
        if seal_thread is not None:
            seal_thread.join()
        if hasattr(log, "seal_pending"):
            log.seal_pending()
        label = f"{args.label or args.source}: audit() alone"
        direct_row = row(label, args.readers, direct, direct_wall, direct_waiting)
    count, problems = log.verify_chain()
    print(
        f"# {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after; {args.workers} workers x {args.threads} threads; "
        f"{args.readers} readers; source {args.source}",
        file=sys.stderr,
    )
    print(
        f"# audit entries written {written} for {len(timed)} requests; chain: {count} entries, "
        f"{len(problems)} problem(s); errors: {len(errors)} {errors[:3]}",
        file=sys.stderr,
    )
    print(
        "| run | readers | requests | p50 ms | p95 ms | max ms | requests/s "
        "| lock waiters (mean) | samples with a waiter |"
    )
    print(row(args.label or str(args.source), args.readers, timed, wall, waiting))
    if direct_row:
        print(direct_row)
    return 1 if errors or problems or written != len(timed) else 0


if __name__ == "__main__":
    sys.exit(main())
