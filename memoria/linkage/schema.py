"""The standard input schema for linkage, and the importer that reads it.

Every source (a CSV file or a pandas DataFrame) has one row per record:

================  =============================================================
column            meaning
================  =============================================================
record_id         required; unique within the source
given_names       given names ("José Luis"); or use full_name
paternal_surname  first surname
maternal_surname  second surname (may be empty)
full_name         the whole name in one column, when the parts are not separate
sex               female / male / empty (Spanish spellings accepted)
birth_date        ISO date; partial ``YYYY-MM`` or ``YYYY`` allowed
age               age in years at the event
event_date        date of the event (disappearance, killing); partial allowed
state             INEGI 2-digit state code ("09")
municipality      INEGI 5-digit municipality code ("09015")
curp              optional CURP (18 characters)
================  =============================================================

Placeholders that lists write for "unknown" ("N/D", "S/N", "SIN DATO",
"DESCONOCIDO", "XXX", "NO ESPECIFICADO"...) and sentinel dates (1900-01-01,
1899-12-31, 9999-12-31...) are read as missing and counted, never as data: two
people whose maternal surname is "N/D" share nothing.

With ``strict=True`` (the default of :func:`read_source`) imports are
all-or-nothing: every row is checked and one :class:`InputError` lists every
value that could not be read, with its row number, so a list can be fixed in
one pass. With ``strict=False`` (the default of ``memoria link``) a date that
cannot be a date (1999-02-29, "ayer") is read as unknown and counted in a
:class:`CleaningReport` instead; other bad values still refuse the import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from memoria.linkage.dates import PartialDate, parse_date
from memoria.names.normalize import normalize_text

COLUMNS = (
    "record_id",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "full_name",
    "sex",
    "birth_date",
    "age",
    "event_date",
    "state",
    "municipality",
    "curp",
)
NAME_COLUMNS = ("given_names", "paternal_surname", "maternal_surname", "full_name")

_FEMALE = {"f", "fem", "femenino", "female", "mujer", "w", "woman", "2"}
_MALE = {"h", "hombre", "masculino", "male", "masc", "man", "1", "varon"}
_UNKNOWN = {
    "",
    "nan",
    "none",
    "na",
    "n a",
    "nd",
    "n d",
    "sd",
    "s d",
    "x",
    "desconocido",
    "se desconoce",
    "no especificado",
    "ne",
    "otro",
    "99",
    "9",
}
#: Values lists write for "unknown" in name and CURP columns, compared after
#: upper-casing, removing accents and everything but letters and digits.
PLACEHOLDERS = frozenset(
    {
        "ND", "NA", "SN", "SD", "NE", "NN", "NS", "NR", "NULL", "NONE", "NAN", "NIL",
        "SINDATO", "SINDATOS", "SINNOMBRE", "SINAPELLIDO", "SINREGISTRO", "SININFORMACION",
        "DESCONOCIDO", "DESCONOCIDA", "DESCONOCIDOS", "SEDESCONOCE", "NOSESABE", "NOSABE",
        "NOESPECIFICADO", "NOESPECIFICADA", "NOESPECIFICA", "NOAPLICA", "NOREGISTRADO",
        "NOIDENTIFICADO", "NOIDENTIFICADA", "IGNORADO", "IGNORADA", "ANONIMO", "ANONIMA",
        "NINGUNO", "NINGUNA", "PENDIENTE", "UNKNOWN", "FNU", "LNU",
    }
)  # fmt: skip
#: Dates that systems write when the true one is unknown (ISO, after parsing).
SENTINEL_DATES = frozenset(
    {"1900-01-01", "1899-12-31", "1899-12-30", "1901-01-01", "1800-01-01", "1111-11-11"}
)
_SENTINEL_DATE_TEXT = re.compile(
    r"^(?:0{1,2}[/.-]0{1,2}[/.-]0{2,4}|0{4}-0{1,2}-0{1,2}|9{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}[/.-]9{4}"
    r"|9{1,2}[/.-]9{1,2}[/.-]\d{4}|\d{4}-99-99|1111-11-11|11[/.-]11[/.-]1111)$"
)
_CURP = re.compile(r"^[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d$")
_AGE = re.compile(r"^(\d{1,3})(?:[.,]0+)?(?:\s*(?:anos|años|a))?$")
MAX_REPORTED_ERRORS = 20


@dataclass(frozen=True)
class BadValue:
    """One value the importer could not read."""

    source: str
    row: int  # 1-based data row; the CSV header is row 0
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source} row {self.row}, {self.column}={self.value!r}: {self.reason}"


class InputError(ValueError):
    """A source does not follow the schema; ``problems`` lists every bad value."""

    def __init__(self, problems: list[BadValue] | str) -> None:
        if isinstance(problems, str):
            self.problems: list[BadValue] = []
            super().__init__(problems)
            return
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:MAX_REPORTED_ERRORS])
        more = len(problems) - MAX_REPORTED_ERRORS
        suffix = f"; and {more} more" if more > 0 else ""
        super().__init__(f"{len(problems)} value(s) cannot be read: {shown}{suffix}")


@dataclass
class CleaningReport:
    """What the importer read as missing instead of refusing: counts per source and column.

    ``placeholders``: values such as "N/D" or 1900-01-01 read as missing;
    ``invalid_dates``: dates that cannot exist or cannot be read (1999-02-29,
    "ayer"), read as unknown when ``strict`` is off; ``examples`` keeps up to
    :data:`MAX_REPORTED_ERRORS` of the latter with their rows;
    ``unnamed_records``: records whose every name is a placeholder and that
    have no CURP (kept, with no name to compare).
    """

    placeholders: dict[str, dict[str, int]] = field(default_factory=dict)
    invalid_dates: dict[str, dict[str, int]] = field(default_factory=dict)
    unnamed_records: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def add(self, kind: str, source: str, column: str, count: int) -> None:
        if count:
            table = getattr(self, kind).setdefault(source, {})
            table[column] = table.get(column, 0) + count

    def total(self, kind: str) -> int:
        return sum(sum(columns.values()) for columns in getattr(self, kind).values())

    def as_dict(self) -> dict:
        return {
            "placeholders_read_as_missing": self.total("placeholders"),
            "invalid_dates_read_as_unknown": self.total("invalid_dates"),
            "records_with_placeholder_names_only": self.total("unnamed_records"),
            "placeholders": self.placeholders,
            "invalid_dates": self.invalid_dates,
            "invalid_date_examples": self.examples,
        }


def is_placeholder(value: str) -> bool:
    """True for the ways lists write "unknown" in a name: "N/D", "S/N", "SIN DATO", "XXX"...

    >>> is_placeholder("s/n"), is_placeholder("Sin Dato"), is_placeholder("Xóchitl")
    (True, True, False)
    >>> is_placeholder("NO ESPECIFIC")  # cut at a field's width
    True
    """
    key = re.sub(r"[^A-Z0-9]", "", normalize_text(value).upper())
    return (
        key == ""
        or key in PLACEHOLDERS
        or set(key) <= {"X"}
        or set(key) <= {"0"}
        or set(key) <= {"9"}
        # cut by a fixed-width field: "NO ESPECIFIC", "SIN INFORMAC"
        or (len(key) >= 8 and any(p.startswith(key) for p in PLACEHOLDERS))
    )


def is_sentinel_date(value: str) -> bool:
    """True for dates systems write when the true one is unknown (1900-01-01, 00/00/0000...)."""
    text = value.strip()
    if _SENTINEL_DATE_TEXT.match(text):
        return True
    try:
        return parse_date(text).iso() in SENTINEL_DATES
    except ValueError:
        return False


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""
    )


def _sex_reader(values: pd.Series):
    """Return a function reading one sex value, deciding what "M" means.

    Mexican forms write H (hombre) / M (mujer); English ones M (male) / F.
    A source that uses H means mujer by M; one that uses F means male; a source
    with only M is ambiguous and rejected rather than guessed.
    """
    seen = {str(v).strip().lower() for v in values.dropna().unique() if not _blank(v)}
    if "h" in seen or "hombre" in seen:
        m_means = "female"
    elif "f" in seen:
        m_means = "male"
    else:
        m_means = None

    def read(value: str) -> str:
        key = re.sub(r"[^a-z0-9]", " ", value.strip().lower()).strip()
        key = key.replace("  ", " ")
        if key in _FEMALE:
            return "female"
        if key in _MALE:
            return "male"
        if key in _UNKNOWN:
            return ""
        if key == "m":
            if m_means is None:
                raise ValueError(
                    "ambiguous: 'M' is mujer with H/M and male with F/M; "
                    "write female/male (or mujer/hombre)"
                )
            return m_means
        raise ValueError("expected female/male (mujer/hombre, F/M, H/M) or empty")

    return read


def _read_age(value: str) -> int:
    text = value.strip().lower()
    match = _AGE.match(text)
    if not match or int(match.group(1)) > 120:
        raise ValueError("expected a whole number of years between 0 and 120")
    return int(match.group(1))


def _read_code(value: str, digits: int) -> str:
    text = value.strip()
    if text.endswith(".0"):  # spreadsheets turn codes into floats
        text = text[:-2]
    if not text.isdigit() or len(text) > digits:
        raise ValueError(f"expected an INEGI code of {digits} digits")
    return text.zfill(digits)


def _read_curp(value: str) -> str:
    text = value.strip().upper()
    if not _CURP.match(text):
        raise ValueError("not a CURP (18 characters, e.g. HEGJ800101HDFRRS09)")
    return text


def _read_date(value: str) -> str:
    return parse_date(value).iso()


def _validate_columns(frame: pd.DataFrame, source: str) -> None:
    if "record_id" not in frame.columns:
        raise InputError(f"{source}: missing the required column record_id")
    if not any(c in frame.columns for c in NAME_COLUMNS):
        raise InputError(
            f"{source}: no name column; give given_names and paternal_surname, or full_name"
        )


def _read_column(
    raw: pd.Series, reader, source: str, column: str
) -> tuple[pd.Series, list[BadValue]]:
    """Read each distinct value once (lists repeat dates, codes and ages).

    ``raw`` holds stripped strings or ``None``; the result holds the canonical
    values or ``None``.
    """
    distinct = raw.dropna().unique()
    if reader is None:
        return raw, []
    results: dict[str, object] = {}
    errors: dict[str, str] = {}
    for text in distinct:
        try:
            value = reader(text)
        except ValueError as error:
            errors[text] = str(error)
            continue
        # Readers return "" for a known way of writing "unknown" (sex "se
        # desconoce"); falsy values such as age 0 (an infant) are data.
        results[text] = None if value == "" else value
    values = raw.map(results).astype(object)
    values = values.where(values.notna(), None)
    bad_rows = raw.isin(list(errors)).to_numpy().nonzero()[0]
    problems = [
        BadValue(source, int(row) + 1, column, raw.iloc[row], errors[raw.iloc[row]])
        for row in bad_rows
    ]
    return values, problems


def _stripped(series: pd.Series) -> pd.Series:
    """Strings without surrounding spaces; blanks and NaN become None."""
    text = series.astype("string").str.strip()
    text = text.where(text.notna() & (text != "") & (text.str.lower() != "nan"))
    return text.astype(object).where(text.notna(), None)


def _word_for_unknown(value: str) -> bool:
    """A word lists write for "unknown" ("N/D", "SIN DATO", "XXX"), never a value
    without letters (``is_placeholder`` reads names, whose digits it drops)."""
    return any(character.isalpha() for character in value) and is_placeholder(value)


def _unknown_date(value: str) -> bool:
    """A sentinel date (1900-01-01) or a word for "unknown"."""
    return is_sentinel_date(value) or _word_for_unknown(value)


def _unknown_state(value: str) -> bool:
    """A word for "unknown", or INEGI's 99: state not specified (a 9 alone is
    Ciudad de México's 09 that a spreadsheet turned into a number)."""
    return _word_for_unknown(value) or value.strip() == "99"


