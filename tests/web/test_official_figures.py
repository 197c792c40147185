"""Official figures (SESNSP, RNPDNO): the parser, all-or-nothing imports, and the
side-by-side comparison with documented cases, worked out by hand."""

from __future__ import annotations

import datetime
import zlib

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import translation

from memoria.analysis import comparison, official, official_actions
from memoria.analysis.models import OfficialCount, OfficialDataset
from memoria.audit.models import AuditEntry
from memoria.cases.io.mapping import MappingError
from memoria.jobs.worker import drain
from memoria.places.models import Municipality, State
from tests.web.cases_fixtures import CaseFixtures

HEADER = [
    "Año", "Clave_Ent", "Entidad", "Cve. Municipio", "Municipio", "Bien jurídico afectado",
    "Tipo de delito", "Subtipo de delito", "Modalidad", "Enero", "Febrero", "Marzo", "Abril",
    "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre", "Noviembre", "Diciembre",
]  # fmt: skip
LIFE = "La vida y la Integridad corporal"
ZEROS = ["0"] * 12


def months(**filled) -> list[str]:
    """Twelve month cells, zero but for ``m1=3`` and the like."""
    cells = list(ZEROS)
    for key, value in filled.items():
        cells[int(key[1:]) - 1] = str(value)
    return cells


# fmt: off
ROWS = [
    ["2023", "8", "Chihuahua", "8017", "Cuauhtémoc", LIFE, "Homicidio", "Homicidio doloso",
     "Con arma de fuego", *months(m1=3, m3=1, m12=2)],
    ["2023", "8", "Chihuahua", "8017", "Cuauhtémoc", LIFE, "Homicidio", "Homicidio doloso",
     "Con arma blanca", *months(m1=1)],
    ["2023", "8", "Chihuahua", "8019", "Chihuahua", LIFE, "Homicidio", "Homicidio doloso",
     "Con arma de fuego", *months(m1=10)],
    # SESNSP's own code for "other municipalities": counts for the state only.
    ["2023", "8", "Chihuahua", "8998", "Otros municipios", LIFE, "Homicidio",
     "Homicidio doloso", "Con arma de fuego", *months(m12=4)],
    ["2023", "12", "Guerrero", "12001", "Acapulco de Juárez", "El patrimonio", "Extorsión",
     "Extorsión", "Extorsión", *months(m5=2)],
    # The current year: only January and February published (the rest empty).
    ["2024", "8", "Chihuahua", "8017", "Cuauhtémoc", LIFE, "Homicidio", "Homicidio doloso",
     "Con arma de fuego", "2", "1", *[""] * 10],
]
# fmt: on


