"""What Memoria writes to disk is its user's alone, whatever the shell's umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def memoria(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["MEMORIA_DATA_DIR"] = str(data_dir)
    # A permissive umask, as many desktop sessions have: Memoria must not inherit it.
    command = f"umask 022; exec {sys.executable} -m memoria " + " ".join(args)
    return subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, env=env, timeout=300, check=True
    )


# Run inside ``memoria manage shell``: a write holds the WAL and its index open, and
# the modes of every database file are printed while they exist.
WHILE_OPEN = (
    "import os, stat; from django.db import connection; "
    "from memoria.accounts.models import Organization as O; "
    "O.objects.create(name='Y', slug='y'); "
    "d = os.environ['MEMORIA_DATA_DIR']; "
    "print(sorted((n, oct(stat.S_IMODE(os.stat(os.path.join(d, n)).st_mode))) "
    "for n in os.listdir(d) if n.startswith('memoria.sqlite3')))"
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data directory made by the commands, with one organization ("x")."""
    data_dir = tmp_path_factory.mktemp("privados") / "datos"
    memoria("manage", "migrate", "-v0", data_dir=data_dir)
    create = (
        "from memoria.accounts.models import Organization as O; "
        "O.objects.create(name='X', slug='x')"
    )
    memoria("manage", "shell", "-c", f'"{create}"', data_dir=data_dir)
    return data_dir


def test_it_keeps_the_database_its_wal_and_exports_private(data_dir, tmp_path):
    export = tmp_path / "export.csv"
    memoria(
        "export", "--organization", "x", "--format", "csv", "--out", str(export), data_dir=data_dir
    )
    assert mode(data_dir) == 0o700
    databases = [p for p in data_dir.iterdir() if p.name.startswith("memoria.sqlite3")]
    assert databases, sorted(p.name for p in data_dir.iterdir())
    for path in databases:
        assert mode(path) & 0o077 == 0, f"{path.name} is {oct(mode(path))}"
    assert mode(export) & 0o077 == 0, oct(mode(export))


def test_the_wal_and_its_index_are_private_while_the_database_is_open(data_dir):
    result = memoria("manage", "shell", "-c", f'"{WHILE_OPEN}"', data_dir=data_dir)
    files = dict(eval(result.stdout.strip().splitlines()[-1]))  # noqa: S307 - our own print
    assert set(files) == {"memoria.sqlite3", "memoria.sqlite3-wal", "memoria.sqlite3-shm"}, files
    assert set(files.values()) == {"0o600"}, files
    assert mode(data_dir) == 0o700


def test_an_export_with_identities_is_private_and_leaves_no_temporary_file(data_dir, tmp_path):
    folder = tmp_path / "salidas"
    folder.mkdir(mode=0o755)
    for fmt in ("csv", "json", "xlsx"):
        out = folder / f"identidades.{fmt}"
        memoria(
            "export", "--organization", "x", "--identities", "--format", fmt, "--out", str(out),
            data_dir=data_dir,
        )  # fmt: skip
        assert mode(out) == 0o600, f"{out.name} is {oct(mode(out))}"
    # No temporary file is left beside them.
    assert sorted(p.name for p in folder.iterdir()) == [
        "identidades.csv", "identidades.json", "identidades.xlsx",
    ]  # fmt: skip


def test_a_wsgi_server_writes_private_files_whatever_its_umask(data_dir, tmp_path):
    """gunicorn or another WSGI server loads memoria.wsgi directly, without the CLI."""
    written = tmp_path / "escrito-por-el-servidor"
    script = (
        "import os, stat; os.umask(0o022); import memoria.wsgi; "
        f"open({str(written)!r}, 'w').close(); "
        f"print(oct(stat.S_IMODE(os.stat({str(written)!r}).st_mode)))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["MEMORIA_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0o600"
