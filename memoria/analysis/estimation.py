"""Estimation from a reviewed linkage run: capture histories, fingerprint, engine call,
and what the pages need to show the result (charts, diagnostics in words).

The engine is ``memoria.mse.estimate_population``, the one behind ``memoria
estimate``: this module only builds its input from a run's clusters after
review and turns its report into something a page can show. Nothing here
writes to the database.

**Capture histories.** One person per cluster; the person is on a list when
one of the cluster's records comes from it. With strata, a person's stratum is
the value most of its records carry (state of the event, year of the event);
a person whose records carry none goes to the stratum "unknown" (``?``).
A partner's person no longer shared when the estimate runs is left out: their
cluster loses that record (``left_out``), and the page says how many.

**Fingerprint.** A SHA-256 of the capture-history counts (by stratum), the
settings and the engine's version: two estimates with the same fingerprint
had the same inputs, and with the same seed they must give the same figures.
List names are not part of it (renaming a list does not change an estimate).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, replace

import numpy as np

from memoria import __version__
from memoria.analysis.progress import CLUSTERINGS_DRAWN

#: Part of every fingerprint: a new engine may give other figures from the same inputs.
ENGINE_VERSION = f"memoria.mse {__version__}"
METHODS = ("loglinear", "lcmcr")
STRATA = ("", "state", "period", "state_period")
#: Criteria that search every hierarchical model and average over them.
AVERAGING = ("bic", "aic")
#: ``max_order`` for every order up to the number of lists minus one (the CLI's "all").
ALL_ORDERS = 99
UNKNOWN = "?"
#: A cell with fewer people than this is "sparse" in the diagnostics.
SPARSE_CELL = 5
HISTOGRAM_BINS = 30


@dataclass(frozen=True)
class EstimationSettings:
    """What an estimate runs. Small by default, so that the page answers in seconds."""

    methods: tuple[str, ...] = METHODS
    strata: str = ""
    chains: int = 4
    burn_in: int = 2_000
    iterations: int = 10_000
    thin: int = 10
    seed: int = 1
    #: Clusterings drawn from the pair probabilities (0: the reviewed clusters only).
    linkage_draws: int = 0
    #: Log-linear model choice: "stepwise", or "bic"/"aic" (every hierarchical model
    #: searched and averaged, as ``memoria estimate --criterion``).
    criterion: str = "stepwise"
    #: With "bic"/"aic": highest order of the terms searched (``ALL_ORDERS``: every order).
    max_order: int = 2

    def to_dict(self) -> dict:
        data = {**asdict(self), "methods": list(self.methods)}
        if not self.linkage_draws:
            # Estimates made before the option existed keep their fingerprints.
            del data["linkage_draws"]
        if self.criterion == "stepwise":
            # The same: the order only matters to a search over all models.
            del data["criterion"], data["max_order"]
        return data

    @property
    def averaged(self) -> bool:
        """Whether the log-linear models are searched and averaged."""
        return "loglinear" in self.methods and self.criterion in AVERAGING

    @classmethod
    def from_dict(cls, data: dict) -> EstimationSettings:
        return cls(**{**data, "methods": tuple(data.get("methods", METHODS))})


# -- capture histories ------------------------------------------------------------------


def _period(event_date: str) -> str:
    year = str(event_date or "")[:4]
    return year if len(year) == 4 and year.isdigit() else ""


def record_strata(sources) -> dict[str, dict[str, str]]:
    """Each record's state and period (year of the event), by fingerprint."""
    found = {}
    for source in sources:
        frame = source.frame
        states = frame["state"] if "state" in frame else [""] * len(frame)
        dates = frame["event_date"] if "event_date" in frame else [""] * len(frame)
        for record, state, date in zip(frame["record_id"], states, dates, strict=True):
            state = str(state or "").strip()
            state = state.zfill(2) if state.isdigit() and len(state) <= 2 else state
            found[str(record)] = {"state": state, "period": _period(date)}
    return found


