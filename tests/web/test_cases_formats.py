"""The standard formats (ESF, Uwazi CSV, HXL): round trips, bad files, the import page."""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.accounts.models import Organization
from memoria.audit.models import AuditEntry
from memoria.cases import actions
from memoria.cases.io.exporter import export_records
from memoria.cases.io.standard import FormatProblems, import_file
from memoria.cases.models import Event, Person
from memoria.places.models import Municipality, State
from memoria.vault.cipher import is_ciphertext
from tests.web.cases_fixtures import CaseFixtures, case_data, term


def exported(organization, fmt: str, identities: bool = True) -> bytes:
    out = io.BytesIO()
    export_records(organization, fmt, identities, out)
    return out.getvalue()


def person_key(person) -> tuple:
    return (person.full_name, person.curp)


def snapshot(organization, full: bool = True) -> list[dict]:
    """Every record of the organization, field by field, without database ids."""
    result = []
    events = sorted(
        Event.objects.filter(organization=organization), key=lambda e: (e.title, e.number)
    )
    for event in events:
        acts = sorted(event.acts.all(), key=lambda a: (person_key(a.victim), a.violation_type.code))
        entry = {
            "event": {
                field: getattr(event, field)
                for field in (
                    "title",
                    "description",
                    "start_date",
                    "start_precision",
                    "end_date",
                    "end_precision",
                    "state_id",
                    "municipality_id",
                    "locality",
                    "latitude",
                    "longitude",
                    "status",
                )
            },  # fmt: skip
            "tags": sorted(t.code for t in event.tags.all()),
            "acts": [
                {
                    "victim": _person(act.victim),
                    "violation_type": act.violation_type.code,
                    "situation": act.situation.code if act.situation else None,
                    "description": act.description,
                    "involvements": sorted(
                        (
                            a.kind.code,
                            a.group_name,
                            a.basis.code if a.basis else None,
                            a.confidence,
                            a.notes if full else "",
                        )
                        for a in act.attributions.all()
                    ),
                }
                for act in acts
            ],
        }
        if full:
            entry["relatives"] = sorted(
                (_person(r.person)["name"], r.direct_victim.full_name, r.relationship.code)
                for r in event.indirect_victims.all()
            )
            entry["sources"] = sorted(
                (
                    s.kind.code,
                    s.date,
                    s.reliability,
                    s.reference,
                    s.summary,
                    tuple(
                        sorted((a.victim.full_name, a.violation_type.code) for a in s.acts.all())
                    ),
                )
                for s in event.sources.all()
            )
            entry["interventions"] = sorted(
                (
                    i.kind.code,
                    i.victim.full_name if i.victim else "",
                    i.authority,
                    i.folio,
                    i.date,
                    i.notes,
                )
                for i in event.interventions.all()
            )
        result.append(entry)
    return result


def _person(person) -> dict:
    return {
        "name": person.full_name,
        **{
            field: getattr(person, field)
            for field in (
                "given_names", "paternal_surname", "maternal_surname", "aliases", "sex",
                "gender_identity", "birth_date", "birth_precision", "age", "age_band",
                "nationality", "ethnicity", "occupation", "curp", "is_defender", "is_journalist",
                "is_searching_relative", "is_migrant", "is_indigenous_authority", "is_lgbttti",
                "is_child", "visibility", "consent_recorded_at", "consent_note",
            )
        },
    }  # fmt: skip


