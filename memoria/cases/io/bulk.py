"""Bulk inserts of records with encrypted fields, for imports and demo data.

The vault's fields encrypt in ``pre_save`` and ask the database for the
organization's active key each time (so a key rotation in another process is
seen at once). For thousands of rows in one transaction that is one query per
value; here the active key is read once per batch, values are encrypted with
it before ``bulk_create``, and the fields store these ``Sealed`` ciphertexts as
they are. Any other value, even a spreadsheet cell that looks like a
ciphertext (``mv1:…``), is plaintext and is encrypted. The objects get their
plaintext back afterwards, so callers can go on using them.
"""

from __future__ import annotations

from collections.abc import Iterable

from memoria.vault.cipher import Sealed, encrypt_text_with
from memoria.vault.fields import EncryptedMixin
from memoria.vault.keys import active_key


def encrypted_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def bulk_create_sealed(model, objects: Iterable, organization_id: int, batch_size: int = 500):
    """``bulk_create`` with every encrypted field sealed under one key lookup."""
    objects = list(objects)
    if not objects:
        return objects
    key_id, data_key = active_key(organization_id)
    fields = encrypted_fields(model)
    plaintexts = []
    for obj in objects:
        saved = {}
        for field in fields:
            value = getattr(obj, field.attname)
            if field._is_empty(value) or isinstance(value, Sealed):
                continue
            saved[field.attname] = value
            setattr(
                obj,
                field.attname,
                encrypt_text_with(key_id, data_key, field.to_plaintext(value), field.vault_context),
            )
        plaintexts.append(saved)
    try:
        model.objects.bulk_create(objects, batch_size=batch_size)
    finally:
        for obj, saved in zip(objects, plaintexts, strict=True):
            for attname, value in saved.items():
                setattr(obj, attname, value)
    return objects


# After this many new rows, refresh the planner's statistics (see below).
ANALYZE_AFTER_ROWS = 5000
ANALYZED_MODELS = (
    "Event",
    "CaseIndexEntry",
    "Person",
    "Act",
    "Attribution",
    "IndirectVictim",
    "PersonSearchToken",
)


def refresh_statistics_after_commit(rows: int) -> None:
    """ANALYZE the case tables once the bulk load commits (PostgreSQL).

    Right after a large load PostgreSQL's statistics still describe the
    tables as they were; until autovacuum catches up, the planner estimates
    one row per filter and picks nested loops that turn a 50 ms case list into
    minutes (seen in bench/cases_bench.py). SQLite keeps no such statistics
    unless asked, so nothing is done there.
    """
    from django.apps import apps
    from django.db import connection, transaction

    if connection.vendor != "postgresql" or rows < ANALYZE_AFTER_ROWS:
        return

    def analyze() -> None:
        with connection.cursor() as cursor:
            for name in ANALYZED_MODELS:
                table = apps.get_model("cases", name)._meta.db_table
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    transaction.on_commit(analyze)
