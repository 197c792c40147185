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
from memoria.places.models import Municipality, State
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
        return {
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
        self.assertEqual(len(self.theirs), 13)
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
