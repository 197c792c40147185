"""Fixtures of the network tests: a partner organization and a referral to it."""

from __future__ import annotations

import datetime
from unittest import mock

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.network import actions
from memoria.network.models import Capability
from memoria.places.models import Municipality, State
from tests.web.base import make_member
from tests.web.cases_fixtures import CaseFixtures

# The day the sharing tests live on: agreements in force until the end of 2026.
TODAY = datetime.date(2026, 6, 1)


def on(day: datetime.date):
    """Sharing's clock (``rules.today``) set to ``day``."""
    return mock.patch("memoria.sharing.rules.today", return_value=day)


SECRET_TITLE = "Desaparición de Zenaida en Cuauhtémoc"
SECRET_DESCRIPTION = "Testimonio reservado de la familia Quiñónez."
MESSAGE = "La familia necesita acompañamiento psicosocial en Cuauhtémoc."


class NetworkFixtures(CaseFixtures):
    """Organization A (``org``) refers to P (``partner``); B (``other_org``) is unrelated."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.partner = Organization.objects.create(
            name="Acompañamiento Psicosocial del Norte",
            slug="psicosocial-norte",
            kind=Organization.Kind.VICTIMS_COLLECTIVE,
        )
        cls.partner_coordinator = make_member(
            cls.partner, "coordinacion@psico.example", Role.COORDINATOR, "Paula Coordinadora"
        )
        cls.partner_documenter = make_member(
            cls.partner, "documenta@psico.example", Role.DOCUMENTER, "Pedro Documentador"
        )
        cls.partner_reader = make_member(
            cls.partner, "lee@psico.example", Role.READER, "Perla Lectora"
        )
        chihuahua = State.objects.get(code="08")
        actions.save_profile(
            cls.partner,
            cls.partner_coordinator,
            {
                "capabilities": [Capability.PSYCHOSOCIAL, Capability.ACCOMPANIMENT],
                "languages": ["es", "tarahumara"],
                "states": [chihuahua],
                "municipalities": [Municipality.objects.get(cvegeo="08017")],
                "summary": "Acompañamos a familias que buscan.",
                "referral_note": "Envíen el municipio y la necesidad.",
                "accepts_referrals": True,
            },
            None,
        )

    def make_referral(self, *, event=None, person=None, event_fields=("title",), **data):
        if event is None and person is None:
            event = self.make_case(
                title=SECRET_TITLE,
                description=SECRET_DESCRIPTION,
                victim={"given_names": "Zenaida", "paternal_surname": "Quiñónez"},
            )
            person = event.acts.get().victim
        values = {
            "recipient": self.partner,
            "capability": Capability.PSYCHOSOCIAL,
            "message": MESSAGE,
            "event_fields": list(event_fields),
            "person_fields": ["given_names"],
            "follow_up_on": datetime.date(2026, 1, 15),
            **data,
        }
        return actions.send_referral(self.org, self.documenter, values, event=event, person=person)


class SharingFixtures(NetworkFixtures):
    """The network fixtures on ``TODAY``, with a helper for agreements the partner
    (``partner``) proposes to ``org`` and ``org`` accepts."""

    def setUp(self):
        super().setUp()
        clock = on(TODAY)
        clock.start()
        self.addCleanup(clock.stop)

    @classmethod
    def partner_shares(cls, level: str, fields: dict, purpose: str):
        from memoria.sharing import agreements

        data = {
            "partner": cls.org,
            "level": level,
            "fields": fields,
            "purpose": purpose,
            "valid_until": datetime.date(2026, 12, 31),
        }
        proposed = agreements.propose(cls.partner, cls.partner_coordinator, data)
        return agreements.answer(proposed, cls.coordinator, accept=True, version=1)
