"""Key rotation: new data keys, re-encryption in batches, re-wrapping under a new master key.

Rotating an organization's data key makes a new key active at once (new
writes use it) and retires the old one, which stays in the database: readers
keep decrypting old values while ``reencrypt`` rewrites them batch by batch,
each batch in its own short transaction, with a compare-and-swap update so a
value changed meanwhile by a user is left alone (it is already under the new key).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from memoria.vault import keys
from memoria.vault.cipher import (
    decrypt_bytes,
    decrypt_text,
    encrypt_bytes_with,
    encrypt_text_with,
    stored_key_id,
)
from memoria.vault.fields import EncryptedMixin
from memoria.vault.models import OrganizationKey


@dataclass(frozen=True)
class EncryptedColumn:
    model: type
    field: EncryptedMixin

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def column(self) -> str:
        return self.field.column

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column of every installed model (concrete fields only)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, EncryptedMixin):
                found.append(EncryptedColumn(model, field))
    return found


def rotate_organization(organization) -> OrganizationKey:
    """Retire the organization's active data key and create a new one (atomically)."""
    with transaction.atomic():
        type(organization).objects.select_for_update(no_key=True).filter(pk=organization.pk).first()
        OrganizationKey.objects.active().filter(organization_id=organization.pk).update(
            retired_at=timezone.now()
        )
        return keys.create_data_key(organization.pk)


def _raw_batches(column: EncryptedColumn, batch_size: int) -> Iterator[list[tuple]]:
    """``(pk, stored value)`` rows in primary-key order, read raw (still encrypted)."""
    qn = connection.ops.quote_name
    pk = qn(column.model._meta.pk.column)
    select = f"SELECT {pk}, {qn(column.column)} FROM {qn(column.table)}"  # noqa: S608
    first = f"{select} ORDER BY {pk} LIMIT %s"
    following = f"{select} WHERE {pk} > %s ORDER BY {pk} LIMIT %s"
    last = None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(first, [batch_size])
            else:
                cursor.execute(following, [last, batch_size])
            rows = cursor.fetchall()
        if not rows:
            return
        # PostgreSQL returns binary columns as memoryview: hand out bytes.
        yield [(pk, bytes(v) if isinstance(v, memoryview) else v) for pk, v in rows]
        last = rows[-1][0]


def _active_keys() -> dict[int, str]:
    return dict(OrganizationKey.objects.active().values_list("organization_id", "key_id"))


def reencrypt(batch_size: int = 500, progress: Callable[[str, int], None] | None = None) -> Counter:
    """Rewrite every value not under its organization's active key. Returns counts per column."""
    active = _active_keys()
    qn = connection.ops.quote_name
    rewritten: Counter = Counter()
    for column in encrypted_columns():
        pk = column.model._meta.pk.column
        update = (
            f"UPDATE {qn(column.table)} SET {qn(column.column)} = %s "  # noqa: S608
            f"WHERE {qn(pk)} = %s AND {qn(column.column)} = %s"
        )
        for rows in _raw_batches(column, batch_size):
            changes = []
            for row_pk, value in rows:
                key_id = stored_key_id(value)
                if key_id is None:
                    continue
                organization_id, _old = keys.data_key_by_id(key_id)
                new_key_id = active.get(organization_id)
                if new_key_id is None:
                    new_key_id, _key = keys.active_key(organization_id)
                    active[organization_id] = new_key_id
                if key_id == new_key_id:
                    continue
                _org, new_key = keys.data_key_by_id(new_key_id)
                changes.append((reseal(column, value, new_key_id, new_key), row_pk, value))
            if changes:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(update, changes)
                rewritten[column.label] += len(changes)
                if progress:
                    progress(column.label, len(changes))
    return rewritten


def open_stored(column: EncryptedColumn, value, using: str | None = None):
    """Decrypt a raw stored value of ``column`` (text or file ciphertext)."""
    if isinstance(value, str):
        return decrypt_text(value, column.field.vault_context, using=using)
    return decrypt_bytes(value, column.field.vault_context, using=using)


def reseal(column: EncryptedColumn, value, key_id: str, data_key: bytes):
    """A raw stored value of ``column`` encrypted again under ``key_id``."""
    plaintext = open_stored(column, value)
    context = column.field.vault_context
    if isinstance(value, str):
        return encrypt_text_with(key_id, data_key, plaintext, context)
    return bytes(encrypt_bytes_with(key_id, data_key, plaintext, context))


def usage_by_key() -> Counter:
    """How many stored values each data key encrypts (plaintext legacy values under '')."""
    counts: Counter = Counter()
    for column in encrypted_columns():
        for rows in _raw_batches(column, 2000):
            for _pk, value in rows:
                key_id = stored_key_id(value)
                if key_id is not None:
                    counts[key_id] += 1
                elif value not in (None, "", b""):
                    counts[""] += 1
    return counts


RewrapHook = Callable[[bytes, bytes], object]
_rewrap_hooks: list[RewrapHook] = []


def register_rewrap_hook(hook: RewrapHook) -> None:
    """Have ``hook(old_master, new_master)`` run inside every master-key rotation.

    For secrets other apps keep wrapped under the master key (the audit log's
    key): the app registers its re-wrapping function in ``AppConfig.ready()``,
    so the vault, the lowest layer, imports none of them. Hooks run in the
    rotation's transaction: if one fails, nothing is re-wrapped.
    """
    if hook not in _rewrap_hooks:
        _rewrap_hooks.append(hook)


def rewrap_all(new_master: bytes) -> int:
    """Re-wrap every data key (active and retired) under ``new_master``, in one transaction.

    The registered hooks re-wrap other secrets in the same transaction (the
    audit log's key, unchanged, so the audit chain's hashes and head hashes
    noted elsewhere stay valid). Returns the number of data keys.
    """
    old_master = keys.load_master_key()
    new_id = keys.master_key_id(new_master)
    count = 0
    with transaction.atomic():
        for hook in _rewrap_hooks:
            hook(old_master, new_master)
        for record in OrganizationKey.objects.select_for_update(no_key=True).order_by("pk"):
            data_key = keys.unwrap_data_key(
                record.wrapped_key, record.organization_id, record.key_id, old_master
            )
            record.wrapped_key = keys.wrap_data_key(
                data_key, record.organization_id, record.key_id, new_master
            )
            record.master_key_id = new_id
            record.save(update_fields=["wrapped_key", "master_key_id"])
            count += 1
    return count
