"""Dates as people write them: only as precise as known, months in lower case in Spanish."""

from __future__ import annotations

import datetime

from django.utils import formats, translation
from django.utils.translation import gettext as _

from memoria.cases.models import DatePrecision


def _spanish_case(text: str) -> str:
    # Month names are lower case through the core catalogue (memoria.core.dates), but the
    # "M" format capitalizes the short ones itself ("Mar"); Mexican usage does not.
    language = translation.get_language() or ""
    return text.lower() if language.startswith("es") else text


def month_label(date: datetime.date) -> str:
    """ "marzo de 2014" / "March 2014"."""
    return _spanish_case(formats.date_format(date, "YEAR_MONTH_FORMAT"))


def short_month_label(date: datetime.date) -> str:
    """ "mar 2014" / "Mar 2014", for chart axes."""
    return _spanish_case(formats.date_format(date, "M Y"))


def partial_date(date: datetime.date | None, precision: str) -> str:
    """ "12 de marzo de 2014", "marzo de 2014", "2014" or "date unknown"."""
    if date is None or precision == DatePrecision.UNKNOWN:
        return _("date unknown")
    if precision == DatePrecision.YEAR:
        return str(date.year)
    if precision == DatePrecision.MONTH:
        return month_label(date)
    return _spanish_case(formats.date_format(date, "DATE_FORMAT"))
