"""Reading the official figures people download themselves: SESNSP and RNPDNO files.

Two public sources (docs/statistics.md, "Official figures", has the column
mapping in full):

* **SESNSP**, *incidencia delictiva municipal*: one row per year,
  municipality, crime (legal good, type, subtype, modality) with a column per
  month (``Enero`` … ``Diciembre``); usually Latin-1. An empty month is a month
  not yet published (the current year), not a zero: it is not counted.
* **RNPDNO**, counts of disappeared and not located people by state and year
  (the public version's tables, saved as CSV): a state, a year and a count,
  optionally a category (status, sex…).

``parse`` reads a file with a ``{field: column header}`` mapping (the project's
import convention, ``memoria.cases.io.mapping``) and adds the counts up by
state, municipality, year, month and category, so a file of a million rows
takes the memory of its totals only. A bad row stops nothing until the end:
every problem is collected with its row number, and the caller writes nothing
unless there is none (all or nothing).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from memoria.cases.io.mapping import MappingError
from memoria.cases.io.schema import Column
from memoria.geo import fold, load_municipalities, load_states

SESNSP, RNPDNO = "sesnsp", "rnpdno"
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")  # fmt: skip
MONTH_LABELS = (
    gettext_lazy("January"), gettext_lazy("February"), gettext_lazy("March"),
    gettext_lazy("April"), gettext_lazy("May"), gettext_lazy("June"), gettext_lazy("July"),
    gettext_lazy("August"), gettext_lazy("September"), gettext_lazy("October"),
    gettext_lazy("November"), gettext_lazy("December"),
)  # fmt: skip
MAX_PROBLEMS = 50  # problems kept and shown; the count says how many more
MIN_YEAR, MAX_YEAR = 1990, 2100

# fmt: off
COLUMNS: dict[str, tuple[Column, ...]] = {
    SESNSP: (
        Column("year", gettext_lazy("Year"), required=True, aliases=("ano", "anio", "year")),
        Column("state", gettext_lazy("State (INEGI code)"), aliases=(
            "clave ent", "clave_ent", "cve ent", "cve. ent", "cve. entidad", "clave entidad")),
        Column("municipality", gettext_lazy("Municipality (INEGI code, CVEGEO)"), required=True,
               aliases=("cve. municipio", "cve municipio", "clave municipio", "cvegeo",
                        "cve_mun", "clave_mun")),
        Column("category", gettext_lazy("Category of crime"), required=True, aliases=(
            "subtipo de delito", "subtipo", "tipo de delito")),
        *(Column(f"month_{i + 1}", MONTH_LABELS[i], required=True, aliases=(name,))
          for i, name in enumerate(MONTHS)),
    ),
    RNPDNO: (
        Column("year", gettext_lazy("Year"), required=True, aliases=("ano", "anio", "year")),
        Column("state", gettext_lazy("State (name or INEGI code)"), required=True, aliases=(
            "entidad", "entidad federativa", "estado", "clave ent", "clave_ent", "state")),
        Column("count", gettext_lazy("Count of people"), required=True, aliases=(
            "total", "personas", "cantidad", "numero de personas", "count")),
        Column("category", gettext_lazy("Category (optional: status, sex…)"), aliases=(
            "estatus", "categoria", "category")),
    ),
}
# fmt: on
SOURCE_LABELS = {
    SESNSP: gettext_lazy("SESNSP: crime incidence by municipality and month"),
    RNPDNO: gettext_lazy("RNPDNO: disappeared and not located people by state and year"),
}


def columns(source: str) -> tuple[Column, ...]:
    return COLUMNS[source]


def guess_mapping(source: str, headers: list[str]) -> dict[str, str]:
    """Each field mapped to the first header that names it (each header used once)."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in COLUMNS[source]:
        # The aliases in their order: "Subtipo de delito" before "Tipo de delito".
        for alias in (column.key, *column.aliases):
            found = [h for h in headers if h and h not in taken and _folded(h) == alias]
            if found:
                mapping[column.key] = found[0]
                taken.add(found[0])
                break
    return mapping


def _folded(header: str) -> str:
    return fold(header).replace("_", " ").strip(" :*")


