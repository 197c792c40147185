"""Importing cases from CSV and Excel: pages, all-or-nothing, the report of bad rows."""

from __future__ import annotations

import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from memoria.audit.models import AuditEntry
from memoria.cases.caseindex import indexed_month
from memoria.cases.io.importer import import_table
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import read_table
from memoria.cases.io.validation import parse_partial_date
from memoria.cases.models import Act, Attribution, Change, Event, Person, Source, Term
from memoria.cases.search import search_people
from memoria.cli.common import CommandError
from memoria.jobs.worker import drain
from tests.web.base import MemoriaTestCase


def run_command(argv: list[str]) -> int:
    """Run ``memoria import`` / ``memoria export`` in this process (and this test database),
    as ``memoria.cli.main`` does, building only the parser under test."""
    import argparse
    import importlib

    parser = argparse.ArgumentParser(prog="memoria")
    subparsers = parser.add_subparsers(dest="command", required=True)
    module = {"import": "import_", "export": "export"}[argv[0]]
    importlib.import_module(f"memoria.cli.{module}").register(subparsers)
    args = parser.parse_args(argv)
    try:
        return args.handler(args) or 0
    except CommandError as error:
        return error.exit_code


HEADER = (
    "Referencia,Título,Fecha de los hechos,Estado,Municipio,Nombre(s),Apellido paterno,"
    "Apellido materno,Sexo,Edad,CURP,Tipo de violación,Situación,Presunto responsable,"
    "Tipo de fuente,Fuente"
)
GOOD_ROWS = [
    "C-1,Desaparición de Juan Pérez,14/03/2019,Chihuahua,Cuauhtémoc,Juan,Pérez,López,H,34,,"
    "Desaparición cometida por particulares,Sigue desaparecida,Grupo del crimen organizado,"
    "Testimonio,Entrevista con la madre",
    "C-1,Desaparición de Juan Pérez,14/03/2019,Chihuahua,Cuauhtémoc,Pedro,Pérez,López,H,29,,"
    "disappearance_private,still_missing,organized_crime,testimony,Entrevista con la madre",
    "C-2,Ejecución en Juárez,2020-07,08,08037,María Guadalupe,Hernández,,M,,,"
    "extrajudicial_execution,found_dead,army,press,Diario del Norte 2020-07-15",
]


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


