"""Shared fixtures of the case tests: form data and cases recorded through the actions."""

from __future__ import annotations

import datetime

from memoria.cases import actions
from memoria.cases.models import (
    Act,
    Event,
    Term,
)
from memoria.places.models import Municipality, State
from tests.web.base import MemoriaTestCase


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code, organization=None)


def event_data(**overrides) -> dict:
    data = {
        "title": "Desaparición en la carretera a Cuauhtémoc",
        "description": "Tres hombres fueron detenidos en un retén y no se volvió a saber de ellos.",
        "start_year": "2019",
        "start_month": "3",
        "start_day": "14",
        "state": "08",
        "municipality": "08017",
        "status": "open",
    }
    data.update(overrides)
    return data


def victim_data(**overrides) -> dict:
    data = {
        "violation_type": term("violation_type", "enforced_disappearance").pk,
        "situation": term("victim_situation", "still_missing").pk,
        "act_description": "Lo subieron a una patrulla sin placas.",
        "given_names": "María Guadalupe",
        "paternal_surname": "Hernández",
        "maternal_surname": "Ruiz",
        "sex": "female",
        "birth_year": "1990",
        "nationality": "Mexicana",
        "perpetrator_kind": term("perpetrator_kind", "municipal_police").pk,
        "basis": term("attribution_basis", "witnessed").pk,
        "confidence": "high",
        "visibility": "private",
        "is_searching_relative": "on",
    }
    data.update(overrides)
    return data


def case_data(**overrides) -> dict:
    """What ``actions.register_case`` takes for a case in Cuauhtémoc on 14 March 2019."""
    data = {
        "title": "Caso de prueba",
        "description": "",
        "start_date": datetime.date(2019, 3, 14),
        "start_precision": "day",
        "end_date": None,
        "end_precision": "unknown",
        "state": State.objects.get(code="08"),
        "municipality": Municipality.objects.get(cvegeo="08017"),
        "status": "open",
    }
    data.update(overrides)
    return data


class CaseFixtures(MemoriaTestCase):
    """A few cases recorded through the actions, as a documenter would."""

    def make_case(self, organization=None, *, victim=None, **event_overrides) -> Event:
        organization = organization or self.org
        event = actions.register_case(organization, self.documenter, case_data(**event_overrides))
        if victim is not None:
            self.add_victim(event, **victim)
        return event

    def add_victim(self, event: Event, violation="homicide", perpetrator=None, **person) -> Act:
        person_data = {
            "given_names": "",
            "paternal_surname": "",
            "maternal_surname": "",
            "sex": "unknown",
            "visibility": "private",
            **person,
        }
        act_data = {
            "violation_type": term("violation_type", violation),
            "situation": None,
            "description": "",
        }
        attribution = None
        if perpetrator:
            attribution = {
                "kind": term("perpetrator_kind", perpetrator),
                "confidence": "medium",
                "basis": None,
            }
        return actions.add_victim(event, self.documenter, person_data, act_data, attribution)
