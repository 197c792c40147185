"""What Memoria writes to disk is its user's alone, whatever the shell's umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys


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


def test_it_keeps_the_database_its_wal_and_exports_private(tmp_path):
    data_dir = tmp_path / "datos"
    memoria("manage", "migrate", "-v0", data_dir=data_dir)
    create = (
        "from memoria.accounts.models import Organization as O; "
        "O.objects.create(name='X', slug='x')"
    )
    memoria("manage", "shell", "-c", f'"{create}"', data_dir=data_dir)
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
