"""Case documentation through its pages: record, find, edit, history, figures."""

from __future__ import annotations

import datetime
import io
from contextlib import redirect_stdout
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from memoria.audit.log import seal_pending
from memoria.audit.models import AuditEntry
from memoria.cases import actions
from memoria.cases.forms import curp_check_digit
from memoria.cases.models import (
    Act,
    Attachment,
    Attribution,
    Change,
    Event,
    IndirectVictim,
    Intervention,
    Person,
    PersonSearchToken,
    Source,
    Term,
    Vocabulary,
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


class CaseFixtures(MemoriaTestCase):
    """A few cases recorded through the actions, as a documenter would."""

    def make_case(self, organization=None, *, victim=None, **event_overrides) -> Event:
        organization = organization or self.org
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
        data.update(event_overrides)
        event = actions.register_case(organization, self.documenter, data)
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


class CreateCaseTests(CaseFixtures):
    def test_it_records_an_event_with_a_victim_and_a_source_in_three_steps(self):
        self.client.force_login(self.documenter)
        response = self.client.post(f"/o/{self.org.slug}/cases/new/", event_data())
        event = Event.objects.get(organization=self.org)
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/{event.pk}/victims/new/")
        self.assertEqual(event.number, 1)
        self.assertEqual(event.start_month, datetime.date(2019, 3, 1))
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
        self.assertEqual(event.start_month, datetime.date(2011, 1, 1))
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

        from django.core.files.uploadedfile import SimpleUploadedFile

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


class AccessTests(CaseFixtures):
    def test_it_answers_404_for_another_organizations_case(self):
        theirs = self.make_case(self.other_org, victim={"given_names": "Ana"})
        person = Person.objects.get(organization=self.other_org)
        self.client.force_login(self.coordinator)
        for path in (
            f"/o/{self.org.slug}/cases/{theirs.pk}/",
            f"/o/{self.org.slug}/cases/{theirs.pk}/edit/",
            f"/o/{self.org.slug}/people/{person.pk}/",
            f"/o/{self.org.slug}/people/{person.pk}/edit/",
        ):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)

    def test_it_answers_404_for_a_record_of_another_case(self):
        first = self.make_case()
        second = self.make_case()
        act = self.add_victim(second, given_names="Ana")
        self.client.force_login(self.documenter)
        response = self.client.get(f"/o/{self.org.slug}/cases/{first.pk}/acts/{act.pk}/")
        self.assertEqual(response.status_code, 404)

    def test_it_lets_readers_read_but_not_edit(self):
        event = self.make_case()
        self.client.force_login(self.reader)
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "Editar el evento")
        self.assertEqual(self.client.get(f"/o/{self.org.slug}/cases/new/").status_code, 403)

    def test_it_audits_every_view_of_a_case_and_a_person_without_names(self):
        event = self.make_case(victim={"given_names": "Ana", "paternal_surname": "Zubiría"})
        person = Person.objects.get()
        self.client.force_login(self.reader)
        self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        self.client.get(f"/o/{self.org.slug}/people/{person.pk}/")
        entries = AuditEntry.objects.filter(actor_id=self.reader.pk)
        self.assertLessEqual(
            {"case.view", "person.view"}, set(entries.values_list("action", flat=True))
        )
        self.assertTrue(entries.filter(target_id=str(event.pk), action="case.view").exists())
        for entry in AuditEntry.objects.all():
            self.assertNotIn("Zubiría", str(entry.details))


