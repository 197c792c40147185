"""How a CSV file's encoding is found, and what a person is told about it.

UTF-8 (with or without a byte-order mark), Windows-1252 as Excel writes it,
and UTF-16 (Excel's "Unicode text", with or without a byte-order mark) are
read; a file mixing UTF-8 lines with Windows-1252 ones is refused, naming the
first line that is not UTF-8; UTF-8 text that already holds mojibake
("ZacarÃ­as") is read as it is, with a warning.
"""

from __future__ import annotations

import io
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from memoria.cases.io.importer import import_table
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import UnreadableFile, read_table
from memoria.cases.models import Event, Person
from tests.web.base import MemoriaTestCase
from tests.web.test_cases_import import run_command

HEADER = "Título,Fecha de los hechos,Municipio,Nombre(s),Apellido paterno,Tipo de violación"
ROWS = [
    "Homicidio en Juárez,2019,08037,Zacarías,Núñez,homicide",
    "Homicidio en Juárez,2020,08037,José Ángel,Peña,homicide",
    "Homicidio en Juárez,2021,08037,María,Ibáñez,homicide",
]
SURNAMES = ["Núñez", "Peña", "Ibáñez"]


def text(*rows: str, header: str = HEADER, newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


class ReadingTests(MemoriaTestCase):
    def import_bytes(self, content: bytes):
        table = read_table(content, "casos.csv")
        # The same rows come back in each encoding: importing them again is wanted here.
        mapping = guess_mapping(table.headers)
        report = import_table(table, mapping, self.org, self.documenter, on_duplicate="create")
        return table, report

    def surnames(self) -> list[str]:
        """The surnames of the people the last import created, in order."""
        people = Person.objects.filter(organization=self.org).order_by("-pk")[: len(SURNAMES)]
        return [p.paternal_surname for p in reversed(people)]

    def test_it_reads_utf_16_as_excel_saves_unicode_text_with_or_without_a_mark(self):
        tabbed = text(*(r.replace(",", "\t") for r in ROWS), header=HEADER.replace(",", "\t"))
        for name, content in (
            ("with a mark, tabs", "\ufeff".encode("utf-16-le") + tabbed.encode("utf-16-le")),
            ("big-endian mark", text(*ROWS).encode("utf-16")),
            ("little-endian, no mark", text(*ROWS, newline="\r\n").encode("utf-16-le")),
            ("big-endian, no mark", text(*ROWS).encode("utf-16-be")),
        ):
            with self.subTest(name):
                table, report = self.import_bytes(content)
                self.assertEqual(table.encoding, "utf-16")
                self.assertTrue(report.committed, report.errors)
                self.assertEqual(self.surnames(), SURNAMES)

    def test_it_reads_a_file_wholly_in_windows_1252_and_says_so(self):
        table, report = self.import_bytes(text(*ROWS).encode("cp1252"))
        self.assertTrue(report.committed, report.errors)
        self.assertEqual(self.surnames(), SURNAMES)
        self.assertEqual(table.encoding, "cp1252")
        with translation.override("en"):
            self.assertIn("read as Windows-1252", table.reading_notes()[0])

    def test_it_reads_utf_8_with_or_without_a_mark_and_has_nothing_to_say(self):
        for content in (text(*ROWS).encode(), text(*ROWS).encode("utf-8-sig")):
            table = read_table(content, "casos.csv")
            self.assertEqual((table.encoding, table.reading_notes()), ("utf-8", []))
            self.assertEqual(table.rows[0][1][3], "Zacarías")

    def test_it_refuses_a_file_mixing_utf_8_and_windows_1252_lines(self):
        content = (
            text(ROWS[0]).encode("utf-8")
            + (ROWS[1] + "\n").encode("utf-8")
            + (ROWS[2] + "\n").encode("cp1252")
        )
        with translation.override("en"), self.assertRaises(UnreadableFile) as refused:
            read_table(content, "casos.csv")
        self.assertIn("mixes two encodings", str(refused.exception))
        self.assertIn("line 4 is not", str(refused.exception))
        with self.assertRaisesMessage(UnreadableFile, "la línea 4 no"):
            read_table(content, "casos.csv")

    def test_it_refuses_damaged_utf_16(self):
        content = text(*ROWS).encode("utf-16") + b"\x00\xd8"  # half of a surrogate pair
        with translation.override("en"), self.assertRaisesMessage(UnreadableFile, "UTF-16"):
            read_table(content, "casos.csv")

    def test_it_warns_of_text_already_garbled_in_a_utf_8_file(self):
        garbled = ROWS[0].replace("Zacarías", "ZacarÃ­as").replace("Núñez", "NÃºÃ±ez")
        table = read_table(text(garbled, ROWS[1]).encode(), "casos.csv")
        self.assertEqual(table.encoding, "utf-8")
        self.assertEqual(
            table.suspect_cells,
            [(2, "Nombre(s)", "ZacarÃ­as", "Zacarías"), (2, "Apellido paterno", "NÃºÃ±ez", "Núñez")],
        )
        with translation.override("en"):
            notes = table.reading_notes()
        self.assertIn("“ZacarÃ­as” looks like text that was saved in one encoding", notes[0])
        self.assertIn("it probably should say “Zacarías”", notes[0])
        # Names that are simply accented are not suspects.
        self.assertEqual(read_table(text(*ROWS).encode(), "casos.csv").suspect_cells, [])


class PagesTests(MemoriaTestCase):
    def upload(self, content: bytes):
        self.client.force_login(self.documenter)
        return self.client.post(
            f"/o/{self.org.slug}/cases/import/",
            {"file": SimpleUploadedFile("casos.csv", content, content_type="text/csv")},
        )

    def review(self):
        columns = self.client.get(f"/o/{self.org.slug}/cases/import/columns/")
        self.client.post(
            f"/o/{self.org.slug}/cases/import/columns/", columns.context["form"].initial
        )
        return self.client.get(f"/o/{self.org.slug}/cases/import/review/")

    def test_the_upload_page_refuses_a_mixed_file_and_holds_nothing(self):
        content = text(ROWS[0]).encode() + (ROWS[1] + "\n").encode("cp1252")
        response = self.upload(content)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "El archivo mezcla dos codificaciones")
        self.assertContains(response, "la línea 3 no")
        self.assertNotIn("memoria_cases_import", self.client.session)

    def test_the_review_says_how_the_file_was_read(self):
        self.assertRedirects(
            self.upload(text(*ROWS).encode("cp1252")), f"/o/{self.org.slug}/cases/import/columns/"
        )
        review = self.review()
        self.assertContains(review, "Cómo se leyó el archivo")
        self.assertContains(review, "Windows-1252")
        self.assertContains(review, "Zacarías Núñez")

    def test_the_review_warns_of_garbled_names(self):
        self.upload(text(ROWS[0].replace("Zacarías", "ZacarÃ­as")).encode())
        review = self.review()
        self.assertEqual(review.status_code, 200)  # a warning, not a refusal
        self.assertContains(review, "ZacarÃ­as")
        self.assertContains(review, "«Zacarías»")
        self.assertEqual(Event.objects.count(), 0)


class CommandTests(MemoriaTestCase):
    def run_import(self, content: bytes) -> tuple[int, str]:
        folder = Path(tempfile.mkdtemp(prefix="memoria-import-test-"))
        self.addCleanup(lambda: __import__("shutil").rmtree(folder, ignore_errors=True))
        path = folder / "casos.csv"
        path.write_bytes(content)
        out = io.StringIO()
        with redirect_stdout(out):
            code = run_command(["import", str(path), "--organization", self.org.slug])
        return code, out.getvalue()

    def test_the_command_refuses_a_mixed_file_and_writes_nothing(self):
        code, _output = self.run_import(text(ROWS[0]).encode() + (ROWS[1] + "\n").encode("cp1252"))
        self.assertEqual(code, 2)
        self.assertEqual(Event.objects.count(), 0)

    def test_the_command_reads_utf_16_and_says_so(self):
        code, output = self.run_import(text(*ROWS).encode("utf-16-le"))
        self.assertEqual(code, 0, output)
        self.assertIn("UTF-16", output)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 3)
