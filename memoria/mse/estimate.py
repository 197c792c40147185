"""One call that runs the chosen methods and returns a plain, JSON-ready report.

This is what ``memoria estimate`` runs, and what any other client (a web page,
a scheduled job) should call; a notebook can use the lower-level functions.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from memoria.mse.averaging import ModelAverage, sum_of_averages
from memoria.mse.bootstrap import bootstrap_interval
from memoria.mse.diagnostics import convergence_warnings, ess_bulk, ess_tail, rhat
from memoria.mse.lcmcr import WARM_UP, LcmcrResult, LcmcrSettings, sample_lcmcr
from memoria.mse.loglinear import fit_loglinear
from memoria.mse.progress import BOOTSTRAP, LCMCR, LCMCR_ROUND, phase
from memoria.mse.selection import STEPWISE_THRESHOLD, select_model
from memoria.mse.tables import CaptureTable, MseWarning

METHODS = ("loglinear", "lcmcr")
#: How many of the best-ranked models the report lists.
TOP_MODELS = 5


@dataclass(frozen=True)
class EstimateOptions:
    """What to run. ``bootstrap`` is the number of replicates (0 = none)."""

    methods: tuple[str, ...] = ("loglinear",)
    criterion: str = "stepwise"
    threshold: float = STEPWISE_THRESHOLD
    bootstrap: int = 0
    level: float = 0.95
    seed: int | None = None
    lcmcr: LcmcrSettings = LcmcrSettings()
    #: AIC/BIC: highest order of the interaction terms searched (None: two-list terms).
    max_order: int | None = None


Progress = Callable[[str, int, int], None]


def estimate_population(
    tables: dict[str | None, CaptureTable],
    options: EstimateOptions | None = None,
    progress: Progress | None = None,
    *,
    keep_draws: bool = False,
) -> dict:
    """Estimate N with each method, per stratum and combined.

    ``tables`` maps stratum labels to tables (the single key ``None`` when the
    data are not stratified). ``progress(task, done, total)`` is called on long
    runs. The engine's own warnings (:class:`MseWarning`) raised along the way
    are collected into ``report["warnings"]``; other libraries' warnings are
    re-issued to the caller, not mixed into the report.
    With ``keep_draws`` the LCMCR draws and bootstrap replicates stay in the
    report as arrays under ``_draws`` and ``_replicates`` (for plotting).
    """
    options = options or EstimateOptions()
    unknown = set(options.methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown method(s): {', '.join(sorted(unknown))}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MseWarning)
        parts = {
            label: _estimate_stratum(
                table, _stratum_options(options, index, len(tables)), progress, label
            )  # fmt: skip
            for index, (label, table) in enumerate(tables.items())
        }
    report = parts[None] if list(parts) == [None] else _combine(parts, options, tables)
    report["warnings"] = engine_warnings(caught)
    report["warnings"] += _collect_warnings(report)
    return report if keep_draws else strip_arrays(report)


def _stratum_options(options: EstimateOptions, index: int, count: int) -> EstimateOptions:
    """Give each stratum its own random stream.

    Strata are combined by adding their draws, which assumes they are
    independent; the same seed in every stratum would correlate them.
    """
    if count == 1:
        return options
    base = options.seed if options.seed is not None else options.lcmcr.seed
    if base is None:
        return options
    seed = int(np.random.SeedSequence([base, index]).generate_state(1)[0])
    lcmcr = LcmcrSettings(**{**options.lcmcr.__dict__, "seed": seed})
    return EstimateOptions(**{**options.__dict__, "seed": seed, "lcmcr": lcmcr})


def _estimate_stratum(
    table: CaptureTable, options: EstimateOptions, progress: Progress | None, label: str | None
) -> dict:
    part: dict = {
        "observed": table.observed,
        "lists": list(table.lists),
        "list_totals": table.list_totals(),
    }
    if "loglinear" in options.methods:
        part["loglinear"] = loglinear_report(table, options, progress, label)
    if "lcmcr" in options.methods:
        result = _run_lcmcr(table, options, progress, label)
        part["lcmcr"] = lcmcr_report(result, options.level)
        part["lcmcr"]["_draws"] = result.draws
    return part


def loglinear_report(
    table: CaptureTable,
    options: EstimateOptions,
    progress: Progress | None = None,
    label: str | None = None,
) -> dict:
    """Model selection, the chosen model's fit, and its intervals."""
    selection = select_model(
        table,
        options.criterion,
        threshold=options.threshold,
        max_order=options.max_order,
        level=options.level,
    )
    model = fit_loglinear(table, selection.model.pairs, check=False)
    profile = model.profile_interval(options.level)
    report = {
        "estimate": model.estimate,
        "interval": list(profile),
        "interval_method": "profile likelihood, conditional on the chosen model",
        "intervals": {
            "profile": list(profile),
            "normal": list(model.normal_interval(options.level)),
        },
        "standard_error": model.standard_error,
        "unobserved": model.unobserved,
        "model": model.terms,
        "criterion": options.criterion,
        "aic": model.aic,
        "bic": model.bic,
        "deviance": model.deviance,
        "residual_df": model.residual_df,
        "asymptotic_bias": model.asymptotic_bias,
        "warnings": [],
    }
    if abs(model.asymptotic_bias) > 0.1 * model.estimate:
        # Rcapture's test and wording (getBiasWarn): the estimate is unstable.
        report["warnings"].append(
            f"the asymptotic bias is large: {model.asymptotic_bias:,.0f} against an estimate "
            f"of {model.estimate:,.0f} (more than 10%); the chosen model's estimate is "
            "unstable, compare other models or use LCMCR"
        )
    if selection.steps:
        report["steps"] = selection.steps
    if selection.ranking:
        report["top_models"] = [
            {
                "model": r.terms,
                "estimate": r.estimate,
                "aic": r.aic,
                "bic": r.bic,
                "weight": r.weight,
            }
            for r in selection.ranking[:TOP_MODELS]
        ]
        report["models_without_estimate"] = selection.rejected
        report["models_searched"] = len(selection.ranking) + selection.rejected
        report["max_order"] = selection.max_order
    if selection.average is not None:
        report["model_average"] = average_report(selection.average)
        report["_model_average"] = selection.average  # for the sum of strata
    if options.bootstrap > 0:
        task = phase("bootstrap", BOOTSTRAP, label)
        result = bootstrap_interval(
            table,
            options.criterion,
            replicates=options.bootstrap,
            level=options.level,
            seed=options.seed,
            threshold=options.threshold,
            progress=(lambda done: progress(task, done, options.bootstrap)) if progress else None,
            max_order=options.max_order,
        )
        report["interval"] = list(result.interval)
        report["interval_method"] = "bootstrap BCa with model re-selection on each replicate"
        report["intervals"]["bootstrap_bca"] = list(result.interval)
        report["intervals"]["bootstrap_percentile"] = list(result.percentile_interval)
        report["bootstrap"] = {
            "replicates": options.bootstrap,
            "failed": result.failed,
            "acceleration": result.acceleration,
            "bias_correction": result.bias_correction,
            "seed": options.seed,
        }
        report["_replicates"] = result.replicates
    return report


