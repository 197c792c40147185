from __future__ import annotations

from django.db import connection

from memoria.audit.log import audit, head_digest, verify_chain
from memoria.audit.models import AuditEntry
from memoria.vault.models import ProtectedNote
from tests.web.base import MemoriaTestCase


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class AuditLogTests(MemoriaTestCase):
    def write(self, count: int = 5) -> list[AuditEntry]:
        AuditEntry.objects.all().delete()
        raw("UPDATE audit_auditchainhead SET seq = 0, last_hash = %s", ["0" * 64])
        return [audit(self.coordinator, self.org, "record.viewed", ip_note=i) for i in range(count)]

    def assert_problem_at(self, seq: int | None, words: str) -> None:
        _count, problems = verify_chain()
        self.assertTrue(problems, "tampering went unnoticed")
        self.assertTrue(
            any(p.seq == seq and words in p.message for p in problems),
            [str(p) for p in problems],
        )

    def test_it_records_who_what_where(self):
        note = ProtectedNote.objects.create(organization=self.org, title="x")
        entry = audit(self.coordinator, self.org, "note.viewed", target=note, fields=["title"])
        entry.refresh_from_db()
        self.assertEqual(entry.actor, self.coordinator)
        self.assertEqual(entry.actor_email, self.coordinator.email)
        self.assertEqual(entry.organization, self.org)
        self.assertEqual(
            (entry.target_type, entry.target_id), ("vault.protectednote", str(note.pk))
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

    def test_it_needs_the_noted_head_digest_to_see_a_cut_tail(self):
        entries = self.write()
        raw("DELETE FROM audit_auditentry WHERE id IN (%s, %s)", [entries[3].pk, entries[4].pk])
        raw("UPDATE audit_auditchainhead SET seq = 3, last_hash = %s", [entries[2].entry_hash])
        self.assertEqual(verify_chain(), (3, []))
        self.assertNotEqual(head_digest(), entries[4].entry_hash)


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
        entries = [audit(self.coordinator, self.org, "member.removed") for _ in range(3)]
        raw("UPDATE audit_auditentry SET ip_address = '10.0.0.9' WHERE id = %s", [entries[1].pk])
        status, output = self.run_verify()
        self.assertEqual(status, 1)
        self.assertIn(f"TAMPERED entry #2 (id {entries[1].pk}): its content was edited", output)

    def test_it_detects_a_cut_tail_with_the_noted_head(self):
        AuditEntry.objects.all().delete()
        raw("UPDATE audit_auditchainhead SET seq = 0, last_hash = %s", ["0" * 64])
        entries = [audit(self.coordinator, self.org, "member.removed") for _ in range(3)]
        noted = head_digest()
        raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[2].pk])
        raw("UPDATE audit_auditchainhead SET seq = 2, last_hash = %s", [entries[1].entry_hash])
        self.assertEqual(self.run_verify()[0], 0)
        status, output = self.run_verify("--expect-head", noted)
        self.assertEqual(status, 1)
        self.assertIn("the log was cut", output)