def _stratum_of(values: list[dict[str, str]], strata: str) -> str:
    """The stratum most of a person's records carry (ties: the smallest value)."""
    keys = {"state": ("state",), "period": ("period",), "state_period": ("state", "period")}[strata]
    labels = []
    for key in keys:
        seen = Counter(v.get(key, "") for v in values if v.get(key, ""))
        if not seen:
            labels.append(UNKNOWN)
            continue
        top = max(seen.values())
        labels.append(min(value for value, count in seen.items() if count == top))
    return "/".join(labels)


def _kept(graph: dict, left_out) -> tuple[list, list[str]]:
    """The records of ``graph`` not left out, and its sources that still have one."""
    kept = [(f, source) for f, source in graph["records"] if f not in left_out]
    emptied = {source for f, source in graph["records"] if f in left_out}
    emptied -= {source for _f, source in kept}
    return kept, [name for name in graph["sources"] if name not in emptied]


def capture_table(
    graph: dict, clusters: dict, strata: str = "", record_values=None, left_out=frozenset()
) -> dict:
    """Counts of people per capture history (and stratum), from a run's reviewed clusters.

    ``graph`` and ``clusters`` are the run's sealed graph and clusters
    (``memoria.analysis.actions``); ``record_values`` maps fingerprints to
    their state and period (:func:`record_strata`), needed with strata.
    ``left_out``: fingerprints of records that no longer count (a partner's people
    no longer shared): their cluster loses them, a cluster of none of its own
    records is no one, and a list that loses every record is no list.
    Returns ``{"lists": [names], "strata": {label: [[0/1 ..., count], ...]}}``,
    the label ``""`` when not stratified, rows in a fixed order.
    """
    kept, names = _kept(graph, left_out)
    position = {name: i for i, name in enumerate(names)}
    members: dict = {}
    for fingerprint, source in kept:
        members.setdefault(clusters["clusters"][fingerprint], []).append((fingerprint, source))
    counts: dict[str, Counter] = {}
    for records in members.values():
        history = [0] * len(names)
        for _fingerprint, source in records:
            history[position[source]] = 1
        label = ""
        if strata:
            values = [(record_values or {}).get(f, {}) for f, _source in records]
            label = _stratum_of(values, strata)
        counts.setdefault(label, Counter())[tuple(history)] += 1
    return {
        "lists": _unique_labels([graph["sources"][name] for name in names]),
        "strata": {
            label: [[*history, count] for history, count in sorted(cells.items(), reverse=True)]
            for label, cells in sorted(counts.items())
        },
    }


def person_histories(graph: dict, clusters: dict, left_out) -> tuple[list[str], list[list[int]]]:
    """One 0/1 row per person (reviewed cluster) and the lists' names, ``left_out`` left
    out as :func:`capture_table` leaves them: the histories a run offers for download."""
    kept, names = _kept(graph, left_out)
    position = {name: i for i, name in enumerate(names)}
    rows: dict = {}
    for fingerprint, source in kept:
        row = rows.setdefault(clusters["clusters"][fingerprint], [0] * len(names))
        row[position[source]] = 1
    return [graph["sources"][name] for name in names], list(rows.values())


def left_out_people(graph: dict, clusters: dict, left_out) -> int:
    """How many people (reviewed clusters) ``left_out`` takes away entirely: those known
    only through the records left out."""
    kept = {clusters["clusters"][f] for f, _source in graph["records"] if f not in left_out}
    gone = {clusters["clusters"][f] for f, _source in graph["records"] if f in left_out}
    return len(gone - kept)


def _unique_labels(labels: list[str]) -> list[str]:
    """List names as the engine's columns: two lists of the same name are told apart."""
    seen: Counter = Counter()
    unique = []
    for label in labels:
        seen[label] += 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique


def fingerprint(table: dict, settings: EstimationSettings, linkage: str = "") -> str:
    """SHA-256 of the counts, the settings and the engine's version (not the list names).

    With linkage uncertainty the clusterings are drawn from the run's pairs and
    the answers: ``linkage`` (:func:`linkage_digest`) stands for them.
    """
    content = {
        "lists": len(table["lists"]),
        "strata": table["strata"],
        "settings": settings.to_dict(),
        "engine": ENGINE_VERSION,
    }
    if linkage:
        content["linkage"] = linkage
    if settings.strata:
        # Stratified estimates also estimate on the whole table, for comparison.
        content["unstratified"] = True
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def linkage_digest(graph: dict, decisions: dict, left_out=frozenset()) -> str:
    """SHA-256 of the scored pairs and the answers that the clusterings are drawn from,
    and of the records left out of every drawn table (:func:`capture_table`)."""
    content = {
        "links": sorted(graph["links"]),
        "decisions": sorted(f"{a}:{b}:{d}" for (a, b), d in decisions.items()),
    }
    if left_out:
        content["left_out"] = sorted(left_out)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


# -- the engine -------------------------------------------------------------------------


def engine_tables(table: dict) -> dict:
    """The capture tables the engine reads: ``{None: table}``, or one per stratum."""
    from memoria.mse import table_from_arrays

    tables = {}
    for label, rows in table["strata"].items():
        cells = np.array(rows, dtype=np.int64).reshape(-1, len(table["lists"]) + 1)
        tables[label or None] = table_from_arrays(table["lists"], cells[:, :-1], cells[:, -1])
    return tables


def _options(settings: EstimationSettings):
    from memoria.mse import EstimateOptions, LcmcrSettings

    lcmcr = LcmcrSettings(
        chains=settings.chains,
        burn_in=settings.burn_in,
        iterations=settings.iterations,
        thin=settings.thin,
        seed=settings.seed,
        processes=1,  # the worker is one process among others on the machine
        # The page's own fixed length, whatever the number of lists: the engine's
        # default would sample for up to 5 minutes on a large table. The page
        # says in words when the chains disagree (estimate_pages.diagnostics).
        until_converged=False,
    )
    return EstimateOptions(
        methods=settings.methods,
        seed=settings.seed,
        lcmcr=lcmcr,
        criterion=settings.criterion,
        max_order=settings.max_order if settings.averaged else None,
    )


