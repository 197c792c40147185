"""Hostile and random values posted to every form of the protection app.

The same fuzz as the case forms (``tests/web/test_fuzz_forms.py``, whose
machinery this reuses): every response below 500, a refused request writes
nothing, a success writes exactly its record and its audit entry, nothing
echoes a script. ``test_it_fuzzes_every_form_of_the_protection_app`` walks
the URL conf: a new page of the app fails it until it is fuzzed here or named
as having no form.
"""

from __future__ import annotations

import datetime

from django.urls import get_resolver
from django.utils import timezone

from memoria.protection import actions as protection_actions
from memoria.protection import overdue
from memoria.protection.models import (
    OverdueAlert,
    PersonAtRisk,
    ProtectionMeasure,
    ProtectionRequest,
    RiskAssessment,
    RiskFactor,
    SupportContact,
)
from tests.web.protection_fixtures import person_data
from tests.web.test_fuzz_forms import EveryFormFuzzed, FormFuzz, FuzzCase, Target, fuzz_test, walk

LONG_AGO = timezone.now() - datetime.timedelta(days=400)

TARGETS = [
    Target(
        "protection:new",
        creates=PersonAtRisk,
        valid=lambda case: {
            "display_name": "Defensora",
            "profile": "defender",
            "time_zone": "America/Mexico_City",
            "status": "active",
        },
        examples=15,
    ),
    Target("protection:edit", edits=(PersonAtRisk, "person"), examples=15),
    Target(
        "protection:contact_new",
        creates=SupportContact,
        valid=lambda case: {"name": "Hermana", "position": "0"},
        examples=15,
    ),
    Target("protection:contact_edit", edits=(SupportContact, "contact")),
    Target(
        "protection:assessment_new",
        creates=RiskAssessment,
        valid=lambda case: {"assessed_on": "2026-11-01", "level": "high"},
    ),
    Target("protection:assessment_edit", edits=(RiskAssessment, "assessment")),
    Target(
        "protection:factor_new",
        creates=RiskFactor,
        valid=lambda case: {"kind": "threat", "description": "Amenaza"},
    ),
    Target("protection:factor_edit", edits=(RiskFactor, "factor")),
    Target(
        "protection:request_new",
        creates=ProtectionRequest,
        valid=lambda case: {
            "mechanism": "federal",
            "procedure": "extraordinary",
            "filed_at": "2026-11-01T10:00",
            "outcome": "pending",
        },
    ),
    Target("protection:request_edit", edits=(ProtectionRequest, "protection_request")),
    Target(
        "protection:measure_new",
        creates=ProtectionMeasure,
        valid=lambda case: {
            "category": "urgent",
            "kind": "escort",
            "granted_at": "2026-11-01T12:00",
        },
        examples=15,
    ),
    Target("protection:measure_edit", edits=(ProtectionMeasure, "measure")),
    Target(
        "protection:alert_acknowledge",
        edits=(OverdueAlert, "alert"),
        form_on="protection:owed",
        fieldless=True,
        always_writes=False,  # a second acknowledgement changes nothing
        examples=3,
    ),
]

NO_FORM = {"protection:list", "protection:person", "protection:assessment", "protection:owed"}


def protection_routes() -> dict:
    return {
        name: pattern
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__.startswith("memoria.protection")
    }


class ProtectionFuzzCase(FuzzCase):
    """A person at risk with one record of every kind, and the same in another organization."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        records = cls.protection_records(cls.org, cls.documenter)
        (
            cls.person,
            cls.contact,
            cls.assessment,
            cls.factor,
            cls.protection_request,
            cls.measure,
        ) = records
        overdue.raise_alerts_for(cls.org)
        cls.alert = OverdueAlert.objects.get(organization=cls.org, kind="implementation")
        foreign = cls.protection_records(cls.other_org, cls.outsider)
        overdue.raise_alerts_for(cls.other_org)
        cls.foreign_ids = sorted({*cls.foreign_ids, *(record.pk for record in foreign)})

    @classmethod
    def protection_records(cls, organization, user):
        person = protection_actions.register_person(organization, user, person_data())
        contact = protection_actions.add_contact(
            person, user, {"name": "Hermana", "email": "h@example.org", "accepts_email": True}
        )
        assessment = protection_actions.record_assessment(
            person, user, {"assessed_on": LONG_AGO.date(), "level": "extreme", "summary": ""}
        )
        factor = protection_actions.add_factor(
            assessment, user, {"kind": "threat", "description": "Mensajes", "date": None}
        )
        request = protection_actions.record_request(
            person,
            user,
            {"mechanism": "federal", "procedure": "ordinary", "filed_at": LONG_AGO},
        )
        measure = protection_actions.record_measure(
            person,
            user,
            {
                "request": request,
                "category": "protection",
                "kind": "cameras",
                "granted_at": LONG_AGO,
            },
        )
        return person, contact, assessment, factor, request, measure

    def route_values(self, target: Target | None = None) -> dict:
        values = {
            "slug": self.org.slug,
            "at_risk_id": self.person.pk,
            "assessment_id": self.assessment.pk,
            "factor_id": self.factor.pk,
            "alert_id": self.alert.pk,
            "record_id": self.measure.pk,
        }
        if target is not None and target.edits:
            attribute = target.edits[1]
            if target.name.startswith("protection:") and attribute not in ("person", "factor"):
                values["record_id"] = getattr(self, attribute).pk
        return values


class ProtectionFuzz(FormFuzz, ProtectionFuzzCase):
    """One test per form of the protection app (added below)."""


for _target in TARGETS:
    _test = fuzz_test(_target)
    setattr(ProtectionFuzz, _test.__name__, _test)


class ProtectionFuzzCoverageTests(EveryFormFuzzed, ProtectionFuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "the protection app"
    fuzz_file = "tests/web/test_fuzz_protection.py"

    def routes(self):
        return protection_routes()

    def test_the_fixtures_include_an_alert_to_acknowledge(self):
        self.assertEqual(self.alert.organization, self.org)
        self.assertIsNone(self.alert.acknowledged_at)
