"""Template filters of the analysis pages."""

import math

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def bound(value):
    """An interval's end as the pages print numbers ("1,235"), or words for an
    end the data do not give: a profile-likelihood interval whose upper end
    never comes back under the cut-off has none (``inf``), and ``floatformat``
    would print "inf"."""
    if isinstance(value, float) and math.isinf(value):
        return _("no upper end") if value > 0 else _("no lower end")
    return floatformat(value, "0g")
