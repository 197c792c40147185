"""The dates of sources and interventions, and the authority a complaint went to, are encrypted.

A copy of the database showed them in clear: dates to the day (a complaint
filed on the 3rd of a month at the state prosecutor's) that single out a
family. The columns become text, then every value is sealed under its
organization's key, with plain SQL as in 0006 (the model's fields now
encrypt). Backwards, values are decrypted back to text before the columns
become dates and text again. Interventions are no longer ordered by date in
the database (it cannot read the date): pages sort them in Python.
"""

from django.db import migrations

import memoria.vault.fields

COLUMNS = {
    "cases_source": ("date",),
    "cases_intervention": ("authority", "date"),
}
CONTEXT = {"cases_source": "cases.source", "cases_intervention": "cases.intervention"}


BATCH = 2000  # rows read, sealed and written at a time (a large table is never loaded whole)


def _batches(connection, table: str, columns: tuple[str, ...]):
    qn = connection.ops.quote_name
    selected = ", ".join(qn(c) for c in columns)
    where = " OR ".join(f"{qn(c)} IS NOT NULL" for c in columns)
    sql = (
        f"SELECT id, organization_id, {selected} FROM {qn(table)} "  # noqa: S608
        f"WHERE id > %s AND ({where}) ORDER BY id LIMIT {BATCH}"
    )
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _write(connection, table: str, columns: tuple[str, ...], changes: list[tuple]) -> None:
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {qn(table)} SET {assignments} WHERE id = %s",  # noqa: S608
            changes,
        )


def _plaintext(value) -> str:
    # A date column read before the type change on some drivers comes back a date.
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def encrypt(apps, schema_editor):
    from memoria.vault.cipher import encrypt_text_with, is_ciphertext
    from memoria.vault.keys import active_key

    connection = schema_editor.connection
    keys: dict[int, tuple[str, bytes]] = {}

    def seal(organization_id: int, context: str, value):
        if value is None or value == "" or is_ciphertext(value):
            return value
        if organization_id not in keys:
            keys[organization_id] = active_key(organization_id)
        key_id, data_key = keys[organization_id]
        return str(encrypt_text_with(key_id, data_key, _plaintext(value), context))

    for table, columns in COLUMNS.items():
        for rows in _batches(connection, table, columns):
            changes = [
                (
                    *(
                        seal(org, f"{CONTEXT[table]}.{column}", value)
                        for column, value in zip(columns, values, strict=True)
                    ),
                    pk,
                )
                for pk, org, *values in rows
            ]
            _write(connection, table, columns, changes)


def decrypt(apps, schema_editor):
    from memoria.vault.cipher import decrypt_text, is_ciphertext

    connection = schema_editor.connection

    def open_(organization_id: int, context: str, value):
        if not is_ciphertext(value):
            return value
        return decrypt_text(value, context, organization_id=organization_id)

    for table, columns in COLUMNS.items():
        for rows in _batches(connection, table, columns):
            changes = [
                (
                    *(
                        open_(org, f"{CONTEXT[table]}.{column}", value)
                        for column, value in zip(columns, values, strict=True)
                    ),
                    pk,
                )
                for pk, org, *values in rows
            ]
            _write(connection, table, columns, changes)


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_uniq_pad_search_index")]

    operations = [
        migrations.AlterModelOptions(
            name="intervention",
            options={
                "ordering": ["event", "id"],
                "verbose_name": "intervention",
                "verbose_name_plural": "interventions",
            },
        ),
        migrations.AlterField(
            model_name="intervention",
            name="authority",
            field=memoria.vault.fields.EncryptedCharField(
                blank=True, max_length=200, verbose_name="authority or institution"
            ),
        ),
        migrations.AlterField(
            model_name="intervention",
            name="date",
            field=memoria.vault.fields.EncryptedDateField(
                blank=True, null=True, verbose_name="date"
            ),
        ),
        migrations.AlterField(
            model_name="source",
            name="date",
            field=memoria.vault.fields.EncryptedDateField(
                blank=True, null=True, verbose_name="date of the source"
            ),
        ),
        migrations.RunPython(encrypt, decrypt),
    ]
