"""``memoria backup``: an encrypted, integrity-checked archive of everything needed to restore.

``memoria restore`` (memoria/cli/restore.py) reads it back into a fresh data
directory and verifies it. The archive format is described in
``memoria.operations.backup``; key handling in docs/security.md.
"""

from __future__ import annotations

import argparse
import getpass
import os

PASSPHRASE_ENV = "MEMORIA_BACKUP_PASSPHRASE"  # noqa: S105 - a variable name


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "backup",
        help="write an encrypted archive of the database, uploads and wrapped keys",
        description="Write an encrypted, integrity-checked archive. Works while the server "
        "runs (SQLite online backup; PostgreSQL consistent snapshot). The archive is "
        "encrypted with a key derived from the master key, or with --passphrase from a "
        "passphrase. Restoring identities always needs the master key too: it is never "
        "put in the archive.",
    )
    parser.add_argument(
        "output", nargs="?", help="archive file (default: memoria-backup-<date>.mbk here)"
    )
    parser.add_argument(
        "--passphrase",
        action="store_true",
        help=f"encrypt with a passphrase (from {PASSPHRASE_ENV}, or asked for)",
    )
    parser.set_defaults(handler=run)


def ask_passphrase(confirm: bool) -> str:
    from memoria.cli.common import CommandError

    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase:
        return passphrase
    passphrase = getpass.getpass("Backup passphrase: ")
    if confirm and passphrase != getpass.getpass("Same passphrase again: "):
        raise CommandError("the two passphrases differ")
    if len(passphrase) < 12:
        raise CommandError("use a passphrase of at least 12 characters")
    return passphrase


def run(args: argparse.Namespace) -> int:
    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from django.utils import timezone

    from memoria.audit.log import seal_pending
    from memoria.operations.backup import BackupError, KeySource, create_backup
    from memoria.vault.keys import VaultError, load_master_key

    try:
        if args.passphrase:
            source = KeySource(passphrase=ask_passphrase(confirm=True))
        else:
            source = KeySource(master=load_master_key())
        output = args.output or f"memoria-backup-{timezone.now():%Y%m%d-%H%M%S}.mbk"
        seal_pending()  # the archive's audit log is chained up to this moment
        manifest = create_backup(output, source)
    except (BackupError, VaultError, OSError) as error:
        raise CommandError(str(error)) from error
    rows = sum(manifest.tables.values())
    files = sum(1 for name in manifest.members if name.startswith("uploads/"))
    print(
        f"Backup written to {output}: {len(manifest.tables)} tables, {rows} rows, "
        f"{files} uploaded files, {manifest.organization_keys} wrapped data keys."
    )
    print("To restore it you also need the master key (it is not in the archive).")
    return 0
