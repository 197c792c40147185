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
