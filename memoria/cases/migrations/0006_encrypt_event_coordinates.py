"""Exact coordinates of events are encrypted: the columns become text, then every value is sealed.

The data step reads and writes the column with plain SQL (not the model, whose
field now encrypts), one organization's key looked up once. Backwards, values
are decrypted back to text before the columns become decimals again.
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations
from django.db.backends.utils import format_number

import memoria.vault.fields

COLUMNS = ("latitude", "longitude")
MAX_DIGITS, DECIMAL_PLACES = 9, 6


def _rows(connection):
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, organization_id, {qn('latitude')}, {qn('longitude')} "  # noqa: S608
            f"FROM {qn('cases_event')} "
            f"WHERE {qn('latitude')} IS NOT NULL OR {qn('longitude')} IS NOT NULL"
        )
        return cursor.fetchall()


def _write(connection, changes: list[tuple]) -> None:
    qn = connection.ops.quote_name
    update = (
        f"UPDATE {qn('cases_event')} SET {qn('latitude')} = %s, {qn('longitude')} = %s "  # noqa: S608
        "WHERE id = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(update, changes)


def encrypt_coordinates(apps, schema_editor):
    from memoria.vault.cipher import encrypt_text_with, is_ciphertext
    from memoria.vault.keys import active_key

    connection = schema_editor.connection
    keys: dict[int, tuple[str, bytes]] = {}

    def seal(organization_id: int, column: str, value):
        if value is None or value == "" or is_ciphertext(value):
            return value
        if organization_id not in keys:
            keys[organization_id] = active_key(organization_id)
        key_id, data_key = keys[organization_id]
        plaintext = format_number(Decimal(str(value)), MAX_DIGITS, DECIMAL_PLACES)
        return str(encrypt_text_with(key_id, data_key, plaintext, f"cases.event.{column}"))

    changes = [
        (seal(organization_id, "latitude", lat), seal(organization_id, "longitude", lon), pk)
        for pk, organization_id, lat, lon in _rows(connection)
    ]
    _write(connection, changes)


def decrypt_coordinates(apps, schema_editor):
    from memoria.vault.cipher import decrypt_text, is_ciphertext

    connection = schema_editor.connection

    def open_(organization_id: int, column: str, value):
        if not is_ciphertext(value):
            return None if value == "" else value
        return decrypt_text(value, f"cases.event.{column}", organization_id=organization_id)

    changes = [
        (open_(organization_id, "latitude", lat), open_(organization_id, "longitude", lon), pk)
        for pk, organization_id, lat, lon in _rows(connection)
    ]
    _write(connection, changes)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_event_state_month_index"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="latitude",
            field=memoria.vault.fields.EncryptedDecimalField(
                blank=True,
                decimal_places=6,
                max_digits=9,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(14),
                    django.core.validators.MaxValueValidator(33),
                ],
                verbose_name="latitude",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="longitude",
            field=memoria.vault.fields.EncryptedDecimalField(
                blank=True,
                decimal_places=6,
                max_digits=9,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(-119),
                    django.core.validators.MaxValueValidator(-86),
                ],
                verbose_name="longitude",
            ),
        ),
        migrations.RunPython(encrypt_coordinates, decrypt_coordinates),
    ]
