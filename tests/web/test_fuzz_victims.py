"""Hostile and random values posted to every form of the victims' registry.

The same machinery as ``test_fuzz_forms.py`` (see docs/development.md,
"Fuzzing the forms"): a failed request writes nothing, a successful one
writes exactly its record and its audit entry, no page echoes a script, and
no response is a server error. ``test_it_fuzzes_every_form_of_the_victims_app``
fails for a new page of the app until it is fuzzed here or named as having no form.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.victims import actions
from memoria.victims.models import (
    Appeal,
    CommissionRequest,
    Measure,
    Registration,
    VictimDocument,
)
from tests.web.test_fuzz_forms import EveryFormFuzzed, FormFuzz, FuzzCase, Target, fuzz_test, walk
from tests.web.victims_fixtures import measure_data, registration_data, request_data

TARGETS = [
    Target(
        "victims:registration_new",
        creates=Registration,
        valid=lambda case: {"event": case.event.pk, "registry": "renavi", "status": "requested"},
    ),
    Target(
        "victims:registration_edit",
        edits=(Registration, "registration"),
        route_fixtures={"record_id": "registration"},
    ),
    Target(
        "victims:request_new",
        creates=CommissionRequest,
        valid=lambda case: {
            "event": case.event.pk,
            "commission": "ceeav",
            "state_code": "08",
            "purpose": "reparation",
            "status": "pending",
        },
    ),
    Target(
        "victims:request_edit",
        edits=(CommissionRequest, "commission_request"),
        route_fixtures={"record_id": "commission_request"},
    ),
    Target(
        "victims:measure_new",
        creates=Measure,
        valid=lambda case: {"kind": "food", "decision": "requested", "delivery": "pending"},
        route_fixtures={"request_id": "commission_request"},
    ),
    Target(
        "victims:measure_edit",
        edits=(Measure, "measure"),
        route_fixtures={"record_id": "measure"},
    ),
    Target(
        "victims:appeal_new",
        creates=Appeal,
        valid=lambda case: {
            "against": f"registration-{case.registration.pk}",
            "kind": "amparo",
            "status": "pending",
        },
    ),
    Target("victims:appeal_edit", edits=(Appeal, "appeal"), route_fixtures={"record_id": "appeal"}),
    Target(
        "victims:registration_document_new",
        creates=VictimDocument,
        form_on="victims:person",
        route_fixtures={"record_id": "registration"},
        files={"document": b"%PDF-1.4 acta de nacimiento"},
        always_writes=False,  # a refused file comes back to the person with a message
    ),
    Target(
        "victims:request_document_new",
        creates=VictimDocument,
        form_on="victims:person",
        route_fixtures={"record_id": "commission_request"},
        files={"document": b"%PDF-1.4 resolucion"},
        always_writes=False,
    ),
]

# Pages of the victims app that send no form of their own.
NO_FORM = {
    "victims:list",
    "victims:owed",
    "victims:figures",
    "victims:figures_csv",
    "victims:person",
    "victims:timeline",
    "victims:document",
}


def victims_routes() -> set[str]:
    from django.urls import get_resolver

    return {
        name
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__.startswith("memoria.victims")
    }


class VictimsFuzzCase(FuzzCase):
    """The cases fixtures, with the direct victim's path recorded (and another organization's)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.registration = actions.add_registration(
            cls.victim, cls.documenter, registration_data(cls.event)
        )
        cls.commission_request = actions.add_request(
            cls.victim, cls.documenter, request_data(cls.event)
        )
        cls.measure = actions.add_measure(cls.commission_request, cls.documenter, measure_data())
        cls.appeal = actions.add_appeal(
            cls.victim,
            cls.documenter,
            {"request": cls.commission_request, "kind": "appeal", "status": "pending"},
        )
        other_victim = cls.relative.person.__class__.objects.filter(
            organization=cls.other_org, acts__isnull=False
        ).first()
        other_event = other_victim.acts.first().event
        other_request = actions.add_request(other_victim, cls.outsider, request_data(other_event))
        other = [
            actions.add_registration(other_victim, cls.outsider, registration_data(other_event)),
            other_request,
            actions.add_measure(other_request, cls.outsider, measure_data()),
        ]
        cls.foreign_ids = sorted(set(cls.foreign_ids) | {record.pk for record in other})
        cls.document = actions.add_document(
            cls.registration, cls.documenter, SimpleUploadedFile("acta.pdf", b"%PDF-1.4")
        )

    def route_values(self, target: Target | None = None) -> dict:
        values = {
            "request_id": self.commission_request.pk,
            "document_id": self.document.pk,
            "record_id": self.registration.pk,
        }
        return {**super().route_values(None), **values, **self._target_values(target)}

    def _target_values(self, target: Target | None) -> dict:
        if target is None:
            return {}
        return {key: getattr(self, name).pk for key, name in target.route_fixtures.items()}


class VictimsFormFuzz(FormFuzz, VictimsFuzzCase):
    forms: dict = {}


class VictimsRecordFuzz(VictimsFormFuzz):
    pass


class VictimsDocumentFuzz(VictimsFormFuzz):
    pass


for _target in TARGETS:
    _class = VictimsDocumentFuzz if "document" in _target.name else VictimsRecordFuzz
    _test = fuzz_test(_target)
    setattr(_class, _test.__name__, _test)
del _class  # a TestCase left in the module's names would be collected twice


class VictimsFuzzCoverageTests(EveryFormFuzzed, VictimsFuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "the victims app"
    fuzz_file = "tests/web/test_fuzz_victims.py"

    def routes(self):
        return victims_routes()
