"""No organization page shows, or lets anyone change, another organization's records.

Organization B holds a full case (victim, relative, perpetrator, source with a
file, intervention, its own vocabulary term) with names and references found
nowhere else. Every member of organization A then walks every organization
page of A — with B's record ids in the path, and with A's own case around B's
ids — by GET and POST, and searches for B's people by name. None of B's
secrets may appear, every path that names a B record must answer 403 or 404
(or 405 to a GET of a POST-only page),
and B's records must come out unchanged.
"""

from __future__ import annotations

import datetime
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.accounts.models import Organization
from memoria.alerts import actions as alert_actions
from memoria.alerts.models import AlertTemplate, Channel, Delivery
from memoria.analysis.models import (
    Estimate,
    LinkageList,
    LinkageRun,
    OfficialDataset,
    PairDecision,
)
from memoria.cases import actions
from memoria.cases.io.jobs import queue_import
from memoria.cases.io.readers import read_table
from memoria.cases.models import (
    Attachment,
    Attribution,
    Change,
    Event,
    IndirectVictim,
    Intervention,
    Person,
    Source,
    Term,
    Vocabulary,
)
from memoria.jobs.models import Job
from memoria.network import actions as network_actions
from memoria.network.models import Referral
from memoria.places.models import Municipality, State
from memoria.protection import actions as protection_actions
from memoria.protection.models import OverdueAlert, PersonAtRisk, RiskAssessment
from memoria.protection.overdue import raise_alerts_for
from memoria.reports import actions as reports_actions
from memoria.reports.models import Report, ReportChannel
from memoria.search import actions as search_actions
from memoria.search.models import (
    AnteMortemFile,
    AnteMortemMark,
    Candidate,
    RemainsRecord,
    SearchSite,
)
from memoria.sharing.models import Agreement
from memoria.victims import actions as victims_actions
from memoria.victims.models import (
    Appeal,
    CommissionRequest,
    Measure,
    Registration,
    VictimDocument,
)
from tests.web.cases_fixtures import CaseFixtures, term
from tests.web.test_access import organization_routes

SECRETS = (
    "Tlacuache",
    "Zacarías",
    "Quetzalli",
    "Xochiquetzal",
    "Expediente Sur 7781",
    "FOLIO-SUR-4242",
    "testimonio-del-sur.pdf",
    "Término exclusivo del Sur",
    "Caso reservado de Xilitla",
    "RENAVI-SUR-5151",
    "acta-del-sur.pdf",
    "Canal reservado del Sur",
    "Lista reservada del Sur",
    "Plantilla reservada del Sur",
    "Alerta reservada del Sur",
    "Periodista Tlacuache del Sur",
    "Amenaza exclusiva del Sur",
    "EXP-PROTECCION-SUR-99",
    "Canalización reservada del Sur",
    "Reporte reservado del Sur",
    "contacto-sur@example.org",
    "RNPDNO-SUR-6262",
    "Tatuaje reservado del Sur",
    "Fosa reservada del Sur",
    "Brigada reservada del Sur",
    "SEMEFO-SUR-7373",
    "foto-del-sur.png",
    "Coincidencia reservada del Sur",
    "Acuerdo reservado del Sur",
)


