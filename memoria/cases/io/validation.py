"""Turning one spreadsheet row into checked values, or into reasons it is wrong.

Every problem in a row is reported, not only the first, with the row number a
person sees in their spreadsheet, the column, the value and a sentence saying
what is wrong. Nothing here writes to the database.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from memoria.cases.ages import check_birth_and_age
from memoria.cases.curp import curp_error
from memoria.cases.formatting import month_label
from memoria.cases.io.schema import COLUMNS_BY_KEY
from memoria.geo import fold

DAY, MONTH, YEAR, UNKNOWN = "day", "month", "year", "unknown"
EARLIEST_YEAR = 1900
UNKNOWN_WORDS = frozenset(
    {"desconocida", "desconocido", "sin dato", "sin datos", "s/d", "sd", "nd", "n/d", "se ignora",
     "no se sabe", "no especificado", "unknown", "n/a", "na", "-", "?"}
)  # fmt: skip
MONTHS = {
    "enero": 1, "ene": 1, "january": 1, "jan": 1, "febrero": 2, "feb": 2, "february": 2,
    "marzo": 3, "mar": 3, "march": 3, "abril": 4, "abr": 4, "april": 4, "apr": 4, "mayo": 5,
    "may": 5, "junio": 6, "jun": 6, "june": 6, "julio": 7, "jul": 7, "july": 7, "agosto": 8,
    "ago": 8, "august": 8, "aug": 8, "septiembre": 9, "setiembre": 9, "sep": 9, "sept": 9,
    "september": 9, "octubre": 10, "oct": 10, "october": 10, "noviembre": 11, "nov": 11,
    "november": 11, "diciembre": 12, "dic": 12, "december": 12, "dec": 12,
}  # fmt: skip
SEXES = {
    "h": "male", "hombre": "male", "masculino": "male", "male": "male", "varon": "male",
    "m": "female", "mujer": "female", "femenino": "female", "female": "female", "f": "female",
    "i": "intersex", "intersex": "intersex", "intersexual": "intersex",
    "x": "unknown", "": "unknown", "no registrado": "unknown", "desconocido": "unknown",
    "sin dato": "unknown", "nd": "unknown", "unknown": "unknown",
}  # fmt: skip
# Names people use for states besides the official INEGI one.
STATE_ALIASES = {
    "cdmx": "09", "df": "09", "d.f.": "09", "distrito federal": "09", "ciudad de mexico": "09",
    "edomex": "15", "edo. mex.": "15", "estado de mexico": "15", "mexico": "15",
    "coahuila": "05", "michoacan": "16", "veracruz": "30", "bcs": "03", "bc": "02",
    "queretaro de arteaga": "22", "nl": "19",
}  # fmt: skip


@dataclass(frozen=True)
class PartialDate:
    """A date known to the day, the month, the year, or not at all."""

    value: dt.date | None
    precision: str

    @classmethod
    def unknown(cls) -> PartialDate:
        return cls(None, UNKNOWN)

    def __str__(self) -> str:
        if self.value is None:
            return ""
        if self.precision == YEAR:
            return f"{self.value.year:04d}"
        if self.precision == MONTH:
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the field key
    value: str
    message: str

    @property
    def column_label(self) -> str:
        column = COLUMNS_BY_KEY.get(self.column)
        return str(column.label) if column else self.column


@dataclass
class ParsedRow:
    """The checked values of one row, ready for the importer."""

    row: int
    event_reference: str = ""
    event_title: str = ""
    event_date: PartialDate = field(default_factory=PartialDate.unknown)
    event_end_date: PartialDate = field(default_factory=PartialDate.unknown)
    state_code: str | None = None
    municipality_code: str | None = None
    locality: str = ""
    event_description: str = ""
    event_status: str | None = None
    given_names: str = ""
    paternal_surname: str = ""
    maternal_surname: str = ""
    aliases: str = ""
    sex: str = "unknown"
    age: int | None = None
    birth_date: PartialDate = field(default_factory=PartialDate.unknown)
    curp: str = ""
    nationality: str = ""
    occupation: str = ""
    violation_type: str | None = None
    victim_situation: str | None = None
    perpetrator_kind: str | None = None
    perpetrator_group: str = ""
    source_kind: str | None = None
    source_reference: str = ""
    source_date: PartialDate = field(default_factory=PartialDate.unknown)

    @property
    def display_name(self) -> str:
        parts = (self.given_names, self.paternal_surname, self.maternal_surname)
        return " ".join(p for p in parts if p)


class Vocabulary:
    """A controlled vocabulary as the importer sees it: any of a term's codes
    or labels (in any language, accents and case ignored) leads to its code."""

    def __init__(self, terms: dict[str, list[str]], shown: dict[str, str] | None = None) -> None:
        """``terms``: each code's labels; ``shown``: the label an error message names it by."""
        self.codes = list(terms)
        self.shown = shown or {code: code for code in terms}
        self._lookup: dict[str, str] = {}
        for code, labels in terms.items():
            for text in (code, code.replace("_", " "), *labels):
                self._lookup.setdefault(fold(str(text)), code)

    def find(self, text: str) -> str | None:
        return self._lookup.get(fold(text))

    def accepted(self) -> str:
        """Every accepted value as "label (code)", for a message about a value that is not."""
        return "; ".join(
            f"{self.shown[code]} ({code})" if self.shown[code] != code else code
            for code in self.codes
        )