class AuditTests(CaseFixtures):
    def actions_by(self, user) -> list[tuple[str, str]]:
        seal_pending()  # entries are chained (given their seq) after they are written
        entries = AuditEntry.objects.filter(actor_id=user.pk, target_type__startswith="cases.")
        entries = entries.order_by("seq")
        return list(entries.values_list("action", "target_type"))

    def test_it_audits_every_change_of_a_case_part(self):
        event = self.make_case()
        act = self.add_victim(event, given_names="Ana", paternal_surname="Zubiría")
        self.client.force_login(self.documenter)
        base = f"/o/{self.org.slug}/cases/{event.pk}"
        torture = term("violation_type", "torture").pk
        army = term("perpetrator_kind", "army").pk
        self.client.post(f"{base}/people/{act.victim.pk}/acts/new/", {"violation_type": torture})
        self.client.post(f"{base}/acts/{act.pk}/", {"violation_type": torture, "version": 1})
        self.client.post(
            f"{base}/acts/{act.pk}/perpetrators/new/",
            {"perpetrator_kind": army, "confidence": "low"},
        )
        attribution = Attribution.objects.filter(act=act).latest("pk")
        self.client.post(
            f"{base}/perpetrators/{attribution.pk}/",
            {"perpetrator_kind": army, "confidence": "high", "version": 1},
        )
        press = term("source_kind", "press").pk
        self.client.post(
            f"{base}/sources/new/",
            {"kind": press, "reliability": "high", "next": "done",
             "attachment": SimpleUploadedFile("nota.txt", b"nota")},
        )  # fmt: skip
        source = Source.objects.get(event=event)
        self.client.post(
            f"{base}/sources/{source.pk}/", {"kind": press, "reliability": "low", "version": 1}
        )
        self.client.post(
            f"{base}/sources/{source.pk}/attachments/new/",
            {"attachment": SimpleUploadedFile("acta.txt", b"acta")},
        )
        complaint = term("intervention_kind", "complaint_prosecutor").pk
        self.client.post(f"{base}/interventions/new/", {"kind": complaint})
        intervention = Intervention.objects.get(event=event)
        self.client.post(
            f"{base}/interventions/{intervention.pk}/",
            {"kind": complaint, "authority": "Fiscalía", "version": 1},
        )
        self.assertEqual(
            self.actions_by(self.documenter),
            [
                ("act.create", "cases.act"),
                ("act.update", "cases.act"),
                ("perpetrator.create", "cases.attribution"),
                ("perpetrator.update", "cases.attribution"),
                ("source.create", "cases.source"),
                ("attachment.create", "cases.attachment"),
                ("source.update", "cases.source"),
                ("attachment.create", "cases.attachment"),
                ("intervention.create", "cases.intervention"),
                ("intervention.update", "cases.intervention"),
            ],
        )
        for entry in AuditEntry.objects.all():
            self.assertNotIn("Zubiría", str(entry.details))

    def test_it_audits_changes_to_the_vocabularies(self):
        self.client.force_login(self.coordinator)
        self.client.post(
            f"/o/{self.org.slug}/vocabularies/violation_type/new/",
            {"code": "despojo", "label_es": "Despojo", "label_en": "Dispossession",
             "position": 200, "is_active": "on"},
        )  # fmt: skip
        own = Term.objects.get(code="despojo")
        self.client.post(
            f"/o/{self.org.slug}/vocabularies/terms/{own.pk}/",
            {"label_es": "Despojo de tierras", "label_en": "Land dispossession", "position": 1},
        )
        self.assertEqual(
            self.actions_by(self.coordinator),
            [("vocabulary.create", "cases.term"), ("vocabulary.update", "cases.term")],
        )

    def test_it_audits_edit_forms_that_show_identities(self):
        event = self.make_case()
        act = self.add_victim(
            event, given_names="Ana", paternal_surname="Zubiría", perpetrator="army"
        )
        attribution = Attribution.objects.get(act=act)
        source = actions.add_source(
            event, self.documenter, {"kind": term("source_kind", "press"), "reliability": "high"}
        )
        intervention = actions.add_intervention(
            event, self.documenter, {"kind": term("intervention_kind", "amparo")}
        )
        self.client.force_login(self.documenter)
        base = f"/o/{self.org.slug}/cases/{event.pk}"
        victim = ("person.view", "cases.person", str(act.victim.pk))
        case = ("case.view", "cases.event", str(event.pk))
        for path, expected in (
            (f"/o/{self.org.slug}/people/{act.victim.pk}/edit/", victim),
            (f"{base}/edit/", case),
            (f"{base}/acts/{act.pk}/", victim),
            (f"{base}/perpetrators/{attribution.pk}/", victim),
            (f"{base}/sources/{source.pk}/", case),
            (f"{base}/interventions/{intervention.pk}/", case),
        ):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                seal_pending()
                entry = AuditEntry.objects.filter(actor_id=self.documenter.pk).latest("seq")
                self.assertEqual((entry.action, entry.target_type, entry.target_id), expected)


