"""Who may see and change a case, and the audit of every view and change."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.audit.log import seal_pending
from memoria.audit.models import AuditEntry
from memoria.cases import actions
from memoria.cases.models import (
    Attribution,
    Intervention,
    Person,
    Source,
    Term,
)
from tests.web.cases_fixtures import CaseFixtures, term


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
                # The fixture's own writes (through the actions) are audited too.
                ("case.create", "cases.event"),
                ("person.create", "cases.person"),
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