class ImportTableTests(MemoriaTestCase):
    def run_import(self, content: bytes, filename: str = "casos.csv", **kwargs):
        table = read_table(content, filename)
        return import_table(
            table, guess_mapping(table.headers), self.org, self.documenter, **kwargs
        )

    def test_it_imports_every_row_and_groups_rows_into_events(self):
        report = self.run_import(csv_bytes(*GOOD_ROWS))
        self.assertTrue(report.committed, report.errors)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 2)
        self.assertEqual(Act.objects.filter(organization=self.org).count(), 3)
        self.assertEqual(Person.objects.filter(organization=self.org).count(), 3)
        event = Event.objects.get(organization=self.org, number=1)
        self.assertEqual(event.title, "Desaparición de Juan Pérez")
        self.assertEqual(str(event.start_date), "2019-03-14")
        self.assertEqual(event.municipality_id, "08017")  # Cuauhtémoc, Chihuahua
        second = Event.objects.get(organization=self.org, number=2)
        self.assertEqual(
            (second.start_precision, str(indexed_month(second))), ("month", "2020-07-01")
        )
        (army,) = [
            a for a in Attribution.objects.filter(organization=self.org) if a.kind.code == "army"
        ]
        self.assertTrue(army.kind.state_actor)
        self.assertEqual(Source.objects.filter(event=event).count(), 1)
        self.assertEqual(Source.objects.get(event=event).acts.count(), 2)
        self.assertEqual(Change.objects.filter(event=event, actor=self.documenter).count(), 1)

    def test_it_makes_imported_people_findable_by_a_misspelt_name(self):
        self.run_import(csv_bytes(*GOOD_ROWS))
        hits = search_people(self.org, "Guadalupe Hernandes")
        self.assertTrue(hits)
        self.assertEqual(Person.objects.get(pk=hits[0].person_id).paternal_surname, "Hernández")

    def test_it_writes_nothing_from_a_malformed_file_and_reports_every_bad_row(self):
        rows = [
            GOOD_ROWS[0],
            "C-3,Amenaza,31/02/2019,Chihuahua,Cuauhtémoc,Ana,Ruiz,,M,,,threat,,,,",  # bad date
            "C-4,Amenaza,2019,Chihuahua,Ciudad Inventada,Luis,Soto,,H,,,threat,,,,",  # municipality
            "C-5,Amenaza,2019,Chihuahua,Juárez,,,,H,,,threat,,,,",  # no name
            "C-6,Amenaza,2019,Chihuahua,Juárez,Eva,Luna,,M,,PELJ850314HCHRPN0X,threat,,,,",  # CURP
            "C-7,Amenaza,2019,Chihuahua,Juárez,Eva,Luna,,M,,,lluvia,,,,",  # unknown violation
        ]
        report = self.run_import(csv_bytes(*rows))
        self.assertFalse(report.committed)
        self.assertEqual(Event.objects.count(), 0)
        self.assertEqual(Person.objects.count(), 0)
        bad = {row: {e.column for e in errors} for row, errors in report.bad_rows}
        self.assertEqual(
            bad,
            {
                3: {"event_date"},
                4: {"municipality"},
                5: {"given_names"},
                6: {"curp"},
                7: {"violation_type"},
            },
        )

    def test_it_reports_a_row_relying_on_a_retired_default_term(self):
        Term.objects.filter(
            organization=None, vocabulary__code="perpetrator_kind", code="unknown"
        ).update(is_active=False)
        Term.objects.filter(organization=None, vocabulary__code="source_kind", code="other").update(
            is_active=False
        )
        header = "Título,Fecha,Municipio,Nombre,Apellido paterno,Violación,Grupo,Fuente"
        rows = [
            "Amenaza,2019,08037,Ana,Ruiz,threat,Los del Norte,",
            "Amenaza,2019,08037,Eva,Luna,threat,,Diario del Norte",
            "Amenaza,2019,08037,Luis,Soto,threat,,",
        ]
        report = self.run_import(csv_bytes(*rows, header=header))
        self.assertFalse(report.committed)
        self.assertEqual(Event.objects.count(), 0)
        bad = {row: [(e.column, e.message) for e in errors] for row, errors in report.bad_rows}
        self.assertEqual(list(bad), [2, 3])
        self.assertEqual(bad[2][0][0], "perpetrator_kind")
        self.assertIn("“unknown”", bad[2][0][1])
        self.assertEqual(bad[3][0][0], "source_kind")
        self.assertIn("“other”", bad[3][0][1])

    def test_it_names_the_file_in_the_history_of_an_imported_case(self):
        self.run_import(csv_bytes(GOOD_ROWS[2]), filename="ejecuciones.csv")
        event = Event.objects.get(organization=self.org)
        self.client.force_login(self.coordinator)
        self.client.reauthenticate()
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/history/")
        self.assertContains(page, "Importado del archivo")
        self.assertContains(page, "ejecuciones.csv")
        self.assertNotContains(page, ">Import<")

    def test_it_reads_semicolons_and_windows_1252_as_excel_writes_them(self):
        content = csv_bytes(
            GOOD_ROWS[2].replace(",", ";"), header=HEADER.replace(",", ";"), encoding="cp1252"
        )
        report = self.run_import(content)
        self.assertTrue(report.committed, report.errors)
        self.assertEqual(Person.objects.get(organization=self.org).paternal_surname, "Hernández")

    def test_it_reads_excel_files_with_real_dates_and_numeric_codes(self):
        import datetime as dt

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(["Título", "Fecha", "Municipio", "Nombre", "Apellido paterno", "Violación"])
        sheet.append(["Homicidio", dt.date(2018, 5, 2), 8037, "Rosa", "Chávez", "Homicidio"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        report = self.run_import(buffer.getvalue(), "casos.xlsx")
        self.assertTrue(report.committed, report.errors)
        event = Event.objects.get(organization=self.org)
        self.assertEqual((str(event.start_date), event.municipality_id), ("2018-05-02", "08037"))

    def test_it_checks_without_writing_on_a_dry_run(self):
        report = self.run_import(csv_bytes(*GOOD_ROWS), dry_run=True)
        self.assertTrue(report.ok)
        self.assertFalse(report.committed)
        self.assertEqual(Event.objects.count(), 0)

    def test_it_numbers_imported_events_after_the_existing_ones(self):
        self.run_import(csv_bytes(GOOD_ROWS[2]))
        # The same case again, deliberately (a second import is refused without a choice).
        self.run_import(csv_bytes(GOOD_ROWS[2]), on_duplicate="create")
        numbers = sorted(
            Event.objects.filter(organization=self.org).values_list("number", flat=True)
        )
        self.assertEqual(numbers, [1, 2])

    def test_it_understands_the_usual_ways_of_writing_dates(self):
        cases = {
            "14/03/2019": ("2019-03-14", "day"),
            "2019-03-14": ("2019-03-14", "day"),
            "marzo de 2019": ("2019-03", "month"),
            "14 de marzo de 2019": ("2019-03-14", "day"),
            "03/2019": ("2019-03", "month"),
            "2019": ("2019", "year"),
            "s/d": ("", "unknown"),
        }
        for text, (expected, precision) in cases.items():
            with self.subTest(text=text):
                parsed = parse_partial_date(text)
                self.assertEqual((str(parsed), parsed.precision), (expected, precision))


class ImportPagesTests(MemoriaTestCase):
    def upload(self, content: bytes, name: str = "casos.csv"):
        return self.client.post(
            f"/o/{self.org.slug}/cases/import/",
            {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
        )

    def test_it_walks_a_documenter_from_upload_to_saved_cases(self):
        self.client.force_login(self.documenter)
        response = self.upload(csv_bytes(*GOOD_ROWS))
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/import/columns/")
        page = self.client.get(f"/o/{self.org.slug}/cases/import/columns/")
        self.assertContains(page, "Apellido paterno")
        mapping = page.context["form"].initial
        response = self.client.post(f"/o/{self.org.slug}/cases/import/columns/", mapping)
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/import/review/")
        review = self.client.get(f"/o/{self.org.slug}/cases/import/review/")
        self.assertEqual(review.status_code, 200)
        self.assertContains(review, "María Guadalupe Hernández")
        self.assertContains(review, "Cuauhtémoc, Chihuahua")
        self.assertEqual(Event.objects.count(), 0)  # nothing saved before confirming
        response = self.client.post(f"/o/{self.org.slug}/cases/import/review/")
        self.assertEqual(response.status_code, 302)
        # The import is a background job: its page waits for the worker, then reports.
        job_page = response["Location"]
        waiting = self.client.get(job_page)
        self.assertContains(waiting, 'data-refresh="2"')
        self.assertContains(waiting, "no se está ejecutando")
        self.assertEqual(drain(), 1)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 2)
        self.assertTrue(
            AuditEntry.objects.filter(action="cases.import", actor_id=self.documenter.pk).exists()
        )
        done = self.client.get(job_page)
        self.assertContains(done, "Se importaron 2 hechos")
        self.assertNotContains(done, "data-refresh")
        # The held file is gone: the review page sends the user back to the start.
        again = self.client.get(f"/o/{self.org.slug}/cases/import/review/")
        self.assertRedirects(again, f"/o/{self.org.slug}/cases/import/")

    def test_it_lists_every_bad_row_and_offers_no_import_button(self):
        self.client.force_login(self.documenter)
        bad = [GOOD_ROWS[0], "X,,fecha rara,Chihuahua,Nowhere,,,,H,,,threat,,,,"]
        self.upload(csv_bytes(*bad))
        mapping = self.client.get(f"/o/{self.org.slug}/cases/import/columns/").context["form"]
        self.client.post(f"/o/{self.org.slug}/cases/import/columns/", mapping.initial)
        review = self.client.get(f"/o/{self.org.slug}/cases/import/review/")
        self.assertEqual(review.status_code, 422)
        self.assertContains(review, "fecha rara", status_code=422)
        self.assertContains(review, "Nowhere", status_code=422)
        # title, date, place and name of row 3
        self.assertContains(review, 'class="bad-row"', count=4, status_code=422)
        self.assertNotContains(review, "Import 2 rows", status_code=422)
        self.assertNotContains(review, "Importar 2", status_code=422)
        self.client.post(f"/o/{self.org.slug}/cases/import/review/")
        self.assertEqual(Event.objects.count(), 0)

    def test_it_explains_an_unreadable_file(self):
        self.client.force_login(self.documenter)
        response = self.upload(b"\x00\x01\x02garbage", "casos.pdf")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors)

    def test_it_requires_a_title_and_a_violation_column(self):
        self.client.force_login(self.documenter)
        self.upload(csv_bytes(*GOOD_ROWS))
        response = self.client.post(
            f"/o/{self.org.slug}/cases/import/columns/", {"given_names": "Nombre(s)"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].non_field_errors())

    def test_it_keeps_the_held_file_encrypted_in_the_session(self):
        self.client.force_login(self.documenter)
        self.upload(csv_bytes(*GOOD_ROWS))
        held = json.dumps(dict(self.client.session))
        self.assertNotIn("Pérez", held)
        self.assertNotIn("Perez", held)

    def test_it_drops_the_held_file_on_cancel(self):
        self.client.force_login(self.documenter)
        self.upload(csv_bytes(*GOOD_ROWS))
        self.client.post(f"/o/{self.org.slug}/cases/import/cancel/")
        response = self.client.get(f"/o/{self.org.slug}/cases/import/columns/")
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/import/")

    def test_it_keeps_readers_and_analysts_out(self):
        for user in (self.reader, self.analyst):
            self.client.force_login(user)
            self.assertEqual(self.upload(csv_bytes(*GOOD_ROWS)).status_code, 403)


class ImportCommandTests(MemoriaTestCase):
    def test_it_imports_a_file_from_the_command_line(self):
        path = self.write_file(csv_bytes(*GOOD_ROWS))
        code = run_command(["import", str(path), "--organization", self.org.slug])
        self.assertEqual(code, 0)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 2)
        entry = AuditEntry.objects.get(action="cases.import")
        self.assertEqual(entry.details["via"], "cli")

    def test_it_refuses_a_malformed_file_and_names_the_bad_rows(self):
        rows = [GOOD_ROWS[0], "C-9,Amenaza,99/99/2019,Chihuahua,Juárez,Ana,Ruiz,,M,,,threat,,,,"]
        path = self.write_file(csv_bytes(*rows))
        from contextlib import redirect_stdout

        out = io.StringIO()
        with redirect_stdout(out):
            code = run_command(["import", str(path), "--organization", self.org.slug])
        self.assertEqual(code, 1)
        self.assertIn("3", out.getvalue())
        self.assertEqual(Event.objects.count(), 0)

    def test_it_uses_a_saved_mapping_and_a_dry_run(self):
        path = self.write_file(csv_bytes(GOOD_ROWS[2], header=HEADER.replace("Título", "Hecho")))
        mapping = {"event_title": "Hecho", "violation_type": "Tipo de violación"}
        mapping |= {"given_names": "Nombre(s)", "paternal_surname": "Apellido paterno"}
        mapping_path = self.write_file(json.dumps(mapping).encode(), "mapping.json")
        code = run_command(
            ["import", str(path), "--organization", self.org.slug, "--mapping", str(mapping_path),
             "--dry-run"]
        )  # fmt: skip
        self.assertEqual(code, 0)
        self.assertEqual(Event.objects.count(), 0)

    def write_file(self, content: bytes, name: str = "casos.csv"):
        import tempfile
        from pathlib import Path

        directory = Path(tempfile.mkdtemp(prefix="memoria-import-test-"))
        path = directory / name
        path.write_bytes(content)
        self.addCleanup(lambda: [p.unlink() for p in directory.iterdir()] and directory.rmdir())
        return path