class CaseListTests(CaseFixtures):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()

    def setUp(self):
        self.disappearance = self.make_case(
            title="Desaparición en Cuauhtémoc",
            start_date=datetime.date(2019, 3, 14),
            status="verified",
        )
        self.add_victim(
            self.disappearance,
            violation="enforced_disappearance",
            perpetrator="municipal_police",
            given_names="Pedro",
            is_journalist=True,
        )
        self.killing = self.make_case(
            title="Homicidio en Guadalajara",
            start_date=datetime.date(2012, 6, 2),
            state=State.objects.get(code="14"),
            municipality=Municipality.objects.get(cvegeo="14039"),
        )
        self.add_victim(self.killing, perpetrator="organized_crime", given_names="Luis")
        self.client.force_login(self.analyst)

    def titles(self, **params) -> list[str]:
        response = self.client.get(f"/o/{self.org.slug}/cases/", params)
        self.assertEqual(response.status_code, 200)
        return [event.title for event in response.context["events"]]

    def test_it_lists_the_organizations_cases_newest_first(self):
        self.make_case(self.other_org, title="Caso ajeno")
        self.assertEqual(self.titles(), ["Desaparición en Cuauhtémoc", "Homicidio en Guadalajara"])

    def test_it_filters_by_each_criterion(self):
        both = ["Desaparición en Cuauhtémoc", "Homicidio en Guadalajara"]
        cases = [
            ({"state": "14"}, ["Homicidio en Guadalajara"]),
            ({"state": "08", "municipality": "08017"}, ["Desaparición en Cuauhtémoc"]),
            ({"status": "verified"}, ["Desaparición en Cuauhtémoc"]),
            (
                {"violation_type": term("violation_type", "homicide").pk},
                ["Homicidio en Guadalajara"],
            ),
            (
                {"perpetrator_kind": term("perpetrator_kind", "municipal_police").pk},
                ["Desaparición en Cuauhtémoc"],
            ),
            ({"profile": "is_journalist"}, ["Desaparición en Cuauhtémoc"]),
            ({"date_from": "2019-01-01"}, ["Desaparición en Cuauhtémoc"]),
            ({"date_to": "2015-12-31"}, ["Homicidio en Guadalajara"]),
            ({"date_from": "2019-03-20", "date_to": "2019-03-31"}, ["Desaparición en Cuauhtémoc"]),
            ({"sort": "start"}, both[::-1]),
            ({"sort": "-number"}, both[::-1]),
        ]
        for params, expected in cases:
            with self.subTest(params=params):
                self.assertEqual(self.titles(**params), expected)

    def test_it_paginates(self):
        for _i in range(30):
            self.make_case(start_date=datetime.date(2000, 1, 1))
        first = self.client.get(f"/o/{self.org.slug}/cases/")
        self.assertContains(first, "32 casos")
        self.assertContains(first, "Página 1 de 2")
        self.assertEqual(len(first.context["events"]), 25)
        second = self.client.get(f"/o/{self.org.slug}/cases/", {"page": 2, "state": "08"})
        self.assertEqual(len(second.context["events"]), 6)

    def test_it_stops_counting_at_the_cap(self):
        from memoria.cases import listing

        for _i in range(4):
            self.make_case()
        with mock.patch.object(listing, "COUNT_CAP", 3):
            response = self.client.get(f"/o/{self.org.slug}/cases/")
        self.assertContains(response, "Más de 3 casos coinciden")

    def test_it_lists_undated_cases_last_whichever_the_order(self):
        self.make_case(title="Sin fecha", start_date=None, start_precision="unknown")
        self.assertEqual(self.titles()[-1], "Sin fecha")
        self.assertEqual(self.titles(sort="start")[-1], "Sin fecha")

    def test_it_sorts_by_state_in_inegi_order(self):
        self.make_case(title="En Zacatecas", state=State.objects.get(code="32"), municipality=None)
        self.make_case(title="En Coahuila", state=State.objects.get(code="05"), municipality=None)
        self.make_case(title="En Chiapas", state=State.objects.get(code="07"), municipality=None)
        self.make_case(title="Sin estado", state=None, municipality=None)
        titles = [title for title in self.titles(sort="state") if title.startswith(("En", "Sin"))]
        self.assertEqual(titles, ["En Coahuila", "En Chiapas", "En Zacatecas", "Sin estado"])

    def test_it_reaches_every_page_past_the_counting_cap(self):
        from memoria.cases import listing

        for year in range(2001, 2006):
            self.make_case(title=f"Caso de {year}", start_date=datetime.date(year, 1, 1))
        with mock.patch.object(listing, "COUNT_CAP", 3), mock.patch.object(listing, "PAGE_SIZE", 2):
            third = self.client.get(f"/o/{self.org.slug}/cases/", {"page": 3})
            last = self.client.get(f"/o/{self.org.slug}/cases/", {"page": 4})
        self.assertContains(third, "Más de 3 casos coinciden")
        self.assertContains(third, "Página 3")
        self.assertContains(third, 'rel="next"')
        self.assertEqual([e.title for e in last.context["events"]], ["Caso de 2001"])
        self.assertContains(last, "Página 4")
        self.assertNotContains(last, 'rel="next"')

    def test_it_shows_the_violations_on_the_list(self):
        response = self.client.get(f"/o/{self.org.slug}/cases/")
        self.assertContains(response, "Desaparición forzada (por agentes del Estado)")
        self.assertContains(response, "Guadalajara, Jalisco")


