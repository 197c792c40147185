"""Start the platform inside a benchmark script: its data directory, Django, the schema.

The benchmarks that drive the platform in-process (``statistics_pages``,
``list_bench``, ``index_cold``) keep one data directory per database and size:
it holds the master key and, on SQLite, the database itself, so a second run
reuses what the first one generated.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_directory(name: str, size: int | None = None) -> Path:
    """``MEMORIA_DATA_DIR`` if set, otherwise ``/tmp/memoria-NAME-<database>[-SIZE]``."""
    vendor = "postgres" if os.environ.get("DATABASE_URL") else "sqlite"
    default = f"/tmp/memoria-{name}-{vendor}" + ("" if size is None else f"-{size}")  # noqa: S108
    return Path(os.environ.get("MEMORIA_DATA_DIR") or default)


def start(data_dir: Path, *, migrate: bool = True) -> None:
    """Point the platform at ``data_dir``, set Django up (the test client's host
    allowed) and bring the schema up to date."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["MEMORIA_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "memoria.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
