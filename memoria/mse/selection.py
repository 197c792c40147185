"""Choosing a log-linear model: information criteria over all models, or stepwise.

The estimate depends heavily on which interactions are in the model (on the UK
2013 data the five best models by BIC range from 11,313 to 25,978), so the
choice is reported with the estimate, averaged over (:mod:`memoria.mse.averaging`)
and, for honest intervals, repeated on every bootstrap replicate
(:mod:`memoria.mse.bootstrap`).

The search by AIC or BIC fits every hierarchical model with terms up to a
given order (:mod:`memoria.mse.hierarchical`): two-list terms by default, up to
J − 1 lists (Rcapture's ``closedpMS.t``) when asked.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from memoria.mse.averaging import ModelAverage, average_models
from memoria.mse.existence import (
    Design,
    ModelCheck,
    Pair,
    build_design,
    check_design,
    mle_exists,
)
from memoria.mse.hierarchical import (
    MAX_MODELS,
    SearchTooLarge,
    fit_models,
    hierarchical_models,
)
from memoria.mse.loglinear import (
    LoglinearFit,
    ModelNotEstimable,
    pair_names,
    quick_fit,
    sort_terms,
)
from memoria.mse.special import poisson_at_least, poisson_cdf
from memoria.mse.tables import CaptureTable

CRITERIA = ("bic", "aic", "stepwise")
#: All-subsets search fits 2**(J(J-1)/2) models with two-list terms: 1,024 for
#: five lists, 32,768 for six; with every order up to J − 1, 6,893 for five.
MAX_LISTS_ALL_SUBSETS = 6
#: Default order of the terms searched by AIC/BIC (two-list terms).
DEFAULT_MAX_ORDER = 2
#: SparseMSE's default threshold for adding a term.
STEPWISE_THRESHOLD = 0.02


@dataclass(frozen=True)
class RankedModel:
    """One candidate model with its fit statistics."""

    terms: list[str]
    estimate: float
    aic: float
    bic: float
    parameters: int
    #: Its weight in the model average (AIC/BIC search only).
    weight: float | None = None


@dataclass
class Selection:
    """The chosen model and how it was chosen."""

    criterion: str
    model: LoglinearFit
    ranking: list[RankedModel] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    rejected: int = 0
    #: The average over all models searched (AIC/BIC only).
    average: ModelAverage | None = None
    #: Highest order of the terms searched (AIC/BIC only).
    max_order: int | None = None


class _Checker:
    """Fit a candidate only if its estimate exists and is identifiable.

    A converged Newton fit with strictly positive fitted values is itself a
    certificate of existence (a positive table with the observed margins), so
    the linear program is only solved when the fit is doubtful. Verdicts are
    cached: they depend only on which cells are non-zero.
    """

    #: Bound the cache in long-lived processes (the web app); a verdict is cheap to redo.
    MAX_ENTRIES = 200_000

    def __init__(self) -> None:
        self._cache: dict[tuple, ModelCheck] = {}

    def __call__(self, design: Design) -> ModelCheck:
        key = (design.fitted_pairs, design.empty_pairs, (design.counts > 0).tobytes())
        if len(self._cache) > self.MAX_ENTRIES:
            self._cache.clear()
        if key not in self._cache:
            self._cache[key] = check_design(design)
        return self._cache[key]

    def fit(self, table: CaptureTable, design: Design) -> LoglinearFit | None:
        key = (design.fitted_pairs, design.empty_pairs, (design.counts > 0).tobytes())
        verdict = self._cache.get(key)
        if verdict is not None and not verdict.ok:
            return None
        if verdict is None and np.linalg.matrix_rank(design.matrix) < design.matrix.shape[1]:
            self._cache[key] = ModelCheck(
                exists=mle_exists(design.matrix, design.counts), identifiable=False
            )
            return None
        model = quick_fit(table, design)
        if verdict is None:
            if _certifies_existence(model):
                self._cache[key] = ModelCheck(exists=True, identifiable=True)
            elif not self(design).ok:
                return None
        return model


def _certifies_existence(model: LoglinearFit) -> bool:
    design, fit = model.design, model.fit
    if not fit.converged or not np.all(np.isfinite(fit.coefficients)):
        return False
    margin_error = np.abs(design.matrix.T @ (design.counts - fit.fitted)).max()
    return bool(fit.fitted.min() > 1e-4 and margin_error < 1e-6 * max(1.0, design.counts.sum()))


_shared_checker = _Checker()


def select_model(
    table: CaptureTable,
    criterion: str = "bic",
    *,
    threshold: float = STEPWISE_THRESHOLD,
    max_order: int | None = None,
    level: float = 0.95,
) -> Selection:
    """Choose a model by ``"bic"``, ``"aic"`` (all models, ≤ 6 lists) or ``"stepwise"``.

    ``max_order`` bounds the order of the terms AIC/BIC search (default 2, two-list
    terms; ``table.n_lists - 1`` searches every hierarchical model as Rcapture does).
    """
    if criterion == "stepwise":
        return stepwise(table, threshold=threshold)
    if criterion in ("bic", "aic"):
        return best_subset(table, criterion, max_order=max_order, level=level)
    raise ValueError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")


def all_pairs(n_lists: int) -> list[Pair]:
    return list(itertools.combinations(range(n_lists), 2))


def best_subset(
    table: CaptureTable,
    criterion: str = "bic",
    *,
    max_order: int | None = None,
    level: float = 0.95,
) -> Selection:
    """Fit every hierarchical model with terms up to ``max_order``; rank by the criterion.

    Every main effect is in every model. Models without a finite, identifiable
    estimate are skipped (and counted); the rest are also averaged.
    """
    if table.n_lists > MAX_LISTS_ALL_SUBSETS:
        raise SearchTooLarge(
            f"searching all models is limited to {MAX_LISTS_ALL_SUBSETS} lists "
            f"({table.n_lists} given); use --criterion stepwise"
        )
    order = min(max_order or DEFAULT_MAX_ORDER, table.n_lists - 1)
    models = hierarchical_models(table.n_lists, order, MAX_MODELS)
    fits = fit_models(table, models)
    values = getattr(fits, criterion)
    good = np.flatnonzero(fits.estimable & np.isfinite(values))
    if good.size == 0:
        raise ModelNotEstimable("no log-linear model has a finite, identifiable estimate")
    order_ = np.lexsort((fits.parameters[good], values[good]))
    ranked = good[order_]
    patterns, counts = table.full_cells()
    best = quick_fit(table, build_design(patterns, counts, sort_terms(models[ranked[0]])))
    average = average_models(
        values[good],
        fits.unobserved[good],
        fits.intercept_variance[good],
        table.observed,
        criterion=criterion,
        level=level,
    )
    names = [pair_names(table.lists, sort_terms(models[m])) for m in ranked]
    ranking = [
        RankedModel(name, float(fits.estimate[m]), float(fits.aic[m]), float(fits.bic[m]),
                    int(fits.parameters[m]), float(w))
        for name, m, w in zip(names, ranked, average.weights[order_], strict=True)
    ]  # fmt: skip
    return Selection(
        criterion,
        best,
        ranking=ranking,
        rejected=len(models) - good.size,
        average=average,
        max_order=order,
    )


def stepwise(table: CaptureTable, *, threshold: float = STEPWISE_THRESHOLD) -> Selection:
    """Forward selection of SparseMSE (Chan, Silverman & Vincent 2021).

    Start from main effects. For each two-list term not in the model, compare
    the observed number of individuals on both lists with its Poisson
    distribution under the current model (two-sided tail: the smaller of the
    lower and upper tail probabilities). Add the term with the smallest p-value
    while it is below ``threshold``, skipping terms whose model would have no
    finite or no identifiable estimate. Ties go to the first term in list order.
    """
    patterns, counts = table.full_cells()
    candidates = all_pairs(table.n_lists)
    overlap = {
        (i, j): int(counts[(patterns[:, i] & patterns[:, j]) == 1].sum()) for i, j in candidates
    }
    chosen: tuple[Pair, ...] = ()
    current = _shared_checker.fit(table, build_design(patterns, counts, chosen))
    if current is None:
        raise ModelNotEstimable("the main-effects model has no finite, identifiable estimate")
    steps: list[dict] = []
    while True:
        best_pair, best_p = None, 1.0
        for pair in candidates:
            if pair in chosen:
                continue
            p = _overlap_p_value(current, patterns, pair, overlap[pair])
            if p >= best_p or p >= threshold:
                continue
            trial = build_design(patterns, counts, tuple(sorted(chosen + (pair,))))
            fitted = _shared_checker.fit(table, trial)
            if fitted is not None:
                best_pair, best_p, best_fit = pair, p, fitted
        if best_pair is None:
            break
        chosen = tuple(sorted(chosen + (best_pair,)))
        current = best_fit
        steps.append({"term": pair_names(table.lists, (best_pair,))[0], "p_value": best_p})
    return Selection("stepwise", current, steps=steps)


def _overlap_p_value(model: LoglinearFit, patterns: np.ndarray, pair: Pair, observed: int) -> float:
    rows = patterns[model.design.rows]
    both = (rows[:, pair[0]] == 1) & (rows[:, pair[1]] == 1)
    expected = float(model.fit.fitted[both].sum())
    lower = poisson_cdf(observed, expected)
    upper = poisson_at_least(observed, expected)
    return float(min(lower, upper))