class PersonSearchTests(CaseFixtures):
    def setUp(self):
        event = self.make_case()
        self.lupe = self.add_victim(
            event,
            given_names="María Guadalupe",
            paternal_surname="Hernández",
            maternal_surname="Ruiz",
        ).victim
        self.other = self.add_victim(
            event, given_names="José", paternal_surname="González", aliases="El Chato"
        ).victim
        self.client.force_login(self.reader)

    def found(self, query: str) -> list[int]:
        response = self.client.get(f"/o/{self.org.slug}/people/", {"q": query})
        self.assertEqual(response.status_code, 200)
        return [person.pk for person in response.context["people"]]

    def test_it_tolerates_accents_typos_nicknames_and_surname_order(self):
        for query in (
            "maria guadalupe hernandez ruiz",
            "Lupe Hernández",
            "guadalupe hernandes",
            "Ruiz Hernández Guadalupe",
            "Guadalupe Hernandez",
            "GUADALUPE ERNANDEZ RUIS",
        ):
            with self.subTest(query=query):
                self.assertEqual(self.found(query)[0], self.lupe.pk)

    def test_it_narrows_by_pairs_of_words_but_falls_back_to_single_words(self):
        event = self.make_case()
        for given in ("Guadalupe", "Guadalupe", "Rosa"):
            self.add_victim(event, given_names=given, paternal_surname="Hernández")
        # A misspelt given name: the two surnames together still find her.
        self.assertEqual(self.found("Gudalupe Hernandez Ruiz")[0], self.lupe.pk)
        # Given name and surname together leave out Rosa Hernández.
        found = self.found("Lupe Hernández")
        self.assertEqual(len(found), 3)
        # No two words match together: single words still find people.
        self.assertIn(self.lupe.pk, self.found("Ruiz Xalapa"))

    def test_it_finds_a_person_by_their_curp(self):
        first17 = "HERG900101MCHRZD0"
        curp = first17 + str(curp_check_digit(first17))
        self.client.force_login(self.documenter)
        data = self.person_form_data(self.lupe, curp=curp)
        self.client.post(f"/o/{self.org.slug}/people/{self.lupe.pk}/edit/", data)
        self.client.force_login(self.reader)
        self.assertEqual(self.found(curp), [self.lupe.pk])
        self.assertEqual(self.found(f" {curp.lower()} "), [self.lupe.pk])
        self.assertEqual(self.found(f"Hernández {curp}")[0], self.lupe.pk)

    def test_it_finds_a_name_with_a_dropped_or_swapped_letter(self):
        for query, person in (
            ("Hernadez", self.lupe),
            ("Hernádnez", self.lupe),
            ("Guadalpue", self.lupe),
            ("Gonzlez", self.other),
        ):
            with self.subTest(query=query):
                self.assertEqual(self.found(query), [person.pk])

    def test_it_ranks_exact_and_phonetic_matches_above_typo_matches(self):
        event = self.make_case()
        fernandez = self.add_victim(event, given_names="Ana", paternal_surname="Fernández").victim
        hernandes = self.add_victim(event, given_names="Eva", paternal_surname="Hernandes").victim
        found = self.found("Hernández")
        self.assertEqual(set(found[:2]), {self.lupe.pk, hernandes.pk})
        self.assertEqual(found[2:], [fernandez.pk])

    def test_it_rebuilds_the_index_of_people_recorded_before_the_typo_keys(self):
        import argparse

        from memoria.cli import reindex

        PersonSearchToken.objects.filter(organization=self.org).delete()
        self.assertEqual(self.found("Hernadez"), [])
        parser = argparse.ArgumentParser(prog="memoria")
        reindex.register(parser.add_subparsers())
        args = parser.parse_args(["reindex", "--organization", self.org.slug, "--batch-size", "1"])
        with redirect_stdout(io.StringIO()) as out:
            self.assertEqual(args.handler(args), 0)
        self.assertIn("2 people", out.getvalue())
        self.assertEqual(self.found("Hernadez"), [self.lupe.pk])
        self.assertEqual(self.found("José González")[0], self.other.pk)
        entry = AuditEntry.objects.get(action="cases.reindex")
        self.assertEqual(entry.details, {"people": 2, "via": "cli"})

    def test_it_finds_by_alias(self):
        self.assertEqual(self.found("chato")[0], self.other.pk)

    def test_it_ranks_the_best_match_first_and_finds_nothing_for_strangers(self):
        self.assertEqual(self.found("José González")[0], self.other.pk)
        self.assertEqual(self.found("Wenceslao Yáñez"), [])

    def test_it_never_finds_another_organizations_people(self):
        self.make_case(
            self.other_org, victim={"given_names": "Guadalupe", "paternal_surname": "Hernández"}
        )
        self.assertEqual(self.found("Guadalupe Hernández"), [self.lupe.pk])

    def test_it_finds_a_person_under_their_new_name_after_an_edit(self):
        self.client.force_login(self.documenter)
        data = self.person_form_data(self.lupe, paternal_surname="Quintero")
        response = self.client.post(f"/o/{self.org.slug}/people/{self.lupe.pk}/edit/", data)
        self.assertRedirects(response, f"/o/{self.org.slug}/people/{self.lupe.pk}/")
        self.assertEqual(self.found("Guadalupe Quintero"), [self.lupe.pk])
        self.assertNotIn(self.lupe.pk, self.found("Hernández"))

    def person_form_data(self, person: Person, **overrides) -> dict:
        data = {
            "given_names": person.given_names,
            "paternal_surname": person.paternal_surname,
            "maternal_surname": person.maternal_surname,
            "sex": person.sex,
            "visibility": person.visibility,
            "version": person.version,
        }
        data.update(overrides)
        return data


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


