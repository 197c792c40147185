"""Official lists: importing the registry and forensic lists, and the registry reports."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.audit.models import AuditEntry
from memoria.cases.io.readers import read_table
from memoria.jobs.models import Job
from memoria.jobs.worker import drain
from memoria.places.models import Municipality, State
from memoria.search import actions
from memoria.search.absence import name_probability
from memoria.search.models import (
    AnteMortemFile,
    FamilyContact,
    OfficialImport,
    RegistryDecision,
    RemainsRecord,
)
from memoria.search.official import check_official_table, guess_mapping
from tests.web.search_fixtures import SearchFixtures, file_data

# Headers no guess knows: the import needs the mapping the user chooses.
REGISTRY_HEADERS = "Clave;Persona;Genero;Anios;Cuando;Edo;Mpio;Situacion"
REGISTRY_ROWS = (
    "RNP-001;HERNANDEZ GARCIA JOSE LUIS;HOMBRE;34;14/03/2019;Chihuahua;Cuauhtémoc;DESAPARECIDA",
    "RNP-002;PEREZ SOTO ANA;MUJER;22;2020-06;08;08019;NO LOCALIZADA",
    "RNP-003;;HOMBRE;;2018;Chihuahua;;LOCALIZADA CON VIDA",
    "RNP-004;LOPEZ RUIZ PEDRO;HOMBRE;40;2017-01-10;Jalisco;Zapopan;DESAPARECIDA",
)
REGISTRY_MAPPING = {
    "folio": "Clave",
    "full_name": "Persona",
    "sex": "Genero",
    "age": "Anios",
    "date": "Cuando",
    "state": "Edo",
    "municipality": "Mpio",
    "status": "Situacion",
}
FORENSIC_CSV = (
    "folio semefo,fecha de ingreso,estado,municipio,sexo,edad aproximada,estatura,"
    "estado del cuerpo,ubicacion,vestimenta,senas particulares\n"
    "SEMEFO-CUU-2021-001,02/06/2021,Chihuahua,Cuauhtémoc,Masculino,25 a 35,1.70,"
    "esqueletizado,Fosa común de Cuauhtémoc,pantalón de mezclilla,tatuaje en antebrazo\n"
    "SEMEFO-CUU-2021-002,2021-07-15,08,,Femenino,40,,cuerpo completo,SEMEFO Chihuahua,,\n"
)


def registry_csv(*rows: str) -> bytes:
    return ("\n".join([REGISTRY_HEADERS, *rows]) + "\n").encode()


def registry_record(folio: str) -> AnteMortemFile:
    """The registry record of ``folio`` (folios are encrypted: found in Python)."""
    (record,) = [
        r for r in AnteMortemFile.objects.filter(source="rnpdno") if r.rnpdno_folio == folio
    ]
    return record


def url(org, *parts) -> str:
    return "/".join([f"/o/{org.slug}/search/official", *map(str, parts)]).rstrip("/") + "/"


class OfficialFixtures(SearchFixtures):
    def setUp(self):
        super().setUp()
        self.client.cookies["memoria_language"] = "en"

    def upload(self, content: bytes, kind: str = "rnpdno", mapping=None, name="registro.csv"):
        """Upload, choose the columns (or keep the guess), run the worker: the job."""
        self.client.force_login(self.documenter)
        upload = SimpleUploadedFile(name, content, content_type="text/csv")
        response = self.client.post(
            url(self.org, "import"), {"kind": kind, "publisher": "Corte 2024", "file": upload}
        )
        self.assertEqual(
            response.status_code,
            302,
            getattr(response, "context", None) and response.context["form"].errors,
        )
        if mapping is None:
            mapping = self.client.get(url(self.org, "columns")).context["form"].initial
        response = self.client.post(url(self.org, "columns"), mapping)
        self.assertEqual(response.status_code, 302)
        drain()
        return Job.objects.filter(kind="search.official_import").latest("id"), response["Location"]

    def family_file(self, given, paternal, maternal, organization=None, **overrides):
        organization = organization or self.org
        event = self.make_case(organization)
        act = self.add_victim(
            event,
            violation="enforced_disappearance",
            given_names=given,
            paternal_surname=paternal,
            maternal_surname=maternal,
            sex="male",
        )
        return actions.open_file(
            act.victim, self.documenter, file_data(**{"rnpdno_folio": "", **overrides})
        )


class RegistryImportTests(OfficialFixtures):
    def test_it_imports_the_registry_with_a_mapping_marking_the_source(self):
        job, location = self.upload(registry_csv(*REGISTRY_ROWS[:3]), mapping=REGISTRY_MAPPING)
        self.assertEqual(
            job.result, job.result | {"ok": True, "rows": 3, "created": 3, "updated": 0}
        )
        records = {r.rnpdno_folio: r for r in AnteMortemFile.objects.filter(source="rnpdno")}
        self.assertEqual(set(records), {"RNP-001", "RNP-002", "RNP-003"})
        first = records["RNP-001"]
        self.assertIsNone(first.person)
        self.assertEqual(first.official_name, "HERNANDEZ GARCIA JOSE LUIS")
        self.assertEqual((first.sex, first.age_at_disappearance), ("male", Decimal(34)))
        self.assertEqual(first.last_seen_date, datetime.date(2019, 3, 14))
        self.assertEqual((first.state_id, first.municipality_id), ("08", "08017"))
        self.assertEqual(first.search_status, "searching")
        self.assertEqual(records["RNP-002"].last_seen_precision, "month")
        self.assertEqual(records["RNP-003"].search_status, "found_alive")
        batch = OfficialImport.objects.get()
        self.assertEqual({r.import_batch_id for r in records.values()}, {batch.pk})
        self.assertEqual(
            (batch.kind, batch.publisher, batch.filename), ("rnpdno", "Corte 2024", "registro.csv")
        )
        self.assertFalse(FamilyContact.objects.exists())
        self.assertTrue(AuditEntry.objects.filter(action="search.official_import").exists())
        page = self.client.get(location)
        self.assertContains(page, "3 new records, 0 updated")
        # Registry records are not families' files: the files list does not show them.
        self.assertNotContains(self.client.get(f"/o/{self.org.slug}/search/"), "HERNANDEZ")
        self.assertEqual(
            self.client.get(f"/o/{self.org.slug}/search/files/{first.pk}/").status_code, 404
        )

    def test_importing_the_same_folios_again_updates_them(self):
        self.upload(registry_csv(*REGISTRY_ROWS[:2]), mapping=REGISTRY_MAPPING)
        changed = (
            REGISTRY_ROWS[0]
            .replace("DESAPARECIDA", "LOCALIZADA SIN VIDA")
            .replace("RNP-001", " rnp-001 ")
        )
        job, _location = self.upload(
            registry_csv(changed, REGISTRY_ROWS[1]), mapping=REGISTRY_MAPPING
        )
        self.assertEqual((job.result["created"], job.result["updated"]), (0, 1))
        self.assertEqual(AnteMortemFile.objects.filter(source="rnpdno").count(), 2)
        record = registry_record("rnp-001")
        self.assertEqual(record.official_status, "LOCALIZADA SIN VIDA")
        self.assertEqual((record.search_status, record.version), ("found_deceased", 2))
        self.assertEqual(record.import_batch, OfficialImport.objects.latest("id"))

    def test_a_bad_file_writes_nothing_and_lists_every_problem(self):
        rows = (
            REGISTRY_ROWS[0],
            "RNP-009;X;M;doscientos;31/02/2019;Atlantida;;PERDIDA",
            REGISTRY_ROWS[0].replace("HERNANDEZ", "OTRO"),
        )
        job, location = self.upload(registry_csv(*rows), mapping=REGISTRY_MAPPING)
        self.assertFalse(job.result["ok"])
        self.assertEqual(job.result["bad_rows"], 2)
        self.assertFalse(AnteMortemFile.objects.filter(source="rnpdno").exists())
        self.assertFalse(OfficialImport.objects.exists())
        page = self.client.get(location)
        self.assertContains(page, "Nothing was imported")
        for problem in (
            "could mean man or woman",
            "not a Mexican state",
            "RNP-001",
            "not a status",
        ):
            self.assertContains(page, problem)

    def test_a_mapping_without_the_folio_is_refused(self):
        self.client.force_login(self.documenter)
        upload = SimpleUploadedFile(
            "r.csv", registry_csv(REGISTRY_ROWS[0]), content_type="text/csv"
        )
        self.client.post(url(self.org, "import"), {"kind": "rnpdno", "file": upload})
        response = self.client.post(url(self.org, "columns"), {"full_name": "Persona"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Choose a column for every required field")
        self.assertFalse(Job.objects.exists())


class ForensicImportTests(OfficialFixtures):
    def test_it_imports_a_forensic_list_into_remains_marked_with_their_source(self):
        job, _location = self.upload(FORENSIC_CSV.encode(), kind="forensic", name="semefo.csv")
        self.assertTrue(job.result["ok"], job.result)
        records = {r.semefo_folio: r for r in RemainsRecord.objects.all()}
        first = records["SEMEFO-CUU-2021-001"]
        self.assertEqual(first.source, "forensic_list")
        self.assertEqual((first.age_min, first.age_max), (Decimal(25), Decimal(35)))
        self.assertEqual((first.stature_min_cm, first.stature_max_cm), (Decimal(170), Decimal(170)))
        self.assertEqual((first.condition, first.held_at_kind), ("skeletonized", "common_grave"))
        self.assertEqual(first.found_on, datetime.date(2021, 6, 2))
        self.assertEqual(first.municipality_id, "08017")
        second = records["SEMEFO-CUU-2021-002"]
        self.assertEqual((second.sex_estimate, second.condition), ("female", "complete"))
        self.assertIsNotNone(first.import_batch)
        job, _location = self.upload(FORENSIC_CSV.encode(), kind="forensic", name="semefo.csv")
        self.assertEqual((job.result["created"], job.result["updated"]), (0, 0))
        self.assertEqual(RemainsRecord.objects.count(), 2)

    def test_the_guess_reads_usual_spanish_headers(self):
        table = read_table(FORENSIC_CSV.encode(), "semefo.csv")
        mapping = guess_mapping("forensic", table.headers)
        self.assertEqual(mapping["folio"], "folio semefo")
        self.assertEqual(mapping["condition"], "estado del cuerpo")
        report = check_official_table(table, mapping, "forensic")
        self.assertTrue(report.ok, report.errors)


class AbsenceReportTests(OfficialFixtures):
    def setUp(self):
        super().setUp()
        self.upload(registry_csv(*REGISTRY_ROWS), mapping=REGISTRY_MAPPING)
        # In the registry under a surname-first spelling.
        self.present = self.family_file("José Luis", "Hernández", "García")
        # In no registry record.
        self.absent = self.family_file("María", "Xolalpa", "Ruiz")
        # In the registry by the folio written in the family's file.
        self.by_folio = self.family_file("Ana", "Pérez", "Soto", rnpdno_folio="RNP-002")

    def run_report(self):
        self.client.post(url(self.org, "run"), {"key": "uno"})
        drain()

    def test_a_case_person_missing_from_the_registry_is_listed_and_a_present_one_is_not(self):
        self.run_report()
        page = self.client.get(url(self.org, "absent"))
        self.assertEqual(page.status_code, 200)
        self.assertEqual([f.pk for f in page.context["absent"]], [self.absent.pk])
        listed = {f.pk for _link, f, _r in page.context["uncertain"]}
        self.assertNotIn(self.present.pk, {f.pk for f in page.context["absent"]})
        self.assertNotIn(self.by_folio.pk, listed)
        self.assertContains(page, "Xolalpa")
        csv = self.client.get(url(self.org, "absent"), {"format": "csv"})
        self.assertEqual(csv["Content-Type"], "text/csv")
        body = csv.content.decode("utf-8-sig")
        self.assertIn("María Xolalpa Ruiz", body)
        self.assertNotIn("José Luis", body)

    def test_the_reverse_lists_registry_records_of_our_places_not_in_our_cases(self):
        self.run_report()
        page = self.client.get(url(self.org, "reverse"))
        folios = [r.rnpdno_folio for r in page.context["missing"]]
        # RNP-003 is in Chihuahua (the organization's state) and in no file; RNP-004 is in
        # Jalisco, where the organization does not work.
        self.assertEqual(folios, ["RNP-003"])
        body = self.client.get(url(self.org, "reverse"), {"format": "csv"}).content.decode(
            "utf-8-sig"
        )
        self.assertIn("RNP-003", body)
        self.assertNotIn("RNP-004", body)
        self.assertTrue(AuditEntry.objects.filter(action="search.registry_report").exists())

    def test_an_uncertain_pair_is_decided_by_a_reviewer(self):
        # Same surnames, another given name: neither surely the same nor surely not.
        cousin = self.family_file("Pedro", "Hernández", "García")
        self.run_report()
        page = self.client.get(url(self.org, "absent"))
        pairs = [(f.pk, r.rnpdno_folio) for _link, f, r in page.context["uncertain"]]
        self.assertIn((cousin.pk, "RNP-001"), pairs)
        record = registry_record("RNP-001")
        response = self.client.post(
            url(self.org, "decide"), {"file": cousin.pk, "record": record.pk, "same": "no"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(RegistryDecision.objects.get().same)
        page = self.client.get(url(self.org, "absent"))
        self.assertEqual(page.context["uncertain"], [])
        self.assertIn(cousin.pk, [f.pk for f in page.context["absent"]])
        self.assertTrue(AuditEntry.objects.filter(action="search.registry_decision").exists())

    def test_the_name_rule_reads_names_in_any_order(self):
        record = registry_record("RNP-001")
        probability, _reason = name_probability(self.present, record)
        self.assertGreaterEqual(probability, 0.9)
        self.assertEqual(name_probability(self.absent, record)[0], 0.0)


class OfficialPersonasTests(OfficialFixtures):
    def pages(self, org):
        return [
            url(org),
            url(org, "import"),
            url(org, "columns"),
            url(org, "absent"),
            url(org, "reverse"),
        ]

    def test_an_outsider_gets_404_everywhere(self):
        self.client.force_login(self.outsider)
        for page in self.pages(self.org):
            self.assertEqual(self.client.get(page).status_code, 404, page)
        for page in (url(self.org, "run"), url(self.org, "decide")):
            self.assertEqual(self.client.post(page, {}).status_code, 404, page)

    def test_a_reader_reads_the_reports_but_cannot_import_or_decide(self):
        self.client.force_login(self.reader)
        for page in (url(self.org), url(self.org, "absent"), url(self.org, "reverse")):
            self.assertEqual(self.client.get(page).status_code, 200, page)
        upload = SimpleUploadedFile(
            "r.csv", registry_csv(REGISTRY_ROWS[0]), content_type="text/csv"
        )
        response = self.client.post(url(self.org, "import"), {"kind": "rnpdno", "file": upload})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.post(url(self.org, "decide"), {}).status_code, 403)
        self.assertFalse(Job.objects.exists())

    def test_an_analyst_sees_none_of_it(self):
        self.client.force_login(self.analyst)
        for page in self.pages(self.org):
            self.assertIn(self.client.get(page).status_code, (403, 404), page)

    def test_another_organizations_registry_records_never_appear(self):
        self.upload(registry_csv(*REGISTRY_ROWS), mapping=REGISTRY_MAPPING)
        self.family_file(
            "María",
            "Xolalpa",
            "Ruiz",
            organization=self.other_org,
            state=State.objects.get(code="08"),
            municipality=Municipality.objects.get(cvegeo="08017"),
        )
        self.client.force_login(self.outsider)
        self.client.post(f"/o/{self.other_org.slug}/search/official/run/", {"key": "sur"})
        drain()
        page = self.client.get(f"/o/{self.other_org.slug}/search/official/reverse/")
        self.assertEqual(page.context["missing"], [])
        self.assertEqual(page.context["comparison"].records, [])


class OfficialRecordsFeedTheMatchingTests(OfficialFixtures):
    """Registry records and forensic lists are matched like the families' records."""

    def setUp(self):
        super().setUp()
        self.linked = self.family_file("Ana", "Pérez", "Soto", rnpdno_folio="rnp-002 ")
        self.upload(registry_csv(*REGISTRY_ROWS), mapping=REGISTRY_MAPPING)
        self.upload(FORENSIC_CSV.encode(), kind="forensic", name="semefo.csv")

    def test_the_imports_queue_a_rematch_that_ranks_registry_records_and_forensic_remains(self):
        from memoria.search.frames import missing_frame, remains_frame
        from memoria.search.models import Candidate

        # One for the family's file, one for each import.
        self.assertEqual(Job.objects.filter(kind="search.rematch", status="done").count(), 3)
        missing = set(missing_frame(self.org)["missing_id"])
        rnp1, rnp2 = registry_record("RNP-001"), registry_record("RNP-002")
        self.assertIn(f"AM-{rnp1.pk}", missing)
        # The family's file carries RNP-002's folio: the same person is not proposed twice.
        self.assertNotIn(f"AM-{rnp2.pk}", missing)
        self.assertIn(f"AM-{self.linked.pk}", missing)
        # Found alive in the registry: nobody's candidate.
        self.assertNotIn(f"AM-{registry_record('RNP-003').pk}", missing)
        forensic = {r.pk for r in RemainsRecord.objects.all() if r.source == "forensic_list"}
        self.assertEqual(len(forensic), 2)
        self.assertEqual(
            {f"PM-{pk}" for pk in forensic}, set(remains_frame(self.org)["remains_id"])
        )
        candidates = list(Candidate.objects.filter(organization=self.org))
        self.assertIn(rnp1.pk, {c.file_id for c in candidates})
        [candidate] = [c for c in candidates if c.file_id == rnp1.pk][:1]
        self.client.force_login(self.reader)
        page = self.client.get(f"/o/{self.org.slug}/search/candidates/{candidate.pk}/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "National registry (RNPDNO), folio RNP-001")
        self.assertContains(page, "A forensic service&#x27;s list")
        queue = self.client.get(f"/o/{self.org.slug}/search/review/")
        self.assertContains(queue, "National registry (RNPDNO)")
        self.assertContains(queue, "HERNANDEZ GARCIA JOSE LUIS")

    def test_a_registry_record_decided_to_be_a_familys_file_is_left_out(self):
        from memoria.search.frames import missing_frame

        file = self.family_file("José Luis", "Hernández", "García")
        record = registry_record("RNP-001")
        RegistryDecision.objects.create(
            organization=self.org, file=file, registry_record=record, same=True
        )
        missing = set(missing_frame(self.org)["missing_id"])
        self.assertNotIn(f"AM-{record.pk}", missing)
        self.assertIn(f"AM-{file.pk}", missing)
