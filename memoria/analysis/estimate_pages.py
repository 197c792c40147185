"""What the estimate's pages show: tables, charts and the diagnostics in words.

Built from the stored result (capture histories and the engine's report) at
every view, in the viewer's language. The figures come from the engine; the
words here only say what its diagnostics mean.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from memoria.analysis.estimation import (
    UNKNOWN,
    cell_counts,
    histogram_chart,
    interval_chart,
    pairwise,
)
from memoria.mse.diagnostics import ESS_PER_CHAIN, RHAT_LIMIT

#: Above this R-hat the chains plainly disagree; between RHAT_LIMIT and it they nearly agree.
RHAT_DISAGREE = 1.1
#: Two-list estimates further apart than this factor: the lists are not independent.
PAIRWISE_SPREAD = 3.0
#: Fewer drawn clusterings than this: the pooled intervals are rough (the page says so).
FEW_CLUSTERINGS = 20


def stratum_labels(table: dict) -> dict[str, str]:
    """Readable names of the strata: state names for INEGI codes, "unknown" for ``?``."""
    names = _state_names()
    return {label: stratum_name(label, names) for label in table["strata"]}


def _state_names() -> dict[str, str]:
    from memoria.places.models import State

    return dict(State.objects.values_list("code", "name"))


def stratum_name(label: str, names: dict[str, str] | None = None) -> str:
    """A stratum as a reader knows it: "Baja California Sur · 2015", not "03/2015"."""
    if not label:
        return _("All")
    names = _state_names() if names is None else names
    parts = [
        _("unknown") if part == UNKNOWN else names.get(part, part) for part in label.split("/")
    ]
    return " · ".join(parts)


def method_label(method: str) -> str:
    return {
        "loglinear": _("Log-linear"),
        "lcmcr": "LCMCR",
        "average": _("Log-linear, average over models"),
    }[method]


def page_context(estimate) -> dict:
    """Everything the result and the report pages show of a finished estimate."""
    table = estimate.result["table"]
    report = estimate.result["report"]
    labels = stratum_labels(table)
    methods = [m for m in ("loglinear", "lcmcr") if m in report]
    stratified = "strata" in report
    context = {
        "lists": table["lists"],
        "histories": [
            {
                "label": labels[label],
                "rows": [
                    {"cells": row[:-1], "count": row[-1], "lists": sum(row[:-1])} for row in rows
                ],
                "observed": sum(row[-1] for row in rows),
            }
            for label, rows in table["strata"].items()
        ],
        "observed": report["observed"],
        "list_totals": list(report["list_totals"].items()),
        "estimates": [_figure(report[m], m) for m in methods],
        "stratified": stratified,
        "diagnostics": diagnostics(table, report, labels),
        "engine_warnings": report.get("warnings", []),
        "left_out": report.get("left_out"),
    }
    pooled = report.get("linkage_uncertainty")
    if pooled:
        context["pooled"] = pooled_context(report, pooled, methods)
    if "lcmcr" in report and report["lcmcr"].get("histogram"):
        lcmcr = report["lcmcr"]
        data = lcmcr["histogram"]
        low, high = lcmcr["interval"]
        context["histogram"] = histogram_chart(
            data, {_("median"): lcmcr["median"], _("2.5%"): low, _("97.5%"): high}
        )
        context["histogram_data"] = data
    if "model_average" in report.get("loglinear", {}):
        context["average"] = average_context(report["loglinear"])
    if stratified:
        rows = []
        averages = []
        for label, part in report["strata"].items():
            for method in methods:
                figure = _figure(part[method], method)
                rows.append({**figure, "label": f"{labels[label]} · {figure['method']}"})
            if "model_average" in part.get("loglinear", {}):
                figure = _figure(part["loglinear"]["model_average"], "average")
                rows.append({**figure, "label": f"{labels[label]} · {figure['method']}"})
                averages.append({"label": labels[label], **average_context(part["loglinear"])})
        context["strata_rows"] = rows
        context["strata_chart"] = interval_chart(rows)
        context["strata_averages"] = averages
        if "unstratified" in report:
            context["whole"] = whole_comparison(report, methods)
    return context


def pooled_context(report: dict, pooled: dict, methods: list[str]) -> dict:
    """The figures with linkage uncertainty beside those on the reviewed clusters
    (the model average too, when the log-linear models were averaged)."""
    pairs = [(pooled[m], report[m], m) for m in methods if m in pooled]
    average = pooled.get("loglinear", {}).get("model_average")
    if average and "model_average" in report.get("loglinear", {}):
        pairs.append((average, report["loglinear"]["model_average"], "average"))
    estimates = []
    for figure, single, method in pairs:
        item = {**_figure(figure, method), "single": _figure(single, method)}
        width = item["high"] - item["low"]
        item["narrower"] = width < item["single"]["high"] - item["single"]["low"]
        if "median_width" in figure:
            item["median_width"] = float(figure["median_width"])
        estimates.append(item)
    return {
        "clusterings": pooled["clusterings"],
        "observed_min": pooled["observed"]["min"],
        "observed_max": pooled["observed"]["max"],
        "observed_single": report["observed"],
        "estimates": estimates,
        "narrower": [item for item in estimates if item["narrower"]],
        "few": pooled["clusterings"] < FEW_CLUSTERINGS,
        "enough": FEW_CLUSTERINGS,
        # The mixture's share of Rubin's between-clustering variance (memoria.mse.pooling).
        "share": round(100 * (pooled["clusterings"] - 1) / (pooled["clusterings"] + 1)),
    }


def _model_name(terms) -> str:
    if isinstance(terms, str):
        return terms
    return ", ".join(terms) if terms else _("none: the lists independent")


def average_context(loglinear: dict) -> dict:
    """The model average of one table (or the strata's sum) and the models carrying it."""
    average = loglinear["model_average"]
    low, high = average["interval"]
    found = {
        "estimate": float(average["estimate"]),
        "low": float(low),
        "high": float(high),
        "criterion": str(average.get("criterion", "")).upper(),
        "summed": "strata" in average,
        "strata": average.get("strata", 0),
        "models": average.get("models", 0),
        "max_order": loglinear.get("max_order"),
        "best": float(loglinear["estimate"]),
        "best_model": _model_name(loglinear.get("model", [])),
    }
    if "effective_models" in average:
        found["effective"] = float(average["effective_models"])
        found["carrying"] = int(average.get("models_carrying_95", 0))
        found["top"] = [
            {
                "model": _model_name(row["model"]),
                "estimate": float(row["estimate"]),
                "weight": 100.0 * float(row.get("weight") or 0.0),
            }
            for row in loglinear.get("top_models", [])
        ]
        found["top_share"] = sum(row["weight"] for row in found["top"])
    return found


#: Sum of strata and whole table closer than this (relative): visibility differs little.
CLOSE = 0.10


def whole_comparison(report: dict, methods: list[str]) -> dict:
    """Each method's sum of the strata beside its estimate on the whole table, and why
    they differ, in words."""
    whole = report["unstratified"]
    rows = []
    pairs = [(m, report[m], whole.get(m)) for m in methods]
    if "model_average" in report.get("loglinear", {}):
        pairs.append(
            (
                "average",
                report["loglinear"]["model_average"],
                whole.get("loglinear", {}).get("model_average"),
            )
        )
    for method, summed, single in pairs:
        if not single:
            continue
        figure, other = _figure(summed, method), _figure(single, method)
        change = figure["estimate"] / other["estimate"] - 1.0 if other["estimate"] else 0.0
        rows.append(
            {
                "method": figure["method"],
                "sum": figure,
                "whole": other,
                "change": f"{100 * change:+.0f}%",
                "relative": change,
                "overlap": figure["low"] <= other["high"] and other["low"] <= figure["high"],
            }
        )
    largest = max(rows, key=lambda row: abs(row["relative"]), default=None)
    if largest is None or abs(largest["relative"]) < CLOSE:
        why = _(
            "Here the sum of the strata and the whole table agree within 10%: visibility "
            "differs little between the strata. The whole table rests on more people and "
            "its interval is usually narrower."
        )
    elif largest["relative"] > 0:
        why = _(
            "Here the sum of the strata is higher. People were more visible in some strata "
            "than in others; pooled in one table, the more visible people appear on several "
            "lists at once, which looks like lists recording the same people and pulls the "
            "whole table's estimate down. Prefer the sum if every stratum has enough people "
            "on several lists."
        )
    else:
        why = _(
            "Here the sum of the strata is lower. Some lists cover some strata more than "
            "others (a list of one state or one year); pooled in one table, they seem to "
            "share fewer people than lists covering the same people would, which pushes the "
            "whole table's estimate up. Prefer the sum if every stratum has enough people on "
            "several lists."
        )
    return {"rows": rows, "why": why, "observed": whole.get("observed", report["observed"])}


def _figure(part: dict, method: str) -> dict:
    low, high = part["interval"]
    return {
        "method": method_label(method),
        "key": method,
        "estimate": float(part["estimate"]),
        "low": float(low),
        "high": float(high),
        "interval_method": part.get("interval_method", ""),
        # The engine names a model by its terms (a list); "per stratum" when summed.
        "model": _model_name(part["model"]) if "model" in part else "",
    }


def diagnostics(table: dict, report: dict, labels: dict[str, str]) -> list[dict]:
    """The diagnostics in words: ``{"level": "ok" | "warning" | "error", "text": ...}``."""
    found = []
    parts = [("", report)]
    if "strata" in report:
        parts += [(label, part) for label, part in report["strata"].items()]
    for label, part in parts:
        if "lcmcr" in part:
            where = labels.get(label, label) if label else ""
            if not label and "strata" in report:
                where = _("All strata together")
            found += _chains(part["lcmcr"], where)
    if "lcmcr" in report.get("unstratified", {}):
        # The whole table set beside the strata's sum: its chains need checking too.
        found += _chains(report["unstratified"]["lcmcr"], _("Whole table, without strata"))
    found += _cells(table, labels)
    found += _dependence(table)
    return found


def _in(where: str, text: str) -> str:
    return _("%(stratum)s: %(text)s") % {"stratum": where, "text": text} if where else text


def _chains(lcmcr: dict, where: str) -> list[dict]:
    diag = lcmcr.get("diagnostics", {})
    chains = diag.get("chains", 0)
    rhat = diag.get("rhat")
    ess = diag.get("ess_bulk")
    found = []
    if chains == 1:
        found.append(
            {
                "level": "warning",
                "text": _in(
                    where,
                    _(
                        "LCMCR ran one chain: one chain cannot show that it has explored the "
                        "whole posterior. Run several chains before reporting this estimate."
                    ),
                ),
            }
        )
    elif rhat is None:
        found.append(
            {
                "level": "warning",
                "text": _in(
                    where,
                    _("Too few draws per chain to compare the chains: run more iterations."),
                ),
            }
        )
    else:
        medians = ", ".join(f"{m:,.0f}" for m in diag.get("chain_medians", []))
        values = {"chains": chains, "rhat": f"{rhat:.3f}", "limit": RHAT_LIMIT, "medians": medians}
        if rhat <= RHAT_LIMIT:
            level = "ok"
            text = (
                _("The %(chains)s LCMCR chains agree (R-hat %(rhat)s, below %(limit)s).") % values
            )
        elif rhat <= RHAT_DISAGREE:
            level = "warning"
            text = (
                _(
                    "The %(chains)s LCMCR chains nearly agree (R-hat %(rhat)s; below %(limit)s is "
                    "wanted; chain medians %(medians)s). Run more iterations before reporting."
                )
                % values
            )
        else:
            level = "error"
            text = (
                _(
                    "The %(chains)s LCMCR chains disagree (R-hat %(rhat)s; chain medians "
                    "%(medians)s): do not report this estimate. Run many more iterations."
                )
                % values
            )
        found.append({"level": level, "text": _in(where, text)})
    if ess is not None and chains:
        wanted = ESS_PER_CHAIN * chains
        if ess < wanted:
            text = _(
                "The draws carry the information of only %(ess)s independent draws (effective "
                "sample size; at least %(wanted)s are wanted): the interval's ends are rough. "
                "Run more iterations."
            ) % {"ess": f"{ess:,.0f}", "wanted": wanted}
            found.append({"level": "warning", "text": _in(where, text)})
        else:
            text = _("Effective sample size %(ess)s: enough to read the interval.") % {
                "ess": f"{ess:,.0f}"
            }
            found.append({"level": "ok", "text": _in(where, text)})
    return found


def _cells(table: dict, labels: dict[str, str]) -> list[dict]:
    found = []
    for cells in cell_counts(table):
        where = labels.get(cells["stratum"], "") if cells["stratum"] else ""
        empty, sparse, possible = cells["empty"], cells["sparse"], cells["possible"]
        if empty or sparse:
            text = ngettext(
                "%(empty)s of the %(possible)s combinations of lists has nobody and %(sparse)s "
                "have fewer than 5 people: the models of list dependence rest on few people, "
                "and a model that needs an empty combination cannot be fitted.",
                "%(empty)s of the %(possible)s combinations of lists have nobody and "
                "%(sparse)s have fewer than 5 people: the models of list dependence rest on "
                "few people, and a model that needs an empty combination cannot be fitted.",
                empty,
            ) % {"empty": empty, "possible": possible, "sparse": sparse}
            level = "warning" if (empty + sparse) * 2 >= possible else "ok"
        else:
            text = _("Every combination of lists has at least 5 people.")
            level = "ok"
        found.append({"level": level, "text": _in(where, text)})
    return found


def _dependence(table: dict) -> list[dict]:
    found = []
    pairs = pairwise(table)
    for pair in pairs:
        if pair["shared"] == 0:
            text = (
                _(
                    'The lists "%(a)s" and "%(b)s" share nobody: they record separate parts of '
                    "the population, or the linkage missed the people they share. Their "
                    "dependence cannot be estimated."
                )
                % pair
            )
            found.append({"level": "warning", "text": text})
        elif pair["below_observed"]:
            text = (
                _(
                    'The lists "%(a)s" and "%(b)s" share %(shared)s people, more than independent '
                    "lists could: one may feed the other, or both record the same visible "
                    "people. The estimate depends on modelling that dependence."
                )
                % pair
            )
            found.append({"level": "warning", "text": text})
    estimates = [p["estimate"] for p in pairs if p["estimate"]]
    if len(estimates) >= 2 and max(estimates) > PAIRWISE_SPREAD * min(estimates):
        text = _(
            "Pairs of lists give very different two-list estimates (from %(low)s to "
            "%(high)s): the lists are far from independent. The models account for the "
            "dependence they can see, not for the dependence they cannot."
        ) % {"low": f"{min(estimates):,.0f}", "high": f"{max(estimates):,.0f}"}
        found.append({"level": "warning", "text": text})
    elif len(estimates) >= 2 and not any(pair["below_observed"] for pair in pairs):
        # One estimate has nothing to be compared with, and a pair that overlaps too
        # much (said above) is strongly dependent: then nothing is "fine".
        found.append(
            {
                "level": "ok",
                "text": _(
                    "Pairs of lists give two-list estimates of the same order (from %(low)s "
                    "to %(high)s): no pair of lists is strongly dependent."
                )
                % {"low": f"{min(estimates):,.0f}", "high": f"{max(estimates):,.0f}"},
            }
        )
    return found
