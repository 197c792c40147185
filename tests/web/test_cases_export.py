"""Exporting the organization's records: formats, schema, identities and the audit trail."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path
from unittest import mock

from openpyxl import load_workbook

from memoria.audit.models import AuditEntry
from memoria.cases.demo import load_demo_cases
from memoria.cases.io.importer import import_table
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import read_table
from memoria.cases.io.schema import export_columns
from memoria.cases.models import Act, Event, Person
from tests.web.base import MemoriaTestCase
from tests.web.test_cases_import import run_command

IDENTITY_KEYS = {"given_names", "paternal_surname", "maternal_surname", "curp", "birth_date"}


def content_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


class ExportTests(MemoriaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_demo_cases(cls.org, count=40, seed=7)
        load_demo_cases(cls.other_org, count=5, seed=7)

    def export(self, fmt: str = "csv", identities: bool = False):
        path = "identities/" if identities else ""
        return self.client.post(f"/o/{self.org.slug}/cases/export/{path}", {"format": fmt})

    def test_it_exports_one_csv_row_per_act_without_identities(self):
        self.client.force_login(self.analyst)
        response = self.export("csv")
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment;", response["Content-Disposition"])
        rows = csv_rows(content_of(response))
        self.assertEqual(len(rows), Act.objects.filter(organization=self.org).count())
        self.assertEqual(list(rows[0]), [c.key for c in export_columns(identities=False)])
        self.assertFalse(IDENTITY_KEYS & set(rows[0]))
        names = {p.full_name for p in Person.objects.filter(organization=self.org)}
        text = content_of(self.export("csv")).decode("utf-8-sig")
        self.assertFalse([name for name in names if name in text])
        self.assertTrue(
            AuditEntry.objects.filter(action="cases.export", actor_id=self.analyst.pk).exists()
        )

    def test_it_never_exports_another_organizations_records(self):
        self.client.force_login(self.reader)
        rows = csv_rows(content_of(self.export("csv")))
        own = set(Act.objects.filter(organization=self.org).values_list("pk", flat=True))
        self.assertEqual({int(row["act_id"]) for row in rows}, own)

    def test_it_exports_nested_json_with_the_schema_version(self):
        self.client.force_login(self.reader)
        document = json.loads(content_of(self.export("json")))
        self.assertEqual(document["schema"], "memoria.cases/1")
        self.assertFalse(document["identities"])
        self.assertEqual(
            len(document["events"]), Event.objects.filter(organization=self.org).count()
        )
        event = document["events"][0]
        self.assertNotIn("title", event)
        self.assertNotIn("given_names", event["people"][0])
        self.assertIn("violation_type", event["acts"][0])

    def test_it_exports_an_excel_workbook(self):
        self.client.force_login(self.reader)
        workbook = load_workbook(io.BytesIO(content_of(self.export("xlsx"))))
        sheet = workbook["actos"]
        self.assertEqual(sheet.max_row - 1, Act.objects.filter(organization=self.org).count())
        self.assertEqual(sheet.cell(1, 1).value, "event_id")

    def test_it_asks_the_coordinator_to_confirm_their_password_before_identities(self):
        self.client.force_login(self.coordinator)
        response = self.export("csv", identities=True)
        self.assertEqual(response.status_code, 302)
        self.assertIn("next=", response["Location"])
        self.assertFalse(AuditEntry.objects.filter(action="cases.export_identities").exists())

    def test_it_exports_identities_to_a_reauthenticated_coordinator_and_audits_it(self):
        self.client.force_login(self.coordinator)
        self.client.reauthenticate()
        rows = csv_rows(content_of(self.export("csv", identities=True)))
        self.assertTrue(set(rows[0]) >= IDENTITY_KEYS)
        person = Person.objects.get(pk=rows[0]["person_id"])
        self.assertEqual(rows[0]["paternal_surname"], person.paternal_surname)
        entry = AuditEntry.objects.get(action="cases.export_identities")
        self.assertEqual(entry.actor_id, self.coordinator.pk)
        self.assertEqual(entry.details["format"], "csv")

    def test_it_refuses_identities_to_everyone_but_coordinators(self):
        for user in (self.documenter, self.analyst, self.reader):
            self.client.force_login(user)
            self.client.reauthenticate()
            self.assertEqual(self.export("csv", identities=True).status_code, 403)

    def test_it_offers_the_identity_export_only_to_coordinators(self):
        self.client.force_login(self.reader)
        page = self.client.get(f"/o/{self.org.slug}/cases/export/")
        self.assertNotContains(page, "/cases/export/identities/")
        self.client.force_login(self.coordinator)
        page = self.client.get(f"/o/{self.org.slug}/cases/export/")
        self.assertContains(page, "/cases/export/identities/")

    def test_an_export_with_identities_imports_back_unchanged(self):
        self.client.force_login(self.coordinator)
        self.client.reauthenticate()
        content = content_of(self.export("csv", identities=True))
        table = read_table(content, "export.csv")
        report = import_table(table, guess_mapping(table.headers), self.other_org)
        self.assertTrue(report.committed, report.errors[:3])
        self.assertEqual(report.acts_created, Act.objects.filter(organization=self.org).count())
        original = Event.objects.get(organization=self.org, number=1)
        copy = Event.objects.filter(organization=self.other_org).order_by("-number").first()
        self.assertTrue(copy.title)
        titles = set(Event.objects.filter(organization=self.other_org).values_list("pk", flat=True))
        self.assertTrue(titles)
        self.assertIn(
            original.title,
            {e.title for e in Event.objects.filter(organization=self.other_org)},
        )

    def test_it_neutralizes_text_a_spreadsheet_would_run_as_a_formula(self):
        event = Event.objects.filter(organization=self.org).first()
        event.title = '=HYPERLINK("http://evil.example","x")'
        event.save()
        self.client.force_login(self.coordinator)
        self.client.reauthenticate()
        text = content_of(self.export("csv", identities=True)).decode("utf-8-sig")
        self.assertIn("'=HYPERLINK", text)


class ExportCommandTests(MemoriaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_demo_cases(cls.org, count=10, seed=3)

    def test_it_writes_every_format_from_the_command_line_and_audits_it(self):
        directory = Path(tempfile.mkdtemp(prefix="memoria-export-test-"))
        for fmt in ("csv", "json", "xlsx"):
            out = directory / f"casos.{fmt}"
            with self.subTest(fmt=fmt):
                code = run_command(
                    ["export", "--organization", self.org.slug, "--format", fmt, "--out", str(out)]
                )
                self.assertEqual(code, 0)
                self.assertGreater(out.stat().st_size, 100)
                out.unlink()
        code = run_command(
            ["export", "--organization", self.org.slug, "--identities", "--out",
             str(directory / "ids.csv")]
        )  # fmt: skip
        self.assertEqual(code, 0)
        rows = csv_rows((directory / "ids.csv").read_bytes())
        self.assertIn("given_names", rows[0])
        (directory / "ids.csv").unlink()
        directory.rmdir()
        entry = AuditEntry.objects.filter(action="cases.export_identities").get()
        self.assertEqual((entry.actor_id, entry.details["via"]), (None, "cli"))
        self.assertEqual(AuditEntry.objects.filter(action="cases.export").count(), 3)

    def test_it_names_an_unknown_organization(self):
        code = run_command(["export", "--organization", "no-existe", "--out", "/tmp/x.csv"])
        self.assertEqual(code, 2)

    def test_it_writes_the_labels_in_the_language_asked_for(self):
        from memoria.cases.models import Term

        directory = Path(tempfile.mkdtemp(prefix="memoria-export-test-"))
        self.addCleanup(shutil.rmtree, directory)
        base = ["export", "--organization", self.org.slug, "--out"]
        self.assertEqual(run_command([*base, str(directory / "es.csv")]), 0)
        self.assertEqual(run_command([*base, str(directory / "en.csv"), "--language", "en"]), 0)
        spanish = csv_rows((directory / "es.csv").read_bytes())
        english = csv_rows((directory / "en.csv").read_bytes())
        terms = {t.code: t for t in Term.objects.filter(vocabulary__code="violation_type")}
        self.assertEqual(len(english), Act.objects.filter(organization=self.org).count())
        for es_row, en_row in zip(spanish, english, strict=True):
            # The codes never change with the language; the labels beside them do.
            code = en_row["violation_type"]
            self.assertEqual(es_row["violation_type"], code)
            self.assertEqual(en_row["violation_type_label"], terms[code].label_en)
            self.assertEqual(es_row["violation_type_label"], terms[code].label_es)
            self.assertNotEqual(terms[code].label_en, terms[code].label_es)
            status = {"es": es_row["event_status_label"], "en": en_row["event_status_label"]}
            expected = {"open": {"es": "Abierto", "en": "Open"}}.get(en_row["event_status"])
            if expected:
                self.assertEqual(status, expected)
        self.assertIn("Open", {r["event_status_label"] for r in english})
        out = directory / "en.xlsx"
        self.assertEqual(run_command([*base, str(out), "--format", "xlsx", "--language", "en"]), 0)
        workbook = load_workbook(out)
        descriptions = dict(workbook["columnas"].iter_rows(min_row=2, values_only=True))
        self.assertEqual(descriptions["violation_type_label"], "Violation type (label)")

    def test_it_refuses_a_language_it_does_not_have_and_writes_nothing(self):
        out = Path(tempfile.mkdtemp(prefix="memoria-export-test-")) / "casos.csv"
        self.addCleanup(out.parent.rmdir)
        stderr = io.StringIO()
        with mock.patch("sys.stderr", stderr), self.assertRaises(SystemExit) as exit_:
            run_command(["export", "--organization", self.org.slug, "--out", str(out),
                         "--language", "fr"])  # fmt: skip
        self.assertEqual(exit_.exception.code, 2)
        self.assertIn("--language: invalid choice: 'fr'", stderr.getvalue())
        self.assertIn("es-mx", stderr.getvalue())
        self.assertFalse(out.exists())
        self.assertFalse(AuditEntry.objects.filter(action="cases.export").exists())


class AuditRefused(Exception):
    pass


def export_command(argv: list[str]) -> tuple[int, str]:
    """``memoria export`` in this process: its exit code and its one-line error, if any."""
    import argparse

    from memoria.cli import export
    from memoria.cli.common import CommandError

    parser = argparse.ArgumentParser(prog="memoria")
    export.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["export", *argv])
    try:
        return args.handler(args) or 0, ""
    except CommandError as error:
        return error.exit_code, str(error)


def damage_audit_key() -> None:
    """Put an audit key wrapped under another master key in the chain head, as when
    the key is damaged: no audit entry can be written until it is restored."""
    from memoria.audit.log import new_wrapped_key
    from memoria.audit.models import AuditChainHead

    AuditChainHead.objects.update(wrapped_key=new_wrapped_key(master=b"\x03" * 32))


def damage_last_victims_name(organization) -> Person:
    """Move the ciphertext of one column into another in the last act's victim (what a
    tampered or half-restored database holds): decrypting it fails, half-way through
    an export with identities."""
    from django.db import connection

    act = Act.objects.filter(organization=organization).order_by("event__number", "id").last()
    table = Person._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET given_names = paternal_surname WHERE id = %s",  # noqa: S608
            [act.victim_id],
        )
    return act.victim


class ExportBoundaryTests(MemoriaTestCase):
    """An export and its audit entry: both land or neither (CLI and web)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_demo_cases(cls.org, count=12, seed=5)

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp(prefix="memoria-export-test-"))
        self.addCleanup(lambda: __import__("shutil").rmtree(self.folder, ignore_errors=True))
        self.names = [p.paternal_surname for p in Person.objects.filter(organization=self.org)]

    def exports_audited(self) -> int:
        return AuditEntry.objects.filter(
            action__in=("cases.export", "cases.export_identities")
        ).count()

    def command(self, out: Path) -> tuple[int, str]:
        return export_command(["--organization", self.org.slug, "--identities", "--out", str(out)])

    def test_the_command_delivers_nothing_when_the_audit_entry_cannot_be_written(self):
        damage_audit_key()
        out = self.folder / "casos.csv"
        code, message = self.command(out)
        self.assertEqual(code, 2)
        self.assertIn(f"nothing was exported to {out}", message)
        self.assertEqual(list(self.folder.iterdir()), [])  # no file, no part of one
        self.assertEqual(self.exports_audited(), 0)

    def test_the_command_keeps_an_older_file_when_the_audit_refuses(self):
        out = self.folder / "casos.csv"
        out.write_bytes(b"the previous export\n")
        with (
            mock.patch("memoria.audit.log.audit", side_effect=AuditRefused),
            self.assertRaises(AuditRefused),
        ):
            self.command(out)
        self.assertEqual(out.read_bytes(), b"the previous export\n")
        self.assertEqual([p.name for p in self.folder.iterdir()], ["casos.csv"])

    def test_the_command_audits_nothing_and_leaves_nothing_when_it_fails_half_way(self):
        damage_last_victims_name(self.org)
        out = self.folder / "casos.csv"
        code, message = self.command(out)
        self.assertEqual(code, 2)
        self.assertIn("nothing was exported", message)
        self.assertEqual(list(self.folder.iterdir()), [])
        self.assertEqual(self.exports_audited(), 0)

    def test_the_command_audits_the_acts_it_wrote(self):
        out = self.folder / "casos.json"
        code, _message = export_command(
            ["--organization", self.org.slug, "--format", "json", "--out", str(out)]
        )
        self.assertEqual(code, 0)
        entry = AuditEntry.objects.get(action="cases.export")
        acts = sum(len(e["acts"]) for e in json.loads(out.read_bytes())["events"])
        self.assertEqual(entry.details["acts"], acts)
        self.assertEqual(acts, Act.objects.filter(organization=self.org).count())
        self.assertEqual([p.name for p in self.folder.iterdir()], ["casos.json"])

    def sign_in(self) -> None:
        self.client.force_login(self.coordinator)
        self.client.reauthenticate()

    def post_export(self, fmt: str = "csv"):
        return self.client.post(f"/o/{self.org.slug}/cases/export/identities/", {"format": fmt})

    def assert_nothing_delivered(self, response) -> None:
        self.assertEqual(response.status_code, 500)
        self.assertNotIn("Content-Disposition", response)
        self.assertTrue(response["Content-Type"].startswith("text/html"))
        page = response.content.decode()
        self.assertIn("nothing was downloaded", page)
        self.assertFalse([name for name in self.names if name in page])
        self.assertEqual(self.exports_audited(), 0)

    def test_the_page_delivers_nothing_when_the_audit_entry_cannot_be_written(self):
        self.sign_in()
        for fmt in ("csv", "json", "xlsx"):
            with self.subTest(fmt=fmt):
                damage_audit_key()
                with self.settings(LANGUAGE_CODE="en"):
                    response = self.post_export(fmt)
                self.assert_nothing_delivered(response)

    def test_the_page_delivers_nothing_when_the_log_raises(self):
        # As in the write-boundary tests: whatever the log raises stops the download.
        self.sign_in()
        with (
            mock.patch("memoria.cases.io_views.audit", side_effect=AuditRefused),
            self.assertRaises(AuditRefused),
        ):
            self.post_export("csv")
        self.assertEqual(self.exports_audited(), 0)

    def test_the_page_audits_nothing_and_sends_nothing_when_it_fails_half_way(self):
        damage_last_victims_name(self.org)
        self.sign_in()
        for fmt in ("csv", "json", "xlsx"):
            with self.subTest(fmt=fmt), self.settings(LANGUAGE_CODE="en"):
                self.assert_nothing_delivered(self.post_export(fmt))

    def test_the_page_audits_the_acts_it_sent(self):
        self.sign_in()
        response = self.post_export("csv")
        self.assertEqual(response.status_code, 200)
        entry = AuditEntry.objects.get(action="cases.export_identities")
        self.assertEqual(entry.details["acts"], len(csv_rows(content_of(response))))