class CrossOrganizationTests(CaseFixtures):
    def setUp(self):
        super().setUp()
        self.theirs = self.make_theirs()
        self.ours = self.make_case(victim={"given_names": "Ana", "paternal_surname": "Norte"})
        self.ours_act = self.ours.acts.get()

    def make_theirs(self) -> dict:
        other = self.other_org
        event = actions.register_case(
            other,
            self.outsider,
            {
                "title": "Caso reservado de Xilitla",
                "description": "Xochiquetzal vio cómo se lo llevaron.",
                "start_date": datetime.date(2018, 5, 2),
                "start_precision": "day",
                "end_date": None,
                "end_precision": "unknown",
                "state": State.objects.get(code="24"),
                "municipality": Municipality.objects.get(cvegeo="24054"),
                "status": "open",
            },
        )
        act = actions.add_victim(
            event,
            self.outsider,
            {
                "given_names": "Zacarías",
                "paternal_surname": "Tlacuache",
                "maternal_surname": "Quetzalli",
                "sex": "male",
                "visibility": "private",
            },
            {"violation_type": term("violation_type", "enforced_disappearance")},
            {"kind": term("perpetrator_kind", "army"), "confidence": "high", "basis": None},
        )
        relative = actions.add_indirect_victim(
            event,
            self.outsider,
            act.victim,
            term("relationship", "mother"),
            {"given_names": "Xochiquetzal", "paternal_surname": "Tlacuache", "sex": "female"},
        )
        source = actions.add_source(
            event,
            self.outsider,
            {
                "kind": term("source_kind", "testimony"),
                "reliability": "high",
                "reference": "Expediente Sur 7781",
            },
            SimpleUploadedFile("testimonio-del-sur.pdf", b"%PDF-1.4 Tlacuache"),
        )
        intervention = actions.add_intervention(
            event,
            self.outsider,
            {"kind": term("intervention_kind", "complaint_prosecutor"), "folio": "FOLIO-SUR-4242"},
        )
        their_term = actions.add_term(
            other,
            Vocabulary.objects.get(code="violation_type"),
            {"code": "sur", "label_es": "Término exclusivo del Sur", "label_en": "South only"},
        )
        # An import of B's waiting for the worker.
        table = read_table(
            "Título,Tipo de violación\nCaso reservado de Xilitla,threat\n".encode(), "sur.csv"
        )
        mapping = {"event_title": "Título", "violation_type": "Tipo de violación"}
        job = queue_import(other, self.outsider, table, mapping, key="sur", language="es-mx")
        # Their victims' registry: a registration with a document, a request and its measure.
        registration = victims_actions.add_registration(
            act.victim, self.outsider,
            {"event": event, "registry": "renavi", "folio": "RENAVI-SUR-5151"},
        )  # fmt: skip
        document = victims_actions.add_document(
            registration, self.outsider, SimpleUploadedFile("acta-del-sur.pdf", b"%PDF Tlacuache")
        )
        request = victims_actions.add_request(
            relative.person, self.outsider, {"event": event, "folio": "RENAVI-SUR-5151"}
        )
        victims_actions.add_measure(request, self.outsider, {"kind": "compensation"})

        # B's alert channel, urgent-alert template and urgent alert.
        channel = alert_actions.save_channel(
            other,
            {"name": "Canal reservado del Sur", "kind": "webhook", "config": {
                "url": "http://127.0.0.1:9/", "secret": "s" * 20}},
        )  # fmt: skip
        template = alert_actions.save_template(
            other,
            {
                "name": "Plantilla reservada del Sur",
                "language": "es-mx",
                "subject": "s",
                "body": "b",
            },
        )
        alert = alert_actions.send_urgent_alert(
            other,
            subject="Alerta reservada del Sur",
            body="Tlacuache",
            targets=[alert_actions.Target("channel", channel.name, channel)],
            base_url="http://testserver/",
        )
        protection = self.make_their_protection()
        linkage = self.make_their_linkage()
        referral = self.make_their_referral(event)
        # An anonymous report sent to B, open in B's moderation queue.
        ReportChannel.objects.create(organization=other, is_open=True)
        report = reports_actions.receive_report(
            other, {"what": "Reporte reservado del Sur", "contact": "contacto-sur@example.org"}
        ).report
        search = self.make_their_search(act.victim)
        agreement = self.make_their_agreement(referral.recipient)
        return {
            "agreement_id": agreement.pk,
            **protection,
            **linkage,
            **search,
            "referral_id": referral.pk,
            "report_id": report.pk,
            "request_id": request.pk,
            "document_id": document.pk,
            "event_id": event.pk,
            "person_id": act.victim.pk,
            "act_id": act.pk,
            "attribution_id": Attribution.objects.get(act=act).pk,
            "source_id": source.pk,
            "attachment_id": Attachment.objects.get(source=source).pk,
            "intervention_id": intervention.pk,
            "term_id": their_term.pk,
            "record_id": relative.pk,
            "relative_id": relative.pk,
            "member_id": self.outsider.memberships.get().pk,
            "invitation_id": 1,
            "job_id": job.pk,
            "channel_id": channel.pk,
            "template_id": template.pk,
            "urgent_alert_id": alert.pk,
        }

    def make_their_linkage(self) -> dict:
        """B's list uploaded for linkage and a run with a pair to review."""
        from memoria.analysis import actions as analysis_actions
        from memoria.analysis.models import LinkageRun
        from tests.web.test_analysis import LINKS, fake_result

        table = read_table(b"nombre,apellido\nQuetzalli,Tlacuache\n", "sur.csv")
        listed = analysis_actions.upload_list(
            self.other_org, self.outsider, "Lista reservada del Sur", table
        )
        analysis_actions.set_list_mapping(listed, self.outsider, {"given_names": "nombre"})
        run = LinkageRun.objects.create(organization=self.other_org)
        sources, result = fake_result(LINKS)
        for shown in sources[0].shown.values():
            shown["list"] = "Lista reservada del Sur"
        analysis_actions.save_run_result(run, sources, result)
        estimate = Estimate.objects.create(organization=self.other_org, run=run)
        # B's official figures, imported (a name found nowhere else).
        from memoria.analysis import official, official_actions

        data = "Entidad,Año,Total\nChihuahua,2023,120\n".encode()
        dataset = official_actions.upload(
            self.other_org, self.outsider, official.RNPDNO, "Tlacuache-cifras.csv", data
        )
        parsed = official.parse(official.RNPDNO, data, dataset.mapping)
        official_actions.write_counts(dataset, parsed, self.outsider)
        return {
            "list_id": listed.pk,
            "run_id": run.pk,
            "pair_id": run.pairs.first().pk,
            "estimate_id": estimate.pk,
            "dataset_id": dataset.pk,
        }

    def make_their_referral(self, event):
        """B refers its case to a third organization, with its title and a message."""
        third = Organization.objects.create(
            name="Tercera organización", slug="tercera", kind=Organization.Kind.OTHER
        )
        return network_actions.send_referral(
            self.other_org,
            self.outsider,
            {
                "recipient": third,
                "capability": "legal",
                "message": "Canalización reservada del Sur",
                "event_fields": ["title", "description"],
            },
            event=event,
        )

    def make_their_agreement(self, partner):
        """B shares its cases with a third organization under an agreement in force."""
        from memoria.sharing import agreements

        agreement = agreements.propose(
            self.other_org,
            self.outsider,
            {
                "partner": partner,
                "level": "named",
                "fields": {"cases.event": ["title"]},
                "purpose": "Acuerdo reservado del Sur",
                "valid_until": datetime.date(2099, 12, 31),
            },
        )
        return agreements.answer(agreement, None, accept=True, version=1)

    def make_their_protection(self) -> dict:
        """B's person at risk, with an assessment, a threat, a request and an overdue alert."""
        long_ago = datetime.datetime(2025, 1, 2, 9, 0, tzinfo=datetime.UTC)
        person = protection_actions.register_person(
            self.other_org,
            self.outsider,
            {"display_name": "Periodista Tlacuache del Sur", "status": "active"},
        )
        assessment = protection_actions.record_assessment(
            person,
            self.outsider,
            {"assessed_on": long_ago.date(), "level": "extreme", "summary": ""},
        )
        factor = protection_actions.add_factor(
            assessment,
            self.outsider,
            {"kind": "threat", "description": "Amenaza exclusiva del Sur"},
        )
        protection_actions.record_request(
            person,
            self.outsider,
            {"filed_at": long_ago, "file_number": "EXP-PROTECCION-SUR-99"},
        )
        raise_alerts_for(self.other_org)
        return {
            "at_risk_id": person.pk,
            "assessment_id": assessment.pk,
            "factor_id": factor.pk,
            "alert_id": OverdueAlert.objects.filter(organization=self.other_org).first().pk,
        }

    def make_their_search(self, person) -> dict:
        """B's ante-mortem file with a mark and a photo, a grave, a brigade day and remains."""
        file = search_actions.open_file(
            person, self.outsider, {"rnpdno_folio": "RNPDNO-SUR-6262", "sex": "male"}
        )
        search_actions.add_part(
            file, "mark", self.outsider, {"kind": "tattoo", "motif": "Tatuaje reservado del Sur"}
        )
        photo = search_actions.add_photo(
            file, self.outsider, SimpleUploadedFile("foto-del-sur.png", b"\x89PNG\r\n\x1a\n")
        )
        site = search_actions.record_site(
            self.other_org, self.outsider, {"name": "Fosa reservada del Sur"}
        )
        day = search_actions.record_brigade_day(
            self.other_org,
            self.outsider,
            {
                "date": datetime.date(2021, 6, 2),
                "site": site,
                "findings": "Brigada reservada del Sur",
            },
        )
        remains = search_actions.record_remains(
            self.other_org, self.outsider, {"semefo_folio": "SEMEFO-SUR-7373", "site": site}
        )
        # A possible match of B's, with a reason naming it.
        candidate = Candidate.objects.create(
            organization=self.other_org,
            file=file,
            remains=remains,
            score=3.1,
            reasons={
                "evidence": [
                    {"code": "shared", "weight": 3.0, "detail": "Coincidencia reservada del Sur"}
                ],
                "exclusions": [],
            },
        )
        return {
            "candidate_id": candidate.pk,
            "file_id": file.pk,
            "photo_id": photo.pk,
            "site_id": site.pk,
            "day_id": day.pk,
            "remains_id": remains.pk,
        }

    def snapshot(self) -> dict:
        """What B's records look like in the database (row versions and history)."""
        other = self.other_org
        return {
            "events": list(Event.objects.filter(organization=other).values("pk", "version")),
            "people": list(Person.objects.filter(organization=other).values("pk", "version")),
            "relatives": IndirectVictim.objects.filter(organization=other).count(),
            "sources": list(Source.objects.filter(organization=other).values("pk", "version")),
            "attachments": Attachment.objects.filter(source__organization=other).count(),
            "interventions": list(
                Intervention.objects.filter(organization=other).values("pk", "version")
            ),
            "terms": list(Term.objects.filter(organization=other).values("pk", "label_es")),
            "changes": Change.objects.filter(organization=other).count(),
            "jobs": list(Job.objects.filter(organization=other).values("pk", "status")),
            "victims": [
                list(model.objects.filter(organization=other).values("pk", "version"))
                for model in (Registration, CommissionRequest, Measure, Appeal, VictimDocument)
            ],
            "channels": list(Channel.objects.filter(organization=other).values("pk", "version")),
            "deliveries": Delivery.objects.filter(organization=other).count(),
            "templates": list(
                AlertTemplate.objects.filter(organization=other).values("pk", "version")
            ),
            "people at risk": list(
                PersonAtRisk.objects.filter(organization=other).values("pk", "version")
            ),
            "assessments": list(
                RiskAssessment.objects.filter(organization=other).values("pk", "version")
            ),
            "alerts": list(
                OverdueAlert.objects.filter(organization=other).values("pk", "acknowledged_at")
            ),
            "linkage": [
                list(model.objects.filter(organization=other).values("pk", "version"))
                for model in (LinkageList, LinkageRun, PairDecision, Estimate, OfficialDataset)
            ],
            "referrals": list(
                Referral.objects.filter(organization=other).values("pk", "version", "status")
            ),
            "agreements": list(
                Agreement.objects.filter(organization=other).values("pk", "version", "status")
            ),
            "reports": list(
                Report.objects.filter(organization=other).values("pk", "version", "status")
            ),
            "search": [
                list(model.objects.filter(organization=other).values("pk", "version"))
                for model in (AnteMortemFile, AnteMortemMark, SearchSite, RemainsRecord, Candidate)
            ],
        }

    def paths(self, route: str) -> list[tuple[str, bool]]:
        """Concrete paths for ``route`` under A's slug, each with: does it name a B record?"""
        names = re.findall(r"<int:(\w+)>", route)
        kinds = ["relative", "act", "source", "intervention", "perpetrator", "attachment"]

        def fill(ids: dict, kind: str = "x") -> str:
            path = route.replace("<slug:slug>", self.org.slug)
            path = re.sub(r"<int:(\w+)>", lambda match: str(ids[match[1]]), path)
            return "/" + re.sub(r"<slug:kind>", kind, path)

        if not names:
            return [(fill({}), False)]
        filled = [(fill(self.theirs, kind), True) for kind in kinds if "<slug:kind>" in route]
        filled = filled or [(fill(self.theirs), True)]
        if "event_id" in names and len(names) > 1:
            # A's own case around B's record: the record must still not be found.
            around = {**self.theirs, "event_id": self.ours.pk}
            filled += [(fill(around, kind), True) for kind in kinds if "<slug:kind>" in route]
            if "<slug:kind>" not in route:
                filled.append((fill(around), True))
        return filled

    def assert_no_secrets(self, response, where: str) -> None:
        body = response.content.decode(errors="replace")
        for secret in SECRETS:
            self.assertNotIn(secret, body, f"{secret!r} of organization B shown at {where}")

    def test_it_has_a_case_of_the_other_organization_to_hide(self):
        self.assertEqual(len(self.theirs), 36)
        self.assertTrue(Attachment.objects.filter(source__organization=self.other_org).exists())

    def test_it_never_shows_or_changes_the_other_organizations_records(self):
        before = self.snapshot()
        checked = 0
        for role, user in self.personas().items():
            self.client.force_login(user)
            self.client.reauthenticate()  # exports and key pages open as far as they can
            for name, route, _callback in organization_routes():
                for path, names_theirs in self.paths(route):
                    for method in ("get", "post"):
                        with self.subTest(role=role, name=name, path=path, method=method):
                            response = getattr(self.client, method)(path)
                            self.assert_no_secrets(response, f"{method.upper()} {path}")
                            if names_theirs:
                                # 405: a POST-only page refuses GET before any lookup.
                                self.assertIn(response.status_code, (403, 404, 405))
                            checked += 1
        self.assertGreater(checked, 200)
        self.assertEqual(self.snapshot(), before)

    def test_it_does_not_find_the_other_organizations_people_by_name(self):
        self.client.force_login(self.coordinator)
        for query in ("Zacarías Tlacuache", "zacarias tlacuache quetzalli", "Xochiquetzal"):
            with self.subTest(query=query):
                response = self.client.post(f"/o/{self.org.slug}/people/", {"q": query})
                # The query itself is echoed in the search box; the results hold nobody.
                self.assertContains(response, "Nadie coincide con ese nombre.")
                self.assertNotContains(response, f"/people/{self.theirs['person_id']}/")
        # The same search finds them for their own organization.
        self.client.force_login(self.outsider)
        response = self.client.post(
            f"/o/{self.other_org.slug}/people/", {"q": "zacarias tlacuache"}
        )
        self.assertContains(response, "Tlacuache")
