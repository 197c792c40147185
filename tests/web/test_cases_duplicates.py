"""A person already recorded is offered before a second one is created, and relatives
are entered in the victim step of a new case."""

from __future__ import annotations

import datetime

from memoria.audit.models import AuditEntry
from memoria.cases.models import Act, IndirectVictim, Person
from tests.web.cases_fixtures import CaseFixtures, term, victim_data

MARIA = {
    "given_names": "María Guadalupe",
    "paternal_surname": "Hernández",
    "maternal_surname": "Ramírez",
    "birth_date": datetime.date(1985, 6, 2),
    "birth_precision": "day",
}
TYPED = {
    "given_names": "Maria Guadalupe",
    "paternal_surname": "Hernandez",
    "maternal_surname": "Ramirez",
    "birth_year": "1985",
    "birth_month": "6",
    "birth_day": "2",
}


class DuplicatePersonTests(CaseFixtures):
    def setUp(self):
        self.first = self.make_case(title="Primer hecho")
        self.maria = self.add_victim(self.first, **MARIA).victim
        self.case = self.make_case(title="Segundo hecho")
        self.url = f"/o/{self.org.slug}/cases/{self.case.pk}/victims/new/"
        self.client.force_login(self.documenter)

    def people(self) -> int:
        return Person.objects.filter(organization=self.org).count()

    def test_it_shows_the_likely_match_instead_of_creating_a_second_person(self):
        response = self.client.post(self.url, victim_data(**TYPED, next="sources"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "María Guadalupe Hernández Ramírez")
        self.assertContains(response, f"#{self.first.number}")
        self.assertContains(response, f'name="same_person" value="{self.maria.pk}"')
        self.assertContains(response, 'name="different_person"')
        self.assertEqual(self.people(), 1)
        self.assertFalse(Act.objects.filter(event=self.case).exists())
        entry = AuditEntry.objects.filter(action="person.matches").latest("id")
        self.assertEqual(entry.actor, self.documenter)

    def test_it_links_the_same_person_to_the_case(self):
        data = victim_data(**TYPED, same_person=self.maria.pk)
        response = self.client.post(self.url, data)
        self.assertRedirects(response, self.url)  # which lists her, to add her relatives
        self.assertEqual(self.people(), 1)
        act = Act.objects.get(event=self.case)
        self.assertEqual(act.victim, self.maria)
        self.assertEqual(act.violation_type.code, "enforced_disappearance")
        self.assertTrue(AuditEntry.objects.filter(action="act.create").exists())

    def test_it_records_a_different_person_once_the_documenter_says_so(self):
        data = victim_data(**TYPED, different_person="1", next="sources")
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.people(), 2)

    def test_it_asks_nothing_for_a_name_nobody_has(self):
        data = victim_data(given_names="Pedro", paternal_surname="Sánchez", maternal_surname="")
        response = self.client.post(self.url, {**data, "next": "sources"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.people(), 2)
        self.assertFalse(AuditEntry.objects.filter(action="person.matches").exists())

    def test_it_refuses_to_link_a_person_of_another_organization(self):
        theirs = self.make_case(self.other_org)
        stranger = self.add_victim(theirs, **MARIA).victim
        response = self.client.post(self.url, victim_data(**TYPED, same_person=stranger.pk))
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Act.objects.filter(event=self.case).exists())

    def test_it_finds_matches_as_the_name_is_typed_by_post_only(self):
        url = f"/o/{self.org.slug}/people/matches/"
        response = self.client.post(url, {**TYPED, "choose": "on"})
        self.assertContains(response, "María Guadalupe Hernández Ramírez")
        self.assertContains(response, f'name="same_person" value="{self.maria.pk}"')
        self.assertContains(response, 'type="checkbox" name="different_person"')
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(self.client.get(url, TYPED).status_code, 405)
        self.assertTrue(AuditEntry.objects.filter(action="person.matches").exists())
        # Editing María herself: she is not her own duplicate.
        response = self.client.post(url, {**TYPED, "exclude": self.maria.pk})
        self.assertNotContains(response, "Hernández Ramírez")
        # One word alone matches too many people to ask anything.
        response = self.client.post(url, {"given_names": "María"})
        self.assertNotContains(response, "Hernández")

    def test_it_offers_a_person_by_the_same_curp_and_not_by_one_shared_word(self):
        url = f"/o/{self.org.slug}/people/matches/"
        curp = "HERG850602MCHRMD08"
        juana = self.add_victim(self.first, given_names="Juana", curp=curp).victim
        response = self.client.post(url, {"given_names": "Jane", "curp": curp})
        self.assertContains(response, f'value="{juana.pk}"', count=0)  # not a chooser here
        self.assertContains(response, f"/people/{juana.pk}/")
        response = self.client.post(url, {"given_names": "María", "paternal_surname": "López"})
        self.assertNotContains(response, "Hernández")

    def test_only_members_who_may_edit_look_for_matches(self):
        url = f"/o/{self.org.slug}/people/matches/"
        self.client.force_login(self.reader)
        self.assertEqual(self.client.post(url, TYPED).status_code, 403)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.post(url, TYPED).status_code, 404)


