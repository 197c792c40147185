"""Every write of the protection app and its audit entry commit together or not at all."""

from __future__ import annotations

from unittest import mock

from memoria.audit.models import AuditEntry
from memoria.protection import actions
from memoria.protection.models import (
    OverdueAlert,
    PersonAtRisk,
    ProtectionMeasure,
    ProtectionRequest,
    RiskAssessment,
    RiskFactor,
    SupportContact,
)
from memoria.protection.overdue import raise_alerts_for
from tests.web.protection_fixtures import FILED, ProtectionFixtures

MODELS = (
    PersonAtRisk,
    SupportContact,
    RiskAssessment,
    RiskFactor,
    ProtectionRequest,
    ProtectionMeasure,
)


class AuditRefused(Exception):
    pass


class ProtectionWriteBoundaryTests(ProtectionFixtures):
    def setUp(self):
        super().setUp()
        self.person = self.make_person()
        self.contact = actions.add_contact(self.person, self.documenter, {"name": "Hermana"})
        self.assessment = self.make_assessment(self.person)
        self.factor = actions.add_factor(
            self.assessment, self.documenter, {"kind": "threat", "description": "Mensajes"}
        )
        self.request = self.make_request(self.person)
        self.measure = self.make_measure(self.person)
        raise_alerts_for(self.org)
        self.alert = OverdueAlert.objects.filter(organization=self.org).first()
        self.client.force_login(self.documenter)

    def state(self) -> dict:
        return {
            "audit": AuditEntry.objects.count(),
            **{m.__name__: sorted(m.objects.values_list("pk", "version")) for m in MODELS},
            "alerts seen": OverdueAlert.objects.filter(acknowledged_at__isnull=False).count(),
        }

    def writes(self):
        base = f"/o/{self.org.slug}/protection"
        person = f"{base}/{self.person.pk}"
        assessment = f"{person}/assessments/{self.assessment.pk}"
        yield "person", f"{base}/new/", {
            "display_name": "Otra", "profile": "defender", "time_zone": "UTC", "status": "active",
        }  # fmt: skip
        yield "person edit", f"{person}/edit/", {
            "display_name": "Cambiada", "profile": "defender", "time_zone": "UTC",
            "status": "active", "version": 1,
        }  # fmt: skip
        yield "contact", f"{person}/contacts/new/", {"name": "Abogada", "position": 1}
        yield "contact edit", f"{person}/contacts/{self.contact.pk}/", {
            "name": "Hermana Lucía", "position": 0, "version": 1,
        }  # fmt: skip
        yield "assessment", f"{person}/assessments/new/", {
            "assessed_on": "2026-11-03", "level": "medium",
        }  # fmt: skip
        yield "assessment edit", f"{assessment}/edit/", {
            "assessed_on": "2026-11-02", "level": "low", "version": 1,
        }  # fmt: skip
        yield "factor", f"{assessment}/factors/new/", {"kind": "capacity", "description": "Red"}
        yield "factor edit", f"{assessment}/factors/{self.factor.pk}/", {
            "kind": "threat", "description": "Mensajes y llamadas", "version": 1,
        }  # fmt: skip
        yield "request", f"{person}/requests/new/", {
            "mechanism": "federal", "procedure": "ordinary", "filed_at": "2026-11-01T10:00",
            "outcome": "pending",
        }  # fmt: skip
        yield "request edit", f"{person}/requests/{self.request.pk}/", {
            "mechanism": "federal", "procedure": "extraordinary",
            "filed_at": FILED.strftime("%Y-%m-%dT%H:%M"), "outcome": "granted", "version": 1,
        }  # fmt: skip
        yield "measure", f"{person}/measures/new/", {
            "category": "preventive", "kind": "cameras", "granted_at": "2026-11-01T12:00",
        }  # fmt: skip
        yield "measure edit", f"{person}/measures/{self.measure.pk}/", {
            "category": "urgent", "kind": "escort", "granted_at": "2026-11-02T09:00",
            "implemented_on": "2026-11-02", "version": 1,
        }  # fmt: skip
        yield "alert seen", f"{base}/alerts/{self.alert.pk}/acknowledge/", {}

    def test_it_writes_nothing_when_the_audit_entry_cannot_be_written(self):
        for what, path, data in self.writes():
            with self.subTest(write=what):
                before = self.state()
                with (
                    mock.patch("memoria.protection.actions.audit", side_effect=AuditRefused),
                    self.assertRaises(AuditRefused),
                ):
                    self.client.post(path, data)
                self.assertEqual(self.state(), before)

    def test_it_writes_and_audits_together_when_the_log_accepts(self):
        for what, path, data in self.writes():
            with self.subTest(write=what):
                before = self.state()
                response = self.client.post(path, data)
                self.assertEqual(response.status_code, 302, what)
                after = self.state()
                self.assertGreater(after["audit"], before["audit"], what)
                self.assertNotEqual({**after, "audit": 0}, {**before, "audit": 0}, what)
