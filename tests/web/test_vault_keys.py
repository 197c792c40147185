"""Key rotation: `memoria keys rotate` and `memoria keys status`."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import override_settings

from memoria.vault import keys
from memoria.vault.cipher import key_id_of
from memoria.vault.models import OrganizationKey
from tests.vaultapp.models import ProtectedNote
from tests.web.base import MemoriaTestCase


def run(*args: str) -> tuple[int, str]:
    from memoria.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(list(args))
    return status, out.getvalue()


def stored_key_ids() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, body FROM vaultapp_protectednote")
        return {key_id_of(value) for row in cursor.fetchall() for value in row if value}


class RotationTests(MemoriaTestCase):
    def setUp(self):
        self.notes = [
            ProtectedNote.objects.create(
                organization=organization, title=f"Persona {i}", body=f"Testimonio {i}"
            )
            for organization in (self.org, self.other_org)
            for i in range(7)
        ]

    def test_it_rotates_data_keys_and_reencrypts_every_value(self):
        old = set(OrganizationKey.objects.values_list("key_id", flat=True))
        self.assertEqual(stored_key_ids(), old)
        status, output = run("keys", "rotate", "--batch-size", "3")
        self.assertEqual(status, 0, output)
        new = set(OrganizationKey.objects.active().values_list("key_id", flat=True))
        self.assertEqual(len(new), 2)
        self.assertFalse(new & old)
        self.assertEqual(stored_key_ids(), new)
        # 14 notes x 4 encrypted columns: title, body, and the state reference and
        # the urgent flag, which are ciphertexts even when empty or "no".
        self.assertIn("56 values rewritten", output)
        keys.forget_cached_keys()
        for note in self.notes:
            fresh = ProtectedNote.objects.get(pk=note.pk)
            self.assertEqual(fresh.title, note.title)
            self.assertEqual((fresh.state, fresh.urgent), (None, False))

    def test_it_keeps_old_values_readable_until_reencrypted(self):
        from memoria.vault.rotation import rotate_organization

        rotate_organization(self.org)
        keys.forget_cached_keys()
        self.assertEqual(ProtectedNote.objects.get(pk=self.notes[0].pk).title, "Persona 0")
        fresh = ProtectedNote.objects.create(organization=self.org, title="Nueva")
        with connection.cursor() as cursor:
            cursor.execute("SELECT title FROM vaultapp_protectednote WHERE id = %s", [fresh.pk])
            stored = cursor.fetchone()[0]
        active = OrganizationKey.objects.active().get(organization=self.org)
        self.assertEqual(key_id_of(stored), active.key_id)
        status, output = run("keys", "status")
        self.assertIn("still under retired keys", output)

    def test_it_rotates_only_one_organization(self):
        run("keys", "rotate", "--organization", self.org.slug)
        self.assertEqual(OrganizationKey.objects.filter(organization=self.org).count(), 2)
        self.assertEqual(OrganizationKey.objects.filter(organization=self.other_org).count(), 1)

    def test_it_reports_the_keys(self):
        status, output = run("keys", "status")
        self.assertEqual(status, 0)
        self.assertIn(keys.master_key_id(keys.load_master_key()), output)
        self.assertIn(self.org.slug, output)
        self.assertIn("ACTIVE", output)


class MasterRotationTests(MemoriaTestCase):
    def test_it_rewraps_every_data_key_under_a_new_master_key(self):
        ProtectedNote.objects.create(organization=self.org, title="Persona")
        directory = Path(tempfile.mkdtemp(prefix="memoria-master-"))
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        self.addCleanup(keys.forget_cached_keys)
        key_file = directory / "master.key"
        shutil.copy(settings.MEMORIA_MASTER_KEY_FILE, key_file)
        with override_settings(MEMORIA_MASTER_KEY_FILE=key_file):
            keys.forget_cached_keys()
            old_id = keys.master_key_id(keys.load_master_key())
            status, output = run("keys", "rotate", "--master")
            self.assertEqual(status, 0, output)
            new_id = keys.master_key_id(keys.load_master_key())
            self.assertNotEqual(new_id, old_id)
            self.assertEqual(
                set(OrganizationKey.objects.values_list("master_key_id", flat=True)), {new_id}
            )
            retired = [p for p in directory.iterdir() if ".retired-" in p.name]
            self.assertEqual(len(retired), 1)
            self.assertEqual(oct(key_file.stat().st_mode & 0o777), "0o600")
            keys.forget_cached_keys()
            self.assertEqual(ProtectedNote.objects.get().title, "Persona")
            # The retired master key no longer opens the data keys.
            record = OrganizationKey.objects.get(organization=self.org)
            with self.assertRaises(keys.VaultError):
                keys.unwrap_data_key(
                    record.wrapped_key,
                    record.organization_id,
                    record.key_id,
                    keys.read_master_key_file(retired[0]),
                )
