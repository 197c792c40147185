"""Files stored as encrypted bytes (EncryptedBinaryField): the text fields' guarantees."""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.db import connection, transaction

from memoria.accounts.models import Organization
from memoria.vault.cipher import FILE_MAGIC, encrypt_bytes
from memoria.vault.keys import VaultError
from memoria.vault.rotation import reencrypt, rotate_organization, usage_by_key
from tests.vaultapp.models import ProtectedNote
from tests.web.base import MemoriaTestCase

SCAN = b"%PDF-1.7 Guadalupe Hern\xc3\xa1ndez Cruz \x00\x01\x02" * 50


def raw_scan(note: ProtectedNote) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT scan FROM vaultapp_protectednote WHERE id = %s", [note.pk])
        value = cursor.fetchone()[0]
    return None if value is None else bytes(value)


class EncryptedBinaryFieldTests(MemoriaTestCase):
    def make_note(self, organization=None, **fields) -> ProtectedNote:
        values = {"organization": organization or self.org, "title": "Nota", "scan": SCAN}
        return ProtectedNote.objects.create(**values | fields)

    def test_it_stores_bytes_encrypted_and_gives_them_back(self):
        note = self.make_note()
        stored = raw_scan(note)
        self.assertTrue(stored.startswith(FILE_MAGIC))
        self.assertNotIn(b"Guadalupe", stored)
        self.assertEqual(len(stored), len(SCAN) + 64)
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).scan, SCAN)

    def test_it_stores_empty_and_missing_files_as_they_are(self):
        empty = self.make_note(scan=b"")
        missing = self.make_note(scan=None)
        self.assertEqual(raw_scan(empty), b"")
        self.assertIsNone(raw_scan(missing))
        self.assertEqual(ProtectedNote.objects.get(pk=empty.pk).scan, b"")
        self.assertIsNone(ProtectedNote.objects.get(pk=missing.pk).scan)

    def test_it_encrypts_bytes_that_look_like_a_ciphertext(self):
        lookalike = FILE_MAGIC + b"abc"
        note = self.make_note(scan=lookalike)
        self.assertNotEqual(raw_scan(note), lookalike)
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).scan, lookalike)

    def test_it_refuses_a_file_moved_from_another_organization(self):
        theirs = self.make_note(organization=self.other_org)
        ours = self.make_note(scan=b"nuestro")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE vaultapp_protectednote SET scan = %s WHERE id = %s",
                [raw_scan(theirs), ours.pk],
            )
        with self.assertRaises(VaultError):
            ProtectedNote.objects.get(pk=ours.pk).scan  # noqa: B018

    def test_it_refuses_a_sealed_file_of_another_organization(self):
        sealed = encrypt_bytes(self.other_org.pk, b"ajeno", "vaultapp.protectednote.scan")
        with self.assertRaises(VaultError):
            self.make_note(scan=sealed)

    def test_it_refuses_an_altered_file(self):
        note = self.make_note()
        stored = bytearray(raw_scan(note))
        stored[-1] ^= 0x01
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE vaultapp_protectednote SET scan = %s WHERE id = %s",
                [bytes(stored), note.pk],
            )
        with self.assertRaises(VaultError):
            ProtectedNote.objects.get(pk=note.pk).scan  # noqa: B018

    def test_it_cannot_be_searched_or_updated_in_the_database(self):
        self.make_note()
        with self.assertRaises(FieldError):
            list(ProtectedNote.objects.filter(scan__contains=b"PDF"))
        with self.assertRaises(ValueError), transaction.atomic():
            ProtectedNote.objects.update(scan=b"otro")
        self.assertEqual(ProtectedNote.objects.filter(scan__isnull=False).count(), 1)

    def test_it_is_re_encrypted_by_a_key_rotation(self):
        note = self.make_note()
        before = raw_scan(note)
        new_key = rotate_organization(Organization.objects.get(pk=self.org.pk))
        counts = reencrypt()
        self.assertEqual(counts["vaultapp_protectednote.scan"], 1)
        after = raw_scan(note)
        self.assertNotEqual(after, before)
        self.assertIn(new_key.key_id.encode(), after[:36])
        self.assertEqual(ProtectedNote.objects.get(pk=note.pk).scan, SCAN)
        self.assertGreaterEqual(usage_by_key()[new_key.key_id], 2)  # the title and the scan