class HistoryTests(CaseFixtures):
    def test_it_keeps_every_change_with_who_when_and_what(self):
        event = self.make_case(title="Primer título")
        person = self.add_victim(event, given_names="Ana", paternal_surname="Ríos").victim
        self.client.force_login(self.documenter)
        self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/edit/",
            event_data(title="Segundo título", status="verifying", version=1),
        )
        self.client.post(
            f"/o/{self.org.slug}/people/{person.pk}/edit/",
            {"given_names": "Ana", "paternal_surname": "Ríos Luna", "sex": "female",
             "visibility": "private", "version": 1},
        )  # fmt: skip
        change = Change.objects.filter(kind="event", action="changed").get()
        self.assertEqual(change.actor, self.documenter)
        self.assertEqual(change.changes["title"], ["Primer título", "Segundo título"])

        self.client.force_login(self.coordinator)
        self.client.reauthenticate()
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/history/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Daniel Documentador")
        self.assertContains(page, "Primer título")
        self.assertContains(page, "Segundo título")
        self.assertContains(page, "Bajo verificación")
        self.assertContains(page, "Ríos Luna")
        self.assertContains(page, "Apellido paterno")

    def test_it_shows_history_only_to_coordinators(self):
        event = self.make_case()
        for user in (self.documenter, self.analyst, self.reader):
            self.client.force_login(user)
            response = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/history/")
            self.assertEqual(response.status_code, 403)

    def test_it_asks_the_coordinator_to_confirm_who_they_are_first(self):
        event = self.make_case()
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/history/")
        self.assertEqual(response.status_code, 302)

    def test_it_records_no_change_when_nothing_changed(self):
        event = self.make_case()
        self.client.force_login(self.documenter)
        form = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/edit/").context["form"]
        data = {k: v for k, v in form.initial.items() if v not in (None, [])}
        data["version"] = 1
        data["title"] = event.title
        self.client.post(f"/o/{self.org.slug}/cases/{event.pk}/edit/", data)
        event.refresh_from_db()
        self.assertEqual(event.version, 1)
        self.assertEqual(Change.objects.filter(kind="event").count(), 1)


