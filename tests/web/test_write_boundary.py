"""Every write of case documentation and its audit entry commit together or not at all.

Each page that writes is posted to while the audit log refuses to record
(its append raises, as when the audit key is damaged): the page fails and
the database holds nothing of the write, neither the record, nor its history,
nor the search index.
"""

from __future__ import annotations

from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.audit.models import AuditEntry
from memoria.cases import actions
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
)
from tests.web.cases_fixtures import CaseFixtures, term


class AuditRefused(Exception):
    pass


class WriteBoundaryTests(CaseFixtures):
    def setUp(self):
        super().setUp()
        self.event = self.make_case()
        self.act = self.add_victim(
            self.event, perpetrator="army", given_names="Ana", paternal_surname="Zubiría"
        )
        self.victim = self.act.victim
        self.attribution = Attribution.objects.get(act=self.act)
        self.relative = actions.add_indirect_victim(
            self.event,
            self.documenter,
            self.victim,
            term("relationship", "mother"),
            {"given_names": "Rosa", "paternal_surname": "Zubiría"},
        )
        # Elena, recorded as the mother of Luz in another case: linked, not copied, here.
        other = self.make_case(title="Otro hecho")
        luz = self.add_victim(other, given_names="Luz", paternal_surname="Zubiría").victim
        self.elena = actions.add_indirect_victim(
            other,
            self.documenter,
            luz,
            term("relationship", "mother"),
            {"given_names": "Elena", "paternal_surname": "Zubiría"},
        ).person
        self.source = actions.add_source(
            self.event, self.documenter, {"kind": term("source_kind", "press")}
        )
        self.intervention = actions.add_intervention(
            self.event, self.documenter, {"kind": term("intervention_kind", "amparo")}
        )
        self.mistake = actions.add_intervention(
            self.event, self.documenter, {"kind": term("intervention_kind", "complaint_prosecutor")}
        )
        self.client.force_login(self.coordinator)

    def state(self) -> dict:
        """Everything a refused write could have left behind."""
        return {
            "audit": AuditEntry.objects.count(),
            "changes": Change.objects.count(),
            "tokens": PersonSearchToken.objects.count(),
            "terms": Term.objects.filter(organization=self.org).count(),
            **{
                model.__name__: sorted(model.objects.values_list("pk", "version"))
                for model in (Event, Person, Act, Attribution, IndirectVictim, Source, Intervention)
            },
            "attachments": Attachment.objects.count(),
        }

    def writes(self):
        """(what, path, form data) for every page of case documentation that writes."""
        base = f"/o/{self.org.slug}/cases/{self.event.pk}"
        homicide = term("violation_type", "homicide").pk
        torture = term("violation_type", "torture").pk
        army = term("perpetrator_kind", "army").pk
        press = term("source_kind", "press").pk
        amparo = term("intervention_kind", "amparo").pk
        mother = term("relationship", "mother").pk
        yield "case", f"/o/{self.org.slug}/cases/new/", {
            "title": "Otro caso", "start_year": "2020", "state": "08", "status": "open",
        }  # fmt: skip
        yield "case edit", f"{base}/edit/", {
            "title": "Caso cambiado", "start_year": "2019", "start_month": "3",
            "start_day": "14", "state": "08", "status": "open", "version": 1,
        }  # fmt: skip
        yield "victim", f"{base}/victims/new/", {
            "violation_type": homicide, "given_names": "Luis", "paternal_surname": "Pérez",
            "sex": "male", "visibility": "private", "confidence": "medium", "next": "done",
        }  # fmt: skip
        yield "victim already recorded", f"{base}/victims/new/", {
            "violation_type": torture, "given_names": "Ana", "paternal_surname": "Zubiría",
            "sex": "female", "visibility": "private", "confidence": "medium",
            "same_person": self.victim.pk,
        }  # fmt: skip
        yield "act", f"{base}/people/{self.victim.pk}/acts/new/", {"violation_type": torture}
        yield "act edit", f"{base}/acts/{self.act.pk}/", {"violation_type": torture, "version": 1}
        yield "perpetrator", f"{base}/acts/{self.act.pk}/perpetrators/new/", {
            "perpetrator_kind": army, "confidence": "low",
        }  # fmt: skip
        yield "perpetrator edit", f"{base}/perpetrators/{self.attribution.pk}/", {
            "perpetrator_kind": army, "confidence": "high", "version": 1,
        }  # fmt: skip
        yield "relative", f"{base}/relatives/new/", {
            "direct_victim": self.victim.pk, "relationship": mother, "given_names": "Eva",
            "sex": "female",
        }  # fmt: skip
        yield "relative already recorded", f"{base}/relatives/new/", {
            "direct_victim": self.victim.pk, "relationship": mother, "given_names": "Elena",
            "paternal_surname": "Zubiría", "sex": "female", "same_person": self.elena.pk,
        }  # fmt: skip
        yield "relative edit", f"{base}/relatives/{self.relative.pk}/", {
            "direct_victim": self.victim.pk, "relationship": mother, "version": 1,
        }  # fmt: skip
        yield "person edit", f"/o/{self.org.slug}/people/{self.victim.pk}/edit/", {
            "given_names": "Ana María", "paternal_surname": "Zubiría", "sex": "female",
            "visibility": "private", "version": 1,
        }  # fmt: skip
        yield "source", f"{base}/sources/new/", {
            "kind": press, "reliability": "high", "next": "done",
            "attachment": SimpleUploadedFile("nota.txt", b"nota"),
        }  # fmt: skip
        yield "source edit", f"{base}/sources/{self.source.pk}/", {
            "kind": press, "reliability": "low", "version": 1,
        }  # fmt: skip
        yield "attachment", f"{base}/sources/{self.source.pk}/attachments/new/", {
            "attachment": SimpleUploadedFile("acta.txt", b"acta"),
        }  # fmt: skip
        yield "intervention", f"{base}/interventions/new/", {"kind": amparo}
        yield "intervention edit", f"{base}/interventions/{self.intervention.pk}/", {
            "kind": amparo, "authority": "Fiscalía", "version": 1,
        }  # fmt: skip
        yield "removal", f"{base}/intervention/{self.mistake.pk}/remove/", {"version": 1}
        yield "vocabulary", f"/o/{self.org.slug}/vocabularies/violation_type/new/", {
            "code": "despojo", "label_es": "Despojo", "label_en": "Dispossession",
            "position": 200, "is_active": "on",
        }  # fmt: skip

    def test_it_writes_nothing_when_the_audit_entry_cannot_be_written(self):
        for what, path, data in self.writes():
            with self.subTest(write=what):
                before = self.state()
                with (
                    mock.patch("memoria.cases.actions.audit", side_effect=AuditRefused),
                    self.assertRaises(AuditRefused),
                ):
                    self.client.post(path, data)
                self.assertEqual(self.state(), before)

    def test_it_writes_and_audits_together_when_the_log_accepts(self):
        # The same writes with the log working: each lands with its entry (a guard that the
        # refused writes above really reached the action, not a form error).
        for what, path, data in self.writes():
            with self.subTest(write=what):
                before = AuditEntry.objects.count()
                response = self.client.post(path, data)
                self.assertEqual(response.status_code, 302, what)
                self.assertGreater(AuditEntry.objects.count(), before)
