"""``memoria keys``: the state of the encryption keys, and their rotation."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="show or rotate the encryption keys",
        description="Each organization's records are encrypted with its own data key; "
        "data keys are stored wrapped by the master key, which lives outside the database "
        "(MEMORIA_MASTER_KEY_FILE). See docs/security.md.",
    )
    actions = parser.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    status = actions.add_parser(
        "status", help="list data keys, what they encrypt, and check the master key"
    )
    status.set_defaults(handler=run_status)
    rotate = actions.add_parser(
        "rotate",
        help="new data keys and re-encryption, or (--master) a new master key",
        description="Without --master: give each organization (or one) a new data key and "
        "re-encrypt its values in batches while the server keeps running; old keys stay "
        "readable until the end. With --master: generate a new master key, re-wrap every "
        "data key under it and replace the key file (the old one is kept beside it).",
    )
    rotate.add_argument("--organization", metavar="SLUG", help="only this organization")
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    rotate.add_argument("--master", action="store_true", help="rotate the master key instead")
    rotate.add_argument(
        "--new-key-file",
        metavar="PATH",
        help="with --master: where to write the new master key (required when the key "
        "comes from MEMORIA_MASTER_KEY)",
    )
    rotate.set_defaults(handler=run_rotate)
    reencrypt = actions.add_parser(
        "reencrypt",
        help="finish an interrupted rotation: re-encrypt values still under retired keys",
    )
    reencrypt.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    reencrypt.set_defaults(handler=run_reencrypt)


def _setup():
    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from memoria.vault.keys import VaultError

    try:
        from memoria.vault.keys import load_master_key

        load_master_key()
    except VaultError as error:
        raise CommandError(str(error)) from error


def run_status(args: argparse.Namespace) -> int:
    _setup()
    from memoria.accounts.models import Organization
    from memoria.vault.keys import VaultError, data_key_by_id, load_master_key, master_key_id
    from memoria.vault.models import OrganizationKey
    from memoria.vault.rotation import encrypted_columns, usage_by_key

    current = master_key_id(load_master_key())
    usage = usage_by_key()
    print(f"Master key fingerprint: {current}")
    print(f"Encrypted columns: {len(encrypted_columns())}")
    problems = 0
    names = dict(Organization.objects.values_list("pk", "slug"))
    for record in OrganizationKey.objects.order_by("organization_id", "created_at"):
        state = "retired" if record.retired_at else "ACTIVE "
        try:
            data_key_by_id(record.key_id)
            readable = "ok"
        except VaultError:
            readable = "CANNOT UNWRAP"
            problems += 1
        print(
            f"  {names.get(record.organization_id, record.organization_id):<30} "
            f"{record.key_id}  {state}  created {record.created_at:%Y-%m-%d %H:%M}  "
            f"values {usage.get(record.key_id, 0):>7}  {readable}"
        )
    pending = sum(
        usage.get(key_id, 0)
        for key_id in OrganizationKey.objects.filter(retired_at__isnull=False).values_list(
            "key_id", flat=True
        )
    )
    if pending:
        print(f"{pending} values are still under retired keys: run 'memoria keys reencrypt'.")
    if usage.get(""):
        print(
            f"{usage['']} values in encrypted columns are stored in clear (written before "
            "encryption): run 'memoria keys reencrypt'."
        )
    if problems:
        print(f"{problems} data key(s) cannot be unwrapped with this master key.")
        return 1
    return 0


def _organizations(slug: str | None):
    from memoria.accounts.models import Organization
    from memoria.cli.common import CommandError

    organizations = Organization.objects.order_by("pk")
    if slug:
        organizations = organizations.filter(slug=slug)
        if not organizations.exists():
            raise CommandError(f"no organization with the short name {slug!r}")
    return list(organizations)


def _reencrypt(batch_size: int) -> None:
    from memoria.vault.rotation import reencrypt

    def progress(column: str, count: int) -> None:
        print(f"  re-encrypted {count} values in {column}")

    totals = reencrypt(batch_size=batch_size, progress=progress)
    print(f"Re-encryption finished: {sum(totals.values())} values rewritten.")


def run_rotate(args: argparse.Namespace) -> int:
    _setup()
    if args.master:
        return _rotate_master(args)
    from memoria.accounts.actions import rotate_data_key

    for organization in _organizations(args.organization):
        record = rotate_data_key(organization)
        print(f"{organization.slug}: new data key {record.key_id}")
    _reencrypt(args.batch_size)
    return 0


def run_reencrypt(args: argparse.Namespace) -> int:
    _setup()
    _reencrypt(args.batch_size)
    return 0


def _rotate_master(args: argparse.Namespace) -> int:
    import os
    import secrets
    from pathlib import Path

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from memoria.accounts.models import Organization
    from memoria.audit.log import audit
    from memoria.cli.common import CommandError
    from memoria.vault import keys
    from memoria.vault.rotation import rewrap_all

    from_env = bool(os.environ.get("MEMORIA_MASTER_KEY", "").strip())
    if from_env and not args.new_key_file:
        raise CommandError(
            "the master key comes from MEMORIA_MASTER_KEY: give --new-key-file PATH, then "
            "put the new key in that variable (or point MEMORIA_MASTER_KEY_FILE at it)"
        )
    current_file = Path(settings.MEMORIA_MASTER_KEY_FILE)
    new_file = Path(args.new_key_file) if args.new_key_file else current_file.with_suffix(".new")
    if new_file.exists():
        raise CommandError(f"{new_file} already exists; move it away first")
    new_key = secrets.token_bytes(keys.KEY_BYTES)
    keys.write_master_key_file(new_file, new_key)
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    retired = current_file.with_name(f"{current_file.name}.retired-{stamp}")
    swapped = False
    try:
        with transaction.atomic():
            # Holding every organization's row stops new data keys from being
            # created (and wrapped under the old key) until the new file is in place.
            list(Organization.objects.select_for_update(no_key=True).order_by("pk"))
            # Recorded first, while the audit key is still wrapped under the
            # current master key; the same transaction, so it stands or falls with it.
            audit(None, None, "keys.master_rotated", master_key_id=keys.master_key_id(new_key))
            count = rewrap_all(new_key)
            if not args.new_key_file:
                os.replace(current_file, retired)
                os.replace(new_file, current_file)
                swapped = True
    except BaseException:
        if swapped:
            os.replace(current_file, new_file)
            os.replace(retired, current_file)
        raise
    if swapped:
        print(f"Re-wrapped {count} data keys. New master key: {current_file}")
        print(
            f"The previous master key was moved to {retired}: keep it with the backups "
            "made before today, and destroy it when they expire."
        )
    else:
        print(f"Re-wrapped {count} data keys under the new master key in {new_file}.")
        print("Point MEMORIA_MASTER_KEY_FILE (or MEMORIA_MASTER_KEY) at it before restarting.")
    keys.forget_cached_keys()
    print("BACK UP THE NEW MASTER KEY NOW, away from this server. Restart the server.")
    return 0
