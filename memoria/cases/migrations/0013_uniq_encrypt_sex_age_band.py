"""A person's sex, age band and the precision of their birth date are encrypted.

With the place and month of their case, these singled out three direct
victims in four of the demo (docs/security.md); nothing counts, filters or
sorts people by them in the database. The columns become text, then every
value is sealed under its organization's key with plain SQL, as in 0006 and
0011; their indexes go. Backwards, values are decrypted first.
"""

from django.db import migrations

import memoria.vault.fields

COLUMNS = ("sex", "birth_precision", "age_band")


BATCH = 2000  # people read, sealed and written at a time (never the whole table at once)


def _batches(connection):
    qn = connection.ops.quote_name
    selected = ", ".join(qn(c) for c in COLUMNS)
    sql = (
        f"SELECT id, organization_id, {selected} FROM {qn('cases_person')} "  # noqa: S608
        f"WHERE id > %s ORDER BY id LIMIT {BATCH}"
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


def _write(connection, changes: list[tuple]) -> None:
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(c)} = %s" for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {qn('cases_person')} SET {assignments} WHERE id = %s",  # noqa: S608
            changes,
        )


def encrypt(apps, schema_editor):
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
        return str(encrypt_text_with(key_id, data_key, value, f"cases.person.{column}"))

    for rows in _batches(connection):
        changes = [
            (*(seal(org, c, v) for c, v in zip(COLUMNS, values, strict=True)), pk)
            for pk, org, *values in rows
        ]
        _write(connection, changes)


def decrypt(apps, schema_editor):
    from memoria.vault.cipher import decrypt_text, is_ciphertext

    connection = schema_editor.connection

    def open_(organization_id: int, column: str, value):
        if not is_ciphertext(value):
            return value
        return decrypt_text(value, f"cases.person.{column}", organization_id=organization_id)

    for rows in _batches(connection):
        changes = [
            (*(open_(org, c, v) for c, v in zip(COLUMNS, values, strict=True)), pk)
            for pk, org, *values in rows
        ]
        _write(connection, changes)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_uniq_encrypt_source_intervention_dates"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="person",
            name="person_org_sex",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="person_org_age_band",
        ),
        migrations.AlterField(
            model_name="person",
            name="age_band",
            field=memoria.vault.fields.EncryptedCharField(
                blank=True,
                choices=[
                    ("0-11", "0 to 11 years"),
                    ("12-17", "12 to 17 years"),
                    ("18-29", "18 to 29 years"),
                    ("30-44", "30 to 44 years"),
                    ("45-59", "45 to 59 years"),
                    ("60+", "60 years or more"),
                    ("", "Age unknown"),
                ],
                default="",
                max_length=5,
                verbose_name="age band",
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="birth_precision",
            field=memoria.vault.fields.EncryptedCharField(
                choices=[
                    ("day", "Exact day"),
                    ("month", "Month only"),
                    ("year", "Year only"),
                    ("unknown", "Unknown"),
                ],
                default="unknown",
                max_length=8,
                verbose_name="precision of the birth date",
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="sex",
            field=memoria.vault.fields.EncryptedCharField(
                choices=[
                    ("female", "Woman"),
                    ("male", "Man"),
                    ("intersex", "Intersex"),
                    ("unknown", "Not recorded"),
                ],
                default="unknown",
                max_length=10,
                verbose_name="sex",
            ),
        ),
        migrations.RunPython(encrypt, decrypt),
    ]