def check_mapping(source: str, mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """The mapping without empty entries, or ``MappingError`` saying what is wrong."""
    cleaned = {key: header for key, header in mapping.items() if header}
    known = {column.key for column in COLUMNS[source]}
    unknown = sorted(set(cleaned) - known)
    if unknown:
        raise MappingError(
            _("Unknown fields in the mapping: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    absent = sorted(set(cleaned.values()) - set(headers))
    if absent:
        raise MappingError(
            _("The file has no column named %(columns)s.")
            % {"columns": ", ".join(f"“{h}”" for h in absent)}
        )
    missing = [str(c.label) for c in COLUMNS[source] if c.required and c.key not in cleaned]
    if missing:
        raise MappingError(
            _("Choose a column for every required field: %(fields)s.")
            % {"fields": ", ".join(missing)}
        )
    used = list(cleaned.values())
    twice = sorted({h for h in used if used.count(h) > 1})
    if twice:
        raise MappingError(
            _("A column can feed one field only: %(columns)s.")
            % {"columns": ", ".join(f"“{h}”" for h in twice)}
        )
    return cleaned


# -- reading -------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (with or without a BOM), else
    Windows-1252 (which reads Latin-1's letters the same), else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def read_headers(data: bytes) -> tuple[list[str], str]:
    """The first row's headers and the file's delimiter (comma, semicolon or tab)."""
    text, _encoding = decode(data[:65536])
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t|", key=first.count)
    headers = next(csv.reader([first], delimiter=delimiter), [])
    return [h.strip() for h in headers], delimiter


@dataclass(frozen=True)
class Problem:
    row: int  # the line in the spreadsheet (the header is row 1)
    column: str
    value: str
    message: str


@dataclass
class Parsed:
    """A file's counts, added up: ``{(state, municipality, year, month, category): n}``.
    ``municipality`` is "" for a count by state only; ``month`` 0 for a whole year."""

    source: str
    counts: Counter = field(default_factory=Counter)
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0  # beyond MAX_PROBLEMS
    encoding: str = "utf-8"
    unknown_municipalities: int = 0  # rows counted at state level only
    # The months each year has figures for (a cell not empty, zeros included); {0} for
    # a file by whole years. A month left empty is not yet published, not a zero.
    periods: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and self.rows > 0

    def add_problem(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1


def _whole(text: str) -> int | None:
    """A count as SESNSP and spreadsheets write it ("1,234", "12.0", " 7 "); None if not."""
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    return int(cleaned) if cleaned.isdigit() else None


def _state_codes() -> dict[str, str]:
    """A state's code by its code ("1", "01") or its folded name ("Ciudad de México",
    "CDMX", "Coahuila de Zaragoza", "Coahuila")."""
    found = {}
    for state in load_states():
        found[state.code] = state.code
        found[str(int(state.code))] = state.code
        name = fold(state.name)
        found[name] = state.code
        found[name.split(" de ")[0]] = state.code  # "Coahuila", "Veracruz", "Michoacan"
    found.update({"cdmx": "09", "distrito federal": "09", "estado de mexico": "15"})
    return found


def parse(source: str, data: bytes, mapping: dict[str, str], progress=None) -> Parsed:
    """Read ``data`` (a CSV file) with ``mapping``; raise ``MappingError`` if the mapping
    does not fit the file's headers. Problems in the rows are in the result."""
    text, encoding = decode(data)
    headers, delimiter = read_headers(data)
    mapping = check_mapping(source, mapping, headers)
    position = {header: i for i, header in enumerate(headers)}
    where = {key: position[header] for key, header in mapping.items()}
    result = Parsed(source, encoding=encoding)
    states = _state_codes()
    municipalities = {place.cvegeo for place in load_municipalities()}
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader, None)
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        result.rows += 1
        if progress and result.rows % 5000 == 0:
            progress(result.rows)

        def cell(key: str, cells=cells) -> str:
            i = where.get(key)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        def problem(key: str, message: str, line=line, cell=cell) -> None:
            result.add_problem(Problem(line, mapping.get(key, ""), cell(key)[:80], message))

        year = _whole(cell("year"))
        if year is None or not MIN_YEAR <= year <= MAX_YEAR:
            problem("year", _("Not a year."))
            continue
        category = cell("category")[:200]
        if source == SESNSP:
            _sesnsp_row(result, cell, problem, year, category, municipalities)
        else:
            state = states.get(fold(cell("state")).strip())
            if state is None:
                problem("state", _("Not a state of Mexico (a name or an INEGI code)."))
                continue
            count = _whole(cell("count"))
            if count is None:
                problem("count", _("Not a whole number."))
                continue
            result.counts[(state, "", year, 0, category)] += count
            result.periods.setdefault(year, set()).add(0)
    if result.rows == 0 and not result.problems:
        result.add_problem(Problem(1, "", "", _("The file has no rows of figures.")))
    return result


def _sesnsp_row(result, cell, problem, year, category, municipalities) -> None:
    raw = cell("municipality")
    code = raw.zfill(5) if raw.isdigit() and len(raw) <= 5 else ""
    if not code:
        problem("municipality", _("Not an INEGI municipality code (CVEGEO)."))
        return
    state = cell("state")
    state = state.zfill(2) if state.isdigit() else code[:2]
    if state != code[:2]:
        problem("state", _("The state does not match the municipality's code."))
        return
    if code not in municipalities:
        # SESNSP has codes of its own for "other municipalities" and for crimes it
        # cannot place: they count for the state, not for any municipality.
        result.unknown_municipalities += 1
        code = ""
    found = []
    for month in range(1, 13):
        text = cell(f"month_{month}")
        if text == "":
            continue  # not yet published: not a zero
        count = _whole(text)
        if count is None:
            problem(f"month_{month}", _("Not a whole number."))
            return
        found.append((month, count))
    for month, count in found:
        result.periods.setdefault(year, set()).add(month)
        if count:
            result.counts[(state, code, year, month, category)] += count