@dataclass
class PlaceIndex:
    """The INEGI catalogue, indexed for accent-blind lookups."""

    states: dict[str, str]  # any folded name, ISO code or INEGI code → INEGI code
    municipalities: dict[str, str]  # cvegeo → state code
    by_name: dict[tuple[str, str], str]  # (state code, folded name) → cvegeo
    by_name_anywhere: dict[str, list[str]]  # folded name → cvegeos

    @classmethod
    def from_database(cls) -> PlaceIndex:
        from memoria.places.models import Municipality, State

        states: dict[str, str] = dict(STATE_ALIASES)
        for code, name, iso in State.objects.values_list("code", "name", "iso_code"):
            states[code] = code
            states[str(int(code))] = code
            states[fold(name)] = code
            states[fold(iso)] = code
            states[fold(iso.removeprefix("MX-"))] = code
        municipalities, by_name, anywhere = {}, {}, {}
        for cvegeo, state, name in Municipality.objects.values_list(
            "cvegeo", "state_id", "search_name"
        ):
            municipalities[cvegeo] = state
            by_name[(state, name)] = cvegeo
            anywhere.setdefault(name, []).append(cvegeo)
        return cls(states, municipalities, by_name, anywhere)


@dataclass
class Lookups:
    """Everything a row is checked against: places and the vocabularies."""

    places: PlaceIndex
    vocabularies: dict[str, Vocabulary]  # field key → vocabulary
    today: dt.date = field(default_factory=lambda: timezone.localdate())


class RowChecker:
    """Checks one row's values; collects every error found."""

    def __init__(self, row: int, values: dict[str, str], lookups: Lookups) -> None:
        self.row = row
        self.values = values
        self.lookups = lookups
        self.errors: list[RowError] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.row, key, self.values.get(key, ""), message))

    def text(self, key: str, max_length: int = 500) -> str:
        value = " ".join(self.values.get(key, "").split())
        if len(value) > max_length:
            self.error(
                key,
                _("The text is longer than %(limit)s characters.") % {"limit": max_length},
            )
        return value

    def date(self, key: str) -> PartialDate:
        raw = self.values.get(key, "")
        try:
            parsed = parse_partial_date(raw)
        except ImpossibleDate as impossible:
            self.error(key, impossible.message(raw))
            return PartialDate.unknown()
        except ValueError:
            self.error(
                key,
                _(
                    "“%(value)s” is not a date. Write it as day/month/year (14/03/2019), "
                    "month/year (03/2019) or year (2019)."
                )
                % {"value": raw},
            )
            return PartialDate.unknown()
        if parsed.value and parsed.value > self.lookups.today:
            self.error(key, _("The date %(value)s is in the future.") % {"value": raw})
        return parsed

    def term(self, key: str) -> str | None:
        raw = self.values.get(key, "").strip()
        if not raw:
            return None
        vocabulary = self.lookups.vocabularies[key]
        code = vocabulary.find(raw)
        if code is None:
            self.error(
                key,
                _(
                    "“%(value)s” is not one of the accepted values for %(field)s. Write one of "
                    "these labels or codes: %(accepted)s."
                )
                % {
                    "value": raw,
                    "field": COLUMNS_BY_KEY[key].label,
                    "accepted": vocabulary.accepted(),
                },
            )
        return code


class ImpossibleDate(ValueError):
    """Written the way dates are written, but naming no real day (31/02/2024, 25/2019, 1850)."""

    def __init__(self, year: int, month: int | None = None, day: int | None = None) -> None:
        super().__init__(year, month, day)
        self.year, self.month, self.day = year, month, day

    def message(self, raw: str) -> str:
        if self.year < EARLIEST_YEAR:
            return _(
                "“%(value)s”: the year %(year)s is before %(earliest)s, the earliest the "
                "platform records."
            ) % {"value": raw, "year": self.year, "earliest": EARLIEST_YEAR}
        if self.month is not None and not 1 <= self.month <= 12:
            return _(
                "“%(value)s” has no month %(month)s: months go from 1 to 12. Write the date "
                "as day/month/year (14/03/2019)."
            ) % {"value": raw, "month": self.month}
        days = calendar.monthrange(self.year, self.month)[1]
        return _("“%(value)s” is a day that does not exist: %(month)s has %(days)s days.") % {
            "value": raw,
            "month": month_label(dt.date(self.year, self.month, 1)),
            "days": days,
        }