class FormatFixtures(CaseFixtures):
    """Two cases with everything ESF carries: dates at every precision, coordinates, tags,
    a victim with two violations and two perpetrators, relatives, sources, interventions."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.build(cls.org, cls.documenter)

    @staticmethod
    def build(organization, actor):
        first = actions.register_case(
            organization,
            actor,
            case_data(
                title="Desaparición en la carretera a Cuauhtémoc",
                description="Tres hombres detenidos en un retén.\nNadie volvió a saber de ellos.",
                start_date=datetime.date(2019, 3, 1),
                start_precision="month",
                end_date=datetime.date(2020, 1, 1),
                end_precision="year",
                locality="Ejido La Quemada",
                latitude=Decimal("28.405123"),
                longitude=Decimal("-106.866321"),
                status="verifying",
                tags=[term("event_tag", "caravan"), term("event_tag", "urgent")],
            ),
        )
        victim_act = actions.add_victim(
            first,
            actor,
            {
                "given_names": "María Guadalupe",
                "paternal_surname": "Hernández",
                "maternal_surname": "Ruiz",
                "aliases": "Lupita",
                "sex": "female",
                "gender_identity": "mujer",
                "birth_date": datetime.date(1990, 5, 1),
                "birth_precision": "month",
                "nationality": "Mexicana",
                "ethnicity": "rarámuri",
                "occupation": "maestra",
                "curp": "",
                "is_defender": True,
                "is_searching_relative": True,
                "visibility": "memorial",
                "consent_note": "Su madre, por escrito",
            },
            {
                "violation_type": term("violation_type", "enforced_disappearance"),
                "situation": term("victim_situation", "still_missing"),
                "description": "La subieron a una patrulla sin placas.",
            },
            {
                "kind": term("perpetrator_kind", "municipal_police"),
                "group_name": "Patrulla 14",
                "basis": term("attribution_basis", "witnessed"),
                "confidence": "high",
                "notes": "Dos testigos",
            },
        )
        victim = victim_act.victim
        Person.objects.filter(pk=victim.pk).update(
            consent_recorded_at=datetime.datetime(2024, 5, 1, 16, 30, tzinfo=datetime.UTC)
        )
        actions.add_attribution(
            victim_act,
            actor,
            {"kind": term("perpetrator_kind", "organized_crime"), "confidence": "low"},
        )
        second_act = actions.add_act(
            first,
            actor,
            victim,
            {
                "violation_type": term("violation_type", "torture"),
                "situation": None,
                "description": "",
            },
        )
        other = actions.add_victim(
            first,
            actor,
            {"given_names": "José", "paternal_surname": "López", "sex": "male", "age": 17},
            {"violation_type": term("violation_type", "arbitrary_detention"), "situation": None},
        )
        actions.add_indirect_victim(
            first,
            actor,
            victim,
            term("relationship", "mother"),
            {"given_names": "Rosa", "paternal_surname": "Ruiz", "sex": "female"},
        )
        actions.add_source(
            first,
            actor,
            {
                "kind": term("source_kind", "testimony"),
                "date": datetime.date(2019, 4, 2),
                "reliability": "high",
                "reference": "Entrevista 12",
                "summary": "Relato de la madre",
                "acts": [victim_act, second_act],
            },
        )
        actions.add_source(first, actor, {"kind": term("source_kind", "press"), "acts": [other]})
        actions.add_intervention(
            first,
            actor,
            {
                "kind": term("intervention_kind", "complaint_prosecutor"),
                "victim": victim,
                "authority": "Fiscalía de Chihuahua",
                "folio": "CHIH-2019-0042",
                "date": datetime.date(2019, 3, 20),
                "notes": "Sin avances",
            },
        )
        second = actions.register_case(
            organization,
            actor,
            case_data(
                title="Homicidio en Juárez",
                start_date=datetime.date(2021, 7, 9),
                state=State.objects.get(code="08"),
                municipality=Municipality.objects.get(cvegeo="08037"),
            ),
        )
        actions.add_victim(
            second,
            actor,
            {
                "given_names": "Pedro",
                "paternal_surname": "Sánchez",
                "sex": "male",
                "curp": "HERG850602MCHRMD08",
                "birth_date": datetime.date(1980, 1, 1),
                "birth_precision": "year",
                "is_journalist": True,
            },
            {"violation_type": term("violation_type", "homicide"), "situation": None},
            {"kind": term("perpetrator_kind", "unknown"), "confidence": "medium"},
        )

    def fresh_organization(self, slug: str) -> Organization:
        return Organization.objects.create(name=f"Destino {slug}", slug=slug)


class RoundTripTests(FormatFixtures):
    def round_trip(self, fmt: str, full: bool):
        target = self.fresh_organization(f"destino-{fmt}")
        report = import_file(fmt, exported(self.org, fmt), f"casos.{fmt}", target, self.coordinator)
        self.assertTrue(report.ok, report.errors)
        self.assertTrue(report.committed)
        self.assertEqual(snapshot(target, full), snapshot(self.org, full))
        return target

    maxDiff = None

    def test_esf_round_trip_keeps_every_record_field_by_field(self):
        target = self.round_trip("esf", full=True)
        before = snapshot(self.org)
        self.assertEqual(before[0]["event"]["start_precision"], "month")
        self.assertEqual(len(before[0]["relatives"]), 1)
        self.assertEqual(len(before[0]["interventions"]), 1)
        entry = AuditEntry.objects.get(action="cases.import", organization=target)
        self.assertEqual(entry.details["format"], "esf")

    def test_uwazi_round_trip_keeps_events_people_acts_and_involvements(self):
        self.round_trip("uwazi", full=False)

    def test_hxl_round_trip_keeps_events_people_acts_and_involvements(self):
        self.round_trip("hxl", full=False)

    def test_imported_identities_stay_encrypted(self):
        target = self.round_trip("esf", full=True)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT given_names, curp FROM cases_person WHERE organization_id = %s",
                [target.pk],
            )
            stored = cursor.fetchall()
        self.assertTrue(stored)
        for given_names, curp in stored:
            self.assertTrue(is_ciphertext(given_names), given_names)
            self.assertTrue(not curp or is_ciphertext(curp), curp)
            self.assertNotIn("María", given_names)
        found = Person.objects.filter(organization=target)
        self.assertIn("Pedro", {p.given_names for p in found})

    def test_esf_document_names_every_format_and_links_records_by_number(self):
        doc = json.loads(exported(self.org, "esf"))
        self.assertEqual(doc["format"], "huridocs-esf")
        self.assertEqual(len(doc["events"]), 2)
        act = doc["acts"][0]
        self.assertIn(act["event"], {e["event_record_number"] for e in doc["events"]})
        self.assertIn(act["victim"], {p["person_record_number"] for p in doc["persons"]})
        self.assertEqual(doc["events"][0]["initial_date"], "2019-03")
        self.assertEqual(doc["events"][0]["final_date"], "2020")

    def test_without_identities_no_name_or_title_leaves(self):
        for fmt in ("esf", "uwazi", "hxl"):
            text = exported(self.org, fmt, identities=False).decode()
            for secret in ("Hernández", "Lupita", "Cuauhtémoc\"", "Entrevista 12", "CHIH-2019",
                           "HERG850602", "28.405123", "patrulla sin placas"):  # fmt: skip
                self.assertNotIn(secret, text, (fmt, secret))

    def test_uwazi_columns_follow_uwazi_conventions(self):
        rows = list(csv.DictReader(io.StringIO(exported(self.org, "uwazi").decode())))
        first = next(r for r in rows if r["tipo_de_violacion"].startswith("Desaparición forzada"))
        self.assertEqual(first["title"], "Desaparición en la carretera a Cuauhtémoc")
        self.assertEqual(first["fecha_de_inicio"], "2019/03/01")
        self.assertEqual(first["precision_fecha_de_inicio"], "month")
        self.assertEqual(first["ubicacion"], "28.405123|-106.866321")
        self.assertEqual(first["municipio"], "Chihuahua::Cuauhtémoc")
        self.assertEqual(first["etiquetas"], "Caravana|Urgente")
        self.assertEqual(first["perpetradores"].count("|"), 1)

    def test_hxl_has_a_hashtag_row_with_the_public_tags(self):
        lines = list(csv.reader(io.StringIO(exported(self.org, "hxl", identities=False).decode())))
        tags = lines[1]
        for tag in ("#event+id", "#adm1+code", "#adm1+name", "#date+start", "#affected+id"):
            self.assertIn(tag, tags)
        self.assertTrue(all(tag.startswith("#") for tag in tags))
        self.assertEqual(len(lines) - 2, 4)

    def test_hxl_columns_are_found_by_tag_in_any_order(self):
        lines = list(csv.reader(io.StringIO(exported(self.org, "hxl").decode())))
        # Another tool's file: its own headers, the attributes reordered, in capitals,
        # the columns in another order.
        lines[0] = [f"col{i}" for i in range(len(lines[0]))]
        lines[1] = [
            "+".join([t.split("+")[0].upper(), *reversed(t.split("+")[1:])]) for t in lines[1]
        ]
        lines = [list(reversed(line)) for line in lines]
        content = io.StringIO()
        csv.writer(content).writerows(lines)
        target = self.fresh_organization("destino-hxl2")
        report = import_file("hxl", content.getvalue().encode(), "x.csv", target, None, via="cli")
        self.assertTrue(report.ok, report.errors[:3])
        self.assertEqual(snapshot(target, full=False), snapshot(self.org, full=False))


class BadInputTests(FormatFixtures):
    def setUp(self):
        super().setUp()
        self.target = self.fresh_organization("destino-malo")

    def assert_nothing_written(self):
        self.assertFalse(Event.objects.filter(organization=self.target).exists())
        self.assertFalse(Person.objects.filter(organization=self.target).exists())
        self.assertFalse(
            AuditEntry.objects.filter(action="cases.import", organization=self.target).exists()
        )

    def test_esf_with_bad_records_lists_each_problem_and_writes_nothing(self):
        doc = json.loads(exported(self.org, "esf"))
        doc["acts"][0]["type_of_act"] = "abducción marciana"
        doc["events"][1]["initial_date"] = "31/02/2021"
        doc["persons"][0]["curp"] = "NOESUNACURP"
        doc["sources"][0]["acts"] = ["A-999999"]
        report = import_file("esf", json.dumps(doc).encode(), "x.json", self.target, None)
        self.assertFalse(report.ok)
        self.assertFalse(report.committed)
        fields = {(e.field, e.value) for e in report.errors}
        self.assertIn(("type_of_act", "abducción marciana"), fields)
        self.assertIn(("initial_date", "31/02/2021"), fields)
        self.assertIn(("acts", "A-999999"), fields)
        self.assertIn("curp", {e.field for e in report.errors})
        where = {e.where for e in report.errors if e.field == "initial_date"}
        self.assertEqual(len(where), 1)
        self.assertTrue(where.pop().endswith(doc["events"][1]["event_record_number"]))
        self.assert_nothing_written()

    def test_a_file_that_is_not_esf_is_refused(self):
        for content in (b"not json", b'{"events": []}', b'{"format": "huridocs-esf", "acts": 3}'):
            with self.assertRaises(FormatProblems):
                import_file("esf", content, "x.json", self.target, None)
        self.assert_nothing_written()

    def test_uwazi_rows_with_problems_are_named_by_row(self):
        lines = list(csv.reader(io.StringIO(exported(self.org, "uwazi").decode())))
        header = lines[0]
        lines[1][header.index("ubicacion")] = "19.4"
        lines[4][header.index("estado")] = "Atlántida"
        content = io.StringIO()
        csv.writer(content).writerows(lines)
        report = import_file("uwazi", content.getvalue().encode(), "x.csv", self.target, None)
        self.assertFalse(report.ok)
        by_field = {e.field: e.where for e in report.errors}
        self.assertTrue(by_field["ubicacion"].endswith(" 2"))
        self.assertTrue(by_field["state_code"].endswith(" 5"))
        self.assert_nothing_written()

    def test_rows_of_one_event_that_disagree_are_refused(self):
        lines = list(csv.reader(io.StringIO(exported(self.org, "hxl").decode())))
        title = lines[0].index("event_title")
        lines[3][title] = "Otro título"
        content = io.StringIO()
        csv.writer(content).writerows(lines)
        report = import_file("hxl", content.getvalue().encode(), "x.csv", self.target, None)
        self.assertIn("event_record_number", {e.field for e in report.errors})
        self.assert_nothing_written()

    def test_hxl_without_hashtags_is_refused(self):
        with self.assertRaises(FormatProblems):
            import_file("hxl", b"a,b\n1,2\n", "x.csv", self.target, None)
        self.assert_nothing_written()

    def test_a_failure_while_writing_leaves_nothing(self):
        content = exported(self.org, "esf")
        failing = mock.patch("memoria.audit.log.audit", side_effect=RuntimeError("audit down"))
        with failing, self.assertRaises(RuntimeError):
            import_file("esf", content, "x.json", self.target, None)
        self.assert_nothing_written()


class CommandTests(FormatFixtures):
    def test_export_and_import_from_the_command_line(self):
        import tempfile
        from pathlib import Path

        from tests.web.test_cases_import import run_command

        target = self.fresh_organization("destino-cli")
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "casos.esf.json"
            argv = ["export", "--organization", self.org.slug, "--format", "esf"]
            self.assertEqual(run_command([*argv, "--identities", "--out", str(out)]), 0)
            entry = AuditEntry.objects.get(action="cases.export_identities")
            self.assertEqual(entry.details["format"], "esf")
            base = ["import", str(out), "--organization", target.slug, "--format", "esf"]
            self.assertEqual(run_command([*base, "--dry-run"]), 0)
            self.assertFalse(Event.objects.filter(organization=target).exists())
            self.assertEqual(run_command(base), 0)
            self.assertEqual(snapshot(target), snapshot(self.org))
            doc = json.loads(out.read_text())
            doc["biographic_details"][0]["related_person"] = doc["biographic_details"][0]["person"]
            out.write_text(json.dumps(doc))
            other = self.fresh_organization("destino-cli-2")
            bad = ["import", str(out), "--organization", other.slug, "--format", "esf"]
            self.assertEqual(run_command(bad), 1)
            self.assertFalse(Event.objects.filter(organization=other).exists())


class PageTests(FormatFixtures):
    def url(self, slug=None):
        return f"/o/{slug or self.org.slug}/cases/import/standard/"

    def post(self, fmt: str, content: bytes, **extra):
        upload = SimpleUploadedFile(f"casos.{fmt}", content)
        return self.client.post(self.url(), {"format": fmt, "file": upload, **extra})

    def test_personas(self):
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url()).status_code, 404)
        for user in (self.reader, self.analyst):
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url()).status_code, 403)
            response = self.post("esf", exported(self.org, "esf"))
            self.assertEqual(response.status_code, 403)
        for user in (self.documenter, self.coordinator):
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url()).status_code, 200)

    def test_a_documenter_imports_an_esf_file_into_her_organization(self):
        content = exported(self.org, "esf")
        before = Event.objects.filter(organization=self.org).count()
        self.client.force_login(self.documenter)
        checked = self.post("esf", content, check_only="on")
        self.assertEqual(checked.status_code, 200)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), before)
        response = self.post("esf", content)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), before * 2)
        self.assertFalse(Event.objects.filter(organization=self.other_org).exists())

    def test_the_page_lists_every_problem_and_saves_nothing(self):
        doc = json.loads(exported(self.org, "esf"))
        doc["acts"][0]["type_of_act"] = "abducción marciana"
        before = Event.objects.count()
        self.client.force_login(self.documenter)
        response = self.post("esf", json.dumps(doc).encode())
        self.assertEqual(response.status_code, 422)
        self.assertContains(response, "abducción marciana", status_code=422)
        self.assertEqual(Event.objects.count(), before)
        unreadable = self.post("hxl", b"a,b\n1,2\n")
        self.assertEqual(unreadable.status_code, 422)
        self.assertEqual(Event.objects.count(), before)

    def test_the_export_page_offers_the_standard_formats(self):
        self.client.force_login(self.reader)
        for fmt, marker in (("esf", b"huridocs-esf"), ("uwazi", b"title,"), ("hxl", b"#event+id")):
            response = self.client.post(f"/o/{self.org.slug}/cases/export/", {"format": fmt})
            self.assertEqual(response.status_code, 200, fmt)
            self.assertIn(marker, response.content)
            self.assertNotIn("Hernández", response.content.decode())
        self.assertTrue(
            AuditEntry.objects.filter(action="cases.export", details__format="hxl").exists()
        )
