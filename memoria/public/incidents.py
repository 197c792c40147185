"""The public map of verified incidents: anonymous reports by municipality, suppressed.

The counts come from ``memoria.reports.feed``: verified
reports only, after the publication delay, by municipality (never a finer
place). They form one series, one cell per place (a municipality; a state
when the reporter named no municipality; "no place" when they named none),
with its total, the number of incidents the feed publishes. The series is
suppressed as the public site suppresses (``memoria.disclosure``, k of the
publication): a count from 1 to k − 1 is "fewer than k", and further cells are
withheld until no hidden count can be worked out from the total. State totals
are not published: they would be a second set of margins over the same cells.
The suppression is ``feed.suppressed_places``, which the feed's list reads too:
the list names no place whose count the map hides.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from memoria.cases.statistics import _catalogue, legend_labels
from memoria.geo import maps
from memoria.public.figures import SUPPRESSED_COLOUR, _value, numeric, shown
from memoria.reports import feed


def incident_figures(organization, k: int, now: dt.datetime | None = None) -> dict:
    """The map, its table and the total, every count as the public may see it."""
    keys, counts, table = feed.suppressed_places(feed.incidents(organization, now), k)
    values = {key: _value(table, (0, i), counts[key]) for i, key in enumerate(keys)}
    total = _value(table, (0, len(keys)), sum(counts.values())) if keys else 0
    if table.exposed:
        # Each place "fewer than k" and the total too, yet each count follows (four places
        # and a total below 5: one each): no place is published, only the total.
        return {"k": k, "total": shown(total, k), "rows": [], "any_hidden": True,
                "place_map": None, "withheld": True}  # fmt: skip
    states, municipalities = _catalogue()
    rows = []
    for (state, cvegeo), value in values.items():
        if cvegeo:
            place = municipalities.get(cvegeo)
            name = place.name if place else cvegeo
        elif state:
            name = _("Municipality not stated")
        else:
            name = _("Place not stated")
        state_name = states[state].name if state in states else ""
        rows.append({"name": name, "state": state_name, "count": shown(value, k)})
    return {
        "k": k,
        "total": shown(total, k),
        "rows": rows,
        "any_hidden": any(not isinstance(value, int) for value in values.values()),
        "place_map": _map(values, k) if values else None,
    }


def _map(values: dict, k: int) -> dict:
    """The municipalities of every state with an incident, coloured by their shown count;
    a hidden count is grey, like the public site's hidden states."""
    states, municipalities = _catalogue()
    chosen = {state for state, _cvegeo in values if state}
    codes = [code for code, place in municipalities.items() if place.state_code in chosen]
    by_code = {cvegeo: value for (_state, cvegeo), value in values.items() if cvegeo}
    visible = {code: value for code, value in by_code.items() if isinstance(value, int)}
    hidden = {code: value for code, value in by_code.items() if not isinstance(value, int)}
    names = {
        code: f"{place.name}, {states[place.state_code].name}"
        for code, place in municipalities.items()
        if place.state_code in chosen
    }
    drawn = maps.choropleth("municipalities", visible, codes=codes or None, labels=names)
    for area in drawn.areas:
        if area.code in hidden:
            area.colour = SUPPRESSED_COLOUR
            area.value = None
            area.text = shown(hidden[area.code], k)
        else:
            area.text = shown(numeric(visible.get(area.code, 0)), k)
    legend = legend_labels(drawn.legend, True)
    if hidden:
        legend.append(
            {"colour": SUPPRESSED_COLOUR, "text": _("fewer than %(k)s, or withheld") % {"k": k}}
        )
    return {"map": drawn, "legend": legend, "level": "municipalities", "measure": "count"}
