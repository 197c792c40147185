"""Recording a case through its pages: the event, its victim and source, validation."""

from __future__ import annotations

import datetime

from memoria.cases.caseindex import indexed_month
from memoria.cases.models import (
    Act,
    Attribution,
    Event,
    Person,
    Source,
)
from memoria.names.curp import curp_check_digit
from tests.web.cases_fixtures import CaseFixtures, event_data, term, victim_data


class CreateCaseTests(CaseFixtures):
    def test_it_records_an_event_with_a_victim_and_a_source_in_three_steps(self):
        self.client.force_login(self.documenter)
        response = self.client.post(f"/o/{self.org.slug}/cases/new/", event_data())
        event = Event.objects.get(organization=self.org)
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/{event.pk}/victims/new/")
        self.assertEqual(event.number, 1)
        self.assertEqual(indexed_month(event), datetime.date(2019, 3, 1))
        self.assertEqual(event.start_precision, "day")
        self.assertEqual(event.state_id, "08")

        response = self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/victims/new/", victim_data(next="sources")
        )
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/{event.pk}/sources/new/")
        act = Act.objects.get(event=event)
        self.assertEqual(act.victim.full_name, "María Guadalupe Hernández Ruiz")
        self.assertEqual(act.victim.age_band, "18-29")  # born 1990, taken in 2019
        self.assertTrue(act.victim.is_searching_relative)
        self.assertEqual(Attribution.objects.get(act=act).kind.code, "municipal_police")

        response = self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/sources/new/",
            {
                "kind": term("source_kind", "testimony").pk,
                "reliability": "high",
                "summary": "La madre vio cuando se la llevaron.",
                "acts": [act.pk],
                "next": "done",
            },
        )
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertEqual(list(Source.objects.get(event=event).acts.all()), [act])

        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertContains(page, "Desaparición en la carretera a Cuauhtémoc")
        self.assertContains(page, "María Guadalupe Hernández Ruiz")
        self.assertContains(page, "Desaparición forzada")
        self.assertContains(page, "Sigue desaparecida")
        self.assertContains(page, "Policía municipal")
        self.assertContains(page, "La madre vio cuando se la llevaron.")
        self.assertContains(page, "14 de marzo de 2019")

    def test_it_numbers_cases_per_organization(self):
        self.make_case()
        self.make_case()
        other = self.make_case(self.other_org)
        self.assertEqual(
            list(Event.objects.filter(organization=self.org).values_list("number", flat=True)),
            [2, 1],
        )
        self.assertEqual(other.number, 1)

    def test_it_keeps_a_date_only_as_precise_as_it_is_known(self):
        self.client.force_login(self.documenter)
        self.client.post(
            f"/o/{self.org.slug}/cases/new/",
            event_data(start_day="", start_month="", start_year="2011"),
        )
        event = Event.objects.get(organization=self.org)
        self.assertEqual(event.start_precision, "year")
        self.assertEqual(indexed_month(event), datetime.date(2011, 1, 1))
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertContains(page, "2011")
        self.assertNotContains(page, "1 de enero de 2011")

    def test_it_explains_what_is_wrong_with_an_event(self):
        self.client.force_login(self.documenter)
        response = self.client.post(
            f"/o/{self.org.slug}/cases/new/",
            event_data(title="", start_day="31", start_month="2", municipality="14039"),
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Este campo es obligatorio")
        self.assertContains(response, "no tiene ese día")
        self.assertFalse(Event.objects.exists())

    def test_it_refuses_an_end_before_the_start(self):
        self.client.force_login(self.documenter)
        response = self.client.post(f"/o/{self.org.slug}/cases/new/", event_data(end_year="2018"))
        self.assertContains(response, "no puede ser anterior al inicio")
        self.assertFalse(Event.objects.exists())

    def test_it_asks_for_at_least_a_name_or_an_alias(self):
        event = self.make_case()
        self.client.force_login(self.documenter)
        response = self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/victims/new/",
            victim_data(given_names="", paternal_surname="", maternal_surname=""),
        )
        self.assertContains(response, "al menos un nombre, un apellido o un alias")
        self.assertFalse(Person.objects.exists())

    def test_it_accepts_an_unnamed_victim_known_by_an_alias(self):
        event = self.make_case()
        self.client.force_login(self.documenter)
        self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/victims/new/",
            victim_data(
                given_names="", paternal_surname="", maternal_surname="", aliases="El Güero"
            ),
        )
        self.assertEqual(Person.objects.get().aliases, "El Güero")

    def test_it_validates_the_curp(self):
        event = self.make_case()
        self.client.force_login(self.documenter)
        first17 = "HERG900101MCHRZD0"
        valid = first17 + str(curp_check_digit(first17))
        wrong_digit = first17 + str((curp_check_digit(first17) + 1) % 10)
        url = f"/o/{self.org.slug}/cases/{event.pk}/victims/new/"
        response = self.client.post(url, victim_data(curp=wrong_digit))
        self.assertContains(response, "no es una CURP válida")
        response = self.client.post(url, victim_data(curp="ABC123"))
        self.assertContains(response, "no es una CURP válida")
        self.client.post(url, victim_data(curp=valid.lower()))
        self.assertEqual(Person.objects.get().curp, valid)


class InterventionOrderTests(CaseFixtures):
    def test_the_case_page_lists_interventions_by_date_undated_last(self):
        """Their dates are encrypted, so the page sorts them, not the database."""
        from memoria.cases import actions

        event = self.make_case()
        complaint = term("intervention_kind", "complaint_prosecutor")
        for authority, date in (
            ("Sin fecha", None),
            ("Segunda", datetime.date(2019, 5, 2)),
            ("Primera", datetime.date(2019, 3, 20)),
        ):
            actions.add_intervention(
                event, self.documenter, {"kind": complaint, "authority": authority, "date": date}
            )
        self.client.force_login(self.documenter)
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/").content.decode()
        positions = [page.index(name) for name in ("Primera", "Segunda", "Sin fecha")]
        self.assertEqual(positions, sorted(positions))
