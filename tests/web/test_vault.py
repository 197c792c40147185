from __future__ import annotations

import base64
import datetime

from django.core.exceptions import FieldError
from django.db import connection, transaction

from memoria.vault import keys
from memoria.vault.blind import blind_tokens
from memoria.vault.cipher import (
    Sealed,
    decrypt_bytes,
    encrypt_bytes,
    encrypt_text,
    is_ciphertext,
    key_id_of,
)
from memoria.vault.fields import Stored
from memoria.vault.models import OrganizationKey
from tests.vaultapp.models import ProtectedNote
from tests.web.base import MemoriaTestCase


def raw_column(note: ProtectedNote, column: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM vaultapp_protectednote WHERE id = %s", [note.pk])  # noqa: S608
        return cursor.fetchone()[0]


class EncryptedFieldTests(MemoriaTestCase):
    def make_note(self, **fields) -> ProtectedNote:
        values = {
            "organization": self.org,
            "title": "Guadalupe Hernández Cruz",
            "body": "Testimonio: se lo llevaron hombres armados.",
            "noted_on": datetime.date(1987, 3, 14),
            "data": {"telefono": "555 010 2030", "lat": 28.6353},
        }
        values.update(fields)
        return ProtectedNote.objects.create(**values)

    def test_it_stores_ciphertext_and_reads_plaintext(self):
        note = self.make_note()
        for column in ("title", "body", "noted_on", "data"):
            stored = raw_column(note, column)
            self.assertTrue(is_ciphertext(stored), column)
        self.assertNotIn("Guadalupe", raw_column(note, "title"))
        fresh = ProtectedNote.objects.get(pk=note.pk)
        self.assertEqual(fresh.title, "Guadalupe Hernández Cruz")
        self.assertEqual(fresh.body, "Testimonio: se lo llevaron hombres armados.")
        self.assertEqual(fresh.noted_on, datetime.date(1987, 3, 14))
        self.assertEqual(fresh.data, {"telefono": "555 010 2030", "lat": 28.6353})

    def test_it_keeps_empty_values_empty(self):
        note = self.make_note(body="", noted_on=None, data=None)
        self.assertEqual(raw_column(note, "body"), "")
        self.assertIsNone(raw_column(note, "noted_on"))
        fresh = ProtectedNote.objects.get(pk=note.pk)
        self.assertEqual((fresh.body, fresh.noted_on, fresh.data), ("", None, None))

    def test_it_uses_a_fresh_nonce_for_every_value(self):
        first, second = self.make_note(), self.make_note()
        self.assertNotEqual(raw_column(first, "title"), raw_column(second, "title"))

    def test_it_encrypts_each_organization_with_its_own_key(self):
        ours = self.make_note()
        theirs = self.make_note(organization=self.other_org)
        self.assertNotEqual(
            key_id_of(raw_column(ours, "title")), key_id_of(raw_column(theirs, "title"))
        )
        self.assertEqual(OrganizationKey.objects.active().count(), 2)

    def test_it_refuses_a_value_moved_to_another_column(self):
        note = self.make_note()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE vaultapp_protectednote SET body = title WHERE id = %s", [note.pk]
            )
        fresh = ProtectedNote.objects.get(pk=note.pk)
        with self.assertRaises(keys.VaultError):
            fresh.body  # noqa: B018 - decrypted when read

    def test_it_refuses_searches_on_encrypted_columns(self):
        self.make_note()
        with self.assertRaises(FieldError):
            list(ProtectedNote.objects.filter(title__icontains="Guadalupe"))
        with self.assertRaises(ValueError):
            list(ProtectedNote.objects.filter(title="Guadalupe Hernández Cruz"))
        self.assertEqual(ProtectedNote.objects.filter(data__isnull=False).count(), 1)

    def test_it_refuses_to_update_plaintext_in_bulk(self):
        self.make_note()
        with self.assertRaises(ValueError):
            ProtectedNote.objects.update(title="Otro nombre")

    def test_it_updates_through_save(self):
        note = self.make_note()
        note.title = "María Pérez"
        note.save()
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).title, "María Pérez")

    def test_it_stores_the_data_key_wrapped_not_in_clear(self):
        self.make_note()
        record = OrganizationKey.objects.get(organization=self.org)
        _org, data_key = keys.data_key_by_id(record.key_id)
        self.assertNotIn(data_key.hex(), record.wrapped_key)
        wrapped = base64.b64decode(record.wrapped_key.split(":", 1)[1])
        self.assertNotIn(data_key, wrapped)
        self.assertNotIn(base64.b64encode(data_key).decode(), record.wrapped_key)
        self.assertEqual(record.master_key_id, keys.master_key_id(keys.load_master_key()))

    def test_it_reads_after_the_key_cache_is_dropped(self):
        note = self.make_note()
        keys.forget_cached_keys()
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).title, "Guadalupe Hernández Cruz")

    def test_it_encrypts_files(self):
        blob = encrypt_bytes(self.org.pk, b"%PDF-1.7 acta", "cases.attachment.file")
        self.assertNotIn(b"acta", blob)
        self.assertEqual(decrypt_bytes(blob, "cases.attachment.file"), b"%PDF-1.7 acta")
        with self.assertRaises(keys.VaultError):
            decrypt_bytes(blob, "cases.attachment.other")

    def test_it_dumps_ciphertext_only(self):
        from django.core import serializers

        # Dates are a "protected type" that Django's serializers copy without
        # value_to_string: dumpdata is not a supported export (memoria backup is).
        note = self.make_note(noted_on=None)
        dumped = serializers.serialize("json", ProtectedNote.objects.filter(pk=note.pk))
        self.assertNotIn("Guadalupe", dumped)
        self.assertNotIn("555 010", dumped)
        # In a fixture a ciphertext cannot be told from text someone typed: it is not loaded.
        restored = next(serializers.deserialize("json", dumped))
        restored.object.pk = None
        with self.assertRaises(ValueError), transaction.atomic():
            restored.save()
        self.assertEqual(ProtectedNote.objects.count(), 1)


