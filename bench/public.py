"""Benchmark: requests per second for a cached public page under ``memoria serve --workers 4``.

Creates a fresh data directory and SQLite database (or a new PostgreSQL
database with ``--postgres``), ``--cases`` cases with one victim each for
aggregate use, publishes every figure, then starts ``memoria serve --workers 4
--no-worker`` as its own process on a free loopback port. After a warm-up
(each worker renders the page once and keeps it in its cache), ``--connections``
keep-alive connections (asyncio, HTTP/1.1, in this process) ask for the page
for ``--duration`` seconds. Prints requests per second, p50 and p99 latency,
and any answer that was not 200, as a Markdown row for docs/benchmarks.md.

No wrk, ab or hey is needed (they are usually not installed here). The client
shares the machine's cores with the server, so the figure is a lower bound.

    .venv/bin/python bench/public.py
    .venv/bin/python bench/public.py --path /p/red/data/ --duration 30
    .venv/bin/python bench/public.py --postgres postgres://postgres@127.0.0.1:5432
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform as host
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def get(reader, writer, path: str) -> int:
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: es-MX\r\n\r\n".encode()
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _sep, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def load(port: int, path: str, connections: int, duration: float):
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + duration

    async def client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status = await get(reader, writer, path)
            except (ConnectionError, asyncio.IncompleteReadError, IndexError):
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return latencies, statuses, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--path", default="/p/red/")
    parser.add_argument("--postgres", help="server URL without database name")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-public-"))
    env = {**os.environ, "MEMORIA_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    env["DJANGO_SETTINGS_MODULE"] = "memoria.settings"
    for name in ("DATABASE_URL", "MEMORIA_MASTER_KEY_FILE", "MEMORIA_MASTER_KEY"):
        env.pop(name, None)
    if args.postgres:
        import psycopg

        db_name = f"bench_public_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = f"{args.postgres}/{db_name}"
    os.environ.update(env)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from memoria.accounts.models import Organization, User
    from memoria.cases import actions
    from memoria.cases.models import Term
    from memoria.places.models import Municipality
    from memoria.public.actions import publication_of, save_publication
    from memoria.public.models import Section

    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="Red", slug="red", kind="other")
    user = User.objects.create_user("bench@red.example", "una contraseña larga de bench")
    places = list(Municipality.objects.select_related("state").order_by("cvegeo")[::250])
    homicide = Term.objects.get(
        vocabulary__code="violation_type", code="homicide", organization=None
    )
    for n in range(args.cases):
        place = places[n % len(places)]
        event = actions.register_case(
            org,
            user,
            {
                "title": f"Caso {n}",
                "description": "",
                "start_date": dt.date(2015 + n % 10, 1 + n % 12, 1),
                "start_precision": "day",
                "end_date": None,
                "end_precision": "unknown",
                "state": place.state,
                "municipality": place,
                "status": "open",
            },
        )
        person = {
            "sex": "female" if n % 3 else "male",
            "age": 18 + n % 50,
            "visibility": "aggregate",
        }
        act = {"violation_type": homicide, "situation": None, "description": ""}
        actions.add_victim(event, user, person, act)
    data = {
        "published": True,
        "sections": [s.value for s in Section],
        "start_year": None,
        "end_year": None,
        "threshold": 5,
        "licence": "",
        "memorial": True,
    }
    save_publication(org, user, data, publication_of(org).version)
    connection.close()

    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "memoria", "serve", "--workers", str(args.workers),
         "--port", str(port), "--no-worker"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.5)
        # Warm-up: enough requests that every worker has rendered and cached the page.
        asyncio.run(load(port, args.path, args.workers * 2, 3.0))
        latencies, statuses, elapsed = asyncio.run(
            load(port, args.path, args.connections, args.duration)
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        if args.postgres:  # the benchmark's database goes with it
            with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    ok = statuses.get(200, 0)
    load_avg = os.getloadavg()[0]
    print(f"statuses: {statuses}")
    print(
        "| database | page | workers | connections | requests/s (200) | p50 ms | p99 ms "
        "| load avg |"
    )
    print(
        f"| {'PostgreSQL' if args.postgres else 'SQLite'} | `{args.path}` | {args.workers} | "
        f"{args.connections} | {ok / elapsed:.0f} | {pct(0.5):.1f} | {pct(0.99):.1f} | "
        f"{load_avg:.1f} |"
    )
    today = dt.datetime.now(dt.UTC).date()
    print(f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}, {today}")


if __name__ == "__main__":
    main()
