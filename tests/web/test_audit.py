from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib
import io
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory, override_settings

from memoria.audit.labels import AuditAction
from memoria.audit.log import (
    audit,
    canonical_content,
    current_keys,
    head_digest,
    seal_pending,
    verify_chain,
)
from memoria.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry
from memoria.vault import keys
from tests.vaultapp.models import ProtectedNote
from tests.web.base import MemoriaTestCase


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def run_cli(*args: str) -> tuple[int, str]:
    from memoria.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(list(args))
    return status, out.getvalue()


def rehash_from(seq: int, digest: Callable[[bytes], str]) -> None:
    """What an attacker with database access does: rehash from ``seq`` on, and the head."""
    entries = list(AuditEntry.objects.order_by("seq"))
    previous = entries[seq - 2].entry_hash if seq > 1 else GENESIS_HASH
    for entry in entries[seq - 1 :]:
        entry.prev_hash = previous
        entry.entry_hash = digest(canonical_content(entry))
        raw(
            "UPDATE audit_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
            [entry.prev_hash, entry.entry_hash, entry.pk],
        )
        previous = entry.entry_hash
    raw("UPDATE audit_auditchainhead SET last_hash = %s", [previous])


def sealed(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Chain the pending entries and read them back with their place in the chain."""
    seal_pending()
    for entry in entries:
        entry.refresh_from_db()
    return entries


def plain_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def hmac_with_a_guessed_key(content: bytes) -> str:
    return hmac.new(secrets.token_bytes(32), content, hashlib.sha256).hexdigest()


class AuditLogTests(MemoriaTestCase):
    def write(self, count: int = 5) -> list[AuditEntry]:
        AuditEntry.objects.all().delete()
        raw("UPDATE audit_auditchainhead SET seq = 0, last_hash = %s", ["0" * 64])
        return sealed(
            [audit(self.coordinator, self.org, "person.view", ip_note=i) for i in range(count)]
        )

    def assert_problem_at(self, seq: int | None, words: str) -> None:
        _count, problems = verify_chain()
        self.assertTrue(problems, "tampering went unnoticed")
        self.assertTrue(
            any(p.seq == seq and words in p.message for p in problems),
            [str(p) for p in problems],
        )

    def test_it_records_who_what_where(self):
        note = ProtectedNote.objects.create(organization=self.org, title="x")
        entry = audit(
            self.coordinator, self.org, AuditAction.CASE_VIEW, target=note, fields=["title"]
        )
        entry.refresh_from_db()
        self.assertEqual(entry.actor, self.coordinator)
        self.assertEqual(entry.actor_email, self.coordinator.email)
        self.assertEqual(entry.organization, self.org)
        self.assertEqual(
            (entry.target_type, entry.target_id), ("vaultapp.protectednote", str(note.pk))
        )
        self.assertEqual(entry.details, {"fields": ["title"]})

    def test_it_chains_entries(self):
        entries = self.write(3)
        self.assertEqual([e.seq for e in entries], [1, 2, 3])
        self.assertEqual(entries[1].prev_hash, entries[0].entry_hash)
        self.assertEqual(head_digest(), entries[2].entry_hash)
        self.assertEqual(verify_chain(), (3, []))

    def test_it_detects_an_edited_entry(self):
        entries = self.write()
        raw("UPDATE audit_auditentry SET action = 'nothing' WHERE id = %s", [entries[2].pk])
        self.assert_problem_at(3, "edited")

    def test_it_detects_edited_details(self):
        entries = self.write()
        raw(
            "UPDATE audit_auditentry SET actor_email = 'otra@norte.example' WHERE id = %s",
            [entries[1].pk],
        )
        self.assert_problem_at(2, "edited")

    def test_it_detects_a_deleted_entry(self):
        entries = self.write()
        raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[2].pk])
        self.assert_problem_at(4, "missing")

    def test_it_detects_a_deleted_last_entry(self):
        entries = self.write()
        raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[4].pk])
        self.assert_problem_at(None, "deleted")

    def test_it_detects_reordered_entries(self):
        entries = self.write()
        raw("UPDATE audit_auditentry SET seq = 100 WHERE id = %s", [entries[1].pk])
        raw("UPDATE audit_auditentry SET seq = 2 WHERE id = %s", [entries[2].pk])
        raw("UPDATE audit_auditentry SET seq = 3 WHERE id = %s", [entries[1].pk])
        self.assert_problem_at(2, "previous")

    def test_it_catches_an_edit_when_every_later_hash_was_recomputed_without_the_key(self):
        for digest in (plain_sha256, hmac_with_a_guessed_key):
            with self.subTest(digest=digest.__name__):
                entries = self.write()
                raw("UPDATE audit_auditentry SET action = 'nothing' WHERE id = %s", [entries[2].pk])
                rehash_from(3, digest)
                _count, problems = verify_chain()
                self.assertTrue(problems, "a rehashed chain passed verification")
                self.assertEqual(problems[0].seq, 3, [str(p) for p in problems])
                self.assertIn("edited", problems[0].message)
                self.assertNotIn(2, [p.seq for p in problems])

    def test_it_catches_an_entry_added_without_the_key(self):
        self.write(3)
        forged = AuditEntry(
            seq=4,
            created_at=AuditEntry.objects.get(seq=3).created_at,
            action="login",
            details={},
            prev_hash=head_digest(),
        )
        forged.entry_hash = plain_sha256(canonical_content(forged))
        forged.save()
        raw("UPDATE audit_auditchainhead SET seq = 4, last_hash = %s", [forged.entry_hash])
        self.assert_problem_at(4, "edited")

    def test_it_reports_a_master_key_that_does_not_open_the_audit_key(self):
        self.write(2)
        directory = Path(tempfile.mkdtemp(prefix="memoria-other-master-"))
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        self.addCleanup(keys.forget_cached_keys)
        keys.write_master_key_file(directory / "master.key", secrets.token_bytes(32))
        with override_settings(MEMORIA_MASTER_KEY_FILE=directory / "master.key"):
            keys.forget_cached_keys()
            self.assert_problem_at(None, "cannot be unwrapped")

    def test_it_never_starts_a_new_key_under_existing_entries(self):
        self.write(2)
        raw("UPDATE audit_auditchainhead SET wrapped_key = ''")
        self.assert_problem_at(None, "audit key is missing")
        with self.assertRaises(keys.VaultError):
            audit(self.coordinator, self.org, "person.view")

    def test_it_hashes_an_ipv6_address_as_the_database_stores_it(self):
        request = RequestFactory().get("/", REMOTE_ADDR="2001:0DB8:0000:0000:0000:0000:0000:0001")
        entry = audit(self.coordinator, self.org, "person.view", request=request)
        entry.refresh_from_db()
        self.assertEqual(entry.ip_address, "2001:db8::1")
        self.assertEqual(verify_chain()[1], [])

    def test_it_leaves_out_an_address_that_is_not_one(self):
        request = RequestFactory().get("/", REMOTE_ADDR="unix:/run/memoria.sock")
        entry = audit(self.coordinator, self.org, "person.view", request=request)
        self.assertIsNone(entry.ip_address)
        self.assertEqual(verify_chain()[1], [])

    def test_it_needs_the_noted_head_digest_to_see_a_cut_tail(self):
        entries = self.write()
        raw("DELETE FROM audit_auditentry WHERE id IN (%s, %s)", [entries[3].pk, entries[4].pk])
        raw("UPDATE audit_auditchainhead SET seq = 3, last_hash = %s", [entries[2].entry_hash])
        self.assertEqual(verify_chain(), (3, []))
        self.assertNotEqual(head_digest(), entries[4].entry_hash)


class AuditKeyLifeTests(MemoriaTestCase):
    def test_the_chain_survives_a_master_key_rotation(self):
        entries = sealed([audit(self.coordinator, self.org, "member.removed") for _ in range(3)])
        noted = head_digest()
        directory = Path(tempfile.mkdtemp(prefix="memoria-master-"))
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        self.addCleanup(keys.forget_cached_keys)
        key_file = directory / "master.key"
        shutil.copy(settings.MEMORIA_MASTER_KEY_FILE, key_file)
        with override_settings(MEMORIA_MASTER_KEY_FILE=key_file):
            keys.forget_cached_keys()
            old_wrapped = AuditChainHead.objects.get().wrapped_key
            status, output = run_cli("keys", "rotate", "--master")
            self.assertEqual(status, 0, output)
            keys.forget_cached_keys()
            self.assertEqual(
                AuditEntry.objects.get(pk=entries[0].pk).entry_hash, entries[0].entry_hash
            )
            self.assertEqual(verify_chain()[1], [])
            self.assertEqual(run_cli("audit", "verify", "--expect-head", noted)[0], 0)
            audit(self.coordinator, self.org, "member.removed")
            self.assertEqual(verify_chain()[1], [])
            # The audit key is now wrapped under the new master key only.
            new_wrapped = AuditChainHead.objects.get().wrapped_key
            self.assertNotEqual(new_wrapped, old_wrapped)
            retired = next(p for p in directory.iterdir() if ".retired-" in p.name)
            with self.assertRaises(keys.VaultError):
                keys.unwrap_secret(new_wrapped, "audit log", keys.read_master_key_file(retired))
        self.assertTrue(AuditEntry.objects.filter(action="keys.master_rotated").exists())

    def test_the_migration_rekeys_an_intact_unkeyed_chain(self):
        rekey_chain = importlib.import_module(
            "memoria.audit.migrations.0002_keyed_chain"
        ).rekey_chain
        entries = [audit(self.coordinator, self.org, "member.removed") for _ in range(3)]
        make_unkeyed(entries)
        rekey_chain(apps, connection.schema_editor())
        self.assertTrue(AuditChainHead.objects.get().wrapped_key)
        self.assertEqual(verify_chain(), (3, []))

    def test_the_migration_refuses_to_rekey_a_tampered_chain(self):
        rekey_chain = importlib.import_module(
            "memoria.audit.migrations.0002_keyed_chain"
        ).rekey_chain
        entries = [audit(self.coordinator, self.org, "member.removed") for _ in range(3)]
        make_unkeyed(entries)
        raw("UPDATE audit_auditentry SET action = 'nothing' WHERE id = %s", [entries[1].pk])
        with self.assertRaisesMessage(RuntimeError, "entry #2 was edited"):
            rekey_chain(apps, connection.schema_editor())


def make_unkeyed(entries: list[AuditEntry]) -> None:
    """Turn the chain back into what migration 0001 wrote: plain SHA-256, no audit key."""
    seal_pending()
    raw("UPDATE audit_auditchainhead SET wrapped_key = ''")
    raw("UPDATE audit_auditentry SET nonce = NULL")  # 0001 wrote none
    for entry in entries:
        entry.refresh_from_db()
    previous = GENESIS_HASH
    for entry in entries:
        entry.prev_hash = previous
        entry.entry_hash = plain_sha256(canonical_content(entry))
        entry.save(update_fields=["prev_hash", "entry_hash"])
        previous = entry.entry_hash
    raw("UPDATE audit_auditchainhead SET last_hash = %s", [previous])


class AuditPageTests(MemoriaTestCase):
    def test_it_records_role_changes_and_invitations(self):
        from memoria.accounts.models import Membership

        self.client.force_login(self.coordinator)
        member = Membership.objects.get(user=self.reader)
        self.client.post(
            f"/o/{self.org.slug}/members/{member.pk}/", {"action": "role", "role": "analyst"}
        )
        self.client.post(
            f"/o/{self.org.slug}/members/invite/",
            {"email": "nueva@norte.example", "role": "reader"},
        )
        changed = AuditEntry.objects.get(action="member.role_changed")
        self.assertEqual(changed.actor, self.coordinator)
        self.assertEqual(changed.organization, self.org)
        self.assertEqual(
            changed.details, {"user_id": self.reader.pk, "old_role": "reader", "role": "analyst"}
        )
        invited = AuditEntry.objects.get(action="member.invited")
        self.assertEqual(invited.details, {"role": "reader"})
        self.assertNotIn("nueva@norte.example", str(invited.details))
        self.assertEqual(verify_chain()[1], [])

    def test_it_shows_coordinators_their_organizations_log_only(self):
        audit(self.coordinator, self.org, "member.removed", role="reader")
        audit(self.outsider, self.other_org, "member.invited", role="reader")
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/audit/")
        self.assertContains(response, "Bitácora de auditoría")
        self.assertContains(response, "Quitó a una persona integrante")
        self.assertContains(response, self.coordinator.email)
        self.assertNotContains(response, "Invitó a una persona")
        self.assertNotContains(response, self.outsider.email)

    def test_it_hides_the_log_from_other_roles(self):
        for user in (self.documenter, self.analyst, self.reader):
            self.client.force_login(user)
            self.assertEqual(self.client.get(f"/o/{self.org.slug}/audit/").status_code, 403)


class AuditCommandTests(MemoriaTestCase):
    def run_verify(self, *args):
        import contextlib
        import io

        from memoria.cli import main

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["audit", "verify", *args])
        return status, out.getvalue()

    def test_it_says_the_log_is_intact(self):
        audit(self.coordinator, self.org, "member.removed")
        status, output = self.run_verify()
        self.assertEqual(status, 0)
        self.assertIn("Audit log intact", output)
        self.assertIn(head_digest(), output)

    def test_it_names_the_tampered_entry(self):
        AuditEntry.objects.all().delete()
        raw("UPDATE audit_auditchainhead SET seq = 0, last_hash = %s", ["0" * 64])
        entries = sealed([audit(self.coordinator, self.org, "member.removed") for _ in range(3)])
        raw("UPDATE audit_auditentry SET ip_address = '10.0.0.9' WHERE id = %s", [entries[1].pk])
        status, output = self.run_verify()
        self.assertEqual(status, 1)
        self.assertIn(f"TAMPERED entry #2 (id {entries[1].pk}): its content was edited", output)

    def test_it_detects_a_cut_tail_with_the_noted_head(self):
        AuditEntry.objects.all().delete()
        raw("UPDATE audit_auditchainhead SET seq = 0, last_hash = %s", ["0" * 64])
        entries = sealed([audit(self.coordinator, self.org, "member.removed") for _ in range(3)])
        noted = head_digest()
        raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[2].pk])
        raw("UPDATE audit_auditchainhead SET seq = 2, last_hash = %s", [entries[1].entry_hash])
        self.assertEqual(self.run_verify()[0], 0)
        status, output = self.run_verify("--expect-head", noted)
        self.assertEqual(status, 1)
        self.assertIn("the log was cut", output)


class PendingEntryTests(MemoriaTestCase):
    def test_it_detects_an_entry_edited_before_it_was_chained(self):
        entries = [audit(self.coordinator, self.org, "member.removed") for _ in range(3)]
        raw("UPDATE audit_auditentry SET action = 'logout' WHERE id = %s", [entries[1].pk])
        status, output = run_cli("audit", "verify")
        self.assertEqual(status, 1)
        self.assertIn(
            f"TAMPERED pending entry (id {entries[1].pk}): its content was edited", output
        )
        # The chain never vouches for the edited entry; the others are chained.
        self.assertIsNone(AuditEntry.objects.get(pk=entries[1].pk).seq)
        others = AuditEntry.objects.filter(pk__in=[entries[0].pk, entries[2].pk])
        self.assertNotIn(None, others.values_list("seq", flat=True))

    def test_it_refuses_a_copied_entry(self):
        entry = audit(self.coordinator, self.org, "member.removed")
        entry.refresh_from_db()
        entry.pk = None
        with self.assertRaises(IntegrityError), transaction.atomic():
            entry.save(force_insert=True)

    def test_the_audit_page_lists_the_newest_entries_in_the_chain(self):
        audit(self.coordinator, self.org, "member.removed", role="reader")
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/audit/")
        self.assertContains(response, "Quitó a una persona integrante")
        self.assertFalse(AuditEntry.objects.filter(seq=None).exists())

    def test_the_seal_command_chains_pending_entries(self):
        seal_pending()
        for _ in range(2):
            audit(self.coordinator, self.org, "member.removed")
        status, output = run_cli("audit", "seal")
        self.assertEqual(status, 0)
        self.assertIn("Sealed 2 audit entries.", output)
        self.assertFalse(AuditEntry.objects.filter(seq=None).exists())
        self.assertEqual(verify_chain()[1], [])


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL"
)


def in_thread(work: Callable[[], None]) -> threading.Thread:
    """Run ``work`` on its own database connection."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_audited_reads_do_not_wait_for_the_chain_head():
    current_keys()  # the audit key exists, as on any installation past its first entry
    locked, release = threading.Event(), threading.Event()

    def hold_the_head() -> None:  # what a sealer in another process does
        with transaction.atomic():
            AuditChainHead.objects.select_for_update().get()
            locked.set()
            release.wait(10)

    holder = in_thread(hold_the_head)
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")  # waiting for the head would fail
        entry = audit(None, None, AuditAction.LOGIN_FAILED)
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert entry.seq is None
    assert seal_pending() == 1
    assert verify_chain() == (1, [])


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_entry_that_commits_after_a_later_one_was_chained_is_chained_next():
    current_keys()
    inserted, commit = threading.Event(), threading.Event()
    slow = []

    def slow_transaction() -> None:
        with transaction.atomic():
            slow.append(audit(None, None, AuditAction.LOGIN_FAILED))
            inserted.set()
            commit.wait(10)

    writer = in_thread(slow_transaction)
    assert inserted.wait(10)
    quick = audit(None, None, AuditAction.LOGOUT)
    assert quick.pk > slow[0].pk
    assert seal_pending() == 1  # the slow entry is not committed yet
    commit.set()
    writer.join()
    assert seal_pending() == 1
    chain = list(AuditEntry.objects.order_by("seq").values_list("pk", "seq"))
    assert chain == [(quick.pk, 1), (slow[0].pk, 2)]
    assert verify_chain() == (2, [])
