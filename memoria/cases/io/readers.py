"""Reading a spreadsheet into a plain table of text cells.

Organizations keep their lists in Excel or in CSV files saved by Excel,
LibreOffice or Google Sheets, in UTF-8, Windows-1252 or UTF-16, separated by
commas, semicolons (Excel in Spanish) or tabs. ``read_table`` accepts them all
(and refuses a file that mixes UTF-8 lines with Windows-1252 ones, which no
single encoding reads right) and returns the same thing: the header row and
the data rows as strings, each row keeping the number it has in the
spreadsheet so the validation report can point at it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

# Larger files are for ``memoria import`` run by an operator, not for a browser upload.
MAX_ROWS = 200_000
# Blank lines count too, so that a file of millions of empty rows stops as early.
MAX_LINES = MAX_ROWS + 10_000
# Excel's own limit for one cell; a longer cell is not something a person typed.
MAX_CELL_CHARS = 32_767
MAX_COLUMNS = 500
# An XLSX file is a zip: refuse one that would unpack to more than this.
MAX_XLSX_UNPACKED_BYTES = 1024 * 1024 * 1024
# A row element of a sheet's XML, with or without a namespace prefix.
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
DELIMITERS = ",;\t|"
UTF8, UTF16, CP1252 = "utf-8", "utf-16", "cp1252"
# A valid UTF-8 sequence of two to four bytes: in a file that is not all UTF-8, one of
# these means some lines were saved as UTF-8 and others in another encoding.
UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# UTF-8 text read as Windows-1252 ("ZacarÃ­as", "â€œ"): what a lead byte becomes in
# Windows-1252 followed by what continuation bytes become. A match is only a candidate:
# it counts when its bytes decode as UTF-8 (``_repaired``).
MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]+"
)
MOJIBAKE_EXAMPLES = 5


class UnreadableFile(ValueError):
    """The file is not a table we can read; the message says why, for the user."""


@dataclass
class Table:
    """A spreadsheet's header and rows, every cell as stripped text.

    ``rows`` holds ``(row_number, cells)`` pairs where ``row_number`` is the
    line a person sees in their spreadsheet (the header is row 1). Empty rows
    are left out.
    """

    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    filename: str = ""
    # How a CSV file was decoded (an XLSX file is always "utf-8").
    encoding: str = UTF8
    # Cells that look like UTF-8 text once read in another encoding ("ZacarÃ­as"):
    # (row, column header, the cell, what it probably said), the first few.
    suspect_cells: list[tuple[int, str, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "headers": self.headers,
            "rows": self.rows,
            "filename": self.filename,
            "encoding": self.encoding,
            "suspect_cells": self.suspect_cells,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Table:
        rows = [(int(number), list(cells)) for number, cells in data["rows"]]
        return cls(
            headers=list(data["headers"]),
            rows=rows,
            filename=data.get("filename", ""),
            encoding=data.get("encoding", UTF8),
            suspect_cells=[tuple(cell) for cell in data.get("suspect_cells", [])],
        )

    def reading_notes(self) -> list[str]:
        """What a person should know about how the file was read, in their language."""
        notes = []
        if self.encoding == CP1252:
            notes.append(
                _(
                    "The file is not in UTF-8: it was read as Windows-1252 (Latin-1), the "
                    "encoding Excel uses for “CSV (comma delimited)”. Check that accents and "
                    "ñ look right in the rows below."
                )
            )
        elif self.encoding == UTF16:
            notes.append(_("The file is in UTF-16 (“Unicode text” in Excel); it was read as such."))
        for row, column, cell, repaired in self.suspect_cells:
            notes.append(
                _(
                    "Row %(row)s, column “%(column)s”: “%(cell)s” looks like text that was "
                    "saved in one encoding and opened in another; it probably should say "
                    "“%(repaired)s”. Correct it in your file and upload it again, or it will "
                    "be saved as it is."
                )
                % {"row": row, "column": column, "cell": cell, "repaired": repaired}
            )
        return notes


def read_table(content: bytes, filename: str) -> Table:
    """Read CSV (any common encoding and delimiter) or XLSX content."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or content[:4] == b"PK\x03\x04":
        table = _read_xlsx(content)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        table = _read_csv(content)
    else:
        raise UnreadableFile(_("Only CSV and XLSX (Excel) files can be imported."))
    table.filename = Path(filename).name
    if not table.headers or not any(table.headers):
        raise UnreadableFile(_("The first row must hold the column names, and it is empty."))
    if not table.rows:
        raise UnreadableFile(_("The file has column names but no rows of data."))
    table.suspect_cells = suspect_cells(table)
    return table


