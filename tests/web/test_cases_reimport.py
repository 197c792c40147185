"""Importing a file (or some of its cases) a second time: a warning, and nothing duplicated
unless the person importing says so."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from memoria.audit.models import AuditEntry
from memoria.cases.io.importer import DuplicateImport, check_table, import_table, write_rows
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import read_table
from memoria.cases.models import Act, Change, Event, ImportedReference, Person
from memoria.jobs.worker import drain
from tests.web.base import MemoriaTestCase
from tests.web.test_cases_import import GOOD_ROWS, csv_bytes, run_command

NAMED_FILE = "Testimonio_Xochitl_Ameyalli_Tonatiuh.csv"
# The same cases a month later: C-1's title and Pedro's situation changed, a victim added.
UPDATED_ROWS = [
    GOOD_ROWS[0].replace("Desaparición de Juan Pérez", "Desaparición de los hermanos Pérez"),
    GOOD_ROWS[1]
    .replace("Desaparición de Juan Pérez", "Desaparición de los hermanos Pérez")
    .replace("still_missing", "found_alive"),
    "C-1,Desaparición de los hermanos Pérez,14/03/2019,Chihuahua,Cuauhtémoc,Luis,Pérez,López,"
    "H,25,,disappearance_private,still_missing,organized_crime,testimony,Entrevista con la madre",
    GOOD_ROWS[2],
]


def counts() -> dict:
    return {
        model.__name__: model.objects.count() for model in (Event, Person, Act, ImportedReference)
    }


class ReimportTests(MemoriaTestCase):
    def table(self, *rows, name="casos.csv"):
        return read_table(csv_bytes(*rows), name)

    def check(self, table):
        return check_table(table, guess_mapping(table.headers), self.org)

    def first_import(self, name="casos.csv"):
        table = self.table(*GOOD_ROWS, name=name)
        report = import_table(table, guess_mapping(table.headers), self.org, self.documenter)
        self.assertTrue(report.committed)
        return report

    def test_it_keeps_each_case_reference_and_warns_of_the_same_file(self):
        first = self.first_import()
        self.assertFalse(first.previous)
        self.assertEqual(ImportedReference.objects.filter(organization=self.org).count(), 2)
        before = counts()
        report = self.check(self.table(*GOOD_ROWS))
        self.assertTrue(report.ok)
        self.assertTrue(report.previous.same_file)
        self.assertEqual(report.previous.rows, 3)
        self.assertEqual(report.previous.case_numbers, [1, 2])
        with self.assertRaises(DuplicateImport):
            write_rows(report, self.org, self.documenter)
        self.assertEqual(counts(), before)

    def test_it_notices_references_imported_from_another_file(self):
        self.first_import()
        report = self.check(self.table(UPDATED_ROWS[3], name="otra_lista.csv"))
        self.assertFalse(report.previous.same_file)
        self.assertEqual((report.previous.rows, report.previous.case_numbers), (1, [2]))
        report = self.check(self.table(GOOD_ROWS[2].replace("C-2", "C-9")))
        self.assertFalse(report.previous)

    def test_it_skips_the_rows_imported_before(self):
        self.first_import()
        table = self.table(
            *UPDATED_ROWS, "C-3,Amenaza,2021,Chihuahua,Juárez,Eva,Luna,,M,,,threat,,,,"
        )
        report = write_rows(self.check(table), self.org, self.documenter, on_duplicate="skip")
        self.assertEqual((report.rows_skipped, report.events_created), (4, 1))
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 3)
        self.assertEqual(Event.objects.get(number=1).title, "Desaparición de Juan Pérez")
        entry = AuditEntry.objects.filter(action="cases.import").latest("id")
        self.assertEqual((entry.details["skipped"], entry.details["on_duplicate"]), (4, "skip"))

    def test_it_updates_the_cases_through_the_versioned_actions_and_audits_it(self):
        self.first_import()
        event = Event.objects.get(organization=self.org, number=1)
        version = event.version
        report = write_rows(
            self.check(self.table(*UPDATED_ROWS)), self.org, self.documenter, on_duplicate="update"
        )
        self.assertEqual((report.events_updated, report.events_created), (2, 0))
        event.refresh_from_db()
        self.assertEqual(event.title, "Desaparición de los hermanos Pérez")
        self.assertEqual(event.version, version + 1)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 2)
        situations = {
            act.victim.given_names: act.situation.code
            for act in Act.objects.filter(event=event).select_related("victim")
        }
        self.assertEqual(
            situations, {"Juan": "still_missing", "Pedro": "found_alive", "Luis": "still_missing"}
        )
        change = Change.objects.filter(event=event, kind="event", action="changed").get()
        self.assertEqual(change.actor, self.documenter)
        self.assertIn("title", change.changes)
        self.assertTrue(
            AuditEntry.objects.filter(action="case.update", target_id=str(event.pk)).exists()
        )
        self.assertTrue(AuditEntry.objects.filter(action="act.update").exists())
        # The changed file is now known too: importing it again warns of the same file.
        self.assertTrue(self.check(self.table(*UPDATED_ROWS)).previous.same_file)

    def test_an_update_adds_a_new_violation_of_a_victim_already_in_the_case(self):
        self.first_import()
        event = Event.objects.get(organization=self.org, number=1)
        [juan] = [
            a.victim for a in Act.objects.filter(event=event) if a.victim.given_names == "Juan"
        ]
        tortured = GOOD_ROWS[0].replace("Desaparición cometida por particulares", "torture")
        write_rows(
            self.check(self.table(GOOD_ROWS[0], tortured)),
            self.org,
            self.documenter,
            on_duplicate="update",
        )
        violations = sorted(
            Act.objects.filter(event=event, victim=juan).values_list(
                "violation_type__code", flat=True
            )
        )
        self.assertEqual(violations, ["disappearance_private", "torture"])
        self.assertEqual(Person.objects.filter(organization=self.org).count(), 3)  # no second Juan

    def test_an_update_keeps_the_saved_municipality_when_its_cell_is_empty(self):
        self.first_import()
        event = Event.objects.get(organization=self.org, number=1)
        municipality = event.municipality
        self.assertIsNotNone(municipality)
        row = GOOD_ROWS[0].replace(",Cuauhtémoc,", ",,")
        write_rows(self.check(self.table(row)), self.org, self.documenter, on_duplicate="update")
        event.refresh_from_db()
        self.assertEqual(event.municipality, municipality)

    def test_it_creates_them_again_only_when_told_to(self):
        self.first_import()
        write_rows(
            self.check(self.table(*GOOD_ROWS)), self.org, self.documenter, on_duplicate="create"
        )
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 4)

    def test_it_keeps_no_file_name_nor_reference_in_clear(self):
        self.first_import(name=NAMED_FILE)
        self.assertEqual(ImportedReference.objects.get(event__number=2).reference, "C-2")
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
                text = repr(cursor.fetchall())
                for clear in ("Ameyalli", "Testimonio_Xochitl", "C-2"):
                    self.assertNotIn(clear, text, table)


class ReimportCommandTests(MemoriaTestCase):
    def test_the_command_refuses_a_second_import_and_says_why(self):
        path = self.tmp_csv()
        argv = ["import", str(path), "--organization", self.org.slug]
        self.assertEqual(run_command(argv), 0)
        before = counts()
        self.assertEqual(run_command(argv), 1)
        self.assertEqual(counts(), before)
        self.assertEqual(run_command([*argv, "--dry-run"]), 0)
        self.assertEqual(run_command([*argv, "--on-duplicate", "skip"]), 0)
        self.assertEqual(counts(), before)
        self.assertEqual(run_command([*argv, "--on-duplicate", "update"]), 0)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 2)

    def tmp_csv(self):
        import tempfile
        from pathlib import Path

        directory = Path(tempfile.mkdtemp())
        self.addCleanup(lambda: [p.unlink() for p in directory.iterdir()] and directory.rmdir())
        path = directory / "casos.csv"
        path.write_bytes(csv_bytes(*GOOD_ROWS))
        return path


class ReimportPageTests(MemoriaTestCase):
    def review(self, content: bytes):
        self.client.force_login(self.documenter)
        upload = SimpleUploadedFile("casos.csv", content, content_type="text/csv")
        self.client.post(f"/o/{self.org.slug}/cases/import/", {"file": upload})
        mapping = self.client.get(f"/o/{self.org.slug}/cases/import/columns/").context["form"]
        self.client.post(f"/o/{self.org.slug}/cases/import/columns/", mapping.initial)
        return f"/o/{self.org.slug}/cases/import/review/"

    def test_the_review_warns_and_the_chosen_update_runs_in_the_worker(self):
        review = self.review(csv_bytes(*GOOD_ROWS))
        self.client.post(review)
        drain()
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 2)
        review = self.review(csv_bytes(*UPDATED_ROWS))
        page = self.client.get(review)
        self.assertContains(page, "imported-before")
        self.assertContains(page, "#1, #2")
        self.assertContains(page, 'name="on_duplicate" value="update"')
        # Confirming without a choice queues nothing.
        response = self.client.post(review)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="on_duplicate"')
        response = self.client.post(review, {"on_duplicate": "update"})
        self.assertEqual(response.status_code, 302)
        drain()
        job_page = self.client.get(response["Location"])
        self.assertContains(job_page, "2")
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 2)
        self.assertEqual(
            Event.objects.get(organization=self.org, number=1).title,
            "Desaparición de los hermanos Pérez",
        )
