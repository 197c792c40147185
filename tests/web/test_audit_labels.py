"""Audit actions come from one registry, and every one has a Spanish label."""

from __future__ import annotations

from django.utils import translation

from memoria.audit.labels import AuditAction, action_label
from memoria.audit.log import audit
from memoria.audit.models import AuditEntry
from tests.vaultapp.models import ProtectedNote
from tests.web.base import MemoriaTestCase


class ActionRegistryTests(MemoriaTestCase):
    def test_it_refuses_an_unregistered_action(self):
        before = AuditEntry.objects.count()
        with self.assertRaisesMessage(ValueError, "'case.viewed' is not a registered audit action"):
            audit(self.coordinator, self.org, "case.viewed")
        self.assertEqual(AuditEntry.objects.count(), before)

    def test_it_takes_a_member_of_the_registry_or_its_code(self):
        by_member = audit(self.coordinator, self.org, AuditAction.CASES_EXPORT, format="csv")
        by_code = audit(self.coordinator, self.org, "cases.export", format="csv")
        stored = AuditEntry.objects.filter(pk__in=[by_member.pk, by_code.pk])
        self.assertEqual(set(stored.values_list("action", flat=True)), {"cases.export"})

    def test_it_keeps_the_codes_stored_before_the_registry(self):
        self.assertEqual(AuditAction.LOGIN_FAILED, "login.failed")
        self.assertEqual(AuditAction.MEMBER_INVITED.value, "member.invited")
        self.assertEqual(AuditAction.KEYS_MASTER_ROTATED.value, "keys.master_rotated")
        self.assertEqual(AuditAction.CASES_EXPORT_IDENTITIES.value, "cases.export_identities")

    def test_every_label_is_translated(self):
        with translation.override("en"):
            english = {action: str(action.label) for action in AuditAction}
        with translation.override("es-mx"):
            untranslated = [
                action.value for action in AuditAction if str(action.label) == english[action]
            ]
        self.assertEqual(untranslated, [], "translate them in memoria/audit/locale (bin/messages)")

    def test_an_unknown_code_in_an_old_entry_shows_as_itself(self):
        self.assertEqual(action_label("retired.action"), "retired.action")

    def test_the_page_shows_labels_not_codes(self):
        note = ProtectedNote.objects.create(organization=self.org, title="x")
        audit(self.documenter, self.org, "case.view", target=note)
        audit(self.coordinator, self.org, "cases.export_identities", format="csv")
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/audit/")
        self.assertContains(response, "Consultó un caso")
        self.assertContains(response, "Exportó casos con identidades")
        self.assertNotContains(response, "cases.export_identities")
        self.assertNotContains(response, "vaultapp.protectednote")
