"""Template helpers of case documentation."""

from __future__ import annotations

import datetime

from django import template
from django.utils.translation import gettext as _

from memoria.cases import formatting

register = template.Library()


@register.simple_tag
def partial_date(date: datetime.date | None, precision: str) -> str:
    """A date shown only as precisely as it is known (see ``formatting.partial_date``)."""
    return formatting.partial_date(date, precision)


@register.simple_tag
def history_value(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


@register.simple_tag
def shared_value(value) -> str:
    """A value of a shared record (here or from another installation), as a reader reads it.

    Records arrive as ``Shareable.project`` makes them: text, a number, yes/no,
    nothing, or a list of texts.
    """
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