def parse_partial_date(raw: str) -> PartialDate:
    """Read the ways dates are written in Mexican spreadsheets.

    >>> str(parse_partial_date("14/03/2019")), str(parse_partial_date("marzo de 2019"))
    ('2019-03-14', '2019-03')
    >>> parse_partial_date("s/d").precision
    'unknown'
    """
    text = fold(raw).removesuffix(" 00:00:00").strip()
    if not text or text in UNKNOWN_WORDS:
        return PartialDate.unknown()
    for pattern, order in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return _partial_date(dict(zip(order, match.groups(), strict=True)))
    raise ValueError(raw)


_DATE_PATTERNS = [
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"), ("d", "m", "y")),
    (re.compile(r"(\d{4})[-/.](\d{1,2})"), ("y", "m")),
    (re.compile(r"(\d{1,2})[-/.](\d{4})"), ("m", "y")),
    (re.compile(r"(\d{4})"), ("y",)),
    (re.compile(r"(\d{1,2})(?: de)? ([a-z]+)\.?(?: de| del)? (\d{4})"), ("d", "mname", "y")),
    (re.compile(r"(\d{1,2})[-/ ]([a-z]+)[-/ ](\d{4})"), ("d", "mname", "y")),
    (re.compile(r"([a-z]+)\.?(?: de| del)?[-/ ](\d{4})"), ("mname", "y")),
]


def _partial_date(parts: dict[str, str]) -> PartialDate:
    year = int(parts["y"])
    if "mname" in parts:
        if parts["mname"] not in MONTHS:
            raise ValueError(parts["mname"])
        parts["m"] = str(MONTHS[parts["mname"]])
    if year < EARLIEST_YEAR:
        raise ImpossibleDate(year)
    month = int(parts["m"]) if "m" in parts else None
    if month is not None and not 1 <= month <= 12:
        raise ImpossibleDate(year, month)
    if "d" in parts:
        try:
            return PartialDate(dt.date(year, month, int(parts["d"])), DAY)
        except ValueError:
            raise ImpossibleDate(year, month, int(parts["d"])) from None
    if month is not None:
        return PartialDate(dt.date(year, month, 1), MONTH)
    return PartialDate(dt.date(year, 1, 1), YEAR)


def check_row(row: int, values: dict[str, str], lookups: Lookups) -> tuple[ParsedRow, list]:
    """Check one row; return its parsed values and every error found in it."""
    check = RowChecker(row, values, lookups)
    parsed = ParsedRow(row=row)
    parsed.event_reference = check.text("event_reference", 100)
    parsed.event_title = check.text("event_title", 200)
    if not parsed.event_title:
        check.error("event_title", _("The event has no title."))
    parsed.event_date = check.date("event_date")
    parsed.event_end_date = check.date("event_end_date")
    start, end = parsed.event_date.value, parsed.event_end_date.value
    if start and end and end < start:
        check.error("event_end_date", _("The end date is before the date of the event."))
    _check_place(check, parsed)
    parsed.event_description = values.get("event_description", "").strip()
    parsed.event_status = check.term("event_status")
    _check_person(check, parsed)
    _check_birth_and_age(check, parsed)
    parsed.violation_type = check.term("violation_type")
    if not values.get("violation_type", "").strip():
        check.error("violation_type", _("The violation type is missing."))
    parsed.victim_situation = check.term("victim_situation")
    parsed.perpetrator_kind = check.term("perpetrator_kind")
    parsed.perpetrator_group = check.text("perpetrator_group", 200)
    parsed.source_kind = check.term("source_kind")
    parsed.source_reference = check.text("source_reference", 500)
    parsed.source_date = check.date("source_date")
    if parsed.source_reference and not parsed.source_kind and "source_kind" in values:
        check.error("source_kind", _("Say what kind of source the reference is."))
    _check_defaults(check, parsed)
    return parsed, check.errors


# What a row without a perpetrator kind or a source kind gets, when it names a
# perpetrator group or a source reference.
DEFAULT_TERMS = {"perpetrator_kind": "unknown", "source_kind": "other"}