class StatisticsTests(CaseFixtures):
    def test_it_counts_by_month_violation_and_state_with_svg_charts(self):
        for day in (3, 20):
            self.make_case(
                start_date=datetime.date(2020, 5, day),
                victim={"given_names": "A", "paternal_surname": "Uno", "perpetrator": "army"},
            )
        self.make_case(start_date=datetime.date(2018, 1, 1), start_precision="year")
        self.client.force_login(self.reader)
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/")
        self.assertEqual(response.status_code, 200)
        context = response.context
        self.assertEqual(context["totals"]["events"], 3)
        self.assertEqual(context["totals"]["state_acts"], 2)
        months = {bar.label: bar.count for bar in context["by_month"].bars}
        self.assertEqual(months["mayo de 2020"], 2)
        self.assertEqual(context["without_month"], 1)
        violations = {bar.label: bar.count for bar in context["by_violation"].bars}
        self.assertEqual(violations, {"Homicidio": 2})
        self.assertEqual(
            [(bar.label, bar.count) for bar in context["by_state"].bars], [("Chihuahua", 3)]
        )
        self.assertContains(response, "<svg", count=4)
        self.assertContains(response, "Violaciones por tipo")
        self.assertContains(response, "no tiene mes conocido")

    def test_it_says_when_there_is_nothing_to_count(self):
        self.client.force_login(self.reader)
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/")
        self.assertContains(response, "Nada que contar todavía")


