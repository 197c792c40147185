"""Reading a spreadsheet into a plain table of text cells.

Organizations keep their lists in Excel or in CSV files saved by Excel,
LibreOffice or Google Sheets, in UTF-8, Windows-1252 or UTF-16, separated by
commas, semicolons (Excel in Spanish) or tabs. ``read_table`` accepts them all
and returns the same thing: the header row and the data rows as strings, each
row keeping the number it has in the spreadsheet so the validation report can
point at it.
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
ENCODINGS = ("utf-8-sig", "cp1252")


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

    def to_dict(self) -> dict:
        return {"headers": self.headers, "rows": self.rows, "filename": self.filename}

    @classmethod
    def from_dict(cls, data: dict) -> Table:
        rows = [(int(number), list(cells)) for number, cells in data["rows"]]
        return cls(headers=list(data["headers"]), rows=rows, filename=data.get("filename", ""))


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


def decode(content: bytes) -> str:
    """Text of a CSV file: UTF-16 when it has that byte-order mark, else UTF-8,
    else Windows-1252 (what Excel in Spanish writes by default)."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return content.decode("utf-16")
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")  # every byte is a character: never fails


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
    text = decode(content)
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

    return _table_from_lines(lines())


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
