"""Imports through the background worker, their audit entry, and hostile spreadsheets.

The audit entry of an import is written in the import's own transaction: both
land or neither does. It holds counts, never the file's name (files are often
named after a victim). Spreadsheets are read row by row and refused as soon as
they are too long or hold a cell too large.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from memoria.audit.models import AuditEntry
from memoria.cases.io.importer import import_table
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import MAX_CELL_CHARS, UnreadableFile, read_table
from memoria.cases.models import Act, Change, Event, Person, PersonSearchToken
from memoria.jobs.models import Job, JobData
from memoria.jobs.worker import WorkerHeartbeat, drain
from tests.web.base import MemoriaTestCase
from tests.web.test_cases_import import GOOD_ROWS, csv_bytes, run_command

ROOT = Path(__file__).resolve().parents[2]
NAMED_FILE = "Testimonio_Juana_Pérez_López_PELJ850101MCHRPN01.csv"


class AuditBroken(Exception):
    pass


def broken_audit(*args, **kwargs):
    raise AuditBroken("the audit key is damaged")


def nothing_written() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Event, Person, Act, Change, PersonSearchToken, AuditEntry)
    }


class ImportJobPageTests(MemoriaTestCase):
    def confirm(self, content: bytes, name: str = "casos.csv") -> str:
        """Upload, keep the guessed columns, confirm: the job page's address."""
        self.client.force_login(self.documenter)
        upload = SimpleUploadedFile(name, content, content_type="text/csv")
        self.client.post(f"/o/{self.org.slug}/cases/import/", {"file": upload})
        mapping = self.client.get(f"/o/{self.org.slug}/cases/import/columns/").context["form"]
        self.client.post(f"/o/{self.org.slug}/cases/import/columns/", mapping.initial)
        response = self.client.post(f"/o/{self.org.slug}/cases/import/review/")
        self.assertEqual(response.status_code, 302)
        return response["Location"]

    def test_it_holds_the_queued_file_sealed_and_drops_it_when_the_job_ends(self):
        self.confirm(csv_bytes(*GOOD_ROWS))
        data = JobData.objects.get()
        self.assertTrue(data.sealed_input.startswith("mv"))
        for clear in ("Pérez", "Perez", "casos.csv", "Chihuahua"):
            self.assertNotIn(clear, data.sealed_input)
            self.assertNotIn(clear, json.dumps(Job.objects.values().get(), default=str))
        drain()
        self.assertEqual(JobData.objects.get().sealed_input, "")

    def test_it_lists_the_problems_the_worker_found(self):
        bad = [GOOD_ROWS[0], "X,,fecha rara,Chihuahua,Nowhere,,,,H,,,threat,,,,"]
        page = self.confirm(csv_bytes(*bad))
        drain()
        self.assertEqual(Event.objects.count(), 0)
        response = self.client.get(page)
        self.assertContains(response, "No se importó nada")
        self.assertContains(response, "fecha rara")
        self.assertContains(response, 'class="bad-row"', count=4)
        # The problems quote the rows: they are kept sealed, like the rows.
        self.assertNotIn("fecha rara", JobData.objects.get().sealed_output)
        self.assertEqual(Job.objects.get().result["bad_rows"], 1)

    def test_it_shows_progress_and_whether_the_worker_runs(self):
        page = self.confirm(csv_bytes(*GOOD_ROWS))
        WorkerHeartbeat.objects.create(worker_id="w", host="servidor", pid=1)
        Job.objects.update(status="running", progress_phase="check", progress_done=1)
        Job.objects.update(progress_total=3)
        response = self.client.get(page)
        self.assertContains(response, "Revisando las filas: 1 de 3.")
        self.assertContains(response, 'value="33"')
        self.assertContains(response, "se está ejecutando")
        self.assertContains(response, 'data-refresh="2"')

    def test_it_cancels_an_import_still_waiting(self):
        page = self.confirm(csv_bytes(*GOOD_ROWS))
        self.client.post(page + "cancel/")
        self.assertEqual(drain(), 0)
        self.assertEqual(Event.objects.count(), 0)
        self.assertContains(self.client.get(page), "Se canceló la importación; no se guardó nada.")

    def test_it_hides_a_job_from_another_organization(self):
        page = self.confirm(csv_bytes(*GOOD_ROWS))
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(page).status_code, 404)
        other = page.replace(self.org.slug, self.other_org.slug)
        self.assertEqual(self.client.get(other).status_code, 404)

    def test_it_audits_a_web_import_once_without_the_file_name(self):
        self.confirm(csv_bytes(*GOOD_ROWS), name=NAMED_FILE)
        drain()
        entry = AuditEntry.objects.get(action="cases.import")
        self.assertEqual(entry.details, {"via": "web", "rows": 3, "events": 2, "people": 3})
        self.assertEqual(entry.actor_id, self.documenter.pk)

    def test_it_writes_nothing_when_the_audit_entry_cannot_be_written(self):
        self.confirm(csv_bytes(*GOOD_ROWS))
        before = nothing_written()
        with mock.patch("memoria.audit.log.audit", broken_audit):
            drain()
        self.assertEqual(nothing_written(), before)
        job = Job.objects.get()
        self.assertEqual(job.status, Job.Status.QUEUED)  # tried again later
        self.assertIn("AuditBroken", job.error)
        self.assertNotEqual(JobData.objects.get().sealed_input, "")  # kept for the retry


