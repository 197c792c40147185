"""The organization's statistics: counts, shares, rates, trends and maps of its documented cases.

Everything that depends on an encrypted value (month, place, status,
violation types, perpetrator kinds, victims' sex, age band and profile) is
counted on the organization's encrypted case index, decrypted in this
process's memory (``memoria.cases.caseindex``): a filter is a boolean mask
over its arrays and each count a NumPy sum, so a page over a million cases
costs milliseconds once the index is in memory (docs/benchmarks.md).
``acts_by_violation`` still counts acts in SQL on the plain column.

What the figures count (docs/statistics.md says it in plain words): a *case*
is an event; *victims* are direct victims counted once in each case they
appear in; a case counts in the month it began (year-only dates in January;
with a period filter, cases without a known month are left out); a share of
cases attributed to state agents is taken over the cases with at least one
perpetrator recorded, with a 95% Wilson score interval; rates are cases per
100,000 inhabitants of the Census 2020 (INEGI). Documented cases are not all
cases: none of these figures estimates the violence that nobody documented.

Charts are computed here as bar geometry and drawn by the template as inline
SVG; maps come from ``memoria.geo.maps``. Each has a table of its numbers.
"""

from __future__ import annotations

import datetime
import functools
import math
import textwrap
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Q
from django.utils.formats import number_format
from django.utils.translation import get_language

from memoria.accounts.models import Organization
from memoria.cases import caseindex
from memoria.cases.caseindex import (
    AGE_BANDS,
    PRECISION_CODE,
    PROFILE_CODES,
    SEXES,
    month_from_ordinal,
    month_ordinal,
)
from memoria.cases.formatting import month_label, short_month_label
from memoria.cases.models import (
    PROFILE_FLAGS,
    Act,
    AgeBand,
    DatePrecision,
    Event,
    Sex,
    Term,
    Vocabulary,
)
from memoria.geo import load_municipalities, load_states, maps
from memoria.places.models import State

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


def _all(index: caseindex.Snapshot) -> np.ndarray:
    return np.ones(len(index), dtype=bool)


def events_by_month(
    organization: Organization,
    index: caseindex.Snapshot | None = None,
    mask: np.ndarray | None = None,
) -> tuple[list[tuple[str, int]], list[str], int]:
    """The last MONTHS_SHOWN months up to the latest recorded one, and how many
    events have no month (only the year, or no date) and are not counted.
    ``mask``: count only the events it marks (a filter)."""
    index = index or caseindex.snapshot(organization)
    mask = _all(index) if mask is None else mask
    precise = (index.precisions == PRECISION_CODE[DatePrecision.DAY]) | (
        index.precisions == PRECISION_CODE[DatePrecision.MONTH]
    )
    precise &= mask
    dated = precise & (index.months >= 0)
    undated = int(mask.sum()) - int(precise.sum())
    if not dated.any():
        return [], [], undated
    latest = int(index.months[dated].max())
    first = latest - MONTHS_SHOWN + 1
    shown = index.months[dated & (index.months >= first)] - first
    counts = np.bincount(shown, minlength=MONTHS_SHOWN)
    months = [month_from_ordinal(first + i) for i in range(MONTHS_SHOWN)]
    items = [(month_label(m), int(n)) for m, n in zip(months, counts, strict=True)]
    return items, [short_month_label(m) for m in months], undated


def events_by_year(
    organization: Organization,
    index: caseindex.Snapshot | None = None,
    mask: np.ndarray | None = None,
) -> list[tuple[str, int]]:
    index = index or caseindex.snapshot(organization)
    mask = _all(index) if mask is None else mask
    found = index.months[mask & (index.months >= 0)] // 12
    first = int(found.min()) if len(found) else 0
    counts = np.bincount(found - first) if len(found) else np.zeros(0, dtype=np.int64)
    years = np.flatnonzero(counts) + first  # O(n) counts, no sort
    counts = counts[counts > 0]
    return [(str(year), int(n)) for year, n in zip(years.tolist(), counts.tolist(), strict=True)]


