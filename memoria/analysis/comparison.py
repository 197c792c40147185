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

Beside a state and year, an analyst also sees the newest finished estimate of
undocumented victims made for that same stratum (``stratum_estimates``): an
estimate stratified by state and year of the event, whose stratum is this
state and this year. Nothing else is matched: an estimate by state alone
covers every year its lists cover, one by year alone every state, and neither
is the cell the official count speaks of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Sum

from memoria.analysis import official
from memoria.analysis.estimation import chart_top
from memoria.analysis.models import Estimate, OfficialCount, OfficialDataset
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


# -- estimates beside the counts ------------------------------------------------------------

#: The strata an estimate must have to be set beside a state and year.
STATE_AND_YEAR = "state_period"


@dataclass
class EstimateRow:
    """One state and year: documented and official counts, and the estimate made for it."""

    state: str
    year: int
    name: str
    documented: int
    official: int
    estimate: Estimate
    method: str  # "lcmcr" or "loglinear"
    value: float
    low: float
    high: float
    observed: int  # people the estimate's lists recorded in the stratum
    model: str
    interval_method: str
    # The average over log-linear models when the estimate averaged them and the row
    # shows LCMCR: (estimate, low, high).
    average: tuple[float, float, float] | None = None

    @property
    def label(self) -> str:
        return f"{self.name} {self.year}"


def _preferred(part: dict) -> str | None:
    """LCMCR when the estimate has it (its interval carries the model's uncertainty,
    docs/estimation.md "What to publish"), else the average over log-linear models
    when the estimate averaged them (its interval carries their disagreement), else
    the log-linear model."""
    if "lcmcr" in part:
        return "lcmcr"
    if "model_average" in part.get("loglinear", {}):
        return "average"
    return "loglinear" if "loglinear" in part else None


def _figure_of(part: dict, method: str) -> dict:
    return part["loglinear"]["model_average"] if method == "average" else part[method]


def stratum_estimates(organization, dataset: OfficialDataset, choice: Choice) -> list[EstimateRow]:
    """For every state and year of the comparison with a finished estimate stratified by
    state and year, the newest such estimate beside the documented and official counts
    of that cell (same filters as the rest of the page). Reads the sealed reports:
    only for members who may open estimates (the caller checks ``run_analyses``)."""
    months = published_months(dataset)
    shown_years = {
        y
        for y in months
        if (not choice.start_year or y >= choice.start_year)
        and (not choice.end_year or y <= choice.end_year)
    }
    found: dict[tuple[str, int], tuple[Estimate, dict]] = {}
    finished = Estimate.objects.filter(organization=organization, result__isnull=False)
    for estimate in finished.order_by("-created_at", "-pk"):
        if (estimate.options or {}).get("strata") != STATE_AND_YEAR:
            continue
        for label, part in (estimate.result["report"].get("strata") or {}).items():
            state, _slash, year = label.partition("/")
            if not (len(state) == 2 and state.isdigit() and year.isdigit()):
                continue  # "?": an unknown state or year is no cell of the page
            if int(year) not in shown_years or (choice.state and state != choice.state):
                continue
            found.setdefault((state, int(year)), (estimate, part))
    if not found:
        return []
    index = caseindex.snapshot(organization)
    mask, years = _documented_mask(index, dataset, choice, months)
    victims = dataset.source == official.RNPDNO
    if len(index):
        weights = index.sexes.sum(axis=1) if victims else np.ones(len(index), dtype=np.int64)
    else:
        weights = np.zeros(0, dtype=np.int64)
    cells = _official(dataset, choice).values("state", "year").annotate(n=Sum("count"))
    official_by_cell = {(cell["state"], int(cell["year"])): int(cell["n"]) for cell in cells}
    states, _municipalities = _catalogue()
    rows = []
    for (state, year), (estimate, part) in sorted(found.items()):
        method = _preferred(part)
        if method is None:
            continue
        in_cell = mask & (years == year) & (index.states == int(state))
        figure = _figure_of(part, method)
        low, high = figure["interval"]
        average = None
        if method != "average" and "model_average" in part.get("loglinear", {}):
            mean = part["loglinear"]["model_average"]
            average = (float(mean["estimate"]), *(float(v) for v in mean["interval"]))
        rows.append(
            EstimateRow(
                state=state,
                year=year,
                name=states[state].name if state in states else state,
                documented=int(weights[in_cell].sum()),
                official=official_by_cell.get((state, year), 0),
                estimate=estimate,
                method=method,
                value=float(figure["estimate"]),
                low=float(low),
                high=float(high),
                observed=int(part.get("observed", 0)),
                model=str(figure.get("model", "")),
                interval_method=str(figure.get("interval_method", "")),
                average=average,
            )
        )
    return rows


def estimate_chart(rows: list[EstimateRow]) -> dict:
    """Per state and year, documented and official bars and the estimate (dot) with its
    interval (line), on one scale from zero."""
    top = chart_top(v for r in rows for v in (r.documented, r.official, r.value, r.high))
    span = CHART_WIDTH - LABEL_WIDTH - 50
    scale = span / top
    shapes, y = [], 0.0
    for row in rows:
        middle = y + 2 * BAR_HEIGHT + BAR_HEIGHT / 2
        shapes.append(
            {
                "row": row,
                "y": y,
                "documented_width": row.documented * scale,
                "official_width": row.official * scale,
                "estimate_y": middle,
                "x": LABEL_WIDTH + row.value * scale,
                "x_low": LABEL_WIDTH + row.low * scale,
                # An interval with no upper end runs to the chart's edge.
                "x_high": LABEL_WIDTH + min(row.high, top) * scale,
            }
        )
        y += 3 * BAR_HEIGHT + ROW_GAP
    return {
        "rows": shapes,
        "width": CHART_WIDTH,
        "height": max(y - ROW_GAP, BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
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