def average_report(average: ModelAverage) -> dict:
    """The model average as the report gives it."""
    return {
        "estimate": average.estimate,
        "interval": list(average.interval),
        "interval_method": (
            f"model-averaged tail areas (MATA) over {average.models:,} models, "
            f"weights exp(-delta {average.criterion.upper()}/2)"
        ),
        "standard_error": average.standard_error,
        "criterion": average.criterion,
        "models": average.models,
        "effective_models": average.effective_models,
        "models_carrying_95": average.carrying(0.95),
    }


def _run_lcmcr(
    table: CaptureTable, options: EstimateOptions, progress: Progress | None, label: str | None
) -> LcmcrResult:
    settings = options.lcmcr
    if settings.seed is None and options.seed is not None:
        settings = LcmcrSettings(**{**settings.__dict__, "seed": options.seed})
    current = {
        "task": phase("LCMCR", LCMCR, label),
        "total": settings.chains * (WARM_UP + settings.burn_in + settings.iterations),
    }

    def on_round(number: int, total: int, rhat_now: float) -> None:
        # Each extension is its own progress row, saying why it runs.
        name = f"LCMCR, round {number} (R-hat {rhat_now:.2f})"
        current["task"] = phase(name, LCMCR_ROUND, label, number, f"{rhat_now:.2f}")
        current["total"] = total

    if progress is None:
        return sample_lcmcr(table, settings)
    return sample_lcmcr(
        table,
        settings,
        lambda done: progress(current["task"], done, current["total"]),
        on_round,
    )