def too_many_rows() -> UnreadableFile:
    return UnreadableFile(
        _("The file has more than %(limit)s rows; split it into smaller files.")
        % {"limit": f"{MAX_ROWS:,}"}
    )


def cell_too_long(row: int) -> UnreadableFile:
    return UnreadableFile(
        _(
            "Row %(row)s has a cell longer than %(limit)s characters, more than a "
            "spreadsheet cell can hold. Shorten it or split the text."
        )
        % {"row": row, "limit": f"{MAX_CELL_CHARS:,}"}
    )


def read_path(path: Path) -> Table:
    return read_table(Path(path).read_bytes(), Path(path).name)


def decode(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in.

    UTF-16 when it has that byte-order mark or the NUL bytes of one; else UTF-8
    (with or without a byte-order mark); else, when no line of it is UTF-8,
    Windows-1252 (what Excel in Spanish writes). A file with UTF-8 lines and
    others in another encoding cannot be read either way without garbling one
    of them: it is refused, naming the first line that is not UTF-8.
    """
    utf16 = _utf16_codec(content)
    if utf16:
        try:
            return content.decode(utf16), UTF16
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                _(
                    "The file looks like UTF-16 text but is damaged near byte %(position)s. "
                    "Save it again from your spreadsheet as “CSV UTF-8”."
                )
                % {"position": f"{error.start:,}"}
            ) from error
    try:
        return content.decode("utf-8-sig"), UTF8
    except UnicodeDecodeError as error:
        if UTF8_SEQUENCE.search(content):
            raise UnreadableFile(
                _(
                    "The file mixes two encodings: some lines are in UTF-8 and line "
                    "%(line)s is not (it looks like Windows-1252 or Latin-1). Read as it "
                    "is, names with accents or ñ would be garbled. Correct that line and "
                    "the ones like it, or copy the rows into one spreadsheet and save it "
                    "as “CSV UTF-8”."
                )
                % {"line": content.count(b"\n", 0, error.start) + 1}
            ) from error
    try:
        return content.decode(CP1252), CP1252
    except UnicodeDecodeError:
        # The five bytes Windows-1252 leaves undefined: Latin-1 reads them as controls.
        return content.decode("latin-1"), CP1252


def _utf16_codec(content: bytes) -> str | None:
    """ "utf-16" (with its byte-order mark), "utf-16-le" or "utf-16-be", or None."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = content[:4096]
    if len(sample) < 4:
        return None
    # Mostly ASCII text in UTF-16 has a NUL in every other byte, and only there.
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 4 and even == 0:
        return "utf-16-le"
    if even > len(sample) // 4 and odd == 0:
        return "utf-16-be"
    return None


def suspect_cells(table: Table) -> list[tuple[int, str, str, str]]:
    """The first few cells that read like UTF-8 opened as Windows-1252, repaired."""
    found = []
    for number, cells in table.rows:
        for header, cell in zip(table.headers, cells, strict=False):
            repaired = _repaired(cell)
            if repaired is not None:
                found.append((number, header, cell, repaired))
                if len(found) == MOJIBAKE_EXAMPLES:
                    return found
    return found


def _repaired(cell: str) -> str | None:
    """``cell`` with its mojibake undone, or None when it has none."""
    if not MOJIBAKE.search(cell):
        return None
    changed = False

    def undo(match: re.Match) -> str:
        nonlocal changed
        text = match.group()
        try:
            raw = bytes(_cp1252_byte(c) for c in text)
            fixed = raw.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return text
        changed = True
        return fixed

    repaired = MOJIBAKE.sub(undo, cell)
    return repaired if changed else None


def _cp1252_byte(character: str) -> int:
    try:
        return character.encode(CP1252)[0]
    except UnicodeEncodeError:
        if ord(character) < 0x100:  # the five bytes Windows-1252 leaves undefined
            return ord(character)
        raise ValueError(character) from None


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # One column, or too irregular to tell: the most frequent candidate in the header.
        header = text.splitlines()[0] if text else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_csv(content: bytes) -> Table:
    text, encoding = decode(content)
    if "\x00" in text:
        raise UnreadableFile(_("This does not look like a CSV file."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))

    def lines():
        try:
            yield from reader
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                # The csv module's own limit (131,072 characters), above ours.
                raise cell_too_long(reader.line_num) from error
            raise UnreadableFile(
                _("The CSV file is malformed: %(error)s") % {"error": str(error)}
            ) from error

    table = _table_from_lines(lines())
    table.encoding = encoding
    return table


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    _check_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(_("This Excel file cannot be opened.")) from error
    try:
        sheet = workbook.worksheets[0]
        # (``max_col`` would pad every row to that width: cut each row instead.)
        rows = sheet.iter_rows(values_only=True)
        return _table_from_lines([cell_text(v) for v in row[:MAX_COLUMNS]] for row in rows)
    finally:
        workbook.close()


def _check_archive(content: bytes) -> None:
    """Refuse an XLSX that unpacks to too much, or has a sheet of too many rows,
    before openpyxl parses it: opening a workbook already reads every sheet
    through (looking for its size) when the sheet does not declare it."""
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as error:
        raise UnreadableFile(_("This Excel file cannot be opened.")) from error
    with archive:
        parts = archive.infolist()
        if sum(info.file_size for info in parts) > MAX_XLSX_UNPACKED_BYTES:
            raise too_many_rows()
        for info in parts:
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                try:
                    rows = _count_row_tags(archive, info.filename)
                except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
                    raise UnreadableFile(_("This Excel file cannot be opened.")) from error
                if rows > MAX_LINES:
                    raise too_many_rows()


def _count_row_tags(archive, path: str, chunk_bytes: int = 1 << 20) -> int:
    """How many ``<row`` elements the sheet's XML holds, read in chunks.

    Parsing with openpyxl takes about a second per 5,000 rows on a small
    server; counting the tags in the decompressed stream takes a fraction of
    a second for 200,000 rows, and stops as soon as there are too many.
    """
    count, tail = 0, b""
    with archive.open(path) as stream:
        while chunk := stream.read(chunk_bytes):
            data = tail + chunk
            # Keep an unfinished tag for the next chunk.
            cut = data.rfind(b"<")
            if cut < 0 or len(data) - cut > 256:
                cut = len(data)
            count += len(ROW_TAG.findall(data, 0, cut))
            tail = data[cut:]
            if count > MAX_LINES:
                break
    return count + len(ROW_TAG.findall(tail))


def cell_text(value) -> str:
    """An Excel cell as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table_from_lines(lines: Iterable[list[str]]) -> Table:
    """The table of ``lines``, read one at a time and refused as soon as it is
    too long or a cell too large, so a small hostile file cannot fill memory."""
    headers: list[str] | None = None
    width = 0
    rows = []
    for number, line in enumerate(lines, start=1):
        if number > MAX_LINES:
            raise too_many_rows()
        if any(len(str(c)) > MAX_CELL_CHARS for c in line):
            raise cell_too_long(number)
        if headers is None:
            # Skip blank lines above the header (a title row left empty, for instance).
            if not any(str(c).strip() for c in line):
                continue
            headers = [str(c).strip() for c in line[:MAX_COLUMNS]]
            while headers and not headers[-1]:
                headers.pop()
            width = len(headers)
            continue
        cells = [_unquote(str(c).strip()) for c in line[:width]]
        if not any(cells):
            continue
        if len(rows) == MAX_ROWS:
            raise too_many_rows()
        cells += [""] * (width - len(cells))
        rows.append((number, cells))
    return Table(headers=headers or [], rows=rows)


def _unquote(cell: str) -> str:
    """Undo the quote Memoria's exports put before text a spreadsheet would run
    as a formula (``'=...``), so an export imports back unchanged."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@":
        return cell[1:]
    return cell