def _check_defaults(check: RowChecker, parsed: ParsedRow) -> None:
    """A row relying on a default term needs that term in use (it may have been retired)."""
    needs = {
        "perpetrator_kind": parsed.perpetrator_group and not parsed.perpetrator_kind,
        "source_kind": parsed.source_reference and not parsed.source_kind,
    }
    for key, needed in needs.items():
        if not needed or any(error.column == key for error in check.errors):
            continue  # nothing to default, or the row already says what is wrong there
        if DEFAULT_TERMS[key] not in check.lookups.vocabularies[key].codes:
            check.error(
                key,
                _(
                    "%(field)s is empty and its default, “%(code)s”, is no longer in use "
                    "in your vocabularies. Give it in this row."
                )
                % {"field": COLUMNS_BY_KEY[key].label, "code": DEFAULT_TERMS[key]},
            )


def _check_birth_and_age(check: RowChecker, parsed: ParsedRow) -> None:
    """Every row's victim is a direct victim of the row's event: born before it, and
    of an age that agrees with the birth date."""
    if any(error.column in ("age", "birth_date", "event_date") for error in check.errors):
        return  # a value that did not read is already reported
    problem = check_birth_and_age(
        parsed.birth_date.value,
        parsed.birth_date.precision,
        parsed.age,
        parsed.event_date.value,
        parsed.event_date.precision,
    )
    if problem is not None:
        check.error(problem.field, problem.message)


def _check_place(check: RowChecker, parsed: ParsedRow) -> None:
    places = check.lookups.places
    raw_state = check.values.get("state", "").strip()
    raw_municipality = check.values.get("municipality", "").strip()
    if raw_state:
        key = raw_state.zfill(2) if raw_state.isdigit() else fold(raw_state)
        parsed.state_code = places.states.get(key)
        if parsed.state_code is None:
            check.error("state", _("“%(value)s” is not a Mexican state.") % {"value": raw_state})
            return
    if raw_municipality:
        parsed.municipality_code = _find_municipality(check, raw_municipality, parsed.state_code)
        if parsed.municipality_code:
            parsed.state_code = places.municipalities[parsed.municipality_code]
    parsed.locality = check.text("locality", 200)


def _find_municipality(check: RowChecker, raw: str, state_code: str | None) -> str | None:
    places = check.lookups.places
    if raw.isdigit():
        code = raw.zfill(5)
        if code in places.municipalities:
            if state_code and places.municipalities[code] != state_code:
                check.error(
                    "municipality",
                    _("The municipality %(value)s is not in the state given in this row.")
                    % {"value": raw},
                )
                return None
            return code
        if state_code and len(raw) <= 3:  # a municipal code (cve_mun) with the state beside it
            code = state_code + raw.zfill(3)
            if code in places.municipalities:
                return code
        check.error(
            "municipality",
            _("%(value)s is not an INEGI municipality code.") % {"value": raw},
        )
        return None
    name = fold(raw)
    if state_code:
        code = places.by_name.get((state_code, name))
        if code is None:
            check.error(
                "municipality",
                _("There is no municipality called “%(value)s” in the state given in this row.")
                % {"value": raw},
            )
        return code
    candidates = places.by_name_anywhere.get(name, [])
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        check.error(
            "municipality",
            _("Several states have a municipality called “%(value)s”; add the state.")
            % {"value": raw},
        )
    else:
        check.error(
            "municipality",
            _("“%(value)s” is not a municipality in the INEGI catalogue.") % {"value": raw},
        )
    return None


def _check_person(check: RowChecker, parsed: ParsedRow) -> None:
    values = check.values
    parsed.given_names = check.text("given_names", 150)
    parsed.paternal_surname = check.text("paternal_surname", 100)
    parsed.maternal_surname = check.text("maternal_surname", 100)
    if not (parsed.given_names or parsed.paternal_surname or parsed.maternal_surname):
        check.error("given_names", _("The victim's name is missing."))
    parsed.aliases = check.text("aliases", 200)
    raw_sex = fold(values.get("sex", ""))
    if raw_sex in SEXES:
        parsed.sex = SEXES[raw_sex]
    else:
        check.error(
            "sex",
            _(
                "“%(value)s” is not a sex we recognize; write H (man), M (woman), "
                "I (intersex) or leave it empty."
            )
            % {"value": values["sex"]},
        )
    raw_age = values.get("age", "").strip()
    if raw_age and fold(raw_age) not in UNKNOWN_WORDS:
        digits = raw_age.removesuffix(" años").removesuffix(" anos").strip()
        if digits.isdigit() and 0 <= int(digits) <= 120:
            parsed.age = int(digits)
        else:
            check.error("age", _("“%(value)s” is not an age in years.") % {"value": raw_age})
    parsed.birth_date = check.date("birth_date")
    parsed.curp = values.get("curp", "").strip().upper()
    if parsed.curp and (error := curp_error(parsed.curp)):
        check.error("curp", error)
    parsed.nationality = check.text("nationality", 100)
    parsed.occupation = check.text("occupation", 200)
