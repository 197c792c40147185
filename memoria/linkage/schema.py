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

Imports are all-or-nothing: :func:`read_source` checks every row and raises
one :class:`InputError` that lists every value it could not read, with its row
number, so a list can be fixed in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from memoria.linkage.dates import PartialDate, parse_date

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


def _clean_frame(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[BadValue]]:
    """Read every cell into its canonical form, collecting the bad ones."""
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
    for column in COLUMNS:
        if column not in frame:
            out[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        values, bad = _read_column(_stripped(frame[column]), readers.get(column), source, column)
        problems += bad
        out[column] = values
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
    for row in (~has_name).to_numpy().nonzero()[0]:
        problems.append(BadValue(source, int(row) + 1, "full_name", "", "no name and no CURP"))
    return problems


def read_source(data: pd.DataFrame | str | Path, source: str | None = None) -> pd.DataFrame:
    """Read one source into the standard schema, or raise :class:`InputError`.

    ``data`` is a DataFrame or the path of a CSV file (UTF-8, or Latin-1 as
    older Excel exports write; comma or semicolon separated). ``source``
    defaults to the file's stem. The result has every column of
    :data:`COLUMNS` plus ``source``, all as strings or ``None``; dates are
    ISO strings, possibly partial ("2014-09" or "2014").
    """
    if not isinstance(data, pd.DataFrame):
        path = Path(data)
        source = source or path.stem
        data = _read_csv(path)
    source = source or "source"
    frame = data.rename(columns=lambda c: str(c).strip().lower())
    _validate_columns(frame, source)
    out, problems = _clean_frame(frame.reset_index(drop=True), source)
    problems += _check_rows(out, source)
    if problems:
        raise InputError(problems)
    out.insert(0, "source", source)
    return out


def _read_csv(path: Path) -> pd.DataFrame:
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


__all__ = ["COLUMNS", "BadValue", "InputError", "PartialDate", "read_source"]
