"""The engine's explanation of a score in the reader's language.

The linkage engine names its comparisons and levels in English (it imports no
Django); these are their labels for the review page. A name the table does not
know (a newer engine) is shown as the engine wrote it.
"""

from __future__ import annotations

import math

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

COMPARISONS = {
    "surnames": _("Surnames"),
    "given_name": _("Given names"),
    "birth": _("Birth"),
    "event_date": _("Date of the event"),
    "place": _("Place"),
    "sex": _("Sex"),
    "curp": _("CURP"),
}

LEVELS = {
    "no data": _("no data on one side"),
    "both surnames agree": _("both surnames agree"),
    "both surnames sound alike": _("both surnames sound alike"),
    "surnames swapped": _("surnames swapped"),
    "the same name words, split differently": _("the same name words, split differently"),
    "the same name words split differently, maternal missing": _(
        "the same name words, split differently, the maternal surname missing on one side"
    ),
    "paternal agrees, maternal missing": _("paternal agrees, maternal missing on one side"),
    "both surnames with typos": _("both surnames with typos"),
    "both surnames similar (Jaro-Winkler 0.9)": _("both surnames similar (Jaro-Winkler 0.9)"),
    "paternal similar (Jaro-Winkler 0.9), maternal missing": _(
        "paternal similar (Jaro-Winkler 0.9), maternal missing on one side"
    ),
    "surnames swapped, with typos": _("surnames swapped, with typos"),
    "one surname agrees": _("one surname agrees"),
    "the only surname is the other's maternal": _(
        "one list gives a single surname: the other's maternal one"
    ),
    "a surname in the other position": _("a surname in the other position"),
    "surnames differ": _("surnames differ"),
    "given names agree": _("given names agree"),
    "first name agrees (nicknames resolved)": _("first name agrees (nicknames resolved)"),
    "shares a given name": _("shares a given name"),
    "first names sound alike": _("first names sound alike"),
    "first names with a typo": _("first names with a typo"),
    "first names similar (Jaro-Winkler 0.9)": _("first names similar (Jaro-Winkler 0.9)"),
    "initial agrees": _("initial agrees"),
    "a short given name the tables do not know (nickname?)": _(
        "a short given name the tables do not know (a nickname?)"
    ),
    "given names differ": _("given names differ"),
    "same birth date": _("same birth date"),
    "same birth year, different day": _("same birth year, different day"),
    "age agrees": _("age agrees"),
    "birth years within 2": _("birth years within 2"),
    "age within 3 years": _("age within 3 years"),
    "birth differs": _("birth differs"),
    "event within 3 days": _("event within 3 days"),
    "event within 45 days": _("event within 45 days"),
    "same month (a date gives only the month)": _("same month (a date gives only the month)"),
    "adjacent months (a date gives only the month)": _(
        "adjacent months (a date gives only the month)"
    ),
    "same year (a date gives only the year)": _("same year (a date gives only the year)"),
    "event within about a year": _("event within about a year"),
    "events far apart": _("events far apart"),
    "same municipality": _("same municipality"),
    "same state": _("same state"),
    "different state": _("different state"),
    "same sex": _("same sex"),
    "different sex": _("different sex"),
    "same CURP": _("same CURP"),
    "different CURP": _("different CURP"),
}


def _three_digits(value: float) -> str:
    """Three significant digits, with the page's language's separators: 28,400 and
    95.3, never 2.84e+04."""
    if not math.isfinite(value) or value <= 0:
        return "∞" if value == math.inf else "0"
    places = 2 - math.floor(math.log10(value))
    return number_format(round(value, places), decimal_pos=max(places, 0), force_grouping=True)


def explained(items: list[dict]) -> list[dict]:
    """Each comparison with its level and weight as a person reads it ("×812", "÷21")."""
    shown = []
    for item in items:
        factor = float(item["bayes_factor"])
        shown.append(
            {
                "comparison": COMPARISONS.get(item["comparison"], item["comparison"]),
                "level": LEVELS.get(item["level"], item["level"]),
                "for": factor >= 1,
                "factor": f"×{_three_digits(factor)}"
                if factor >= 1
                else f"÷{_three_digits(1 / factor)}",
            }
        )
    return shown