def acts_by_violation(organization: Organization) -> list[tuple[str, int]]:
    counts = dict(
        Act.objects.filter(organization=organization)
        .values_list("violation_type")
        .annotate(n=Count("id"))
    )
    terms = Term.objects.filter(pk__in=counts)
    return sorted(((t.label, counts[t.pk]) for t in terms), key=lambda item: -item[1])


def events_by_state(
    organization: Organization,
    index: caseindex.Snapshot | None = None,
    mask: np.ndarray | None = None,
) -> list[tuple[str, int]]:
    """Events by state, most first; ties in the database's order of the names."""
    index = index or caseindex.snapshot(organization)
    mask = _all(index) if mask is None else mask
    counts = np.bincount(index.states[mask & (index.states >= 0)], minlength=33)
    found = {int(code): int(counts[code]) for code in np.flatnonzero(counts)}
    names = State.objects.order_by("name").values_list("code", "name")
    rows = [(name, found[int(code)]) for code, name in names if int(code) in found]
    return sorted(rows, key=lambda row: -row[1])  # stable: equal counts keep the name order


# -- filters, shares, rates, trends and maps --------------------------------------------

Z_95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
PER = 100_000  # rates per this many inhabitants
MUNICIPALITIES_LISTED = 20  # rows of the municipality table without a state filter


@dataclass(frozen=True)
class Filters:
    """What a statistics page counts: events that began from month ``start`` to month
    ``end`` (month ordinals, inclusive), in ``state`` (INEGI code), with an act of
    ``violation`` (a term id). None: no limit."""

    start: int | None = None
    end: int | None = None
    state: str | None = None
    violation: int | None = None

    @property
    def period(self) -> bool:
        return self.start is not None or self.end is not None

    @classmethod
    def from_dates(
        cls,
        start: datetime.date | None = None,
        end: datetime.date | None = None,
        state: str | None = None,
        violation: int | None = None,
    ) -> Filters:
        return cls(
            month_ordinal(start) if start else None,
            month_ordinal(end) if end else None,
            state or None,
            violation,
        )


def select(index: caseindex.Snapshot, filters: Filters | None) -> np.ndarray:
    """The events ``filters`` keep, as a boolean mask over ``index``."""
    mask = _all(index)
    if filters is None:
        return mask
    if filters.period:
        mask &= index.months >= 0  # a period leaves out cases without a known month
        if filters.start is not None:
            mask &= index.months >= filters.start
        if filters.end is not None:
            mask &= index.months <= filters.end
    if filters.state:
        mask &= index.states == int(filters.state)
    if filters.violation is not None:
        mask &= index.has(index.violations, filters.violation)
    return mask


@dataclass
class Share:
    """``part`` of ``whole``, with its 95% Wilson score interval (as fractions)."""

    part: int
    whole: int
    share: float | None
    low: float | None
    high: float | None

    @property
    def percent(self) -> float | None:
        return None if self.share is None else self.share * 100

    @property
    def low_percent(self) -> float | None:
        return None if self.low is None else self.low * 100

    @property
    def high_percent(self) -> float | None:
        return None if self.high is None else self.high * 100


def wilson(part: int, whole: int, z: float = Z_95) -> Share:
    """The Wilson score interval of a proportion (Wilson 1927; Agresti & Coull 1998).

    Better than the normal ("Wald") interval at small counts and shares near 0 or 1,
    never outside [0, 1]. It treats the cases as a random sample of the cases it
    speaks of, which documented cases are not (docs/statistics.md).

    >>> share = wilson(8, 10)
    >>> round(share.low, 4), round(share.high, 4)
    (0.4902, 0.9433)
    """
    if whole <= 0:
        return Share(part, whole, None, None, None)
    p = part / whole
    denominator = 1 + z * z / whole
    centre = (p + z * z / (2 * whole)) / denominator
    half = z * math.sqrt(p * (1 - p) / whole + z * z / (4 * whole * whole)) / denominator
    return Share(part, whole, p, max(0.0, centre - half), min(1.0, centre + half))


