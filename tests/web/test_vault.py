from __future__ import annotations

import base64
import datetime
import time
from unittest import mock

from django import forms
from django.core.exceptions import FieldError
from django.db import connection, transaction

from memoria.places.models import State
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
from memoria.vault.fields import Stored, clear_reference_cache
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


class NoteForm(forms.ModelForm):
    class Meta:
        model = ProtectedNote
        fields = ["title", "state", "urgent"]


class ReferenceAndFlagTests(MemoriaTestCase):
    """Encrypted references and yes/no fields, used like a foreign key and a boolean."""

    def make_note(self, organization=None, **fields) -> ProtectedNote:
        return ProtectedNote.objects.create(
            organization=organization or self.org, title="Nota", **fields
        )

    def test_it_reads_back_the_row_and_the_flag(self):
        chihuahua = State.objects.get(code="08")
        note = self.make_note(state=chihuahua, urgent=True)
        fresh = ProtectedNote.objects.get(pk=note.pk)
        self.assertEqual((fresh.state, fresh.state_id, fresh.urgent), (chihuahua, "08", True))
        self.assertEqual(fresh.state.name, "Chihuahua")
        by_id = self.make_note(state_id="32")
        self.assertEqual(ProtectedNote.objects.get(pk=by_id.pk).state.code, "32")
        empty = ProtectedNote.objects.get(pk=self.make_note().pk)
        self.assertEqual((empty.state, empty.state_id, empty.urgent), (None, None, False))
        fresh.state, fresh.urgent = None, False
        fresh.save()
        again = ProtectedNote.objects.get(pk=note.pk)
        self.assertEqual((again.state, again.urgent), (None, False))

    def test_the_row_holds_ciphertext_even_for_no_and_for_no_reference(self):
        set_ = self.make_note(state=State.objects.get(code="08"), urgent=True)
        unset = self.make_note()
        for note in (set_, unset):
            for column in ("state_id", "urgent"):
                stored = raw_column(note, column)
                self.assertTrue(is_ciphertext(stored), (note, column, stored))
        # Same shape whether set or not: a copy cannot tell them apart by length.
        self.assertEqual(len(raw_column(set_, "urgent")), len(raw_column(unset, "urgent")))
        self.assertEqual(len(raw_column(set_, "state_id")), len(raw_column(unset, "state_id")))

    def test_it_refuses_another_organizations_reference(self):
        theirs = self.make_note(self.other_org, state=State.objects.get(code="08"), urgent=True)
        ours = self.make_note()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE vaultapp_protectednote SET state_id = %s, urgent = %s WHERE id = %s",
                [raw_column(theirs, "state_id"), raw_column(theirs, "urgent"), ours.pk],
            )
        fresh = ProtectedNote.objects.get(pk=ours.pk)
        with self.assertRaisesMessage(keys.VaultError, "refused"):
            fresh.state  # noqa: B018 - decrypted when read
        with self.assertRaisesMessage(keys.VaultError, "refused"):
            fresh.urgent  # noqa: B018

    def test_it_cannot_be_searched_in_the_database(self):
        self.make_note(state=State.objects.get(code="08"))
        with self.assertRaises(ValueError):
            list(ProtectedNote.objects.filter(state_id="08"))
        with self.assertRaises(FieldError):
            list(ProtectedNote.objects.filter(state__isnull=True))
        with self.assertRaises(FieldError):
            list(ProtectedNote.objects.filter(state__name="Chihuahua"))
        with self.assertRaises(ValueError):
            list(ProtectedNote.objects.filter(urgent=True))

    def test_a_model_form_round_trip(self):
        form = NoteForm(data={"title": "Nota", "state": "08", "urgent": "on"})
        self.assertIsInstance(form.fields["state"], forms.ModelChoiceField)
        self.assertTrue(form.is_valid(), form.errors)
        note = form.save(commit=False)
        note.organization = self.org
        note.save()
        fresh = ProtectedNote.objects.get(pk=note.pk)
        self.assertEqual((fresh.state.code, fresh.urgent), ("08", True))
        shown = NoteForm(instance=fresh)
        self.assertEqual(shown.initial["state"], "08")
        self.assertIn('<option value="08" selected>', str(shown["state"]))
        self.assertIn("checked", str(shown["urgent"]))
        edited = NoteForm(data={"title": "Nota", "state": "", "urgent": ""}, instance=fresh)
        self.assertTrue(edited.is_valid(), edited.errors)
        edited.save()
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).state, None)
        wrong = NoteForm(data={"title": "Nota", "state": "99"})
        self.assertIn("state", wrong.errors)

    def test_a_row_changed_by_another_process_shows_after_a_while(self):
        from memoria.vault import fields as vault_fields

        note = self.make_note(state=State.objects.get(code="08"))
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).state.name, "Chihuahua")
        # Another process renames it: no signal reaches this one.
        State.objects.filter(code="08").update(name="Chihuahua (en otro proceso)")
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).state.name, "Chihuahua")
        later = time.monotonic() + vault_fields.REFERENCE_SECONDS + 1
        with mock.patch.object(vault_fields.time, "monotonic", return_value=later):
            fresh = ProtectedNote.objects.get(pk=note.pk)
            self.assertEqual(fresh.state.name, "Chihuahua (en otro proceso)")
        clear_reference_cache()

    def test_the_cached_row_follows_a_save(self):
        note = self.make_note(state=State.objects.get(code="08"))
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).state.name, "Chihuahua")
        state = State.objects.get(code="08")
        state.name = "Chihuahua (renombrado)"
        state.save()
        fresh = ProtectedNote.objects.get(pk=note.pk)
        with self.assertNumQueries(1):  # read again once after the save, then cached
            self.assertEqual(fresh.state.name, "Chihuahua (renombrado)")
            self.assertEqual(fresh.state.name, "Chihuahua (renombrado)")
        clear_reference_cache()


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
