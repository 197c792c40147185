"""A case's place, status and date precisions, the risk profile and the terms of a victim are encrypted.

On the demo, what a perpetrator knows about the people they harmed (where,
when, who: state, municipality, month, sex, age, profile, what was done to
them, the perpetrator's kind, the relatives) singled out 93% of direct
victims in a copy of the database (docs/security.md). These columns now
hold ciphertext: a case's state and municipality and the situation,
perpetrator kind and relationship terms keep their column (``state_id``…),
which holds the referenced primary key encrypted (an empty reference is
encrypted too), the status and how precisely the dates are known are
encrypted text, and the seven profile flags
are encrypted "1"/"0" (a "no" as well as a "yes"). Their foreign keys and
indexes go. The columns become text, then every row is sealed under its
organization's key with plain SQL in batches, as in 0013; backwards,
values are decrypted first. The case index (0014) already holds these
values encrypted; it is not rebuilt.
"""

from django.db import migrations

import memoria.vault.fields


# table: ((column, context, kind), ...); kind: "ref" (empty sealed too), "text", "bool"
COLUMNS = {
    "cases_event": (
        ("state_id", "cases.event.state", "ref"),
        ("municipality_id", "cases.event.municipality", "ref"),
        ("status", "cases.event.status", "text"),
        ("start_precision", "cases.event.start_precision", "text"),
        ("end_precision", "cases.event.end_precision", "text"),
    ),
    "cases_act": (("situation_id", "cases.act.situation", "ref"),),
    "cases_attribution": (("kind_id", "cases.attribution.kind", "ref"),),
    "cases_indirectvictim": (("relationship_id", "cases.indirectvictim.relationship", "ref"),),
    "cases_person": tuple(
        (flag, f"cases.person.{flag}", "bool")
        for flag in (
            "is_defender",
            "is_journalist",
            "is_searching_relative",
            "is_migrant",
            "is_indigenous_authority",
            "is_lgbttti",
            "is_child",
        )
    ),
}

BATCH = 2000  # rows read, sealed and written at a time (never a whole table at once)


def _batches(connection, table: str, columns):
    qn = connection.ops.quote_name
    selected = ", ".join(qn(column) for column, _context, _kind in columns)
    sql = (
        f"SELECT id, organization_id, {selected} FROM {qn(table)} "  # noqa: S608
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


def _write(connection, table: str, columns, changes: list[tuple]) -> None:
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(column)} = %s" for column, _context, _kind in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {qn(table)} SET {assignments} WHERE id = %s",  # noqa: S608
            changes,
        )


def _plaintext(kind: str, value) -> str | None:
    if kind == "bool":
        return "1" if str(value).lower() in ("1", "t", "true") else "0"
    if value is None:
        return "" if kind == "ref" else None
    return str(value)


def _migrate(schema_editor, change) -> None:
    connection = schema_editor.connection
    for table, columns in COLUMNS.items():
        for rows in _batches(connection, table, columns):
            changes = [
                (
                    *(
                        change(org, context, kind, value)
                        for (_column, context, kind), value in zip(columns, values, strict=True)
                    ),
                    pk,
                )
                for pk, org, *values in rows
            ]
            _write(connection, table, columns, changes)


def encrypt(apps, schema_editor):
    from memoria.vault.cipher import encrypt_text_with, is_ciphertext
    from memoria.vault.keys import active_key

    keys: dict[int, tuple[str, bytes]] = {}

    def seal(organization_id: int, context: str, kind: str, value):
        if is_ciphertext(value):
            return value
        plaintext = _plaintext(kind, value)
        if plaintext is None or (plaintext == "" and kind == "text"):
            return plaintext
        if organization_id not in keys:
            keys[organization_id] = active_key(organization_id)
        key_id, data_key = keys[organization_id]
        return str(encrypt_text_with(key_id, data_key, plaintext, context))

    _migrate(schema_editor, seal)


def decrypt(apps, schema_editor):
    from memoria.vault.cipher import decrypt_text, is_ciphertext

    def open_(organization_id: int, context: str, kind: str, value):
        if not is_ciphertext(value):
            return value
        plaintext = decrypt_text(value, context, organization_id=organization_id)
        if kind == "ref" and plaintext == "":
            return None
        return plaintext

    _migrate(schema_editor, open_)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_case_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="attribution",
            name="attribution_org_kind",
        ),
        migrations.RemoveIndex(
            model_name="event",
            name="event_org_status",
        ),
        migrations.RemoveIndex(
            model_name="event",
            name="event_org_municipality",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="person_defender",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="person_journalist",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="person_searching_relative",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="person_migrant",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="person_indigenous_authority",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="person_lgbttti",
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="person_child",
        ),
        migrations.AlterField(
            model_name="act",
            name="situation",
            field=memoria.vault.fields.EncryptedReferenceField(
                blank=True, null=True, to="cases.Term", verbose_name="situation afterwards"
            ),
        ),
        migrations.AlterField(
            model_name="attribution",
            name="kind",
            field=memoria.vault.fields.EncryptedReferenceField(
                to="cases.Term", verbose_name="perpetrator"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="municipality",
            field=memoria.vault.fields.EncryptedReferenceField(
                blank=True, null=True, to="places.Municipality", verbose_name="municipality"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="state",
            field=memoria.vault.fields.EncryptedReferenceField(
                blank=True, null=True, to="places.State", verbose_name="state"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="status",
            field=memoria.vault.fields.EncryptedCharField(
                choices=[
                    ("open", "Open"),
                    ("verifying", "Under verification"),
                    ("verified", "Verified"),
                    ("closed", "Closed"),
                ],
                default="open",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="indirectvictim",
            name="relationship",
            field=memoria.vault.fields.EncryptedReferenceField(
                to="cases.Term", verbose_name="relationship"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="is_child",
            field=memoria.vault.fields.EncryptedBooleanField(
                blank=True, default=False, verbose_name="child or adolescent"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="is_defender",
            field=memoria.vault.fields.EncryptedBooleanField(
                blank=True, default=False, verbose_name="human-rights defender"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="is_indigenous_authority",
            field=memoria.vault.fields.EncryptedBooleanField(
                blank=True, default=False, verbose_name="indigenous authority"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="is_journalist",
            field=memoria.vault.fields.EncryptedBooleanField(
                blank=True, default=False, verbose_name="journalist"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="is_lgbttti",
            field=memoria.vault.fields.EncryptedBooleanField(
                blank=True, default=False, verbose_name="LGBTTTI"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="is_migrant",
            field=memoria.vault.fields.EncryptedBooleanField(
                blank=True, default=False, verbose_name="migrant"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="is_searching_relative",
            field=memoria.vault.fields.EncryptedBooleanField(
                blank=True, default=False, verbose_name="searching relative"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="start_precision",
            field=memoria.vault.fields.EncryptedCharField(
                choices=[
                    ("day", "Exact day"),
                    ("month", "Month only"),
                    ("year", "Year only"),
                    ("unknown", "Unknown"),
                ],
                default="unknown",
                max_length=8,
                verbose_name="precision of the start date",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="end_precision",
            field=memoria.vault.fields.EncryptedCharField(
                choices=[
                    ("day", "Exact day"),
                    ("month", "Month only"),
                    ("year", "Year only"),
                    ("unknown", "Unknown"),
                ],
                default="unknown",
                max_length=8,
                verbose_name="precision of the end date",
            ),
        ),
        migrations.RunPython(encrypt, decrypt),
    ]
