"""A record one organization shares with another: readable while granted, and only that.

Organization A grants organization B one field of a case (by hand here; the
network's sharing agreements will make such grants). B's members read that
field, and nothing else of the case; the grant and every read are in A's
audit log; once the grant is removed, B finds nothing.
"""

from __future__ import annotations

from memoria.audit.models import AuditEntry
from memoria.cases import actions
from memoria.sharing.actions import revoke_share, share_record
from memoria.sharing.models import SharedRecord
from memoria.vault.cipher import decrypt_text
from memoria.vault.keys import VaultError
from tests.web.cases_fixtures import CaseFixtures


class SharingTests(CaseFixtures):
    def setUp(self):
        super().setUp()
        self.event = self.make_case(
            title="Desaparición en Cuauhtémoc",
            description="Testimonio reservado de Zenaida Quiñónez.",
        )
        self.act = self.add_victim(
            self.event, "enforced_disappearance", given_names="Ana", paternal_surname="Zubiría"
        )
        self.url = f"/o/{self.other_org.slug}/cases/{self.event.pk}/"

    def share_title(self):
        return share_record(self.coordinator, self.event, self.other_org, ["title"])

    def test_it_shows_the_other_organization_nothing_without_a_grant(self):
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_it_shows_a_granted_field_and_nothing_else(self):
        self.share_title()
        self.client.force_login(self.outsider)
        response = self.client.get(self.url)
        self.assertContains(response, "Desaparición en Cuauhtémoc")
        self.assertContains(response, "Centro Norte de Derechos Humanos")
        self.assertNotContains(response, "Zenaida")  # the description was not granted
        self.assertNotContains(response, "Zubiría")  # nor the victims
        # Read-only: no page that changes or details the case opens for B.
        self.client.reauthenticate()  # the history asks for it before anything else
        for path in ("edit/", "history/", "victims/new/", f"acts/{self.act.pk}/", "sources/new/"):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(self.url + path).status_code, 404)
        victim = f"/o/{self.other_org.slug}/people/{self.act.victim.pk}/"
        self.assertEqual(self.client.get(victim).status_code, 404)

    def test_it_audits_the_grant_and_each_read_in_the_owners_log(self):
        self.share_title()
        self.client.force_login(self.outsider)
        self.client.get(self.url)
        granted = AuditEntry.objects.get(action="share.granted")
        self.assertEqual(granted.organization_id, self.org.pk)
        self.assertEqual(granted.details, {"recipient": self.other_org.pk, "fields": ["title"]})
        viewed = AuditEntry.objects.get(action="share.viewed")
        self.assertEqual(viewed.organization_id, self.org.pk)  # A sees who in B read it
        self.assertEqual(viewed.actor_id, self.outsider.pk)
        self.assertEqual(viewed.details["object_id"], self.event.pk)

    def test_it_keeps_the_copy_under_the_recipients_key(self):
        self.share_title()
        stored = SharedRecord.objects.values_list("content", flat=True).get()
        self.assertNotIn("Cuauhtémoc", stored)
        # The vault opens it only as a row of the recipient organization.
        context = "sharing.sharedrecord.content"
        opened = decrypt_text(stored, context, organization_id=self.other_org.pk)
        self.assertIn("Cuauhtémoc", opened)
        with self.assertRaises(VaultError):
            decrypt_text(stored, context, organization_id=self.org.pk)
        record = SharedRecord.objects.get()
        self.assertEqual(record.organization, self.other_org)
        self.assertEqual(record.content, {"title": "Desaparición en Cuauhtémoc"})

    def test_it_follows_the_owners_edits(self):
        self.share_title()
        event = type(self.event).objects.get(pk=self.event.pk)
        actions.update_event(event, self.documenter, {"title": "Título corregido"}, event.version)
        self.client.force_login(self.outsider)
        self.assertContains(self.client.get(self.url), "Título corregido")

    def test_it_is_unreadable_once_the_grant_is_removed(self):
        self.share_title()
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 200)
        self.assertTrue(revoke_share(self.coordinator, self.event, self.other_org))
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertFalse(SharedRecord.objects.exists())
        revoked = AuditEntry.objects.get(action="share.revoked")
        self.assertEqual(revoked.organization_id, self.org.pk)
        self.assertEqual(AuditEntry.objects.filter(action="share.viewed").count(), 1)

    def test_it_refuses_a_field_that_cannot_be_shared(self):
        with self.assertRaises(ValueError):
            share_record(self.coordinator, self.event, self.other_org, ["latitude"])
        with self.assertRaises(ValueError):
            share_record(self.coordinator, self.event, self.org, ["title"])
        self.assertFalse(SharedRecord.objects.exists())
        self.assertFalse(AuditEntry.objects.filter(action="share.granted").exists())
