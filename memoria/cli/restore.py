"""``memoria restore``: restore a backup archive into a fresh data directory, then verify it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "restore",
        help="restore a backup archive into a fresh data directory and verify it",
        description="Decrypt and check an archive made by 'memoria backup', restore it into "
        "an empty data directory (and, for PostgreSQL, an empty database given with "
        "--database-url), then verify row counts, that every data key unwraps, that every "
        "encrypted value decrypts, and the audit chain.",
    )
    parser.add_argument("archive", help="the archive file")
    parser.add_argument("--data-dir", required=True, help="the new data directory (empty)")
    parser.add_argument(
        "--master-key-file",
        help="the master key to use (copied into the new data directory); "
        "default: MEMORIA_MASTER_KEY or MEMORIA_MASTER_KEY_FILE",
    )
    parser.add_argument(
        "--database-url",
        help="an empty PostgreSQL database to restore into (SQLite archives ignore it)",
    )
    parser.add_argument(
        "--passphrase", action="store_true", help="the archive was made with --passphrase"
    )
    parser.set_defaults(handler=run)


def _master_key(args) -> bytes:
    from memoria.cli.common import CommandError
    from memoria.vault.keys import VaultError, decode_master_key, read_master_key_file

    try:
        if args.master_key_file:
            return read_master_key_file(Path(args.master_key_file))
        if os.environ.get("MEMORIA_MASTER_KEY", "").strip():
            return decode_master_key(os.environ["MEMORIA_MASTER_KEY"], "MEMORIA_MASTER_KEY")
        if os.environ.get("MEMORIA_MASTER_KEY_FILE"):
            return read_master_key_file(Path(os.environ["MEMORIA_MASTER_KEY_FILE"]))
    except (OSError, VaultError) as error:
        raise CommandError(f"cannot read the master key: {error}") from error
    raise CommandError(
        "give the master key with --master-key-file (or MEMORIA_MASTER_KEY[_FILE]): "
        "without it nothing encrypted can be read"
    )


def run(args: argparse.Namespace) -> int:
    from memoria.cli.backup import ask_passphrase
    from memoria.cli.common import CommandError, setup_django
    from memoria.operations.backup import (
        BackupError,
        KeySource,
        archive_header,
        read_backup,
        restore_sqlite_file,
    )
    from memoria.vault.keys import write_master_key_file

    data_dir = Path(args.data_dir).expanduser().resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        raise CommandError(f"{data_dir} is not empty: restore into a fresh data directory")
    try:
        # Checked before anything else: an edited header must not cost a passphrase
        # prompt, nor the memory an absurd scrypt cost would take.
        header = archive_header(Path(args.archive))
    except (BackupError, OSError) as error:
        raise CommandError(str(error)) from error
    if header["kdf"] == "scrypt" and not args.passphrase:
        raise CommandError("this archive is protected by a passphrase: add --passphrase")
    master = _master_key(args)
    source = KeySource(passphrase=ask_passphrase(confirm=False)) if args.passphrase else None
    try:
        archive = read_backup(Path(args.archive), source or KeySource(master=master))
    except (BackupError, OSError) as error:
        raise CommandError(str(error)) from error
    print(f"Archive intact: made {archive.manifest.created_at} from {archive.manifest.vendor}.")

    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ["MEMORIA_DATA_DIR"] = str(data_dir)
    if args.master_key_file:
        # The embedded layout: the key beside the database, in the data directory.
        key_file = data_dir / "keys" / "master.key"
        write_master_key_file(key_file, master)
        os.environ["MEMORIA_MASTER_KEY_FILE"] = str(key_file)
        os.environ.pop("MEMORIA_MASTER_KEY", None)
    # Otherwise the key comes from MEMORIA_MASTER_KEY[_FILE], kept away from the data on
    # purpose (production): no copy of it is written next to the restored database.
    if archive.manifest.vendor == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        try:
            restore_sqlite_file(archive, data_dir / "memoria.sqlite3")
        except BackupError as error:
            raise CommandError(str(error)) from error
    elif not args.database_url:
        raise CommandError("a PostgreSQL archive needs --database-url of an empty database")
    else:
        os.environ["DATABASE_URL"] = args.database_url
    setup_django()
    return _restore_rest(archive, data_dir)


def _restore_rest(archive, data_dir: Path) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from memoria.cli.common import CommandError
    from memoria.operations.backup import (
        BackupError,
        restore_postgres,
        restore_uploads,
        verify_database,
    )

    try:
        if archive.manifest.vendor == "postgresql":
            call_command("migrate", interactive=False, verbosity=0)
            restore_postgres(archive)
        files = restore_uploads(archive, Path(settings.MEDIA_ROOT))
    except BackupError as error:
        raise CommandError(str(error)) from error
    report = verify_database(archive.manifest)
    for problem in report.problems:
        print(f"PROBLEM {problem}")
    if report.problems:
        print("The restored copy does NOT match the archive.")
        return 1
    print(
        f"Restored and verified in {data_dir}: {report.tables} tables, {report.rows} rows, "
        f"{files} uploaded files, {report.keys} data keys unwrapped, "
        f"{report.values_decrypted} encrypted values decrypted, "
        f"audit log of {report.audit_entries} entries intact."
    )
    database = " DATABASE_URL=<that URL>" if archive.manifest.vendor == "postgresql" else ""
    print(f"Serve it with: MEMORIA_DATA_DIR={data_dir}{database} memoria serve")
    if not (data_dir / "keys" / "master.key").exists():
        print("and the same MEMORIA_MASTER_KEY or MEMORIA_MASTER_KEY_FILE as this restore.")
    return 0
