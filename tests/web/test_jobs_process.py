"""``memoria worker`` as its own process against a real database file or server.

Each test gets its own data directory and its own database (a SQLite file, or
a fresh PostgreSQL database when the suite runs on PostgreSQL), so the tests
can run in parallel processes. Nothing is mocked: workers are killed with
SIGKILL, stopped with SIGTERM, and the rows are counted afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PERSON = "Juana Pérez López"
CURP = "PELJ850101MCHRPN01"


def rows_csv(count: int, person: tuple[str, str, str, str] | None = None) -> bytes:
    header = (
        "Referencia,Título,Fecha de los hechos,Estado,Municipio,Nombre(s),Apellido paterno,"
        "Apellido materno,Sexo,Edad,CURP,Tipo de violación,Situación,Presunto responsable,"
        "Tipo de fuente,Fuente"
    )
    given, paternal, maternal, curp = person or ("Nombre", "Apellido", "Segundo", "")
    lines = [header]
    for n in range(count):
        suffix = "" if person else str(n)
        lines.append(
            f"R-{n},Hecho {n},14/03/2019,Chihuahua,Cuauhtémoc,{given}{suffix},{paternal},"
            f"{maternal},M,34,{curp},disappearance_private,still_missing,organized_crime,"
            "testimony,Entrevista"
        )
    return ("\n".join(lines) + "\n").encode()


def postgres_server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url.rsplit("/", 1)[0] if url.startswith(("postgres://", "postgresql://")) else None


class Platform:
    """A data directory and a database of its own, driven through subprocesses.

    Built from scratch (``migrate``, then an organization "centro" with a
    documenter) or, with ``template``, as a copy of such a platform: its data
    directory (keys included) and its database (a file copy on SQLite, ``CREATE
    DATABASE ... TEMPLATE`` on PostgreSQL). Migrating costs seconds a platform;
    a copy, a fraction of one.
    """

    SETUP = """
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        from memoria.accounts.models import Membership, Organization, User
        from memoria.places.models import State
        org = Organization.objects.create(name="Centro", slug="centro", kind="other")
        org.states.add(State.objects.get(code="08"))
        user = User.objects.create_user("d@centro.example", "x" * 20, full_name="Documentación")
        Membership.objects.create(user=user, organization=org, role="documenter")
        """

    def __init__(
        self, tmp_path: Path, postgres: str | None, template: Platform | None = None
    ) -> None:
        self.data_dir = tmp_path / "datos"
        self.env = {**os.environ, "MEMORIA_DATA_DIR": str(self.data_dir), "PYTHONPATH": str(ROOT)}
        for name in ("DATABASE_URL", "MEMORIA_MASTER_KEY_FILE", "MEMORIA_MASTER_KEY"):
            self.env.pop(name, None)
        self.env["DJANGO_SETTINGS_MODULE"] = "memoria.settings"
        # The tests' webhook receivers and mail server listen on loopback.
        self.env["MEMORIA_ALERTS_LOCAL_RECEIVERS"] = "127.0.0.1"
        self.postgres = postgres
        self.db_name = None
        self.processes: list[subprocess.Popen] = []
        if template:
            shutil.copytree(template.data_dir, self.data_dir)
        if postgres:
            import psycopg

            self.db_name = f"memoria_jobs_{uuid.uuid4().hex[:12]}"
            copy = f' TEMPLATE "{template.db_name}"' if template else ""
            with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.db_name}"{copy}')
            self.env["DATABASE_URL"] = f"{postgres}/{self.db_name}"
        if not template:
            self.django(self.SETUP)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        if self.db_name:
            import psycopg

            with psycopg.connect(f"{self.postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def django(self, body: str) -> str:
        script = "import django\ndjango.setup()\n" + textwrap.dedent(body)
        result = subprocess.run(
            [sys.executable, "-c", script],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def memoria(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "memoria", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def start(self, *args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "memoria", *args],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes.append(process)
        return process

    def query(self, sql: str) -> list[tuple]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"]) as conn:
                return conn.execute(sql).fetchall()
        # Closed here, not whenever the garbage collector gets to it: the last
        # connection to close checkpoints the WAL and deletes it, which must not
        # happen while a test reads the files.
        with closing(sqlite3.connect(self.data_dir / "memoria.sqlite3", timeout=30)) as conn:
            return conn.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]

    def queue_imports(self, contents: list[bytes], filename: str = "casos.csv") -> list[int]:
        """Queue web imports as the review page does; return the jobs' ids."""
        paths = []
        for n, content in enumerate(contents):
            path = self.data_dir / f"upload-{n}.csv"
            path.write_bytes(content)
            paths.append(str(path))
        out = self.django(
            f"""
            from pathlib import Path
            from memoria.accounts.models import Organization, User
            from memoria.cases.io.jobs import queue_import
            from memoria.cases.io.mapping import guess_mapping
            from memoria.cases.io.readers import read_table
            org = Organization.objects.get(slug="centro")
            user = User.objects.get(email="d@centro.example")
            for n, path in enumerate({paths!r}):
                table = read_table(Path(path).read_bytes(), {filename!r})
                mapping = guess_mapping(table.headers)
                job = queue_import(org, user, table, mapping, f"t{{n}}", "es-mx")
                print(job.pk)
            """
        )
        for path in paths:
            Path(path).unlink()
        return [int(line) for line in out.split()]

    def wait_for(self, condition, timeout: float = 120, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                outputs = [p.stdout.read() for p in self.processes if p.poll() is not None]
                raise AssertionError(f"timed out waiting for {what}; {outputs}")
            time.sleep(0.05)

    def job(self, pk: int) -> tuple:
        sql = f"SELECT status, attempts, progress_phase FROM jobs_job WHERE id = {int(pk)}"  # noqa: S608
        return self.query(sql)[0]


@pytest.fixture
def platform(tmp_path, platform_template):
    platform = Platform(tmp_path, postgres_server_url(), template=platform_template)
    yield platform
    platform.close()


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_an_import_loses_nothing_and_repeats_nothing(platform):
    rows = 3000
    [job] = platform.queue_imports([rows_csv(rows)])
    worker = platform.start("worker", "--lease", "3", "--heartbeat", "1")
    platform.wait_for(lambda: platform.job(job)[2] == "saving", what="the saving phase")
    time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    status, attempts, _phase = platform.job(job)
    # Killed inside the write transaction: nothing of it is left.
    assert (status, attempts) == ("running", 1)
    assert platform.scalar("SELECT count(*) FROM cases_event") == 0
    assert platform.scalar("SELECT count(*) FROM audit_auditentry") == 0

    platform.start("worker", "--lease", "3", "--heartbeat", "1")
    platform.wait_for(lambda: platform.job(job)[0] == "done", what="the retried job")
    assert platform.job(job)[:2] == ("done", 2)
    assert platform.scalar("SELECT count(*) FROM cases_event") == rows
    assert platform.scalar("SELECT count(*) FROM cases_person") == rows
    assert (
        platform.scalar("SELECT count(*) FROM audit_auditentry WHERE action = 'cases.import'") == 1
    )
    assert platform.scalar("SELECT count(*) FROM jobs_jobdata WHERE sealed_input <> ''") == 0


@pytest.mark.slow
def test_sigterm_stops_a_worker_cleanly(platform):
    worker = platform.start("worker", "--heartbeat", "0.5", "--poll", "0.2")
    platform.wait_for(
        lambda: platform.scalar("SELECT count(*) FROM jobs_workerheartbeat") == 1,
        what="the heartbeat",
    )
    [job] = platform.queue_imports([rows_csv(2000)])
    platform.wait_for(lambda: platform.job(job)[0] != "queued", what="the claim")
    worker.send_signal(signal.SIGTERM)
    output = worker.communicate(timeout=120)[0]
    assert worker.returncode == 0, output
    assert "stopped after" in output
    assert "Traceback" not in output
    assert platform.scalar("SELECT stopped FROM jobs_workerheartbeat") in (1, True)
    # The job was either finished or put back untouched, never left half-done.
    status, attempts, _phase = platform.job(job)
    events = platform.scalar("SELECT count(*) FROM cases_event")
    assert (status, attempts, events) in {("queued", 0, 0), ("done", 1, 2000)}


@pytest.mark.slow
def test_two_workers_on_postgresql_never_run_a_job_twice(platform):
    if not platform.postgres:
        pytest.skip("several workers share a queue on PostgreSQL only")
    workers = [platform.start("worker", "--poll", "0.1") for _ in range(2)]
    platform.wait_for(
        lambda: platform.scalar("SELECT count(*) FROM jobs_workerheartbeat") == 2,
        what="both workers",
    )
    # Thirty different files (the same one twice would be refused as imported before).
    files = [rows_csv(1).replace(b"\nR-0,", f"\nJ-{n},".encode()) for n in range(30)]
    assert len(set(files)) == 30
    jobs = platform.queue_imports(files)
    platform.wait_for(
        lambda: platform.scalar("SELECT count(*) FROM jobs_job WHERE status = 'done'") == len(jobs),
        timeout=240,
        what="every job",
    )
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    assert platform.scalar("SELECT count(*) FROM cases_event") == len(jobs)
    assert platform.scalar(
        "SELECT count(*) FROM audit_auditentry WHERE action = 'cases.import'"
    ) == len(jobs)
    assert platform.scalar("SELECT max(attempts) FROM jobs_job") == 1
    claimed_by = {row[0] for row in platform.query("SELECT claimed_by FROM jobs_job")}
    assert len(claimed_by) == 2, "both workers took jobs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_on_sqlite_runs_a_worker_and_stops_it(platform):
    if platform.postgres:
        pytest.skip("serve starts a worker on the embedded SQLite only")
    port = free_port()
    server = platform.start("serve", "--port", str(port))
    platform.wait_for(
        lambda: platform.scalar("SELECT count(*) FROM jobs_workerheartbeat WHERE NOT stopped") == 1,
        what="the worker's heartbeat",
    )
    [job] = platform.queue_imports([rows_csv(3)])
    platform.wait_for(lambda: platform.job(job)[0] == "done", what="the import")
    assert platform.scalar("SELECT count(*) FROM cases_event") == 3
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:  # noqa: S310
        assert response.status == 200
    pid = platform.scalar("SELECT pid FROM jobs_workerheartbeat")
    server.send_signal(signal.SIGTERM)
    server.communicate(timeout=120)
    assert platform.scalar("SELECT stopped FROM jobs_workerheartbeat") == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def raw_files(platform: Platform) -> list[Path]:
    return [p for p in platform.data_dir.rglob("*") if p.is_file()]


@pytest.mark.slow
def test_a_file_named_after_a_person_leaves_no_name_in_the_database_or_backup(platform):
    if platform.postgres:
        pytest.skip("greps the SQLite database file and its WAL")
    filename = f"Testimonio_{PERSON.replace(' ', '_')}_{CURP}.csv"
    person = ("Juana", "Pérez", "López", CURP)
    # From the command line ...
    path = platform.data_dir.parent / filename
    path.write_bytes(rows_csv(1, person))
    result = platform.memoria("import", str(path), "--organization", "centro")
    assert result.returncode == 0, result.stdout + result.stderr
    # ... and from the web: upload, columns, review, confirm, then the worker.
    platform.django(
        f"""
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test.utils import setup_test_environment
        setup_test_environment()
        from memoria.accounts.models import User
        from tests.web.base import TwoFactorClient
        client = TwoFactorClient()
        client.force_login(User.objects.get(email="d@centro.example"))
        content = open({str(path)!r}, "rb").read()
        upload = SimpleUploadedFile({filename!r}, content, content_type="text/csv")
        assert client.post("/o/centro/cases/import/", {{"file": upload}}).status_code == 302
        mapping = client.get("/o/centro/cases/import/columns/").context["form"].initial
        client.post("/o/centro/cases/import/columns/", mapping)
        # The same rows came in from the command line: import them again, as chosen.
        response = client.post("/o/centro/cases/import/review/", {{"on_duplicate": "create"}})
        assert "/cases/import/jobs/" in response["Location"], response
        """
    )
    result = platform.memoria("worker", "--once")
    assert result.returncode == 0, result.stderr
    assert platform.scalar("SELECT count(*) FROM cases_event") == 2
    assert platform.scalar("SELECT count(*) FROM audit_auditentry WHERE action='cases.import'") == 2
    archive = platform.data_dir.parent / "copia.mbk"
    result = platform.memoria("backup", str(archive))
    assert result.returncode == 0, result.stderr

    files = [*raw_files(platform), archive]
    # (Not "Juana" alone: the place names hold Juanacatlán.)
    needles = [CURP, "Juana Pérez", "Juana_Pérez", "Pérez_López", "Perez_Lopez", "Testimonio_"]
    for file in files:
        content = file.read_bytes()
        for needle in needles:
            for encoded in {needle.encode(), needle.encode("utf-16-le")}:
                at = content.find(encoded)
                assert at < 0, f"{needle} in {file.name}: {content[at - 200 : at + 60]!r}"


def test_a_worker_on_a_database_not_yet_migrated_says_what_to_do(tmp_path):
    env = {**os.environ, "MEMORIA_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "memoria", "worker", "--once"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "run 'memoria manage migrate' first" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_reindex_queued_for_a_running_worker_follows_it_to_the_end(platform):
    platform.django(
        """
        from memoria.accounts.models import Organization
        from memoria.cases.models import Person
        org = Organization.objects.get(slug="centro")
        for n in range(12):
            Person.objects.create(organization=org, given_names=f"Nombre{n}",
                                  paternal_surname="Apellido", maternal_surname="Segundo")
        """
    )
    worker = platform.start("worker", "--heartbeat", "0.5", "--poll", "0.2")
    platform.wait_for(
        lambda: platform.scalar("SELECT count(*) FROM jobs_workerheartbeat") > 0,
        what="the worker's first heartbeat",
    )
    result = platform.memoria("reindex", "--queue", "--organization", "centro", "--batch-size", "5")
    assert result.returncode == 0, result.stderr
    assert "centro: search keys of 12 people rebuilt" in result.stdout
    assert "No worker is running" not in result.stdout
    # The worker, not the command, ran the job.
    [(status, ran_by)] = platform.query(
        "SELECT status, claimed_by FROM jobs_job WHERE kind = 'cases.reindex'"
    )
    assert status == "done"
    assert ran_by and not ran_by.startswith("cli:")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
