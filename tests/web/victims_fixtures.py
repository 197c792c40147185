"""Shared fixtures of the victims' registry tests: a family, its registrations and requests."""

from __future__ import annotations

import datetime

from memoria.cases import actions as case_actions
from memoria.victims import actions
from tests.web.base import MemoriaTestCase
from tests.web.cases_fixtures import case_data, term

D = datetime.date


def family_case(organization, user):
    """A disappeared son (direct victim) and his mother (indirect victim) in one case."""
    event = case_actions.register_case(organization, user, case_data(title="Desaparición"))
    act = case_actions.add_victim(
        event,
        user,
        {"given_names": "Jorge", "paternal_surname": "Ramírez", "sex": "male",
         "visibility": "private"},
        {"violation_type": term("violation_type", "enforced_disappearance"), "description": ""},
    )  # fmt: skip
    mother = case_actions.add_indirect_victim(
        event,
        user,
        act.victim,
        term("relationship", "mother"),
        {"given_names": "Rosa", "paternal_surname": "Ramírez", "sex": "female"},
    ).person
    return event, act.victim, mother


def registration_data(event, **overrides) -> dict:
    data = {
        "event": event,
        "registry": "renavi",
        "state_code": "",
        "deciding_body": "Comisión Ejecutiva de Atención a Víctimas",
        "filed_on": D(2024, 2, 1),
        "folio": "RENAVI-2024-0042",
        "deadline": D(2024, 5, 1),
        "accompanied_by": None,
        "status": "requested",
        "decided_on": None,
        "refusal_reason": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def request_data(event, **overrides) -> dict:
    data = {
        "event": event,
        "commission": "ceeav",
        "state_code": "08",
        "purpose": "reparation",
        "filed_on": D(2024, 3, 1),
        "folio": "CEEAV-CHIH-77",
        "deadline": D(2024, 6, 1),
        "accompanied_by": None,
        "status": "pending",
        "resolved_on": None,
        "resolution": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def measure_data(**overrides) -> dict:
    data = {
        "kind": "compensation",
        "description": "",
        "amount_requested": None,
        "decision": "requested",
        "amount_granted": None,
        "due_on": None,
        "delivery": "pending",
        "delivered_on": None,
        "notes": "",
    }
    data.update(overrides)
    return data


def form_values(data: dict) -> dict:
    """``data`` as a browser posts it (ids for records, ISO dates, "" for nothing)."""
    posted = {}
    for key, value in data.items():
        if value is None:
            posted[key] = ""
        elif hasattr(value, "pk"):
            posted[key] = value.pk
        elif isinstance(value, datetime.date):
            posted[key] = value.isoformat()
        else:
            posted[key] = value
    return posted


class VictimsFixtures(MemoriaTestCase):
    """A family in organization A with a registration, a request and a measure; one in B."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.event, cls.son, cls.mother = family_case(cls.org, cls.documenter)
        cls.registration = actions.add_registration(
            cls.son, cls.documenter, registration_data(cls.event)
        )
        cls.request = actions.add_request(cls.mother, cls.documenter, request_data(cls.event))
        cls.measure = actions.add_measure(cls.request, cls.documenter, measure_data())
        cls.appeal = actions.add_appeal(
            cls.son,
            cls.documenter,
            {"registration": cls.registration, "kind": "amparo", "status": "pending"},
        )
        cls.other_event, cls.other_son, cls.other_mother = family_case(cls.other_org, cls.outsider)
        cls.other_request = actions.add_request(
            cls.other_mother, cls.outsider, request_data(cls.other_event)
        )

    def url(self, name: str, *args) -> str:
        from django.urls import reverse

        return reverse(f"victims:{name}", args=[self.org.slug, *args])