class CiphertextProvenanceTests(MemoriaTestCase):
    """Only ciphertexts the vault has just made are stored as they are; text is text."""

    def make_note(self, organization=None, **fields) -> ProtectedNote:
        values = {"organization": organization or self.org, "title": "Guadalupe Hernández Cruz"}
        return ProtectedNote.objects.create(**values | fields)

    def test_it_encrypts_text_that_looks_like_a_ciphertext(self):
        note = self.make_note(title="mv1:abc", body="mv1:x")
        stored = raw_column(note, "title")
        self.assertNotEqual(stored, "mv1:abc")
        self.assertEqual(key_id_of(stored), key_id_of(raw_column(self.make_note(), "title")))
        fresh = ProtectedNote.objects.get(pk=note.pk)
        self.assertEqual((fresh.title, fresh.body), ("mv1:abc", "mv1:x"))

    def test_it_rotates_text_that_looks_like_a_ciphertext(self):
        from memoria.vault.rotation import reencrypt, rotate_organization

        note = self.make_note(title="mv1:abc")
        rotate_organization(self.org)
        self.assertEqual(reencrypt()["vaultapp_protectednote.title"], 1)
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).title, "mv1:abc")

    def test_it_does_not_decrypt_another_organizations_ciphertext_given_as_text(self):
        theirs = self.make_note(self.other_org, title="Nombre del otro colectivo")
        leaked = raw_column(theirs, "title")  # from a leaked copy of their database
        ours = self.make_note(title=leaked)
        self.assertNotEqual(raw_column(ours, "title"), leaked)
        fresh = ProtectedNote.objects.get(pk=ours.pk)
        self.assertEqual(fresh.title, leaked)
        self.assertNotIn("otro colectivo", fresh.title)

    def test_it_refuses_a_ciphertext_moved_into_another_organizations_row(self):
        theirs = self.make_note(self.other_org, title="Nombre del otro colectivo")
        ours = self.make_note()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE vaultapp_protectednote SET title = %s WHERE id = %s",
                [raw_column(theirs, "title"), ours.pk],
            )
        fresh = ProtectedNote.objects.get(pk=ours.pk)
        with self.assertRaisesMessage(keys.VaultError, "refused"):
            fresh.title  # noqa: B018 - decrypted when read
        with self.assertRaises(keys.VaultError), transaction.atomic():
            ProtectedNote.objects.get(pk=ours.pk).save()
        # Their own row still reads.
        self.assertEqual(ProtectedNote.objects.get(pk=theirs.pk).title, "Nombre del otro colectivo")

    def test_it_stores_a_sealed_value_only_for_its_own_organization(self):
        context = "vaultapp.protectednote.title"
        own = ProtectedNote(
            organization=self.org, title=encrypt_text(self.org.pk, "Propio", context)
        )
        own.save()
        self.assertEqual(ProtectedNote.objects.get(pk=own.pk).title, "Propio")
        foreign = ProtectedNote(
            organization=self.org, title=encrypt_text(self.other_org.pk, "Ajeno", context)
        )
        with self.assertRaises(keys.VaultError), transaction.atomic():
            foreign.save()
        self.assertFalse(ProtectedNote.objects.filter(pk=foreign.pk or 0).exists())

    def test_it_updates_in_bulk_only_with_sealed_values(self):
        note = self.make_note()
        leaked = raw_column(self.make_note(self.other_org), "title")
        with self.assertRaises(ValueError), transaction.atomic():
            ProtectedNote.objects.filter(pk=note.pk).update(title=leaked)
        stored = ProtectedNote.objects.filter(pk=note.pk).values_list("title", flat=True).get()
        self.assertIsInstance(stored, Stored)  # values_list() gives what the column holds
        with self.assertRaises(ValueError), transaction.atomic():
            ProtectedNote.objects.filter(pk=note.pk).update(title=stored)
        sealed = encrypt_text(self.org.pk, "Otro título", "vaultapp.protectednote.title")
        self.assertIsInstance(sealed, Sealed)
        ProtectedNote.objects.filter(pk=note.pk).update(title=sealed)
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).title, "Otro título")

    def test_it_loads_a_deferred_value_in_one_query(self):
        note = self.make_note(body="Testimonio")
        fresh = ProtectedNote.objects.defer("body").get(pk=note.pk)
        with self.assertNumQueries(1):
            self.assertEqual(fresh.body, "Testimonio")


