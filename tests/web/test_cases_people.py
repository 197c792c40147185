"""The people of a case: memorial consent, relatives, other cases, more violations."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.audit.models import AuditEntry
from memoria.cases import actions
from memoria.cases.models import (
    Attachment,
    Attribution,
    Change,
    IndirectVictim,
    Intervention,
    Person,
)
from tests.web.cases_fixtures import CaseFixtures, term, victim_data


class PeopleTests(CaseFixtures):
    def test_it_shows_a_name_in_the_memorial_only_with_recorded_consent(self):
        event = self.make_case()
        self.client.force_login(self.documenter)
        url = f"/o/{self.org.slug}/cases/{event.pk}/victims/new/"
        response = self.client.post(url, victim_data(visibility="memorial"))
        self.assertContains(response, "consentimiento registrado de la familia")
        self.assertFalse(Person.objects.exists())
        self.client.post(
            url,
            victim_data(
                visibility="memorial", consent_recorded="on", consent_note="La madre, por escrito."
            ),
        )
        person = Person.objects.get()
        self.assertEqual(person.visibility, "memorial")
        self.assertIsNotNone(person.consent_recorded_at)

    def test_it_withdraws_consent_and_takes_the_name_out_of_the_memorial(self):
        event = self.make_case()
        person = self.add_victim(
            event, given_names="Ana", paternal_surname="Ríos", visibility="memorial",
            consent_recorded=True,
        ).victim  # fmt: skip
        self.assertIsNotNone(person.consent_recorded_at)
        self.client.force_login(self.documenter)
        url = f"/o/{self.org.slug}/people/{person.pk}/edit/"
        data = {"given_names": "Ana", "paternal_surname": "Ríos", "sex": "unknown",
                "visibility": "memorial", "version": person.version}  # fmt: skip
        # Consent unticked, still public by name: refused, with the reason.
        response = self.client.post(url, data)
        self.assertContains(response, "Sin consentimiento el nombre no puede seguir público")
        person.refresh_from_db()
        self.assertEqual(person.visibility, "memorial")
        # Unticked with another visibility: the consent is withdrawn.
        response = self.client.post(url, {**data, "visibility": "private"})
        self.assertRedirects(response, f"/o/{self.org.slug}/people/{person.pk}/")
        person.refresh_from_db()
        self.assertIsNone(person.consent_recorded_at)
        self.assertEqual(person.visibility, "private")
        self.assertContains(
            self.client.get(f"/o/{self.org.slug}/people/{person.pk}/"),
            "Consentimiento</dt><dd>Sin registrar.",
        )
        change = Change.objects.filter(kind="person", action="changed").get()
        self.assertIsNone(change.changes["consent_recorded_at"][1])

    def test_it_lowers_a_memorial_visibility_when_consent_is_withdrawn_in_the_action(self):
        event = self.make_case()
        person = self.add_victim(
            event, given_names="Ana", visibility="memorial", consent_recorded=True
        ).victim
        actions.update_person(
            person, self.coordinator, {"consent_recorded": False}, version=person.version
        )
        person.refresh_from_db()
        self.assertEqual((person.visibility, person.consent_recorded_at), ("private", None))
        change = Change.objects.filter(kind="person", action="changed").get()
        self.assertEqual(change.changes["visibility"], ["memorial", "private"])

    def make_relative(self, event, victim) -> IndirectVictim:
        return actions.add_indirect_victim(
            event,
            self.documenter,
            victim,
            term("relationship", "mother"),
            {"given_names": "Rosa", "paternal_surname": "López", "sex": "female"},
        )

    def test_it_edits_whose_relative_someone_is_and_how(self):
        event = self.make_case()
        juan = self.add_victim(event, given_names="Juan", paternal_surname="Pérez").victim
        pedro = self.add_victim(event, given_names="Pedro", paternal_surname="Pérez").victim
        relative = self.make_relative(event, juan)
        self.client.force_login(self.documenter)
        url = f"/o/{self.org.slug}/cases/{event.pk}/relatives/{relative.pk}/"
        page = self.client.get(url)
        self.assertContains(page, "Rosa López")
        self.assertContains(page, "Parentesco")
        response = self.client.post(
            url,
            {
                "direct_victim": pedro.pk,
                "relationship": term("relationship", "sister").pk,
                "version": relative.version,
            },
        )
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/{event.pk}/")
        relative.refresh_from_db()
        self.assertEqual(relative.direct_victim, pedro)
        self.assertEqual(relative.relationship.code, "sister")
        change = Change.objects.filter(kind="indirectvictim", action="changed").get()
        self.assertEqual(set(change.changes), {"direct_victim", "relationship"})
        self.assertTrue(AuditEntry.objects.filter(action="relative.update").exists())
        case_page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertContains(case_page, url)

    def test_it_shows_the_conflict_when_a_relative_changed_meanwhile(self):
        event = self.make_case()
        juan = self.add_victim(event, given_names="Juan", paternal_surname="Pérez").victim
        relative = self.make_relative(event, juan)
        stale = relative.version
        actions.update_indirect_victim(
            relative, self.coordinator, {"relationship": term("relationship", "sister")}, stale
        )
        self.client.force_login(self.documenter)
        response = self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/relatives/{relative.pk}/",
            {
                "direct_victim": juan.pk,
                "relationship": term("relationship", "daughter").pk,
                "version": stale,
            },
        )
        self.assertEqual(response.status_code, 409)
        relative.refresh_from_db()
        self.assertEqual(relative.relationship.code, "sister")

    def test_it_adds_a_registered_person_to_another_case(self):
        first = self.make_case(title="Primer hecho")
        juan = self.add_victim(first, given_names="Juan", paternal_surname="Pérez").victim
        second = self.make_case(title="Segundo hecho")
        theirs = self.make_case(self.other_org)
        self.client.force_login(self.documenter)
        person_page = self.client.get(f"/o/{self.org.slug}/people/{juan.pk}/")
        url = f"/o/{self.org.slug}/people/{juan.pk}/to-case/"
        self.assertContains(person_page, url)
        for number in (999, theirs.number + 100):
            with self.subTest(number=number):
                response = self.client.get(url, {"number": number})
                self.assertContains(response, f"No hay un caso #{number}.")
        response = self.client.get(url, {"number": second.number})
        act_url = f"/o/{self.org.slug}/cases/{second.pk}/people/{juan.pk}/acts/new/"
        self.assertRedirects(response, act_url)
        self.client.post(
            act_url,
            {
                "violation_type": term("violation_type", "torture").pk,
                "situation": "",
                "description": "",
            },
        )
        self.assertEqual(Person.objects.filter(organization=self.org).count(), 1)
        titles = sorted(act.event.title for act in juan.acts.select_related("event"))
        self.assertEqual(titles, ["Primer hecho", "Segundo hecho"])

    def test_it_lets_readers_see_but_not_edit_a_relative(self):
        event = self.make_case()
        juan = self.add_victim(event, given_names="Juan", paternal_surname="Pérez").victim
        relative = self.make_relative(event, juan)
        self.client.force_login(self.reader)
        url = f"/o/{self.org.slug}/cases/{event.pk}/relatives/{relative.pk}/"
        self.assertEqual(self.client.get(url).status_code, 403)
        self.assertNotContains(self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/"), url)

    def test_it_records_relatives_interventions_and_attachments(self):
        event = self.make_case()
        act = self.add_victim(event, given_names="Juan", paternal_surname="Pérez")
        self.client.force_login(self.documenter)
        base = f"/o/{self.org.slug}/cases/{event.pk}"
        response = self.client.post(
            f"{base}/relatives/new/",
            {
                "direct_victim": act.victim.pk,
                "relationship": term("relationship", "mother").pk,
                "given_names": "Rosa",
                "paternal_surname": "López",
                "sex": "female",
                "is_searching_relative": "on",
            },
        )
        self.assertRedirects(response, f"{base}/")
        relative = IndirectVictim.objects.get(event=event)
        self.assertEqual(relative.person.full_name, "Rosa López")
        self.assertTrue(relative.person.is_searching_relative)

        self.client.post(
            f"{base}/interventions/new/",
            {
                "kind": term("intervention_kind", "complaint_prosecutor").pk,
                "victim": act.victim.pk,
                "authority": "Fiscalía General del Estado",
                "folio": "FGE/CHIH/2019/00123",
                "date": "2019-03-16",
            },
        )
        self.assertEqual(Intervention.objects.get(event=event).folio, "FGE/CHIH/2019/00123")

        upload = SimpleUploadedFile("acta.txt", b"contenido del acta", content_type="text/plain")
        self.client.post(
            f"{base}/sources/new/",
            {
                "kind": term("source_kind", "official_document").pk,
                "reliability": "high",
                "attachment": upload,
                "next": "done",
            },
        )
        attachment = Attachment.objects.get()
        self.assertEqual(attachment.filename, "acta.txt")

        page = self.client.get(f"{base}/")
        self.assertContains(page, "Rosa López")
        self.assertContains(page, "Madre de Juan Pérez")
        self.assertContains(page, "FGE/CHIH/2019/00123")
        self.assertContains(page, "acta.txt")
        download = self.client.get(f"{base}/attachments/{attachment.pk}/")
        self.assertEqual(download.content, b"contenido del acta")
        self.assertEqual(download["Content-Disposition"], 'attachment; filename="acta.txt"')
        self.assertEqual(download["Content-Type"], "application/octet-stream")

    def test_it_adds_another_violation_and_perpetrator_to_a_victim(self):
        event = self.make_case()
        act = self.add_victim(event, given_names="Juan", paternal_surname="Pérez")
        self.client.force_login(self.documenter)
        base = f"/o/{self.org.slug}/cases/{event.pk}"
        self.client.post(
            f"{base}/people/{act.victim.pk}/acts/new/",
            {"violation_type": term("violation_type", "torture").pk},
        )
        self.client.post(
            f"{base}/acts/{act.pk}/perpetrators/new/",
            {
                "perpetrator_kind": term("perpetrator_kind", "army").pk,
                "group_name": "Batallón 35",
                "confidence": "low",
            },
        )
        self.assertEqual(act.victim.acts.count(), 2)
        self.assertEqual(Attribution.objects.get(act=act).group_name, "Batallón 35")
        page = self.client.get(f"{base}/")
        self.assertContains(page, "Tortura")
        self.assertContains(page, "Ejército (Batallón 35)")
