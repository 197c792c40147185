"""Editing and removing the parts of a case: stale saves, conflicts, removal."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.cases import actions
from memoria.cases.models import (
    Act,
    Attachment,
    Attribution,
    Change,
    Person,
)
from tests.web.cases_fixtures import CaseFixtures, event_data, term


class ConcurrentEditTests(CaseFixtures):
    def test_it_refuses_a_stale_save_and_shows_both_values(self):
        event = self.make_case(title="Título original")
        url = f"/o/{self.org.slug}/cases/{event.pk}/edit/"
        self.client.force_login(self.documenter)
        form = self.client.get(url).context["form"]
        version = form["version"].value()
        # The coordinator saves first, from another browser.
        self.client.force_login(self.coordinator)
        self.client.post(url, event_data(title="Título de la coordinadora", version=version))
        # The documenter's save started from the old version.
        self.client.force_login(self.documenter)
        response = self.client.post(
            url, event_data(title="Título del documentador", version=version)
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "Alguien más guardó este registro", status_code=409)
        self.assertContains(response, "Título de la coordinadora", status_code=409)
        self.assertContains(response, "Título del documentador", status_code=409)
        self.assertContains(response, "Alicia Coordinadora", status_code=409)
        event.refresh_from_db()
        self.assertEqual(event.title, "Título de la coordinadora")
        self.assertEqual(event.version, 2)
        # Saving again, having seen the conflict, is deliberate and wins.
        new_version = response.context["form"]["version"].value()
        response = self.client.post(
            url, event_data(title="Título del documentador", version=new_version)
        )
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/{event.pk}/")
        event.refresh_from_db()
        self.assertEqual(event.title, "Título del documentador")
        self.assertEqual(event.version, 3)

    def test_it_refuses_a_stale_edit_of_a_person(self):
        event = self.make_case()
        person = self.add_victim(event, given_names="Ana", paternal_surname="Ríos").victim
        actions.update_person(
            person, self.coordinator, {"given_names": "Ana María"}, version=person.version
        )
        self.client.force_login(self.documenter)
        response = self.client.post(
            f"/o/{self.org.slug}/people/{person.pk}/edit/",
            {"given_names": "Anita", "paternal_surname": "Ríos", "sex": "female",
             "visibility": "private", "version": 1},
        )  # fmt: skip
        self.assertContains(response, "Ana María", status_code=409)
        person.refresh_from_db()
        self.assertEqual(person.given_names, "Ana María")

    def test_it_detects_the_conflict_in_the_action_itself(self):
        event = self.make_case()
        act = self.add_victim(event, given_names="Ana").victim.acts.get()
        torture = term("violation_type", "torture")
        actions.update_act(act, self.coordinator, {"violation_type": torture}, version=1)
        with self.assertRaises(actions.ConflictError) as raised:
            actions.update_act(
                act,
                self.documenter,
                {"violation_type": term("violation_type", "threat")},
                version=1,
            )
        self.assertEqual([d.field for d in raised.exception.differences], ["violation_type"])
        act.refresh_from_db()
        self.assertEqual(act.violation_type, torture)


class RemovalTests(CaseFixtures):
    def test_it_removes_a_mistaken_act_but_keeps_the_person_and_the_history(self):
        event = self.make_case()
        act = self.add_victim(event, given_names="Ana", perpetrator="army")
        self.client.force_login(self.documenter)
        url = f"/o/{self.org.slug}/cases/{event.pk}/act/{act.pk}/remove/"
        self.assertContains(self.client.get(url), "¿Quitar del caso?")
        response = self.client.post(url, {"version": act.version})
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertFalse(Act.objects.exists())
        self.assertFalse(Attribution.objects.exists())
        self.assertTrue(Person.objects.filter(given_names__isnull=False).exists())
        removed = Change.objects.filter(action="deleted")
        self.assertEqual(set(removed.values_list("kind", flat=True)), {"act", "attribution"})
        self.assertEqual(removed.get(kind="act").changes["violation_type"], ["Homicidio", None])

    def test_it_refuses_to_remove_a_record_changed_meanwhile(self):
        event = self.make_case()
        act = self.add_victim(event, given_names="Ana")
        actions.update_act(
            act, self.coordinator, {"violation_type": term("violation_type", "threat")}, 1
        )
        self.client.force_login(self.documenter)
        self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/act/{act.pk}/remove/", {"version": 1}
        )
        self.assertTrue(Act.objects.filter(pk=act.pk).exists())

    def test_it_keeps_in_the_history_the_files_removed_with_their_source(self):
        event = self.make_case()
        source = actions.add_source(
            event,
            self.documenter,
            {"kind": term("source_kind", "press"), "reliability": "unknown"},
            SimpleUploadedFile("nota.pdf", b"%PDF-1.4"),
        )
        self.client.force_login(self.documenter)
        url = f"/o/{self.org.slug}/cases/{event.pk}/source/{source.pk}/remove/"
        self.client.post(url, {"version": source.version})
        self.assertFalse(Attachment.objects.exists())
        removed = Change.objects.filter(action="deleted")
        self.assertEqual(set(removed.values_list("kind", flat=True)), {"source", "attachment"})
        self.assertEqual(removed.get(kind="attachment").changes["filename"], ["nota.pdf", None])

    def test_it_answers_404_for_unknown_kinds_and_other_cases(self):
        event, other = self.make_case(), self.make_case()
        act = self.add_victim(other, given_names="Ana")
        self.client.force_login(self.documenter)
        for path in (
            f"/o/{self.org.slug}/cases/{event.pk}/act/{act.pk}/remove/",
            f"/o/{self.org.slug}/cases/{other.pk}/person/{act.victim.pk}/remove/",
        ):
            with self.subTest(path=path):
                self.assertEqual(self.client.post(path, {"version": 1}).status_code, 404)