class BlindIndexTests(MemoriaTestCase):
    def test_it_gives_equal_tokens_equal_digests(self):
        first = blind_tokens(self.org.pk, ["guadalupe", "hernandez"])
        second = blind_tokens(self.org.pk, ["Guadalupe ", "hernandez"])
        self.assertEqual(first, second)
        self.assertEqual(len(first[0]), 16)
        self.assertNotEqual(first[0], first[1])

    def test_it_differs_between_organizations(self):
        self.assertNotEqual(
            blind_tokens(self.org.pk, ["guadalupe"]), blind_tokens(self.other_org.pk, ["guadalupe"])
        )

    def test_it_separates_kinds(self):
        self.assertNotEqual(
            blind_tokens(self.org.pk, ["ernandes"]),
            blind_tokens(self.org.pk, ["ernandes"], kind="phonetic"),
        )

    def test_it_survives_data_key_rotation(self):
        from memoria.vault.rotation import rotate_organization

        before = blind_tokens(self.org.pk, ["guadalupe"])
        rotate_organization(self.org)
        keys.forget_cached_keys()
        self.assertEqual(blind_tokens(self.org.pk, ["guadalupe"]), before)

    def test_it_is_keyed(self):
        import hashlib

        digest = blind_tokens(self.org.pk, ["guadalupe"])[0]
        self.assertNotEqual(digest, hashlib.sha256(b"guadalupe").hexdigest()[:16])
        # The same name gives another organization another key: the hash depends on a key.
        self.assertNotEqual(blind_tokens(self.other_org.pk, ["guadalupe"])[0], digest)


class ChildRowTests(MemoriaTestCase):
    def test_it_needs_an_organization(self):
        note = ProtectedNote(title="Sin organización")
        with self.assertRaises(ValueError):
            note.save()