class VocabularyTests(CaseFixtures):
    def test_it_seeds_the_vocabularies_of_the_issue(self):
        violations = set(
            Term.objects.filter(vocabulary__code="violation_type").values_list("code", flat=True)
        )
        self.assertGreaterEqual(len(violations), 16)
        self.assertIn("femicide", violations)
        self.assertEqual(Term.objects.filter(vocabulary__code="perpetrator_kind").count(), 12)
        self.assertTrue(term("perpetrator_kind", "navy").state_actor)
        self.assertFalse(term("perpetrator_kind", "organized_crime").state_actor)

    def test_it_lets_a_coordinator_add_and_edit_a_term_of_their_own(self):
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/vocabularies/")
        self.assertContains(response, "Tipo de violación")
        self.assertContains(response, "Compartido por la red")
        response = self.client.post(
            f"/o/{self.org.slug}/vocabularies/violation_type/new/",
            {"code": "despojo", "label_es": "Despojo de tierras", "label_en": "Land dispossession",
             "position": 200, "is_active": "on"},
        )  # fmt: skip
        self.assertRedirects(response, f"/o/{self.org.slug}/vocabularies/")
        own = Term.objects.get(code="despojo")
        self.assertEqual(own.organization, self.org)
        self.client.post(
            f"/o/{self.org.slug}/vocabularies/terms/{own.pk}/",
            {"label_es": "Despojo", "label_en": "Dispossession", "position": 200},
        )
        own.refresh_from_db()
        self.assertEqual(own.label_es, "Despojo")
        self.assertFalse(own.is_active)

    def test_it_offers_an_organizations_terms_only_to_that_organization(self):
        violation = Vocabulary.objects.get(code="violation_type")
        Term.objects.create(
            vocabulary=violation, organization=self.other_org, code="x", label_es="Ajeno",
            label_en="Theirs",
        )  # fmt: skip
        event = self.make_case()
        self.client.force_login(self.documenter)
        response = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/victims/new/")
        self.assertNotContains(response, "Ajeno")

    def test_it_refuses_a_duplicate_code(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            f"/o/{self.org.slug}/vocabularies/violation_type/new/",
            {"code": "torture", "label_es": "Tortura", "label_en": "Torture", "position": 1},
        )
        self.assertContains(response, "ya tiene un término con este código")

    def test_it_keeps_editing_records_that_use_a_retired_term(self):
        event = self.make_case(
            victim={"given_names": "Ana", "violation": "torture", "perpetrator": "army"}
        )
        act = Act.objects.get(event=event)
        attribution = Attribution.objects.get(act=act)
        urgent = term("event_tag", "urgent")
        event.tags.add(urgent)
        Term.objects.filter(organization=None, code__in=["torture", "army", "urgent"]).update(
            is_active=False
        )
        self.client.force_login(self.documenter)
        base = f"/o/{self.org.slug}/cases/{event.pk}"

        self.assertContains(self.client.get(f"{base}/acts/{act.pk}/"), "Tortura (en desuso)")
        response = self.client.post(
            f"{base}/acts/{act.pk}/",
            {"violation_type": act.violation_type_id, "description": "Golpes.", "version": 1},
        )
        self.assertRedirects(response, f"{base}/")
        act.refresh_from_db()
        self.assertEqual((act.violation_type.code, act.description), ("torture", "Golpes."))

        page = self.client.get(f"{base}/perpetrators/{attribution.pk}/")
        self.assertContains(page, "Ejército (en desuso)")
        response = self.client.post(
            f"{base}/perpetrators/{attribution.pk}/",
            {"perpetrator_kind": attribution.kind_id, "confidence": "high", "version": 1},
        )
        self.assertRedirects(response, f"{base}/")

        page = self.client.get(f"{base}/edit/")
        self.assertContains(page, "Urgente (en desuso)")
        self.assertEqual(page.context["form"].initial["tags"], [urgent])
        response = self.client.post(
            f"{base}/edit/", event_data(title="Otro título", tags=[urgent.pk], version=1)
        )
        self.assertRedirects(response, f"{base}/")
        self.assertEqual(list(event.tags.all()), [urgent])

        # A retired term is not offered for new records.
        page = self.client.get(f"{base}/people/{act.victim.pk}/acts/new/")
        self.assertNotContains(page, "Tortura")

    def test_it_keeps_shared_terms_out_of_reach(self):
        self.client.force_login(self.coordinator)
        shared = term("violation_type", "torture")
        response = self.client.get(f"/o/{self.org.slug}/vocabularies/terms/{shared.pk}/")
        self.assertEqual(response.status_code, 404)


@override_settings(LANGUAGE_CODE="en")
class EnglishTests(CaseFixtures):
    def test_it_shows_vocabularies_in_english(self):
        event = self.make_case(victim={"given_names": "Ana", "violation": "femicide"})
        self.client.force_login(self.reader)
        response = self.client.get(
            f"/o/{self.org.slug}/cases/{event.pk}/", HTTP_ACCEPT_LANGUAGE="en"
        )
        self.assertContains(response, "Femicide")


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
