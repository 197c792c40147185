"""The protection models store what identifies or describes a person encrypted."""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from memoria.protection.models import (
    PersonAtRisk,
    ProtectionMeasure,
    SupportContact,
)
from tests.web.base import MemoriaTestCase


class ProtectionModelTests(MemoriaTestCase):
    def test_names_contacts_and_deadlines_are_encrypted_at_rest(self):
        person = PersonAtRisk.objects.create(
            organization=self.org, display_name="Periodista Norte", notes="Amenazas por WhatsApp"
        )
        contact = SupportContact.objects.create(
            organization=self.org,
            person=person,
            name="Hermana Lucía",
            email="lucia@example.org",
            accepts_email=True,
        )
        deadline = timezone.now() + datetime.timedelta(hours=9)
        measure = ProtectionMeasure.objects.create(
            organization=self.org,
            person=person,
            category="urgent",
            kind="panic_button",
            granted_at=timezone.now(),
            implement_by=deadline,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT display_name, notes FROM protection_personatrisk WHERE id = %s",
                [person.pk],
            )
            stored = cursor.fetchone()
            cursor.execute(
                "SELECT name, email FROM protection_supportcontact WHERE id = %s", [contact.pk]
            )
            stored += cursor.fetchone()
            cursor.execute(
                "SELECT kind, implement_by FROM protection_protectionmeasure WHERE id = %s",
                [measure.pk],
            )
            stored += cursor.fetchone()
        for value in stored:
            self.assertTrue(value.startswith("mv1:"), value)
        measure = ProtectionMeasure.objects.get(pk=measure.pk)
        self.assertEqual(measure.implement_by, deadline)
        self.assertEqual(measure.kind, "panic_button")
        self.assertEqual(SupportContact.objects.get(pk=contact.pk).channels, ["email"])