class ImportAuditTests(MemoriaTestCase):
    def test_it_writes_the_records_and_the_audit_entry_together(self):
        table = read_table(csv_bytes(*GOOD_ROWS), NAMED_FILE)
        import_table(table, guess_mapping(table.headers), self.org, self.documenter)
        self.assertEqual(Event.objects.count(), 2)
        entry = AuditEntry.objects.get(action="cases.import")
        self.assertNotIn("filename", entry.details)
        self.assertNotIn("PELJ850101MCHRPN01", json.dumps(entry.details))

    def test_it_writes_no_record_when_the_audit_entry_fails(self):
        table = read_table(csv_bytes(*GOOD_ROWS), "casos.csv")
        before = nothing_written()
        with mock.patch("memoria.audit.log.audit", broken_audit), self.assertRaises(AuditBroken):
            import_table(table, guess_mapping(table.headers), self.org, self.documenter)
        self.assertEqual(nothing_written(), before)

    def test_it_audits_a_command_line_import_once_without_the_file_name(self):
        path = Path(self.enterContext(_temporary_dir())) / NAMED_FILE
        path.write_bytes(csv_bytes(*GOOD_ROWS))
        self.assertEqual(run_command(["import", str(path), "--organization", self.org.slug]), 0)
        entry = AuditEntry.objects.get(action="cases.import")
        self.assertEqual(entry.details, {"via": "cli", "rows": 3, "events": 2, "people": 3})

    def test_a_command_line_import_writes_nothing_when_the_audit_entry_fails(self):
        path = Path(self.enterContext(_temporary_dir())) / "casos.csv"
        path.write_bytes(csv_bytes(*GOOD_ROWS))
        before = nothing_written()
        with mock.patch("memoria.audit.log.audit", broken_audit), self.assertRaises(AuditBroken):
            run_command(["import", str(path), "--organization", self.org.slug])
        self.assertEqual(nothing_written(), before)


def _temporary_dir():
    import tempfile

    return tempfile.TemporaryDirectory(prefix="memoria-import-test-")


