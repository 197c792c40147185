"""Pooling estimates made on several clusterings of the same lists.

Each clustering drawn from the linkage's pair probabilities
(``memoria.linkage.uncertainty``) gives its own capture histories and its own
estimate. The pooled estimate treats the clustering as one more unknown and
averages over it: its distribution of N is the equal mixture of the
clusterings' distributions.

* **LCMCR**: the clusterings' posterior draws of N, put together (the same
  number from each). That is a draw from the posterior that integrates over
  the clusterings, as in multiple imputation by posterior mixing.
* **Log-linear**: each clustering's interval stands for a distribution of N:
  on the log scale, a normal centred on the estimate whose lower and upper
  halves have the spreads that give the interval's two ends (a split normal,
  so a skewed profile interval stays skewed). The pooled interval is the
  quantiles of the equal mixture of these, found by bisection (no random
  numbers). Its variance is the mean within-clustering variance plus the
  variance between the clusterings' estimates (divided by ``M``, not
  ``M - 1``): Rubin's total variance ``W + (1 + 1/M) B`` counts more of the
  disagreement, the mixture ``(M - 1)/(M + 1)`` of it: two thirds at 5
  clusterings, nine tenths at 20. The same holds for LCMCR's mixed draws.
  When every clustering is the same, the pooled interval is that clustering's
  interval exactly.

With averaging over log-linear models (``criterion`` "bic"/"aic"), each
clustering's model average is pooled the same way as its best model
(``loglinear.model_average``).

The single-clustering figures are kept beside the pooled ones. The pooled
interval is at least as wide as the clusterings' own intervals in variance
(within plus between), and ``median_width`` gives how wide one clustering's
interval is. It can be narrower than the interval on the reviewed clusters:
that clustering is not one of the draws. It keeps apart every pair the
relatives guard held back and every pair under the threshold, where the draws
join some of them (fewer people seen, more overlap between the lists), and a
smaller estimate comes with a narrower interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from memoria.mse.estimate import EstimateOptions, estimate_population, strip_arrays
from memoria.mse.progress import CLUSTERINGS, Phase
from memoria.mse.tables import CaptureTable

Progress = Callable[[str, int, int], None]


def mixture_interval(
    estimates: Sequence[float], intervals: Sequence[Sequence[float]], level: float = 0.95
) -> tuple[float, tuple[float, float]]:
    """Median and equal-tailed interval of the mixture of split log-normals.

    Component ``m`` has median ``estimates[m]`` and its ``level`` interval at
    ``intervals[m]``. Returns ``(median, (low, high))``.
    """
    from scipy import stats

    centre = np.log(np.asarray(estimates, dtype=float))
    bounds = np.log(np.asarray(intervals, dtype=float))
    z = stats.norm.ppf(0.5 + level / 2.0)
    below = np.maximum((centre - bounds[:, 0]) / z, 1e-12)
    above = np.maximum((bounds[:, 1] - centre) / z, 1e-12)

    def cdf(x: float) -> float:
        # A split normal (half its mass on each side of the centre) has the
        # normal's CDF with the spread of the side x is on.
        scale = np.where(x < centre, below, above)
        return float(stats.norm.cdf((x - centre) / scale).mean())

    def quantile(q: float) -> float:
        # A profile interval without an upper end (inf) is a half with no end: it
        # puts its 0.5 beyond every finite N, and the mixture's quantiles that
        # need that mass are infinite too; the others are found among finite N.
        low = float((centre - 10 * below).min())
        high = float(np.max(centre + 10 * np.where(np.isfinite(above), above, 0.0)))
        if cdf(high) < q:
            return float("inf")
        for _ in range(200):
            middle = (low + high) / 2
            if cdf(middle) < q:
                low = middle
            else:
                high = middle
            if high - low < 1e-10:
                break
        return float(np.exp((low + high) / 2))

    tail = (1.0 - level) / 2.0
    if np.allclose(centre, centre[0]) and np.allclose(bounds, bounds[0]):
        return float(estimates[0]), (float(intervals[0][0]), float(intervals[0][1]))
    return quantile(0.5), (quantile(tail), quantile(1.0 - tail))


def pool_reports(reports: Sequence[dict], level: float = 0.95) -> dict:
    """The pooled figures of each method from the reports of several clusterings.

    ``reports`` come from :func:`estimate_population` with ``keep_draws=True``
    (LCMCR's draws are needed). Returns ``{method: {estimate, interval,
    interval_method, estimates, ...}}`` for each method all reports have.
    """
    pooled: dict = {"clusterings": len(reports)}
    observed = [int(r["observed"]) for r in reports]
    pooled["observed"] = {"min": min(observed), "max": max(observed), "each": observed}
    if all("loglinear" in r for r in reports):
        pooled["loglinear"] = _pool_intervals([r["loglinear"] for r in reports], level)
        if all("model_average" in r["loglinear"] for r in reports):
            # Averaging over models: the averages are pooled as the best models are.
            averages = [r["loglinear"]["model_average"] for r in reports]
            pooled["loglinear"]["model_average"] = {
                **_pool_intervals(averages, level),
                "criterion": averages[0].get("criterion", ""),
            }
    if all("lcmcr" in r and "_draws" in r["lcmcr"] for r in reports):
        draws = np.concatenate([np.asarray(r["lcmcr"]["_draws"]).ravel() for r in reports])
        tail = (1.0 - level) / 2.0
        pooled["lcmcr"] = {
            "estimate": float(np.median(draws)),
            "median": float(np.median(draws)),
            "interval": [float(q) for q in np.quantile(draws, [tail, 1.0 - tail])],
            "interval_method": (
                f"posterior draws of {len(reports)} clusterings drawn from the pair "
                "probabilities, put together (linkage uncertainty included)"
            ),
            "estimates": [float(r["lcmcr"]["estimate"]) for r in reports],
            "median_width": _median_width(
                [np.quantile(r["lcmcr"]["_draws"], [tail, 1.0 - tail]) for r in reports]
            ),
            "_draws": draws,
        }
    return pooled


def _pool_intervals(figures: Sequence[dict], level: float) -> dict:
    """The mixture of the clusterings' intervals of one figure (best model, or average)."""
    estimates = [float(f["estimate"]) for f in figures]
    intervals = [[float(v) for v in f["interval"]] for f in figures]
    median, interval = mixture_interval(estimates, intervals, level)
    return {
        "estimate": median,
        "interval": list(interval),
        "interval_method": (
            f"mixture of the intervals of {len(figures)} clusterings drawn from the pair "
            "probabilities (linkage uncertainty included)"
        ),
        "estimates": estimates,
        "intervals": intervals,
        "median_width": _median_width(intervals),
    }