def lcmcr_report(result: LcmcrResult, level: float = 0.95) -> dict:
    """Posterior summary of N with convergence diagnostics."""
    draws = result.draws
    report = {
        "estimate": result.median,
        "median": result.median,
        "mean": result.mean,
        "interval": list(result.interval(level)),
        "interval_method": "equal-tailed posterior interval",
        "diagnostics": _diagnostics(draws),
        "settings": result.settings_dict(),
        "cap_hits": result.cap_hits,
        "cap_hits_burn_in": result.cap_hits_burn_in,
    }
    if result.settings.until_converged:
        report["rounds"] = result.rounds
        report["converged"] = result.converged
        report["discarded_per_chain"] = result.discarded_per_chain
    report["warnings"] = convergence_warnings(draws) if draws.shape[1] >= 4 else []
    if result.converged is False:
        report["warnings"].insert(
            0,
            f"sampling stopped at the time cap ({result.settings.max_seconds:.0f} s) after "
            f"{result.rounds} round(s) without reaching R-hat {result.settings.target_rhat}: "
            "raise --max-seconds, or run longer chains",
        )
    if draws.shape[0] == 1:
        report["warnings"].insert(0, ONE_CHAIN_WARNING)
    if result.cap_hits:
        report["warnings"].append(
            f"the cap on the unobserved count was reached in {result.cap_hits} of "
            f"{draws.size} kept draws (after burn-in): the posterior is truncated by "
            "--max-unobserved-ratio, not by the data"
        )
    return report


#: With one chain, the split R-hat only compares the chain's two halves: a chain
#: stuck in one mode from start to end passes it.
ONE_CHAIN_WARNING = (
    "ONE CHAIN CANNOT SHOW CONVERGENCE: a chain stuck in one part of the posterior "
    "looks as steady as one that has explored it all. R-hat needs several chains "
    "(--chains 4, the default); this estimate has not been checked."
)


def _diagnostics(draws: np.ndarray) -> dict:
    if draws.shape[1] < 4:
        return {"rhat": None, "ess_bulk": None, "ess_tail": None, "chains": int(draws.shape[0])}
    if draws.shape[0] == 1:
        # Not an R-hat: only a drift between the chain's halves would show.
        return {
            "rhat": None,
            "within_chain_rhat": rhat(draws),
            "ess_bulk": ess_bulk(draws),
            "ess_tail": ess_tail(draws),
            "chains": 1,
            "chain_medians": [float(np.median(draws[0]))],
            "draws_per_chain": int(draws.shape[1]),
        }
    return {
        "rhat": rhat(draws),
        "chains": int(draws.shape[0]),
        "ess_bulk": ess_bulk(draws),
        "ess_tail": ess_tail(draws),
        "chain_medians": [float(np.median(c)) for c in draws],
        "draws_per_chain": int(draws.shape[1]),
    }