class ReindexJobTests(MemoriaTestCase):
    def test_it_rebuilds_the_index_in_the_worker_and_audits_once(self):
        from memoria.cases.io.jobs import queue_reindex

        table = read_table(csv_bytes(*GOOD_ROWS), "casos.csv")
        import_table(table, guess_mapping(table.headers), self.org, self.documenter)
        PersonSearchToken.objects.all().delete()
        job = queue_reindex(self.org, batch_size=1, key="prueba", via="web")
        self.assertEqual(drain(), 1)
        job.refresh_from_db()
        self.assertEqual((job.status, job.result), ("done", {"people": 3}))
        self.assertEqual((job.progress_done, job.progress_total), (3, 3))
        self.assertTrue(PersonSearchToken.objects.exists())
        self.assertEqual(AuditEntry.objects.filter(action="cases.reindex").count(), 1)


class HostileSpreadsheetTests(MemoriaTestCase):
    def test_it_refuses_a_huge_csv_cell_with_a_clear_message(self):
        for size in (MAX_CELL_CHARS + 1, 5 * 1024 * 1024):
            content = csv_bytes(GOOD_ROWS[2] + "," + "x" * size)
            with (
                self.subTest(size=size),
                translation.override("en"),
                self.assertRaises(UnreadableFile) as caught,
            ):
                read_table(content, "casos.csv")
            self.assertIn(
                "row 2 has a cell longer than 32,767 characters", str(caught.exception).lower()
            )
            self.assertNotIn("field limit", str(caught.exception))

    def test_it_refuses_a_huge_cell_on_the_upload_page_in_spanish(self):
        self.client.force_login(self.documenter)
        content = csv_bytes(GOOD_ROWS[2] + "," + "x" * 200_000)
        upload = SimpleUploadedFile("casos.csv", content, content_type="text/csv")
        response = self.client.post(f"/o/{self.org.slug}/cases/import/", {"file": upload})
        self.assertContains(response, "La fila 2 tiene una celda de más de 32,767 caracteres")

    def test_it_refuses_a_small_excel_file_of_two_million_rows_with_little_memory(self):
        for declared in (True, False):
            with self.subTest(declared_dimension=declared):
                path = Path(self.enterContext(_temporary_dir())) / "filas.xlsx"
                write_row_bomb(path, rows=2_000_000, declare_dimension=declared)
                self.assertLess(path.stat().st_size, 500_000)
                result = subprocess.run(
                    [sys.executable, "-c", MEASURE_READ, str(path)],
                    capture_output=True,
                    text=True,
                    timeout=600,
                    cwd=ROOT,
                )
                self.assertEqual(result.returncode, 0, result.stderr)
                message, peak_mb = result.stdout.rsplit("\n", 2)[-2].split("|")
                self.assertIn("más de 200,000 filas", message)
                self.assertLess(float(peak_mb), 20)  # the file itself is 0.5 MB


MEASURE_READ = """
import os, sys, tracemalloc
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
import django
django.setup()
from memoria.cases.io.readers import UnreadableFile, read_path
tracemalloc.start()
try:
    read_path(sys.argv[1])
    message = "read"
except UnreadableFile as error:
    message = str(error)
peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
print(f"{message}|{peak:.0f}")
"""


def write_row_bomb(path: Path, rows: int, declare_dimension: bool) -> None:
    """An XLSX of ``rows`` identical rows, compressed to a few hundred kilobytes."""
    sheet_head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="A1:B{rows}"/>' if declare_dimension else "")
        + "<sheetData>"
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType'
            '="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Hoja1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
            '//schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(sheet_head.encode())
            row = b'<row><c t="inlineStr"><is><t>Hecho</t></is></c><c><v>1</v></c></row>'
            chunk = row * 10_000
            for _ in range(rows // 10_000):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")


def test_the_row_bomb_helper_writes_a_readable_workbook(tmp_path):
    path = tmp_path / "pocas.xlsx"
    write_row_bomb(path, rows=20_000, declare_dimension=False)
    table = read_table(path.read_bytes(), "pocas.xlsx")
    assert table.headers == ["Hecho", "1"]
    assert len(table.rows) == 19_999
    assert io.BytesIO(path.read_bytes()).read(4) == b"PK\x03\x04"