def _unknown_municipality(value: str) -> bool:
    """A word for "unknown", or INEGI's 999 (alone or after the state's code):
    municipality not specified."""
    text = value.strip()
    return _word_for_unknown(text) or text == "999" or (len(text) == 5 and text.endswith("999"))


# The other columns that lists fill with words for "unknown": "N/D" there is read
# as missing and counted, not refused. A number in the age column (even 0 or 99)
# is an age.
PLACEHOLDER_COLUMNS = {
    "sex": _word_for_unknown,
    "age": _word_for_unknown,
    "state": _unknown_state,
    "municipality": _unknown_municipality,
}


def _drop_placeholders(
    raw: pd.Series, test, report: CleaningReport | None, source: str, column: str
) -> pd.Series:
    """Placeholders become ``None`` (each distinct value is tested once)."""
    distinct = raw.dropna().unique()
    found = [v for v in distinct if test(v)]
    if not found:
        return raw
    hit = raw.isin(found)
    if report is not None:
        report.add("placeholders", source, column, int(hit.sum()))
    return raw.where(~hit, None)


def _clean_frame(
    frame: pd.DataFrame, source: str, strict: bool = True, report: CleaningReport | None = None
) -> tuple[pd.DataFrame, list[BadValue]]:
    """Read every cell into its canonical form, collecting the bad ones.

    Placeholders are read as missing; with ``strict`` off, unreadable dates are
    too (counted in ``report``) instead of being returned as problems.
    """
    problems: list[BadValue] = []
    readers = {
        "sex": _sex_reader(frame["sex"]) if "sex" in frame else None,
        "birth_date": _read_date,
        "event_date": _read_date,
        "age": _read_age,
        "state": lambda v: _read_code(v, 2),
        "municipality": lambda v: _read_code(v, 5),
        "curp": _read_curp,
    }
    out = pd.DataFrame(index=frame.index)
    placeholder_only = pd.Series(False, index=frame.index)
    for column in COLUMNS:
        if column not in frame:
            out[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        raw = _stripped(frame[column])
        if column in NAME_COLUMNS or column == "curp":
            before = raw.notna()
            raw = _drop_placeholders(raw, is_placeholder, report, source, column)
            placeholder_only |= before & raw.isna()
        elif column in ("birth_date", "event_date"):
            raw = _drop_placeholders(raw, _unknown_date, report, source, column)
        elif column in PLACEHOLDER_COLUMNS:
            raw = _drop_placeholders(raw, PLACEHOLDER_COLUMNS[column], report, source, column)
        values, bad = _read_column(raw, readers.get(column), source, column)
        if bad and not strict and column in ("birth_date", "event_date"):
            if report is not None:
                report.add("invalid_dates", source, column, len(bad))
                room = MAX_REPORTED_ERRORS - len(report.examples)
                report.examples += [str(p) for p in bad[: max(room, 0)]]
            bad = []  # the values are already None: read as unknown
        problems += bad
        out[column] = values
    # A record whose only name is a placeholder ("DESCONOCIDO") is a person on
    # the list with an unknown name, not a blank row: it is kept (and counted).
    named = out[list(NAME_COLUMNS)].notna().any(axis=1) | out["curp"].notna()
    out.attrs["unnamed"] = placeholder_only & ~named
    if report is not None:
        report.add("unnamed_records", source, "records", int(out.attrs["unnamed"].sum()))
    return out, problems


def _check_rows(out: pd.DataFrame, source: str) -> list[BadValue]:
    problems: list[BadValue] = []
    ids = out["record_id"]
    for row in ids.isna().to_numpy().nonzero()[0]:
        problems.append(BadValue(source, int(row) + 1, "record_id", "", "required"))
    repeated = ids.notna() & ids.duplicated(keep=False)
    if repeated.any():
        first_row = {}
        for row in repeated.to_numpy().nonzero()[0]:
            record_id = ids.iloc[row]
            if record_id not in first_row:
                first_row[record_id] = int(row) + 1
                continue
            reason = (
                f"duplicate of row {first_row[record_id]}; record_id must be unique in a source"
            )
            problems.append(BadValue(source, int(row) + 1, "record_id", record_id, reason))
    has_name = out[list(NAME_COLUMNS)].notna().any(axis=1) | out["curp"].notna()
    has_name |= out.attrs.get("unnamed", False)
    for row in (~has_name).to_numpy().nonzero()[0]:
        problems.append(BadValue(source, int(row) + 1, "full_name", "", "no name and no CURP"))
    return problems


def read_source(
    data: pd.DataFrame | str | Path,
    source: str | None = None,
    *,
    strict: bool = True,
    report: CleaningReport | None = None,
) -> pd.DataFrame:
    """Read one source into the standard schema, or raise :class:`InputError`.

    Placeholders and sentinel dates are read as missing. With ``strict`` off,
    a date that cannot be read is read as unknown instead of refused. Pass a
    :class:`CleaningReport` to learn how many values were read as missing.

    ``data`` is a DataFrame or the path of a CSV file (UTF-8, or Latin-1 as
    older Excel exports write; comma or semicolon separated). ``source``
    defaults to the file's stem. The result has every column of
    :data:`COLUMNS` plus ``source``, all as strings or ``None``; dates are
    ISO strings, possibly partial ("2014-09" or "2014").
    """
    if not isinstance(data, pd.DataFrame):
        path = Path(data)
        source = source or path.stem
        data = read_csv_file(path)
    source = source or "source"
    frame = data.rename(columns=lambda c: str(c).strip().lower())
    _validate_columns(frame, source)
    out, problems = _clean_frame(frame.reset_index(drop=True), source, strict, report)
    problems += _check_rows(out, source)
    if problems:
        raise InputError(problems)
    out.attrs.pop("unnamed", None)  # a Series in attrs would break pandas.concat
    out.insert(0, "source", source)
    return out


def read_csv_file(path: Path) -> pd.DataFrame:
    """A list's CSV file as text cells (UTF-8, or Latin-1 as older Excel exports write;
    comma or semicolon separated), as :func:`read_source` reads it."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return pd.read_csv(
                path, dtype=str, keep_default_na=False, sep=None, engine="python", encoding=encoding
            )
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise InputError(f"{path}: not a readable CSV file ({error})") from error
    raise InputError(f"{path}: unknown text encoding")  # pragma: no cover - latin-1 reads anything


__all__ = [
    "COLUMNS",
    "BadValue",
    "CleaningReport",
    "InputError",
    "PartialDate",
    "is_placeholder",
    "is_sentinel_date",
    "read_csv_file",
    "read_source",
]
