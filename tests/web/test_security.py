"""Production configuration: Django's deployment checks pass, headers are strict."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def check_deploy(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MEMORIA_DATA_DIR": str(tmp_path), **extra}
    for name in (
        "DATABASE_URL",
        "MEMORIA_DEBUG",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "memoria", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_in_production(tmp_path):
    result = check_deploy(
        tmp_path,
        MEMORIA_PRODUCTION="1",
        MEMORIA_SECRET_KEY=secrets.token_urlsafe(64),
        MEMORIA_ALLOWED_HOSTS="memoria.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_complains_outside_production(tmp_path):
    """The check is real: the development configuration does not pass it."""
    result = check_deploy(tmp_path)
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stdout + result.stderr


def test_production_refuses_to_invent_a_master_key(tmp_path):
    env = {
        **os.environ,
        "MEMORIA_DATA_DIR": str(tmp_path),
        "MEMORIA_PRODUCTION": "1",
        "MEMORIA_SECRET_KEY": secrets.token_urlsafe(64),
        "MEMORIA_ALLOWED_HOSTS": "memoria.example.org",
    }
    env.pop("DATABASE_URL", None)
    env.pop("MEMORIA_MASTER_KEY", None)
    env.pop("MEMORIA_MASTER_KEY_FILE", None)
    result = subprocess.run(
        [sys.executable, "-m", "memoria", "keys", "status"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "master key file" in result.stderr
    assert not (tmp_path / "keys" / "master.key").exists()
