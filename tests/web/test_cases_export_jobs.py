"""What an export says in the reader's language, typed dates in XLSX, and large exports as jobs.

A large export is written by the worker into a sealed file only its requester
can download, once; the audit entry lands with the job's "done" mark.
"""

from __future__ import annotations

import datetime as dt
import io
import stat
from pathlib import Path
from unittest import mock

from openpyxl import load_workbook

from memoria.audit.models import AuditEntry
from memoria.cases.demo import load_demo_cases
from memoria.cases.io import export_jobs
from memoria.cases.models import Act, DatePrecision, Event, Person
from memoria.jobs.models import Job
from memoria.jobs.worker import drain
from memoria.vault.keys import VaultError
from tests.web.base import MemoriaTestCase, make_member
from tests.web.test_cases_export import content_of, csv_rows


def xlsx_rows(content: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(content))["actos"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


class ExportContentTests(MemoriaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_demo_cases(cls.org, count=30, seed=11)

    def export(self, fmt: str, language: str):
        self.client.force_login(self.analyst)
        self.client.cookies["memoria_language"] = language  # the language selector's choice
        response = self.client.post(f"/o/{self.org.slug}/cases/export/", {"format": fmt})
        self.assertEqual(response.status_code, 200)
        return content_of(response)

    def test_it_gives_labels_in_spanish_beside_the_codes(self):
        rows = csv_rows(self.export("csv", "es-mx"))
        acts = Act.objects.filter(organization=self.org).select_related("violation_type", "event")
        # An act of an open case (the status is encrypted: chosen in Python).
        act = next(a for a in acts.order_by("pk") if a.event.status == "open")
        row = next(r for r in rows if int(r["act_id"]) == act.pk)
        self.assertEqual(row["violation_type"], act.violation_type.code)
        self.assertEqual(row["violation_type_label"], act.violation_type.label_es)
        self.assertEqual(row["event_status"], "open")
        self.assertEqual(row["event_status_label"], "Abierto")
        forced = [r for r in rows if r["violation_type"] == "enforced_disappearance"]
        self.assertTrue(forced)
        self.assertEqual(
            forced[0]["violation_type_label"], "Desaparición forzada (por agentes del Estado)"
        )

    def test_it_gives_labels_in_english_to_an_english_reader(self):
        rows = csv_rows(self.export("csv", "en"))
        forced = [r for r in rows if r["violation_type"] == "enforced_disappearance"]
        self.assertEqual(
            forced[0]["violation_type_label"], "Enforced disappearance (by state agents)"
        )
        open_rows = [r for r in rows if r["event_status"] == "open"]
        self.assertEqual(open_rows[0]["event_status_label"], "Open")
        men = [r for r in rows if r["sex"] == "male"]
        self.assertEqual(men[0]["sex_label"], "Man")
        workbook = load_workbook(io.BytesIO(self.export("xlsx", "en")))
        descriptions = dict(workbook["columnas"].iter_rows(min_row=2, values_only=True))
        self.assertEqual(descriptions["violation_type_label"], "Violation type (label)")

    def test_it_writes_dates_known_to_the_day_as_date_cells_in_xlsx(self):
        rows = {row["act_id"]: row for row in xlsx_rows(self.export("xlsx", "es-mx"))}
        self.assertEqual(len(rows), Act.objects.filter(organization=self.org).count())
        checked = set()
        for act in Act.objects.filter(organization=self.org).select_related("event"):
            event, cell = act.event, rows[act.pk]["event_date"]
            if event.start_precision == DatePrecision.DAY:
                self.assertIsInstance(cell, dt.datetime)
                self.assertEqual(cell.date(), event.start_date)
            elif event.start_precision == DatePrecision.MONTH:
                self.assertEqual(cell, f"{event.start_date:%Y-%m}")
            elif event.start_precision == DatePrecision.YEAR:
                self.assertEqual(cell, f"{event.start_date:%Y}")
            checked.add(event.start_precision)
        self.assertGreaterEqual(checked, {DatePrecision.DAY, DatePrecision.MONTH})
        sheet = load_workbook(io.BytesIO(self.export("xlsx", "es-mx")))["actos"]
        dated = next(c for c in sheet["E"][1:] if isinstance(c.value, dt.datetime))
        self.assertEqual(dated.number_format, "yyyy-mm-dd")
        self.assertEqual(sheet.freeze_panes, "A2")

    def test_it_writes_no_temporary_file_while_building_a_workbook(self):
        # openpyxl's own writer puts every sheet's XML in a temporary file first
        # (deleted after): identities in clear on disk. Watch for it, letting it run.
        from openpyxl.worksheet import _writer

        self.client.force_login(self.coordinator)
        self.client.reauthenticate()
        made = []
        real = _writer.create_temporary_file

        def watched(*args, **kwargs):
            made.append(real(*args, **kwargs))
            return made[-1]

        with mock.patch.object(_writer, "create_temporary_file", watched):
            response = self.client.post(
                f"/o/{self.org.slug}/cases/export/identities/", {"format": "xlsx"}
            )
        rows = xlsx_rows(content_of(response))
        person = Person.objects.get(pk=rows[0]["person_id"])
        self.assertEqual(rows[0]["paternal_surname"], person.paternal_surname)
        self.assertEqual(made, [])


@mock.patch.object(export_jobs, "LARGE_EXPORT_ACTS", 10)
class ExportJobTests(MemoriaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_demo_cases(cls.org, count=20, seed=5)
        cls.second_analyst = make_member(
            cls.org, "segunda@norte.example", "analyst", "Sara Segunda"
        )

    def setUp(self):
        super().setUp()
        # Files on disk are not rolled back with the database, and PostgreSQL
        # does not reuse job ids: an earlier test's export would still be here.
        for path in export_jobs.exports_dir().glob("export-*"):
            path.unlink()

    def start(self, user, fmt: str = "csv") -> str:
        self.client.force_login(user)
        response = self.client.post(f"/o/{self.org.slug}/cases/export/", {"format": fmt})
        self.assertEqual(response.status_code, 302)
        self.assertIn("/cases/export/jobs/", response["Location"])
        return response["Location"]

    def test_a_large_export_runs_as_a_job_with_its_progress_shown(self):
        page = self.start(self.analyst, "xlsx")
        waiting = self.client.get(page)
        self.assertContains(waiting, "la escribe el proceso en segundo plano")
        self.assertContains(waiting, "la exportación espera en la fila hasta que inicie")
        self.assertFalse(AuditEntry.objects.filter(action="cases.export").exists())
        seen = []
        real = export_jobs.export_records

        def watched(*args, progress, **kwargs):
            def report(done, total):
                progress(done, total)
                seen.append(self.client.get(page).content.decode())

            return real(*args, progress=report, **kwargs)

        with mock.patch.object(export_jobs, "export_records", watched):
            drain()
        acts = Act.objects.filter(organization=self.org).count()
        self.assertIn(f"Escribiendo el archivo: {acts} de {acts} actos", seen[-1])
        job = Job.objects.get(kind="cases.export")
        self.assertEqual(job.status, Job.Status.DONE)
        entry = AuditEntry.objects.get(action="cases.export")
        self.assertEqual((entry.actor_id, entry.details["acts"]), (self.analyst.pk, acts))
        self.assertContains(self.client.get(page), "Descargar")
        download = self.client.post(f"{page}download/")
        self.assertIn("no-store", download["Cache-Control"])
        rows = xlsx_rows(content_of(download))
        self.assertEqual(len(rows), acts)
        statuses = {r["event_status"]: r["event_status_label"] for r in rows}
        self.assertEqual(statuses["open"], "Abierto")

    def test_only_its_requester_can_download_it_and_only_once(self):
        page = self.start(self.analyst)
        drain()
        path = export_jobs.export_path(Job.objects.get().pk)
        self.assertEqual(stat.S_IMODE(path.stat().st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(path.parent.stat().st_mode), 0o700)
        for other in (self.second_analyst, self.coordinator, self.outsider):
            self.client.force_login(other)
            self.assertEqual(self.client.get(page).status_code, 404)
            self.assertEqual(self.client.post(f"{page}download/").status_code, 404)
        self.client.force_login(self.analyst)
        rows = csv_rows(content_of(self.client.post(f"{page}download/")))
        self.assertEqual(len(rows), Act.objects.filter(organization=self.org).count())
        self.assertFalse(path.exists())
        self.assertEqual(self.client.post(f"{page}download/").status_code, 404)
        self.assertContains(self.client.get(page), "ya se descargó")

    def test_the_file_with_identities_is_never_in_clear_on_disk(self):
        self.client.force_login(self.coordinator)
        self.client.reauthenticate()
        response = self.client.post(
            f"/o/{self.org.slug}/cases/export/identities/", {"format": "csv"}
        )
        drain()
        job = Job.objects.get()
        raw = export_jobs.export_path(job.pk).read_bytes()
        for person in Person.objects.filter(organization=self.org)[:20]:
            for name in (person.paternal_surname, person.given_names):
                if name:
                    self.assertNotIn(name.encode(), raw)
        self.assertNotIn(b"event_id", raw)
        entry = AuditEntry.objects.get(action="cases.export_identities")
        self.assertEqual(entry.details["job"], job.pk)
        self.assertEqual(entry.actor_id, self.coordinator.pk)
        session = self.client.session
        session["memoria_reauth_at"] = 0  # long ago: the download asks again
        session.save()
        again = self.client.post(f"{response['Location']}download/")
        self.assertEqual(again.status_code, 302)
        self.assertIn("next=", again["Location"])
        self.assertTrue(export_jobs.export_path(job.pk).exists())
        self.client.reauthenticate()
        rows = csv_rows(content_of(self.client.post(f"{response['Location']}download/")))
        surnames = {p.paternal_surname for p in Person.objects.filter(organization=self.org)}
        self.assertIn(rows[0]["paternal_surname"], surnames)

    def test_a_cut_file_is_refused_and_old_files_are_deleted(self):
        self.start(self.analyst)
        drain()
        job = Job.objects.get()
        path = export_jobs.export_path(job.pk)
        whole = path.read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
        with self.assertRaises(VaultError):
            b"".join(export_jobs.read_sealed(path, self.org.pk, job.pk))
        self.assertEqual(export_jobs.delete_expired_exports(), 0)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=export_jobs.KEEP_HOURS + 1)
        self.assertEqual(export_jobs.delete_expired_exports(now=later), 1)
        self.assertFalse(Path(path).exists())

    def test_the_download_is_audited_and_a_damaged_file_is_never_sent_cut_short(self):
        page = self.start(self.analyst)
        drain()
        job = Job.objects.get()
        self.client.post(f"{page}download/")
        entry = AuditEntry.objects.get(action="cases.export_download")
        self.assertEqual((entry.actor_id, entry.target_id), (self.analyst.pk, str(job.pk)))

        page = self.start(self.analyst)
        drain()
        job = Job.objects.filter(status=Job.Status.DONE).latest("pk")
        path = export_jobs.export_path(job.pk)
        whole = path.read_bytes()
        path.write_bytes(whole[: len(whole) - 40])
        response = self.client.post(f"{page}download/")
        self.assertRedirects(response, page, fetch_redirect_response=False)
        self.assertFalse(path.exists())
        self.assertEqual(AuditEntry.objects.filter(action="cases.export_download").count(), 1)
        self.assertContains(self.client.get(page), "estaba dañado")

    def test_without_its_audit_entry_the_export_is_not_done_nor_downloadable(self):
        from tests.web.test_cases_import_jobs import broken_audit

        page = self.start(self.analyst)
        with mock.patch("memoria.audit.log.audit", broken_audit):
            drain()
        job = Job.objects.get()
        self.assertEqual(job.status, Job.Status.QUEUED)  # tried again later
        self.assertIn("AuditBroken", job.error)
        self.assertFalse(AuditEntry.objects.filter(action="cases.export").exists())
        self.assertEqual(self.client.post(f"{page}download/").status_code, 404)
        self.assertNotContains(self.client.get(page), "Descargar")

    def test_a_small_export_still_downloads_at_once(self):
        Event.objects.filter(organization=self.org, number__gt=3).delete()
        self.client.force_login(self.reader)
        response = self.client.post(f"/o/{self.org.slug}/cases/export/", {"format": "csv"})
        self.assertEqual(response.status_code, 200)
        # Built whole, audited, then sent (an export and its entry land together).
        rows = csv_rows(response.content)
        self.assertEqual(len(rows), Act.objects.filter(event__organization=self.org).count())
        self.assertTrue(AuditEntry.objects.filter(action="cases.export").exists())
        self.assertFalse(Job.objects.exists())