def sesnsp_file(rows=ROWS, header=HEADER) -> bytes:
    """The SESNSP layout as the site serves it: Latin-1, commas, every cell quoted."""
    lines = [",".join(f'"{cell}"' for cell in row) for row in [header, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


RNPDNO_FILE = "Entidad;Año;Total\nChihuahua;2023;120\nCiudad de México;2023;50\nGuerrero;2023;30\n"

SESNSP_MAPPING = {
    "year": "Año",
    "state": "Clave_Ent",
    "municipality": "Cve. Municipio",
    "category": "Subtipo de delito",
    **{f"month_{i + 1}": name for i, name in enumerate(HEADER[9:])},
}


class SesnspParserTests(SimpleTestCase):
    def test_it_guesses_the_real_columns(self):
        headers, delimiter = official.read_headers(sesnsp_file())
        self.assertEqual(delimiter, ",")
        self.assertEqual(headers, HEADER)  # accents read from Latin-1
        self.assertEqual(official.guess_mapping(official.SESNSP, headers), SESNSP_MAPPING)

    def test_it_adds_up_the_known_answer(self):
        parsed = official.parse(official.SESNSP, sesnsp_file(), SESNSP_MAPPING)
        self.assertTrue(parsed.ok, parsed.problems)
        self.assertEqual(parsed.encoding, "cp1252")
        self.assertEqual(parsed.rows, 6)
        self.assertEqual(parsed.unknown_municipalities, 1)
        homicide = "Homicidio doloso"
        self.assertEqual(
            dict(parsed.counts),
            {
                ("08", "08017", 2023, 1, homicide): 4,  # two modalities added up
                ("08", "08017", 2023, 3, homicide): 1,
                ("08", "08017", 2023, 12, homicide): 2,
                ("08", "08019", 2023, 1, homicide): 10,
                ("08", "", 2023, 12, homicide): 4,
                ("12", "12001", 2023, 5, "Extorsión"): 2,
                ("08", "08017", 2024, 1, homicide): 2,
                ("08", "08017", 2024, 2, homicide): 1,
            },
        )
        self.assertEqual(parsed.periods, {2023: set(range(1, 13)), 2024: {1, 2}})

    def test_it_reads_the_same_file_in_utf8_with_semicolons(self):
        text = "\n".join(";".join(row) for row in [HEADER, *ROWS])
        parsed = official.parse(official.SESNSP, ("\ufeff" + text).encode(), SESNSP_MAPPING)
        self.assertTrue(parsed.ok)
        self.assertEqual(sum(parsed.counts.values()), 26)

    def test_it_reports_every_bad_row_with_its_number(self):
        rows = [list(ROWS[0]), list(ROWS[1]), list(ROWS[2])]
        rows[0][9] = "tres"
        rows[2][3] = "Chihuahua"
        parsed = official.parse(official.SESNSP, sesnsp_file(rows), SESNSP_MAPPING)
        self.assertFalse(parsed.ok)
        self.assertEqual(
            [(p.row, p.column, p.value) for p in parsed.problems],
            [(2, "Enero", "tres"), (4, "Cve. Municipio", "Chihuahua")],
        )

    def test_a_mapping_that_does_not_fit_the_file_is_refused(self):
        with self.assertRaisesMessage(MappingError, "“Mes”"):
            official.parse(official.SESNSP, sesnsp_file(), {**SESNSP_MAPPING, "month_1": "Mes"})
        without_march = {k: v for k, v in SESNSP_MAPPING.items() if k != "month_3"}
        with translation.override("en"), self.assertRaisesMessage(MappingError, "March"):
            official.check_mapping(official.SESNSP, without_march, HEADER)

    def test_rnpdno_reads_states_by_name(self):
        mapping = official.guess_mapping(official.RNPDNO, ["Entidad", "Año", "Total"])
        self.assertEqual(mapping, {"year": "Año", "state": "Entidad", "count": "Total"})
        parsed = official.parse(official.RNPDNO, RNPDNO_FILE.encode(), mapping)
        self.assertEqual(
            dict(parsed.counts),
            {
                ("08", "", 2023, 0, ""): 120,
                ("09", "", 2023, 0, ""): 50,
                ("12", "", 2023, 0, ""): 30,
            },
        )


class OfficialFiguresTests(CaseFixtures):
    """Cases of organization A worked out by hand against the file above."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_case = cls.make_case.__get__(cls)
        add = cls.add_victim.__get__(cls)

        def make(organization=None, violation="homicide", **event):
            case = make_case(organization, **event)
            add(case, violation=violation)
            return case

        acapulco = {
            "state": State.objects.get(code="12"),
            "municipality": Municipality.objects.get(cvegeo="12001"),
        }
        chihuahua = {"municipality": Municipality.objects.get(cvegeo="08019")}
        make(start_date=datetime.date(2023, 1, 10))
        second = make(start_date=datetime.date(2023, 1, 20))
        add(second)  # two direct victims
        make(start_date=datetime.date(2023, 3, 2), violation="enforced_disappearance", **chihuahua)
        make(start_date=datetime.date(2023, 5, 5), **acapulco)
        make(start_date=datetime.date(2024, 6, 1))  # a month not yet published
        make(start_date=datetime.date(2024, 2, 11))
        make(start_date=datetime.date(2023, 1, 1), start_precision="year")
        make(cls.other_org, start_date=datetime.date(2023, 1, 10))
        cls.sesnsp = cls.imported(official.SESNSP, sesnsp_file(), "IDM_NM_2024.csv")
        cls.rnpdno = cls.imported(official.RNPDNO, RNPDNO_FILE.encode("utf-8"), "rnpdno.csv")

    @classmethod
    def imported(cls, source, data, name) -> OfficialDataset:
        dataset = official_actions.upload(cls.org, cls.analyst, source, name, data)
        parsed = official.parse(source, data, dataset.mapping)
        official_actions.write_counts(dataset, parsed, cls.analyst)
        return dataset

    def setUp(self):
        super().setUp()
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def compare(self, dataset, **choice):
        return comparison.compare(self.org, dataset, comparison.Choice(**choice))

    def rows(self, rows):
        return [(row.code, row.documented, row.official) for row in rows]

    # -- the figures, side by side ---------------------------------------------------------

    def test_it_compares_cases_by_year_and_state(self):
        found = self.compare(self.sesnsp)
        self.assertEqual(found["measure"], "cases")
        # 2023: five cases (the year-only one counts in January); 2024: only February's,
        # as the file has January and February only. Official: 23 and 3.
        self.assertEqual(self.rows(found["by_year"]), [("2023", 5, 23), ("2024", 1, 3)])
        self.assertAlmostEqual(found["by_year"][0].ratio, 500 / 23)
        self.assertEqual((found["total"].documented, found["total"].official), (6, 26))
        self.assertEqual(self.rows(found["places"]), [("08", 5, 24), ("12", 1, 2)])
        self.assertEqual(found["partial_years"], {2024: [1, 2]})

    def test_it_compares_the_municipalities_of_a_state(self):
        found = self.compare(self.sesnsp, state="08")
        self.assertEqual(found["level"], "municipalities")
        self.assertEqual(self.rows(found["places"]), [("08017", 4, 10), ("08019", 1, 10)])
        self.assertEqual(found["places"][0].ratio, 40.0)
        self.assertEqual((found["unplaced"].documented, found["unplaced"].official), (0, 4))

    def test_it_filters_the_category_the_violation_and_the_years(self):
        found = self.compare(
            self.sesnsp,
            category="Homicidio doloso",
            violation=self.term_id("homicide"),
            start_year=2023,
            end_year=2023,
        )
        self.assertEqual(self.rows(found["by_year"]), [("2023", 4, 21)])
        self.assertEqual(self.rows(found["places"]), [("08", 3, 21), ("12", 1, 0)])
        self.assertIsNone(found["places"][1].ratio)

    def test_it_compares_direct_victims_with_the_rnpdno(self):
        found = self.compare(self.rnpdno)
        self.assertEqual(found["measure"], "victims")
        # Six direct victims in 2023 (the second case has two); all of 2023 counts.
        self.assertEqual(self.rows(found["by_year"]), [("2023", 6, 200)])
        disappearances = self.compare(self.rnpdno, violation=self.term_id("enforced_disappearance"))
        self.assertEqual(
            self.rows(disappearances["places"]), [("08", 1, 120), ("09", 0, 50), ("12", 0, 30)]
        )
        self.assertAlmostEqual(disappearances["places"][0].ratio, 100 / 120)

    def term_id(self, code):
        from tests.web.cases_fixtures import term

        return term("violation_type", code).pk

    def test_the_page_shows_the_figures_the_caveats_and_says_why_no_estimate(self):
        self.client.force_login(self.reader)
        url = reverse("official_figures:compare", args=[self.org.slug, self.sesnsp.pk])
        response = self.client.get(url, {"state": "08"})
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("<svg", html)
        self.assertIn("<td>4</td><td>10</td><td>40.0</td>", html)
        self.assertIn("Documented cases are not all cases", html)
        self.assertIn("shown here to analysts and coordinators", html)
        self.assertNotIn("<script>", html)  # no inline script: it works without JavaScript
        self.client.force_login(self.analyst)
        response = self.client.get(url, {"state": "08"})
        self.assertContains(response, "No estimate has been made for the states and years")

    # -- imports through the web and the worker --------------------------------------------

    def upload(self, user, data, source=official.SESNSP):
        self.client.force_login(user)
        upload = SimpleUploadedFile("IDM.csv", data, content_type="text/csv")
        return self.client.post(
            reverse("official_figures:upload", args=[self.org.slug]),
            {"source": source, "file": upload},
        )

    def choose(self, dataset, mapping):
        return self.client.post(
            reverse("official_figures:columns", args=[self.org.slug, dataset.pk]),
            {**mapping, "version": dataset.version, "token": "t1"},
        )

    def test_an_analyst_imports_a_file_in_the_worker(self):
        response = self.upload(self.analyst, sesnsp_file())
        dataset = OfficialDataset.objects.latest("pk")
        self.assertRedirects(
            response, reverse("official_figures:columns", args=[self.org.slug, dataset.pk])
        )
        self.assertEqual(dataset.mapping, SESNSP_MAPPING)
        self.assertEqual(self.choose(dataset, SESNSP_MAPPING).status_code, 302)
        drain()
        dataset.refresh_from_db()
        self.assertEqual(dataset.status, OfficialDataset.Status.READY)
        self.assertEqual(dataset.held_file, b"")
        self.assertEqual(dataset.counts.count(), 8)
        self.assertEqual(sum(dataset.counts.values_list("count", flat=True)), 26)
        self.assertTrue(AuditEntry.objects.filter(action="official.import").exists())

    def test_an_upload_without_a_source_is_shown_again_and_keeps_nothing(self):
        self.client.force_login(self.analyst)
        upload = SimpleUploadedFile("IDM.csv", sesnsp_file(), content_type="text/csv")
        response = self.client.post(
            reverse("official_figures:upload", args=[self.org.slug]), {"file": upload}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertEqual(OfficialDataset.objects.filter(organization=self.org).count(), 2)

    def test_a_mapping_error_writes_nothing(self):
        self.upload(self.analyst, sesnsp_file())
        dataset = OfficialDataset.objects.latest("pk")
        response = self.choose(dataset, {**SESNSP_MAPPING, "month_3": ""})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Choose a column for every required field: March.")
        dataset.refresh_from_db()
        self.assertEqual(dataset.status, OfficialDataset.Status.PENDING)
        self.assertFalse(dataset.counts.exists())
        self.assertIsNone(dataset.job)

    def test_a_mapping_that_no_longer_fits_fails_the_job_and_writes_nothing(self):
        self.upload(self.analyst, sesnsp_file())
        dataset = OfficialDataset.objects.latest("pk")
        self.choose(dataset, SESNSP_MAPPING)
        # The file changed under the mapping (another header): the worker refuses it.
        OfficialDataset.objects.filter(pk=dataset.pk).update(
            held_file=zlib.compress(sesnsp_file(header=[*HEADER[:9], "Ene", *HEADER[10:]]))
        )
        before = OfficialCount.objects.count()
        drain()
        dataset.refresh_from_db()
        self.assertEqual(dataset.status, OfficialDataset.Status.FAILED)
        self.assertIn("“Enero”", dataset.error)
        self.assertEqual(OfficialCount.objects.count(), before)

    def test_one_bad_row_imports_nothing_and_lists_the_problem(self):
        rows = [list(row) for row in ROWS]
        rows[4][13] = "dos"  # Acapulco's May
        self.upload(self.analyst, sesnsp_file(rows))
        dataset = OfficialDataset.objects.latest("pk")
        self.choose(dataset, SESNSP_MAPPING)
        before = OfficialCount.objects.count()
        drain()
        dataset.refresh_from_db()
        self.assertEqual(dataset.status, OfficialDataset.Status.FAILED)
        self.assertEqual(OfficialCount.objects.count(), before)
        self.assertEqual(
            dataset.problems,
            [{"row": 6, "column": "Mayo", "value": "dos", "message": "Not a whole number."}],
        )
        response = self.client.get(reverse("official_figures:list", args=[self.org.slug]))
        self.assertContains(response, "nothing was imported")
        self.assertContains(response, "<td>6</td><td>Mayo</td><td>dos</td>", html=False)

    # -- personas --------------------------------------------------------------------------

    def test_every_member_reads_the_comparison_and_an_outsider_gets_404(self):
        url = reverse("official_figures:compare", args=[self.org.slug, self.sesnsp.pk])
        listing = reverse("official_figures:list", args=[self.org.slug])
        for user in (self.coordinator, self.documenter, self.analyst, self.reader):
            self.client.force_login(user)
            self.assertEqual(self.client.get(url).status_code, 200)
            self.assertEqual(self.client.get(listing).status_code, 200)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.get(listing).status_code, 404)

    def test_readers_and_documenters_cannot_import_or_delete(self):
        delete = reverse("official_figures:delete", args=[self.org.slug, self.sesnsp.pk])
        columns = reverse("official_figures:columns", args=[self.org.slug, self.sesnsp.pk])
        for user in (self.reader, self.documenter):
            self.assertEqual(self.upload(user, sesnsp_file()).status_code, 403)
            self.assertEqual(self.client.post(delete).status_code, 403)
            self.assertEqual(self.client.post(columns).status_code, 403)
        self.assertTrue(OfficialDataset.objects.filter(pk=self.sesnsp.pk).exists())
        self.assertEqual(OfficialDataset.objects.filter(organization=self.org).count(), 2)

    def test_another_organization_cannot_see_or_delete_a_dataset(self):
        other = self.make_member_of_other()
        self.client.force_login(other)
        for name in ("compare", "columns"):
            url = reverse(f"official_figures:{name}", args=[self.other_org.slug, self.sesnsp.pk])
            self.assertEqual(self.client.get(url).status_code, 404)
        delete = reverse("official_figures:delete", args=[self.other_org.slug, self.sesnsp.pk])
        self.assertEqual(self.client.post(delete).status_code, 404)
        self.assertTrue(OfficialDataset.objects.filter(pk=self.sesnsp.pk).exists())

    def make_member_of_other(self):
        from memoria.accounts.roles import Role
        from tests.web.base import make_member

        return make_member(self.other_org, "coord@sur.example", Role.COORDINATOR, "Sur Coord")

    def test_an_analyst_deletes_a_dataset_with_its_counts(self):
        self.client.force_login(self.analyst)
        delete = reverse("official_figures:delete", args=[self.org.slug, self.rnpdno.pk])
        self.assertEqual(self.client.post(delete).status_code, 302)
        self.assertFalse(OfficialCount.objects.filter(dataset_id=self.rnpdno.pk).exists())
        self.assertTrue(AuditEntry.objects.filter(action="official.delete").exists())


class EstimatesBesideOfficialFiguresTests(CaseFixtures):
    """An estimate stratified by state and year, set beside its state and year only, for
    those who may open estimates."""

    RNPDNO = "Entidad;Año;Total\nChihuahua;2020;120\nChihuahua;2021;80\nGuerrero;2020;30\n"

    @classmethod
    def setUpTestData(cls):
        from memoria.analysis.models import Estimate, LinkageRun

        super().setUpTestData()
        for day in (datetime.date(2020, 3, 1), datetime.date(2020, 7, 9)):
            cls.add_victim(cls, cls.make_case(cls, start_date=day))  # Cuauhtémoc, Chihuahua
        cls.add_victim(cls, cls.make_case(cls, start_date=datetime.date(2021, 2, 2)))
        cls.dataset = OfficialFiguresTests.imported.__func__(
            cls, official.RNPDNO, cls.RNPDNO.encode("utf-8"), "rnpdno.csv"
        )
        run = LinkageRun.objects.create(organization=cls.org)

        def stored(strata, parts, **when):
            report = {"observed": sum(p["observed"] for p in parts.values()), "strata": parts}
            table = {"lists": ["A", "B", "C"], "strata": {label: [] for label in parts}}
            return Estimate.objects.create(
                organization=cls.org,
                run=run,
                options={"strata": strata, "methods": ["loglinear", "lcmcr"]},
                result={"table": table, "report": report},
                **when,
            )

        def part(observed, estimate, low, high):
            figure = {"estimate": estimate, "interval": [low, high], "model": "A:B"}
            return {"observed": observed, "loglinear": figure, "lcmcr": {**figure}}

        earlier = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        stored("state_period", {"08/2020": part(40, 70.0, 50.0, 90.0)}, created_at=earlier)
        cls.estimate = stored(
            "state_period",
            {
                "08/2020": part(40, 95.5, 61.2, 190.8),
                "12/2019": part(10, 30.0, 20.0, 50.0),  # a year the file does not have
                "?/2021": part(5, 9.0, 6.0, 14.0),  # an unknown state: no cell
            },
        )
        stored("state", {"12": part(12, 44.0, 30.0, 70.0)})  # every year: no cell
        Estimate.objects.create(organization=cls.org, run=run, options={"strata": "state_period"})

    def page(self, user, **query):
        self.client.force_login(user)
        url = reverse("official_figures:compare", args=[self.org.slug, self.dataset.pk])
        return self.client.get(url, {"lang": "en", **query})

    def test_the_estimate_of_chihuahua_2020_is_beside_that_row_only(self):
        rows = comparison.stratum_estimates(self.org, self.dataset, comparison.Choice())
        found = [(r.state, r.year, r.documented, r.official, r.value, r.low, r.high) for r in rows]
        self.assertEqual(found, [("08", 2020, 2, 120, 95.5, 61.2, 190.8)])
        self.assertEqual(
            (rows[0].estimate, rows[0].method, rows[0].observed), (self.estimate, "lcmcr", 40)
        )
        only_guerrero = comparison.Choice(state="12")
        self.assertEqual(comparison.stratum_estimates(self.org, self.dataset, only_guerrero), [])

    def test_an_estimate_averaged_over_models_shows_its_average(self):
        from memoria.analysis.models import Estimate

        average = {"estimate": 101.0, "interval": [70.0, 240.0], "criterion": "bic"}
        best = {"estimate": 95.5, "interval": [61.2, 190.8], "model": "A:B"}

        def averaged(methods, **part):
            parts = {"08/2020": {"observed": 40, **part}}
            return Estimate.objects.create(
                organization=self.org,
                run=self.estimate.run,
                options={"strata": "state_period", "methods": methods, "criterion": "bic"},
                result={
                    "table": {"lists": ["A", "B", "C"], "strata": {"08/2020": []}},
                    "report": {"observed": 40, "strata": parts},
                },
            )

        # Log-linear alone: the average (its interval carries the models' disagreement).
        newer = averaged(["loglinear"], loglinear={**best, "model_average": average})
        rows = comparison.stratum_estimates(self.org, self.dataset, comparison.Choice())
        found = [(r.estimate, r.method, r.value, r.low, r.high, r.average) for r in rows]
        self.assertEqual(found, [(newer, "average", 101.0, 70.0, 240.0, None)])
        # With LCMCR: LCMCR, and the average beside it.
        lcmcr = {"estimate": 99.0, "interval": [65.0, 230.0]}
        averaged(["loglinear", "lcmcr"], loglinear={**best, "model_average": average}, lcmcr=lcmcr)
        (row,) = comparison.stratum_estimates(self.org, self.dataset, comparison.Choice())
        self.assertEqual((row.method, row.value), ("lcmcr", 99.0))
        self.assertEqual(row.average, (101.0, 70.0, 240.0))
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        html = self.page(self.analyst).content.decode()
        self.assertIn("average over log-linear models: 101, 95% interval 70 – 240", html)

    def test_an_analyst_sees_it_with_its_interval_caveats_and_link(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.page(self.analyst)
        html = response.content.decode()
        self.assertEqual(response.status_code, 200)
        row = html[
            html.index('data-stratum="08/2020"') : html.index(
                "</tr>", html.index('data-stratum="08/2020"')
            )
        ]
        self.assertIn(">2<", row)  # documented direct victims
        self.assertIn(">120<", row)  # official
        self.assertIn(">96<", row)  # the estimate
        self.assertIn("61 – 191", row)
        self.assertIn(reverse("analysis:estimate", args=[self.org.slug, self.estimate.pk]), row)
        self.assertEqual(html.count("data-stratum="), 1)
        self.assertIn("Memoria does not know which violation or official category", html)
        self.assertIn("<circle", html)
        entry = AuditEntry.objects.get(action="estimation.view")
        self.assertEqual((entry.actor, entry.target_id), (self.analyst, str(self.estimate.pk)))

    def test_readers_and_documenters_see_no_estimate_and_an_outsider_gets_404(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        for user in (self.reader, self.documenter):
            response = self.page(user)
            self.assertEqual(response.status_code, 200)
            html = response.content.decode()
            self.assertNotIn("data-stratum", html)
            self.assertNotIn("191", html)
            self.assertIn("shown here to analysts and coordinators", html)
        self.assertFalse(AuditEntry.objects.filter(action="estimation.view").exists())
        self.assertEqual(self.page(self.outsider).status_code, 404)
