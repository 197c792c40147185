"""Whether a direct victim's birth date, their age and the date of the events agree.

Dates are often partial (a year, a month): each is read as the range of days
it may stand for, and only what is impossible on every reading is refused. A
direct victim cannot be born after the events; an age "at the time of the
events" may be a year off (people round, and a birthday may fall in
between), but not more. Relatives are not checked: a child born after a
disappearance is an indirect victim of it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

DAY, MONTH, YEAR = "day", "month", "year"
# How far a stated age may be from the one the dates give.
AGE_TOLERANCE = 1


@dataclass(frozen=True)
class Disagreement:
    """What is wrong, and with which of the two: ``"birth_date"`` or ``"age"``."""

    field: str
    message: str


def date_range(date: dt.date | None, precision: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day a partial date may stand for (None when unknown)."""
    if date is None or precision not in (DAY, MONTH, YEAR):
        return None
    if precision == DAY:
        return date, date
    if precision == MONTH:
        last = calendar.monthrange(date.year, date.month)[1]
        return date.replace(day=1), date.replace(day=last)
    return dt.date(date.year, 1, 1), dt.date(date.year, 12, 31)


def years_between(born: dt.date, on: dt.date) -> int:
    """Completed years from ``born`` to ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def shown(date: dt.date, precision: str) -> str:
    """A partial date as people in Mexico write it: 14/03/2019, 03/2019, 2019."""
    if precision == DAY:
        return f"{date:%d/%m/%Y}"
    if precision == MONTH:
        return f"{date:%m/%Y}"
    return f"{date:%Y}"


def check_birth_and_age(
    birth_date: dt.date | None,
    birth_precision: str,
    age: int | None,
    event_date: dt.date | None,
    event_precision: str,
) -> Disagreement | None:
    """The disagreement between a direct victim's birth date, age and event date, if any."""
    birth = date_range(birth_date, birth_precision)
    event = date_range(event_date, event_precision)
    if birth is None or event is None:
        return None
    values = {
        "birth": shown(birth_date, birth_precision),
        "event": shown(event_date, event_precision),
    }
    if birth[0] > event[1]:
        return Disagreement(
            "birth_date",
            _(
                "The birth date (%(birth)s) is after the date of the events (%(event)s): a "
                "direct victim was born before them. Check both dates."
            )
            % values,
        )
    if age is None:
        return None
    youngest = max(0, years_between(birth[1], event[0]))
    oldest = max(0, years_between(birth[0], event[1]))
    if youngest - AGE_TOLERANCE <= age <= oldest + AGE_TOLERANCE:
        return None
    if youngest == oldest:
        implied = _("%(age)s years old") % {"age": youngest}
    else:
        implied = _("%(youngest)s or %(oldest)s years old") % {
            "youngest": youngest,
            "oldest": oldest,
        }
        if oldest - youngest > 1:
            implied = _("between %(youngest)s and %(oldest)s years old") % {
                "youngest": youngest,
                "oldest": oldest,
            }
    return Disagreement(
        "age",
        _(
            "An age of %(age)s does not match the birth date: born %(birth)s, the person "
            "was %(implied)s at the time of the events (%(event)s). Correct the age or "
            "the birth date, or leave the age empty."
        )
        % {**values, "age": age, "implied": implied},
    )