def _combine(parts: dict, options: EstimateOptions, tables: dict[str | None, CaptureTable]) -> dict:
    """Add up independent strata: estimates sum; intervals from summed draws or variances."""
    lists = _lists_of_all_strata(tables)
    totals = dict.fromkeys(lists, 0)
    for part in parts.values():
        for name, total in part["list_totals"].items():
            totals[name] += total
    report: dict = {
        "observed": sum(p["observed"] for p in parts.values()),
        "lists": lists,
        "list_totals": totals,
        "strata": parts,
    }
    if "loglinear" in options.methods:
        report["loglinear"] = _combine_loglinear([p["loglinear"] for p in parts.values()], options)
    if "lcmcr" in options.methods:
        draws = sum(p["lcmcr"]["_draws"] for p in parts.values())
        summed = LcmcrResult(draws, report["observed"], options.lcmcr, -1, 0)
        combined = lcmcr_report(summed, options.level)
        combined.pop("settings")
        combined["cap_hits"] = sum(p["lcmcr"]["cap_hits"] for p in parts.values())
        combined["cap_hits_burn_in"] = sum(p["lcmcr"]["cap_hits_burn_in"] for p in parts.values())
        combined["_draws"] = draws
        report["lcmcr"] = combined
    return report


def _lists_of_all_strata(tables: dict[str | None, CaptureTable]) -> list[str]:
    """Lists with individuals in at least one stratum, in the input's column order.

    Each stratum drops its own empty lists, so no single stratum names them all.
    """
    present = {name for table in tables.values() for name in table.lists}
    order = [name for table in tables.values() for name in table.input_lists]
    order += [name for table in tables.values() for name in table.lists]
    return [name for name in dict.fromkeys(order) if name in present]


def _combine_loglinear(reports: list[dict], options: EstimateOptions) -> dict:
    from scipy import stats

    estimate = sum(r["estimate"] for r in reports)
    if all("_replicates" in r for r in reports):
        replicates = sum(r["_replicates"] for r in reports)
        replicates = replicates[np.isfinite(replicates)]
        tail = (1.0 - options.level) / 2.0
        interval = [float(np.quantile(replicates, q)) for q in (tail, 1.0 - tail)]
        method = "bootstrap percentile of summed per-stratum replicates"
    else:
        se = float(np.sqrt(sum(r["standard_error"] ** 2 for r in reports)))
        z = stats.norm.ppf(0.5 + options.level / 2.0)
        interval = [estimate - z * se, estimate + z * se]
        method = "normal approximation from per-stratum standard errors"
    combined = {
        "estimate": estimate,
        "interval": interval,
        "interval_method": method,
        "model": "per stratum",
        "criterion": options.criterion,
    }
    if reports and all("_model_average" in r for r in reports):
        summed = sum_of_averages(
            [r["_model_average"] for r in reports], level=options.level, seed=options.seed
        )
        combined["model_average"] = {
            "estimate": summed.estimate,
            "interval": list(summed.interval),
            "interval_method": (
                f"sum of {len(reports)} strata: quantiles of {summed.draws:,} sums of draws "
                "from each stratum's model-averaged (MATA) mixture"
            ),
            "standard_error": summed.standard_error,
            "criterion": options.criterion,
            "strata": len(reports),
        }
    return combined


def strip_arrays(report: dict) -> dict:
    """The report without the raw arrays (keys starting with ``_``), ready for JSON."""
    return {
        key: strip_arrays(value) if isinstance(value, dict) else value
        for key, value in report.items()
        if not str(key).startswith("_")
    }


def engine_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """The messages of the engine's warnings among ``caught``.

    Any other warning (pandas, statsmodels, numpy) is issued again, outside the
    block that recorded it, so that it reaches stderr or the caller's own
    filters instead of the report.
    """
    messages = []
    for caught_warning in caught:
        if issubclass(caught_warning.category, MseWarning):
            messages.append(str(caught_warning.message))
        else:
            warnings.warn_explicit(
                caught_warning.message,
                caught_warning.category,
                caught_warning.filename,
                caught_warning.lineno,
                source=caught_warning.source,
            )
    return messages


def _collect_warnings(report: dict) -> list[str]:
    messages = []
    for label, part in [(None, report), *report.get("strata", {}).items()]:
        for method, name in (("loglinear", "log-linear"), ("lcmcr", "LCMCR")):
            for message in part.get(method, {}).get("warnings", []):
                messages.append(f"{name}{f' (stratum {label})' if label else ''}: {message}")
    return messages