def run_estimate(table: dict, settings: EstimationSettings, progress=None) -> dict:
    """The engine's report on ``table`` (JSON-ready), with the posterior's histograms.

    With strata, ``report["unstratified"]`` is the report on the same people in
    one table (:func:`unstratified`), for the page to set beside the strata's sum.

    Raises ``memoria.mse.CaptureTableError`` when a table cannot be estimated
    (fewer than three lists with people, an empty stratum).
    """
    import warnings

    from memoria.mse import estimate_population
    from memoria.mse.estimate import strip_arrays

    options = _options(settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # other libraries' warnings: not the reader's concern
        report = estimate_population(engine_tables(table), options, progress, keep_draws=True)
    if "lcmcr" in report:
        report["lcmcr"]["histogram"] = histogram(report["lcmcr"]["_draws"])
    report = strip_arrays(report)
    if settings.strata:
        whole = replace(settings, strata="")
        report["unstratified"] = run_estimate(unstratified(table), whole, progress)
    return report


def unstratified(table: dict) -> dict:
    """The same people in one table: the strata's counts added history by history."""
    cells: Counter = Counter()
    for rows in table["strata"].values():
        for row in rows:
            cells[tuple(row[:-1])] += row[-1]
    rows = [[*history, count] for history, count in sorted(cells.items(), reverse=True)]
    return {"lists": table["lists"], "strata": {"": rows}}


def run_pooled_estimate(
    graph: dict,
    decisions: dict,
    strata: str,
    record_values,
    settings: EstimationSettings,
    progress=None,
    left_out=frozenset(),
) -> dict:
    """Linkage uncertainty: the figures pooled over ``settings.linkage_draws``
    clusterings drawn from the run's pair probabilities, with the reviewers'
    answers fixed (``memoria.linkage.uncertainty``, ``memoria.mse.pooling``).

    The records ``left_out`` (:func:`capture_table`) are drawn with the others, and
    each drawn cluster loses them, as the reviewed ones do.

    Returns the pooled report (JSON-ready) for ``report["linkage_uncertainty"]``.
    """
    import warnings

    from memoria.linkage.review import Link
    from memoria.linkage.uncertainty import draw_clusterings
    from memoria.mse.pooling import estimate_pooled

    records = [fingerprint for fingerprint, _source in graph["records"]]
    links = [Link(a, b, p, linked, held) for a, b, p, linked, held in graph["links"]]
    drawn = draw_clusterings(
        records,
        links,
        decisions,
        draws=settings.linkage_draws,
        seed=settings.seed,
        progress=(lambda done, total: progress(CLUSTERINGS_DRAWN, done, total))
        if progress
        else None,
    )
    tables = [
        engine_tables(capture_table(graph, {"clusters": clusters}, strata, record_values, left_out))
        for clusters in drawn.draws
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = estimate_pooled(tables, _options(settings), progress)
    for method in METHODS:
        pooled.get(method, {}).pop("intervals", None)
        pooled.get(method, {}).get("model_average", {}).pop("intervals", None)
    pooled["uncertain_pairs"] = drawn.uncertain_pairs
    pooled["held_back_pairs"] = drawn.held_back_pairs
    return pooled


def histogram(draws: np.ndarray, bins: int = HISTOGRAM_BINS) -> dict:
    """Counts of the draws of N in equal bins between the 0.5% and 99.5% quantiles.

    The few draws beyond are counted apart (``below``, ``above``): a long tail
    would otherwise squeeze the whole posterior into one bar.
    """
    pooled = np.asarray(draws, dtype=float).ravel()
    low, high = (float(q) for q in np.quantile(pooled, [0.005, 0.995]))
    if high <= low:
        high = low + 1
    counts, edges = np.histogram(pooled, bins=bins, range=(low, high))
    return {
        "edges": [float(e) for e in edges],
        "counts": [int(c) for c in counts],
        "below": int((pooled < low).sum()),
        "above": int((pooled > high).sum()),
        "draws": int(pooled.size),
    }


def figures(report: dict) -> dict:
    """The figures a re-run must give again: each method's estimate and interval."""
    found = {}
    parts = [("", report), *report.get("strata", {}).items()]
    if "unstratified" in report:
        parts.append(("unstratified", report["unstratified"]))
    for label, part in parts:
        for method in METHODS:
            if method in part:
                found[f"{label}:{method}"] = _rounded(part[method])
        if "model_average" in part.get("loglinear", {}):
            found[f"{label}:loglinear average"] = _rounded(part["loglinear"]["model_average"])
    return found


def _rounded(figure: dict) -> list[float]:
    return [
        round(float(figure["estimate"]), 6),
        *[round(float(v), 6) for v in figure["interval"]],
    ]


# -- what the pages show ----------------------------------------------------------------


def cell_counts(table: dict) -> list[dict]:
    """Per stratum: the observable cells (2^J - 1), the empty and the sparse ones."""
    result = []
    lists = len(table["lists"])
    for label, rows in table["strata"].items():
        counts = [row[-1] for row in rows]
        possible = 2**lists - 1
        result.append(
            {
                "stratum": label,
                "possible": possible,
                "empty": possible - len(counts),
                "sparse": sum(1 for c in counts if c < SPARSE_CELL),
                "observed": sum(counts),
            }
        )
    return result


def pairwise(table: dict) -> list[dict]:
    """Every pair of lists: their totals, overlap and two-list (Lincoln–Petersen) estimate.

    Under independence each pair would give about the same estimate; a pair
    whose estimate falls below the number of people seen on any list overlaps
    more than independent lists could (they feed each other, or record the
    same visible people); a pair that shares nobody cannot be estimated.
    """
    rows = [row for rows in table["strata"].values() for row in rows]
    if not rows:
        return []
    cells = np.array(rows, dtype=np.int64)
    histories, counts = cells[:, :-1], cells[:, -1]
    totals = histories.T @ counts
    overlaps = (histories * counts[:, None]).T @ histories
    observed = int(counts.sum())
    found = []
    for i in range(len(table["lists"])):
        for j in range(i + 1, len(table["lists"])):
            shared = int(overlaps[i, j])
            estimate = float(totals[i] * totals[j] / shared) if shared else None
            found.append(
                {
                    "a": table["lists"][i],
                    "b": table["lists"][j],
                    "a_total": int(totals[i]),
                    "b_total": int(totals[j]),
                    "shared": shared,
                    "estimate": estimate,
                    "below_observed": estimate is not None and estimate < observed,
                }
            )
    return found


@dataclass
class Bar:
    label: str
    value: str
    x: float
    y: float
    width: float
    height: float


def histogram_chart(data: dict, marks: dict[str, float], width: int = 640, height: int = 200):
    """SVG geometry of the posterior's histogram, with vertical marks (median, interval)."""
    counts = data["counts"]
    edges = data["edges"]
    top = max(counts) or 1
    plot_h = height - 36
    low, high = edges[0], edges[-1]
    scale = width / (high - low)
    bars = []
    for k, count in enumerate(counts):
        bar_h = plot_h * count / top
        bars.append(
            Bar(
                f"{edges[k]:,.0f}–{edges[k + 1]:,.0f}",
                f"{count:,}",
                (edges[k] - low) * scale,
                8 + plot_h - bar_h,
                max((edges[k + 1] - edges[k]) * scale - 1, 0.5),
                bar_h,
            )
        )
    lines = [
        {"label": label, "x": min(max((value - low) * scale, 0), width), "value": value}
        for label, value in marks.items()
        if value is not None
    ]
    return {
        "bars": bars,
        "lines": lines,
        "width": width,
        "height": height,
        "axis_y": 8 + plot_h,
        "low": low,
        "high": high,
    }


#: How much further than the largest finite value a chart with an open interval reaches.
OPEN_END_ROOM = 1.15


def chart_top(values) -> float:
    """The value at a chart's right edge: the largest finite of ``values`` (None
    skipped), with room past it when one is infinite (an interval with no upper end,
    which then runs to the edge)."""
    values = [v for v in values if v is not None]
    top = max((v for v in values if math.isfinite(v)), default=0) or 1
    return top * OPEN_END_ROOM if any(math.isinf(v) for v in values) else top


def interval_chart(rows: list[dict], width: int = 640, row_height: int = 28, label_width=150):
    """SVG geometry of estimates with intervals, one row per stratum and method.

    ``rows``: ``{"label", "estimate", "low", "high"}``; the axis starts at 0 so
    that strata compare by size.
    """
    top = chart_top(value for row in rows for value in (row["estimate"], row["high"]))
    span = width - label_width - 20
    shapes = []
    for k, row in enumerate(rows):
        y = k * row_height + row_height / 2
        scale = span / top
        shapes.append(
            {
                **row,
                "y": y,
                "text_y": y + 4,
                "x": label_width + row["estimate"] * scale,
                "x_low": label_width + row["low"] * scale,
                "x_high": label_width + min(row["high"], top) * scale,
            }
        )
    return {
        "rows": shapes,
        "width": width,
        "height": max(len(rows), 1) * row_height + 24,
        "label_width": label_width,
        "axis_y": max(len(rows), 1) * row_height + 4,
        "top": top,
    }


def lists_with_people(table: dict) -> dict[str, int]:
    """Per stratum, how many lists record at least one person."""
    found = {}
    for label, rows in table["strata"].items():
        totals = np.array(rows, dtype=np.int64).reshape(-1, len(table["lists"]) + 1)
        found[label] = int(((totals[:, :-1] * totals[:, -1:]).sum(axis=0) > 0).sum())
    return found