def _median_width(intervals: Sequence[Sequence[float]]) -> float:
    """How wide one clustering's interval is, the median over the clusterings."""
    return float(np.median([float(high) - float(low) for low, high in intervals]))


def estimate_pooled(
    clusterings: Sequence[dict[str | None, CaptureTable]],
    options: EstimateOptions,
    progress: Progress | None = None,
    *,
    keep_draws: bool = False,
) -> dict:
    """Estimate on every clustering's tables and pool (see :func:`pool_reports`).

    Each clustering gets its own random stream (from ``options.seed``), so
    that the clusterings' LCMCR chains are independent.
    """
    reports = []
    total = len(clusterings)
    for number, tables in enumerate(clusterings):
        if progress is not None:
            progress(Phase("clusterings", CLUSTERINGS), number, total)
        reports.append(
            estimate_population(tables, _options_for(options, number), None, keep_draws=True)
        )
    if progress is not None:
        progress(Phase("clusterings", CLUSTERINGS), total, total)
    pooled = pool_reports(reports, options.level)
    return pooled if keep_draws else strip_arrays(pooled)


def _options_for(options: EstimateOptions, number: int) -> EstimateOptions:
    from memoria.mse.lcmcr import LcmcrSettings

    base = options.seed if options.seed is not None else options.lcmcr.seed
    if base is None:
        return options
    seed = int(np.random.SeedSequence([base, 1_000_003, number]).generate_state(1)[0])
    lcmcr = LcmcrSettings(**{**options.lcmcr.__dict__, "seed": seed})
    return EstimateOptions(**{**options.__dict__, "seed": seed, "lcmcr": lcmcr})
