"""Shared fixtures of the protection tests: records made through the actions."""

from __future__ import annotations

import datetime

from django.utils import timezone

from memoria.protection import actions
from memoria.protection.models import PersonAtRisk
from tests.web.base import MemoriaTestCase

# A fixed instant the tests reason from (a controlled clock: ``now`` is passed explicitly).
FILED = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def person_data(**overrides) -> dict:
    data = {
        "display_name": "Periodista de Sinaloa",
        "profile": "journalist",
        "notes": "Recibió amenazas tras publicar sobre una fosa.",
        "case_person": None,
        "member": None,
        "time_zone": "America/Mazatlan",
        "status": "active",
    }
    data.update(overrides)
    return data


class ProtectionFixtures(MemoriaTestCase):
    def make_person(self, organization=None, **overrides) -> PersonAtRisk:
        return actions.register_person(
            organization or self.org, self.documenter, person_data(**overrides)
        )

    def make_assessment(self, person, level="high", assessed_on=None):
        data = {
            "assessed_on": assessed_on or FILED.date(),
            "level": level,
            "summary": "Amenazas directas por mensajes.",
        }
        return actions.record_assessment(person, self.documenter, data)

    def make_request(self, person, procedure="extraordinary", filed_at=FILED, **overrides):
        data = {
            "mechanism": "federal",
            "state": "",
            "procedure": procedure,
            "filed_at": filed_at,
            "file_number": "MPPDDHP/2026/0042",
            "outcome": "pending",
            "decided_on": None,
            "notes": "",
        }
        data.update(overrides)
        return actions.record_request(person, self.documenter, data)

    def make_measure(self, person, category="urgent", granted_at=FILED, **overrides):
        data = {
            "request": None,
            "category": category,
            "kind": "panic_button",
            "description": "",
            "granted_at": granted_at,
            "implement_by": None,
            "implemented_on": None,
            "review_on": None,
            "ended_on": None,
        }
        data.update(overrides)
        return actions.record_measure(person, self.documenter, data)


def local_input(value: datetime.datetime) -> str:
    """How a datetime-local field posts ``value`` (in the installation's time zone)."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
