"""Bootstrap intervals that repeat the model selection on every replicate.

An interval computed from one chosen model ignores that another sample would
have chosen another model; on sparse data that is most of the uncertainty.
Following Chan, Silverman & Vincent (2021): resample the observed individuals
(a multinomial draw of the n observed over their histories), re-run the whole
selection on each replicate, and form a BCa interval whose acceleration comes
from a jackknife over individuals (one refit per non-empty history, weighted by
its count).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from memoria.mse.loglinear import ModelNotEstimable
from memoria.mse.selection import STEPWISE_THRESHOLD, select_model
from memoria.mse.tables import CaptureTable, CaptureTableError


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap replicates and the BCa interval built from them."""

    estimate: float
    replicates: np.ndarray
    failed: int
    bias_correction: float
    acceleration: float
    interval: tuple[float, float]
    percentile_interval: tuple[float, float]


def selected_estimate(
    table: CaptureTable,
    criterion: str,
    threshold: float = STEPWISE_THRESHOLD,
    max_order: int | None = None,
) -> float:
    """Population estimate after model selection (NaN if no model is estimable)."""
    try:
        return select_model(
            table, criterion, threshold=threshold, max_order=max_order
        ).model.estimate
    except (ModelNotEstimable, CaptureTableError):
        return float("nan")


def bootstrap_interval(
    table: CaptureTable,
    criterion: str = "stepwise",
    *,
    replicates: int = 1000,
    level: float = 0.95,
    seed: int | None = None,
    threshold: float = STEPWISE_THRESHOLD,
    progress: Callable[[int], None] | None = None,
    max_order: int | None = None,
) -> BootstrapResult:
    """BCa interval for N with model re-selection on each of ``replicates`` resamples.

    Replicates where no model is estimable (or fewer than three lists remain)
    are counted in ``failed`` and left out; many failures mean the data cannot
    support the method.
    """
    rng = np.random.default_rng(seed)
    _, counts = table.full_cells()
    n = table.observed
    point = selected_estimate(table, criterion, threshold, max_order)
    draws = np.empty(replicates)
    with warnings.catch_warnings():
        # A resample may lose a small list; that is part of the sampling variability.
        warnings.simplefilter("ignore")
        for b in range(replicates):
            resampled = rng.multinomial(n, counts / n)
            draws[b] = _estimate_counts(table, resampled, criterion, threshold, max_order)
            if progress is not None:
                progress(b + 1)
        acceleration = _jackknife_acceleration(table, counts, criterion, threshold, max_order)
    good = draws[np.isfinite(draws)]
    if len(good) < 10:
        raise ModelNotEstimable("fewer than 10 bootstrap replicates had an estimate")
    z0, interval = bca_interval(good, point, acceleration, level)
    tail = (1.0 - level) / 2.0
    percentile = (float(np.quantile(good, tail)), float(np.quantile(good, 1.0 - tail)))
    return BootstrapResult(
        point, draws, int(replicates - len(good)), z0, acceleration, interval, percentile
    )


def bca_interval(
    replicates: np.ndarray, estimate: float, acceleration: float, level: float = 0.95
) -> tuple[float, tuple[float, float]]:
    """Efron's bias-corrected and accelerated percentile interval.

    Returns the bias correction z0 and the interval.
    """
    from scipy.special import ndtr, ndtri  # slow to import: only with --bootstrap

    below = np.mean(replicates < estimate) + 0.5 * np.mean(replicates == estimate)
    below = float(np.clip(below, 1.0 / (len(replicates) + 1), 1.0 - 1.0 / (len(replicates) + 1)))
    z0 = float(ndtri(below))
    tail = (1.0 - level) / 2.0
    limits = []
    for alpha in (tail, 1.0 - tail):
        z = z0 + ndtri(alpha)
        adjusted = ndtr(z0 + z / (1.0 - acceleration * z))
        limits.append(float(np.quantile(replicates, adjusted)))
    return z0, (limits[0], limits[1])


def _estimate_counts(
    table: CaptureTable,
    counts: np.ndarray,
    criterion: str,
    threshold: float,
    max_order: int | None = None,
) -> float:
    try:
        resampled = table.with_full_counts(counts)
    except CaptureTableError:
        return float("nan")
    if len(resampled.lists) < 3 or (resampled.histories.sum(axis=0) == 0).any():
        return float("nan")
    return selected_estimate(resampled, criterion, threshold, max_order)


def _jackknife_acceleration(
    table: CaptureTable,
    counts: np.ndarray,
    criterion: str,
    threshold: float,
    max_order: int | None = None,
) -> float:
    """Acceleration from leaving out one individual of each observed history."""
    cells = np.flatnonzero(counts)
    estimates = np.empty(len(cells))
    for k, cell in enumerate(cells):
        reduced = counts.copy()
        reduced[cell] -= 1
        estimates[k] = _estimate_counts(table, reduced, criterion, threshold, max_order)
    weights = counts[cells].astype(float)
    ok = np.isfinite(estimates)
    if not ok.any():
        return 0.0
    weights, estimates = weights[ok], estimates[ok]
    residuals = np.sum(weights * estimates) / weights.sum() - estimates
    spread = np.sum(weights * residuals**2)
    if spread == 0:
        return 0.0
    return float(np.sum(weights * residuals**3) / (6.0 * spread**1.5))
