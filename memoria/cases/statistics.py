"""The organization's case dashboard: counts by month, violation type and state.

Every count runs on plain columns (no decryption). Charts are computed here as
bar geometry and drawn by the template as inline SVG, so nothing is loaded
from elsewhere and each chart has a table of the same numbers beside it.
"""

from __future__ import annotations

import datetime
import textwrap
from dataclasses import dataclass, field

from django.db.models import Count

from memoria.accounts.models import Organization
from memoria.cases.formatting import month_label, short_month_label
from memoria.cases.models import Act, Attribution, DatePrecision, Event, Term

MONTHS_SHOWN = 24
# Small user units, so that on a phone the SVG scales up rather than down.
CHART_WIDTH = 400
BAR_HEIGHT = 20
LABEL_WIDTH = 170
# A label of the horizontal charts wraps at this many characters (10-unit text
# in a 164-unit column); each line is LINE_HEIGHT units tall.
LABEL_CHARACTERS = 28
LINE_HEIGHT = 11
ROW_GAP = 6


@dataclass
class Bar:
    label: str
    count: int
    tick: str = ""  # the axis label, on some columns only
    tick_lines: list[str] = field(default_factory=list)  # the label wrapped (horizontal charts)
    anchor: str = "middle"
    # Geometry in SVG user units.
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    text_x: float = 0
    text_y: float = 0
    label_y: float = 0  # the first label line's baseline (horizontal charts)


@dataclass
class Chart:
    bars: list[Bar]
    width: int
    height: int
    total: int
    horizontal: bool


def horizontal_chart(items: list[tuple[str, int]]) -> Chart:
    """Bars left to right, one row per item, labels on the left, wrapped, never cut."""
    top = max((count for _label, count in items), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 40
    bars = []
    y = 0
    for label, count in items:
        lines = textwrap.wrap(label, LABEL_CHARACTERS, break_long_words=True) or [""]
        row_height = max(BAR_HEIGHT, len(lines) * LINE_HEIGHT + 4)
        width = span * count / top
        bar_y = y + (row_height - BAR_HEIGHT) / 2
        # The first line's baseline, so that the lines sit centred on the bar.
        label_y = y + row_height / 2 - (len(lines) - 1) * LINE_HEIGHT / 2 + 3.5
        bars.append(
            Bar(
                label,
                count,
                tick=label,
                tick_lines=lines,
                anchor="end",
                x=LABEL_WIDTH,
                y=bar_y,
                width=width,
                height=BAR_HEIGHT,
                text_x=LABEL_WIDTH + width + 4,
                text_y=bar_y + BAR_HEIGHT * 0.7,
                label_y=label_y,
            )
        )
        y += row_height + ROW_GAP
    height = max(y - ROW_GAP, BAR_HEIGHT)
    return Chart(bars, CHART_WIDTH, height, sum(c for _l, c in items), horizontal=True)


def vertical_chart(
    items: list[tuple[str, int]], height: int = 180, ticks: list[str] | None = None
) -> Chart:
    """Columns bottom to top, one per item; a short label under every sixth and the last."""
    top = max((count for _label, count in items), default=0) or 1
    slot = CHART_WIDTH / max(len(items), 1)
    plot = height - 40
    bars = []
    for i, (label, count) in enumerate(items):
        bar_height = plot * count / top
        x = i * slot + slot * 0.1
        bar = Bar(
            label,
            count,
            x=x,
            y=plot - bar_height + 16,
            width=slot * 0.8,
            height=bar_height,
            text_x=x + slot * 0.4,
            text_y=height - 4,
        )
        last = i == len(items) - 1
        crowded = not last and len(items) - 1 - i < 3  # too near the last label
        if (i % 6 == 0 and not crowded) or last:
            bar.tick = ticks[i] if ticks else label
            if i == 0:
                bar.anchor, bar.text_x = "start", 0
            elif last:
                bar.anchor, bar.text_x = "end", CHART_WIDTH
        bars.append(bar)
    return Chart(bars, CHART_WIDTH, height, sum(c for _l, c in items), horizontal=False)


def events_by_month(organization: Organization) -> tuple[list[tuple[str, int]], list[str], int]:
    """The last MONTHS_SHOWN months up to the latest recorded one, and how many
    events have no month (only the year, or no date) and are not counted."""
    events = Event.objects.filter(organization=organization)
    dated = events.filter(start_precision__in=[DatePrecision.DAY, DatePrecision.MONTH])
    latest = dated.order_by("-start_month").values_list("start_month", flat=True).first()
    undated = events.count() - dated.count()
    if latest is None:
        return [], [], undated
    months = []
    year, month = latest.year, latest.month
    for _i in range(MONTHS_SHOWN):
        months.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    counts = dict(
        dated.filter(start_month__gte=months[0])
        .values_list("start_month")
        .annotate(n=Count("id"))
        .values_list("start_month", "n")
    )
    items = [(month_label(m), counts.get(m, 0)) for m in months]
    return items, [short_month_label(m) for m in months], undated


def events_by_year(organization: Organization) -> list[tuple[str, int]]:
    rows = (
        Event.objects.filter(organization=organization, start_month__isnull=False)
        .values_list("start_month__year")
        .annotate(n=Count("id"))
        .order_by("start_month__year")
    )
    return [(str(year), n) for year, n in rows]


def acts_by_violation(organization: Organization) -> list[tuple[str, int]]:
    counts = dict(
        Act.objects.filter(organization=organization)
        .values_list("violation_type")
        .annotate(n=Count("id"))
    )
    terms = Term.objects.filter(pk__in=counts)
    return sorted(((t.label, counts[t.pk]) for t in terms), key=lambda item: -item[1])


def events_by_state(organization: Organization) -> list[tuple[str, int]]:
    rows = (
        Event.objects.filter(organization=organization, state__isnull=False)
        .values_list("state__name")
        .annotate(n=Count("id"))
        .order_by("-n", "state__name")
    )
    return list(rows)


def dashboard(organization: Organization) -> dict:
    by_month, month_ticks, without_month = events_by_month(organization)
    acts = Act.objects.filter(organization=organization)
    state_acts = (
        Attribution.objects.filter(organization=organization, kind__state_actor=True)
        .values("act")
        .distinct()
        .count()
    )
    return {
        "totals": {
            "events": Event.objects.filter(organization=organization).count(),
            "acts": acts.count(),
            "victims": acts.values("victim_id").distinct().count(),
            "state_acts": state_acts,
        },
        "by_month": vertical_chart(by_month, ticks=month_ticks),
        "without_month": without_month,
        "by_year": vertical_chart(events_by_year(organization)),
        "by_violation": horizontal_chart(acts_by_violation(organization)),
        "by_state": horizontal_chart(events_by_state(organization)),
    }