def rate(count: int, population: int) -> float | None:
    """``count`` per 100,000 inhabitants (None without a population)."""
    return count * PER / population if population else None


def _rows(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The rows of ``values`` that ``mask`` keeps (no copy when it keeps them all)."""
    return values if mask.all() else values[mask]


def _term_counts(index, mask, values: tuple) -> list[tuple[int, int]]:
    """(term id, events marked by ``mask`` that have the term), for every term seen."""
    bits, masks = values
    selected = _rows(masks, mask)
    columns = {}
    found = []
    for term, position in bits.items():
        word, bit = divmod(position, 64)
        if word not in columns:
            columns[word] = np.ascontiguousarray(selected[:, word])
        count = int(np.count_nonzero(columns[word] & np.uint64(1 << bit)))
        if count:
            found.append((term, count))
    return found


def _labelled(pairs: list[tuple[int, int]]) -> list[tuple[str, int]]:
    terms = Term.objects.in_bulk([term for term, _count in pairs])
    rows = [(terms[term].label, count) for term, count in pairs if term in terms]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


@dataclass
class PlaceRow:
    code: str
    name: str
    count: int
    population: int
    rate: float | None
    state_name: str = ""


@functools.cache
def _catalogue() -> tuple[dict, dict]:
    """States and municipalities by code, from the INEGI catalogue the places app loads
    (``memoria.geo``; the same rows, without a query per request)."""
    states = {state.code: state for state in load_states()}
    municipalities = {place.cvegeo: place for place in load_municipalities()}
    return states, municipalities


def by_state(index, mask) -> list[PlaceRow]:
    """Cases and cases per 100,000 inhabitants in every state with a case, most first
    (ties by name)."""
    states, _municipalities = _catalogue()
    counts = np.bincount(index.states[mask & (index.states >= 0)], minlength=33)
    rows = []
    for code in np.flatnonzero(counts).tolist():
        state = states.get(f"{code:02d}")
        if state is not None:
            count = int(counts[code])
            population = state.population_total
            rows.append(
                PlaceRow(state.code, state.name, count, population, rate(count, population))
            )
    return sorted(rows, key=lambda row: (-row.count, row.name))


def _municipality_counts(index, mask) -> np.ndarray:
    """Cases by CVEGEO as a number (a count per possible code: O(n), no sort)."""
    selected = index.municipalities[mask & (index.municipalities >= 0)]
    return np.bincount(selected, minlength=33_000)


def by_municipality(
    index, mask, state: str | None = None, limit: int | None = None
) -> list[PlaceRow]:
    """Cases and rates in every municipality with a case (of ``state`` only, if given),
    most first; ``limit``: only that many rows."""
    states, municipalities = _catalogue()
    counts = _municipality_counts(index, mask)
    codes = np.flatnonzero(counts)
    counts = counts[codes]
    order = np.lexsort((codes, -counts))  # most first, then by code
    rows = []
    for position in order.tolist():
        cvegeo = f"{int(codes[position]):05d}"
        place = municipalities.get(cvegeo)
        if place is None or (state and place.state_code != state):
            continue
        count = int(counts[position])
        rows.append(
            PlaceRow(
                cvegeo,
                place.name,
                count,
                place.population_total,
                rate(count, place.population_total),
                states[place.state_code].name,
            )
        )
        if limit is not None and len(rows) >= limit:
            break
    return rows


def number(value: float, digits: int = 1) -> str:
    return number_format(round(value, digits), digits)


def legend_labels(legend: list[maps.LegendClass], whole: bool) -> list[dict]:
    rows = []
    for item in legend:
        if whole:
            low = int(item.low) + 1
            text = str(low) if low >= item.high else f"{low}–{int(item.high)}"
        else:
            text = f"{number(item.low, 2)}–{number(item.high, 2)}"
        rows.append({"colour": item.colour, "text": text, "areas": item.count})
    return rows


def choropleth(level: str, rows: list[PlaceRow], measure: str, codes=None) -> dict:
    whole = measure == "count"
    values = {row.code: (row.count if whole else (row.rate or 0)) for row in rows}
    states, municipalities = _catalogue()
    if level == "states":
        names = {code: state.name for code, state in states.items()}
    else:
        names = {
            code: f"{place.name}, {states[place.state_code].name}"
            for code, place in municipalities.items()
        }
    drawn = maps.choropleth(level, values, codes=codes, labels=names, whole=whole)
    for area in drawn.areas:
        value = area.value or 0
        area.text = str(int(value)) if whole else number(value, 2)
    return {
        "map": drawn,
        "legend": legend_labels(drawn.legend, whole),
        "level": level,
        "measure": measure,
    }


def trend(index, mask) -> dict | None:
    """Cases in the last 12 months up to the latest recorded month against the 12 before."""
    months = index.months[mask & (index.months >= 0)]
    if not len(months):
        return None
    latest = int(months.max())
    recent = int(np.count_nonzero(months > latest - 12))
    before = int(np.count_nonzero((months <= latest - 12) & (months > latest - 24)))
    change = (recent - before) / before if before else None
    return {
        "latest": month_label(month_from_ordinal(latest)),
        "first_recent": month_label(month_from_ordinal(latest - 11)),
        "first_before": month_label(month_from_ordinal(latest - 23)),
        "last_before": month_label(month_from_ordinal(latest - 12)),
        "recent": recent,
        "before": before,
        "change": change,
        "change_text": None if change is None else f"{change * 100:+.0f} %",
    }


def victims_profile(index, mask) -> dict:
    weights = mask.astype(np.int64)  # a product instead of copying the kept rows
    sexes = weights @ index.sexes if len(index) else np.zeros(len(SEXES), dtype=int)
    ages = weights @ index.ages if len(index) else np.zeros(len(AGE_BANDS), dtype=int)
    sex_labels = dict(Sex.choices)
    age_labels = dict(AgeBand.choices)
    # The profile masks are 8-bit: count each of the 256 values once, then add up.
    values = np.bincount(_rows(index.profiles, mask), minlength=256)
    flags = [
        (
            str(label),
            int(values[(np.arange(len(values)) & (1 << PROFILE_CODES[flag])) != 0].sum()),
        )
        for flag, label in PROFILE_FLAGS
    ]
    return {
        "by_sex": [(str(sex_labels[value]), int(n)) for value, n in zip(SEXES, sexes, strict=True)],
        "by_age": [
            (str(age_labels[value]), int(n)) for value, n in zip(AGE_BANDS, ages, strict=True)
        ],
        "by_profile": flags,
    }


def figures(
    organization: Organization,
    filters: Filters | None = None,
    measure: str = "count",
    municipal_map: bool = False,
) -> dict:
    """Every figure of the statistics page for ``filters``, from the case index only."""
    index = caseindex.snapshot(organization)
    mask = select(index, filters)
    state = filters.state if filters else None
    by_month, month_ticks, without_month = events_by_month(organization, index, mask)
    with_perpetrator = np.zeros(len(index), dtype=bool)
    if len(index):
        with_perpetrator = (index.perpetrators[1] != 0).any(axis=1)
    states = by_state(index, mask)
    every_municipality = state or municipal_map
    municipalities = by_municipality(
        index, mask, state, limit=None if every_municipality else MUNICIPALITIES_LISTED
    )
    with_cases = int(np.count_nonzero(_municipality_counts(index, mask)))
    if every_municipality:
        _states, catalogue = _catalogue()
        scope = (
            [code for code, place in catalogue.items() if place.state_code == state]
            if state
            else None
        )
        place_map = choropleth("municipalities", municipalities, measure, scope)
    else:
        place_map = choropleth("states", states, measure)
    victims = victims_profile(index, mask)
    return {
        "totals": {
            "events": int(mask.sum()),
            "acts": int(index.acts[mask].sum()),
            "victims": sum(n for _label, n in victims["by_sex"]),
            "state_acts": int(index.state_acts[mask].sum()),
            "indexed": len(index),
        },
        "state_share": wilson(
            int(np.count_nonzero(index.state_actor & mask)),
            int(np.count_nonzero(with_perpetrator & mask)),
        ),
        "by_month": vertical_chart(by_month, ticks=month_ticks),
        "without_month": without_month,
        "by_year": vertical_chart(events_by_year(organization, index, mask)),
        "by_violation": horizontal_chart(_labelled(_term_counts(index, mask, index.violations))),
        "by_perpetrator": horizontal_chart(
            _labelled(_term_counts(index, mask, index.perpetrators))
        ),
        "by_sex": horizontal_chart(victims["by_sex"]),
        "by_age": horizontal_chart(victims["by_age"]),
        "by_profile": horizontal_chart(victims["by_profile"]),
        "by_state": horizontal_chart(events_by_state(organization, index, mask)),
        "state_rows": states,
        "municipality_rows": municipalities if state else municipalities[:MUNICIPALITIES_LISTED],
        "municipalities_total": with_cases,
        "trend": trend(index, mask),
        "place_map": place_map,
    }


def dashboard(organization: Organization, filters: Filters | None = None, **options) -> dict:
    """``figures``, and when nothing is filtered the totals counted in SQL (events, acts,
    distinct direct victims: a person in two cases counts once). The page itself calls
    ``figures`` (no SQL count, fast at any size); this is for callers that want the
    distinct count."""
    found = figures(organization, filters, **options)
    if filters is None or filters == Filters():
        acts = Act.objects.filter(organization=organization)
        found["totals"].update(
            events=Event.objects.filter(organization=organization).count(),
            acts=acts.count(),
            victims=acts.values("victim_id").distinct().count(),
        )
    return found


# -- the rendered figures, kept per index version -------------------------------------------

RENDERED_KEPT = 32  # rendered figure sections kept per process (at most ~0.7 MB each)
_rendered: OrderedDict = OrderedDict()
_rendered_lock = threading.Lock()


def rendered(organization: Organization, filters: Filters | None, render, **options) -> str:
    """``render(figures(...))`` (the figures' HTML), kept in this process for the same index
    version, filters, options and language: the figures depend on nothing else, so a
    repeated request costs one query on the index clock. Never kept when the index is
    being written in this connection's open transaction (``caseindex.version``)."""
    version = caseindex.version(organization)
    key = None
    if version is not None:
        # The figures name terms by their label, which an edit changes without touching
        # the index: the labels are part of the key (one small query).
        labels = hash(
            tuple(
                Term.objects.filter(
                    Q(organization__isnull=True) | Q(organization=organization),
                    vocabulary__code__in=(Vocabulary.VIOLATION_TYPE, Vocabulary.PERPETRATOR_KIND),
                )
                .order_by("pk")
                .values_list("pk", "label_es", "label_en")
            )
        )
        key = (version, labels, filters, tuple(sorted(options.items())), get_language())
        with _rendered_lock:
            if key in _rendered:
                _rendered.move_to_end(key)
                return _rendered[key]
    html = render(figures(organization, filters, **options))
    if key is not None:
        with _rendered_lock:
            _rendered[key] = html
            while len(_rendered) > RENDERED_KEPT:
                _rendered.popitem(last=False)
    return html


def forget_rendered() -> None:
    """Drop every kept rendering (tests)."""
    with _rendered_lock:
        _rendered.clear()
