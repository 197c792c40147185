"""Attachments: encrypted bytes instead of encrypted base64 text, encoded again.

A file was base64-encoded, encrypted as text and the ciphertext base64-encoded
again (about 1.78 times its size). It is now stored as the ciphertext's bytes
(its size plus 64 bytes). Existing rows are decrypted and encrypted again,
under the organization's active key, in the new column, which then takes the
old one's name.
"""

import base64

from django.db import migrations

import memoria.vault.fields

CONTEXT = "cases.attachment.content"


def _rows(schema_editor, column):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, organization_id, {column} FROM cases_attachment ORDER BY id"  # noqa: S608
        )
        return cursor.fetchall()


def to_bytes(apps, schema_editor):
    from memoria.vault.cipher import decrypt_text, encrypt_bytes, is_ciphertext

    for pk, organization_id, stored in _rows(schema_editor, "content"):
        if not stored:
            content = b""
        elif is_ciphertext(stored):
            text = decrypt_text(stored, CONTEXT, organization_id=organization_id)
            content = base64.b64decode(text)
        else:  # written before the column was encrypted
            content = base64.b64decode(stored)
        sealed = bytes(encrypt_bytes(organization_id, content, CONTEXT)) if content else b""
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_attachment SET content_bytes = %s WHERE id = %s", [sealed, pk]
            )


def to_text(apps, schema_editor):
    from memoria.vault.cipher import decrypt_bytes, encrypt_text

    for pk, organization_id, stored in _rows(schema_editor, "content_bytes"):
        stored = bytes(stored or b"")
        if stored:
            content = decrypt_bytes(stored, CONTEXT, organization_id=organization_id)
            text = encrypt_text(organization_id, base64.b64encode(content).decode(), CONTEXT)
        else:
            text = ""
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("UPDATE cases_attachment SET content = %s WHERE id = %s", [text, pk])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_event_newest_first_index"),
        ("vault", "0003_two_factor_to_accounts_drop_protected_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="content_bytes",
            field=memoria.vault.fields.EncryptedBinaryField(blank=True, default=b""),
            preserve_default=False,
        ),
        migrations.RunPython(to_bytes, to_text),
        migrations.RemoveField(model_name="attachment", name="content"),
        migrations.RenameField(model_name="attachment", old_name="content_bytes", new_name="content"),
    ]
