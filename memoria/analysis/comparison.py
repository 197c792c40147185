"""Documented against official counts, by year and by place.

The documented side is counted on the organization's encrypted case index
(``memoria.cases.caseindex``, as the statistics page does); the official side
on the imported counts (``OfficialCount``). What each side counts
(docs/statistics.md, "Official figures"):

* against **SESNSP** (crimes in investigation files opened by state
  prosecutors): the organization's **cases** (events), by the month they
  began, in the same years and, within a year, only in the months the file
  has figures for (the current year is published month by month);
* against **RNPDNO** (people reported disappeared or not located): the
  **direct victims** of the organization's cases (once in each case), by the
  year the case began.

The ratio is documented per 100 official. It is not a coverage rate: the
two count different things, with different gaps, and the organization's
cases include some never reported to the authorities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Sum

from memoria.analysis import official
from memoria.analysis.models import OfficialCount, OfficialDataset
from memoria.cases import caseindex
from memoria.cases.statistics import _catalogue

BAR_HEIGHT = 9
LABEL_WIDTH = 150
CHART_WIDTH = 400
ROW_GAP = 8


@dataclass(frozen=True)
class Choice:
    """What the page compares: a category of the official file ("" for all), the cases
    with an act of ``violation`` (None for all), years, and a state (municipalities)."""

    category: str = ""
    violation: int | None = None
    start_year: int | None = None
    end_year: int | None = None
    state: str = ""


@dataclass
class Row:
    code: str
    name: str
    documented: int
    official: int

    @property
    def ratio(self) -> float | None:
        """Documented per 100 official (None when the official count is zero)."""
        return self.documented * 100 / self.official if self.official else None


def categories(dataset: OfficialDataset) -> list[str]:
    return list(dataset.counts.order_by("category").values_list("category", flat=True).distinct())


def _official(dataset: OfficialDataset, choice: Choice):
    counts = OfficialCount.objects.filter(dataset=dataset)
    if choice.category:
        counts = counts.filter(category=choice.category)
    if choice.start_year:
        counts = counts.filter(year__gte=choice.start_year)
    if choice.end_year:
        counts = counts.filter(year__lte=choice.end_year)
    if choice.state:
        counts = counts.filter(state=choice.state)
    return counts


def published_months(dataset: OfficialDataset) -> dict[int, set[int]]:
    """The months each year of the file has figures for, zeros included (any category or
    place); ``{year: {0}}`` for a file by whole years (RNPDNO)."""
    return {int(year): set(months) for year, months in (dataset.periods or {}).items()}


def _documented_mask(index, dataset, choice: Choice, months: dict[int, set[int]]):
    """The cases to count: with a known month, in a year (and month) the file covers."""
    known = index.months >= 0
    years = np.where(known, index.months // 12, -1)
    month = np.where(known, index.months % 12 + 1, 0)
    mask = np.zeros(len(index), dtype=bool)
    for year, covered in months.items():
        if choice.start_year and year < choice.start_year:
            continue
        if choice.end_year and year > choice.end_year:
            continue
        in_year = known & (years == year)
        if 0 not in covered:  # a monthly file: only the months published
            in_year &= np.isin(month, sorted(covered))
        mask |= in_year
    if choice.violation is not None:
        mask &= index.has(index.violations, choice.violation)
    if choice.state:
        mask &= index.states == int(choice.state)
    return mask, years


def compare(organization, dataset: OfficialDataset, choice: Choice) -> dict:
    """Every figure of the comparison page."""
    index = caseindex.snapshot(organization)
    months = published_months(dataset)
    mask, years = _documented_mask(index, dataset, choice, months)
    victims = dataset.source == official.RNPDNO
    if len(index):
        weights = index.sexes.sum(axis=1) if victims else np.ones(len(index), dtype=np.int64)
    else:
        weights = np.zeros(0, dtype=np.int64)
    counts = _official(dataset, choice)

    shown_years = sorted(
        y
        for y in months
        if (not choice.start_year or y >= choice.start_year)
        and (not choice.end_year or y <= choice.end_year)
    )
    official_by_year = dict(counts.values_list("year").annotate(n=Sum("count")))
    by_year = []
    for year in shown_years:
        documented = int(weights[mask & (years == year)].sum())
        by_year.append(Row(str(year), str(year), documented, int(official_by_year.get(year, 0))))

    states, municipalities = _catalogue()
    places = []
    if choice.state and dataset.source == official.SESNSP:
        level = "municipalities"
        official_by_place = dict(counts.values_list("municipality").annotate(n=Sum("count")))
        selected = mask & (index.municipalities >= 0)
        documented = np.bincount(
            index.municipalities[selected], weights=weights[selected], minlength=33_000
        )
        for cvegeo, place in municipalities.items():
            if place.state_code != choice.state:
                continue
            row = Row(
                cvegeo,
                place.name,
                int(documented[int(cvegeo)]),
                int(official_by_place.get(cvegeo, 0)),
            )
            if row.documented or row.official:
                places.append(row)
        unplaced_documented = int(weights[mask & (index.municipalities < 0)].sum())
        unplaced_official = int(official_by_place.get("", 0))
        unplaced = Row("", "", unplaced_documented, unplaced_official)
    else:
        level = "states"
        official_by_place = dict(counts.values_list("state").annotate(n=Sum("count")))
        selected = mask & (index.states >= 0)
        documented = np.bincount(index.states[selected], weights=weights[selected], minlength=33)
        for code, state in states.items():
            row = Row(
                code, state.name, int(documented[int(code)]), int(official_by_place.get(code, 0))
            )
            if row.documented or row.official:
                places.append(row)
        unplaced = Row("", "", int(weights[mask & (index.states < 0)].sum()), 0)
    places.sort(key=lambda row: (-row.official, -row.documented, row.name))
    total = Row(
        "",
        "",
        int(weights[mask].sum()),
        int(counts.aggregate(n=Sum("count"))["n"] or 0),
    )
    partial = {
        year: sorted(covered)
        for year, covered in months.items()
        if year in shown_years and 0 not in covered and len(covered) < 12
    }
    return {
        "measure": "victims" if victims else "cases",
        "level": level,
        "by_year": by_year,
        "places": places,
        "unplaced": unplaced,
        "total": total,
        "partial_years": partial,
        "year_chart": paired_chart(by_year),
        "place_chart": paired_chart(places[:20]),
        "ratio_chart": ratio_chart([row for row in places if row.official][:20]),
    }


# -- charts ---------------------------------------------------------------------------------


@dataclass
class PairedBar:
    label: str
    documented: int
    official: int
    y: float
    documented_width: float
    official_width: float


def paired_chart(rows: list[Row]) -> dict:
    """Two bars a row (documented above, official below) on one scale, so the page shows
    how small one is beside the other; the table beside it gives every number."""
    top = max((max(row.documented, row.official) for row in rows), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 50
    bars, y = [], 0.0
    for row in rows:
        bars.append(
            PairedBar(
                row.name,
                row.documented,
                row.official,
                y,
                span * row.documented / top,
                span * row.official / top,
            )
        )
        y += 2 * BAR_HEIGHT + ROW_GAP
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(y - ROW_GAP, BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }


def ratio_chart(rows: list[Row]) -> dict:
    """One bar a row: documented per 100 official."""
    top = max((row.ratio or 0 for row in rows), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 50
    bars, y = [], 0.0
    for row in rows:
        ratio = row.ratio or 0
        bars.append({"label": row.name, "ratio": ratio, "y": y, "width": span * ratio / top})
        y += 2 * BAR_HEIGHT + ROW_GAP
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(y - ROW_GAP, BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "bar_height": 2 * BAR_HEIGHT,
    }
