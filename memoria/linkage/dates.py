"""Reading the dates that Mexican lists actually contain.

ISO dates (``2014-09-26``), partial ISO (``2014-09``, ``2014``), day-first
numeric dates (``26/09/2014``, ``26-09-2014``: Mexico never writes month
first) and Spanish text (``26 de septiembre de 2014``, ``sep 2014``).
Two-digit years are refused: "14" could be 1914 or 2014, and a guessed birth
year is worse than none.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from memoria.names.normalize import normalize_text

_MONTHS = {
    "enero": 1,
    "ene": 1,
    "febrero": 2,
    "feb": 2,
    "marzo": 3,
    "mar": 3,
    "abril": 4,
    "abr": 4,
    "mayo": 5,
    "may": 5,
    "junio": 6,
    "jun": 6,
    "julio": 7,
    "jul": 7,
    "agosto": 8,
    "ago": 8,
    "septiembre": 9,
    "setiembre": 9,
    "sep": 9,
    "sept": 9,
    "set": 9,
    "octubre": 10,
    "oct": 10,
    "noviembre": 11,
    "nov": 11,
    "diciembre": 12,
    "dic": 12,
}
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class PartialDate:
    """A date whose month and day may be unknown."""

    year: int
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        """``"2014-09-26"``, ``"2014-09"`` or ``"2014"``."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def day_number(self) -> int | None:
        """Days since 1970-01-01, or ``None`` when the day is unknown.

        A partial date is a period, not a day: giving "2014-09" the number of
        a day in the middle of September would make it "within 3 days" of
        2014-09-13..18 and none of the rest of the month. Comparisons use
        :meth:`month_number` and :attr:`year` for partial dates instead.
        """
        if self.month is None or self.day is None:
            return None
        return (dt.date(self.year, self.month, self.day) - EPOCH).days

    def month_number(self) -> int | None:
        """Months since January 1970 (0), or ``None`` when the month is unknown."""
        if self.month is None:
            return None
        return (self.year - EPOCH.year) * 12 + self.month - 1


def _checked(year: int, month: int | None, day: int | None) -> PartialDate:
    if not 1900 <= year <= 2100:
        raise ValueError("year outside 1900-2100")
    if month is not None and day is not None:
        dt.date(year, month, day)  # raises ValueError for 2014-02-30
    elif month is not None and not 1 <= month <= 12:
        raise ValueError("month outside 1-12")
    return PartialDate(year, month, day)


def _parse_text(text: str) -> PartialDate | None:
    words = [w for w in normalize_text(text).split() if w != "de" and w != "del"]
    numbers = re.findall(r"\d+", text)
    months = [_MONTHS[w] for w in words if w in _MONTHS]
    if len(months) != 1:
        return None
    years = [int(n) for n in numbers if len(n) == 4]
    days = [int(n) for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) > 1:
        return None
    return _checked(years[0], months[0], days[0] if days else None)


def parse_date(value: str) -> PartialDate:
    """Parse one date as written in a Mexican list, or raise ``ValueError``.

    >>> parse_date("26/09/2014").iso()
    '2014-09-26'
    >>> parse_date("26 de septiembre de 2014").iso()
    '2014-09-26'
    >>> parse_date("2014-09").iso()
    '2014-09'
    """
    text = str(value).strip()
    try:
        if match := _ISO.match(text):
            year, month, day = match.groups()
            return _checked(int(year), int(month) if month else None, int(day) if day else None)
        if match := _DAY_FIRST.match(text):
            day, month, year = (int(g) for g in match.groups())
            return _checked(year, month, day)
        if match := _MONTH_YEAR.match(text):
            month, year = (int(g) for g in match.groups())
            return _checked(year, month, None)
        parsed = _parse_text(text)
    except ValueError as error:
        raise ValueError(f"not a valid date ({error})") from error
    if parsed is None:
        raise ValueError(
            "not a date; write YYYY-MM-DD (or YYYY-MM, YYYY, DD/MM/YYYY, "
            "'26 de septiembre de 2014')"
        )
    return parsed