class RelativesInTheWizardTests(CaseFixtures):
    def setUp(self):
        self.case = self.make_case(title="Desaparición en la carretera")
        self.client.force_login(self.documenter)
        self.base = f"/o/{self.org.slug}/cases/{self.case.pk}"

    def relative_data(self, victim, **overrides) -> dict:
        data = {
            "direct_victim": victim.pk,
            "relationship": term("relationship", "mother").pk,
            "given_names": "Rosa",
            "paternal_surname": "Ramírez",
            "maternal_surname": "Luna",
            "sex": "female",
            "is_searching_relative": "on",
            "consent_recorded": "on",
            "consent_note": "Ella misma, en la entrevista del 3 de diciembre.",
        }
        data.update(overrides)
        return data

    def test_it_adds_a_relative_from_the_victim_step_and_goes_on(self):
        response = self.client.post(
            f"{self.base}/victims/new/",
            victim_data(given_names="Juan", paternal_surname="Pérez", next="relative"),
        )
        juan = Act.objects.get(event=self.case).victim
        relative_url = f"{self.base}/relatives/new/?step=victims&victim={juan.pk}"
        self.assertRedirects(response, relative_url)
        form = self.client.get(relative_url)
        self.assertContains(form, f'<option value="{juan.pk}" selected>')
        self.assertContains(form, 'aria-current="step"')
        response = self.client.post(relative_url, self.relative_data(juan, next="sources"))
        self.assertRedirects(response, f"{self.base}/sources/new/")
        relative = IndirectVictim.objects.get(event=self.case)
        self.assertEqual((relative.direct_victim, relative.relationship.code), (juan, "mother"))
        rosa = relative.person
        self.assertTrue(rosa.is_searching_relative)
        self.assertIsNotNone(rosa.consent_recorded_at)
        self.assertEqual(rosa.consent_note, "Ella misma, en la entrevista del 3 de diciembre.")
        # The victim step lists the victim with their relative, and offers another.
        step = self.client.get(f"{self.base}/victims/new/")
        self.assertContains(step, "Rosa Ramírez Luna")
        self.assertContains(step, f"/relatives/new/?step=victims&amp;victim={juan.pk}")

    def test_a_relative_already_recorded_is_linked_not_copied(self):
        juan = self.add_victim(self.case, given_names="Juan", paternal_surname="Pérez").victim
        other = self.make_case(title="Otro hecho")
        pedro = self.add_victim(other, given_names="Pedro", paternal_surname="Pérez").victim
        rosa = actions_add_relative(other, pedro, self.documenter)
        url = f"{self.base}/relatives/new/?step=victims&victim={juan.pk}"
        response = self.client.post(url, self.relative_data(juan, next="sources"))
        self.assertContains(response, f'name="same_person" value="{rosa.pk}"')
        self.assertContains(response, f"#{other.number}")
        response = self.client.post(
            url, self.relative_data(juan, next="victim", same_person=rosa.pk)
        )
        self.assertRedirects(response, f"{self.base}/victims/new/")
        relative = IndirectVictim.objects.get(event=self.case)
        self.assertEqual(relative.person, rosa)
        self.assertEqual(Person.objects.filter(organization=self.org).count(), 3)
        self.assertTrue(AuditEntry.objects.filter(action="relative.create").exists())

    def test_a_victim_is_never_offered_nor_linked_as_their_own_relative(self):
        ana = self.add_victim(
            self.case, given_names="Ana", paternal_surname="Ramírez", maternal_surname="Luna"
        ).victim
        url = f"{self.base}/relatives/new/?step=victims&victim={ana.pk}"
        # Her mother shares both surnames: Ana herself is not a likely match.
        data = self.relative_data(ana, next="sources")
        data.update(given_names="Rosa", paternal_surname="Ramírez", maternal_surname="Luna")
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)  # nobody to ask about: Rosa is recorded
        self.assertEqual(IndirectVictim.objects.filter(event=self.case).count(), 1)
        # Ana posted as the same person anyway (a stale page, a crafted form): refused.
        response = self.client.post(url, {**data, "same_person": ana.pk})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "no puede registrarse como su propio familiar")
        self.assertEqual(IndirectVictim.objects.filter(event=self.case).count(), 1)

    def test_the_same_relative_is_not_linked_twice_to_one_victim(self):
        juan = self.add_victim(self.case, given_names="Juan", paternal_surname="Pérez").victim
        rosa = actions_add_relative(self.case, juan, self.documenter)
        url = f"{self.base}/relatives/new/?step=victims&victim={juan.pk}"
        response = self.client.post(url, self.relative_data(juan, same_person=rosa.pk))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "ya está registrada como familiar de esta víctima")
        self.assertEqual(IndirectVictim.objects.filter(event=self.case).count(), 1)


def actions_add_relative(event, victim, actor) -> Person:
    from memoria.cases import actions

    data = {"given_names": "Rosa", "paternal_surname": "Ramírez", "maternal_surname": "Luna"}
    relationship = term("relationship", "mother")
    return actions.add_indirect_victim(event, actor, victim, relationship, data).person
