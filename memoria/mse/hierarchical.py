"""Every hierarchical log-linear model of a capture table, fitted at once.

A hierarchical model keeps every main effect and, with each interaction term,
all the terms it contains (a model with ``A:B:C`` also has ``A:B``, ``A:C`` and
``B:C``). Rcapture's ``closedpMS.t`` fits all of them one ``glm`` after
another; here the models of a table share one design over the 2^J − 1
observable cells, each model switching columns on or off, and Newton's method
runs on all the models together as stacked matrices (numpy's batched ``solve``).
Rcapture 1.4-4 takes 20–85 s for the 6,893 models of a five-list table; see
``docs/benchmarks.md`` for the side-by-side figures.

The rules for models without an estimate are those of :mod:`memoria.mse.existence`:
a term whose lists nobody is on together is fixed at minus infinity (its cells
are dropped, it counts as a parameter); then the model must have full rank and
a finite maximum-likelihood estimate. A converged fit with positive fitted
values proves the latter; the linear program of Fienberg & Rinaldo (2012) only
runs for the fits that do not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from memoria.mse.existence import Pair, mle_exists
from memoria.mse.special import gammaln
from memoria.mse.tables import CaptureTable

#: Refuse searches larger than this many models (memory and time grow with it).
MAX_MODELS = 40_000
#: Models fitted together in one batch (bounds memory: batch × cells × parameters).
BATCH = 1024


def candidate_terms(n_lists: int, max_order: int) -> list[Pair]:
    """Interaction terms of order 2 to ``max_order``, lower orders first."""
    return [
        term
        for order in range(2, max_order + 1)
        for term in itertools.combinations(range(n_lists), order)
    ]


def default_max_order(n_lists: int) -> int:
    """Rcapture's default order (J − 1) up to five lists; two-list terms beyond."""
    return n_lists - 1 if n_lists <= 5 else 2


class SearchTooLarge(ValueError):
    """The search over every hierarchical model would fit too many models or lists."""


def hierarchical_models(
    n_lists: int, max_order: int, limit: int = MAX_MODELS
) -> list[tuple[Pair, ...]]:
    """All hierarchical models with every main effect and terms up to ``max_order``.

    Each model is the tuple of its interaction terms (implied ones included),
    the main-effects model first. Five lists and order 4 give Rcapture's 6,893
    models; order 2 gives 2^(J(J−1)/2). Raises ``ValueError`` beyond ``limit``.
    """
    if not 1 <= max_order < n_lists:
        raise ValueError(f"the order of terms must be between 1 and {n_lists - 1}")
    terms = candidate_terms(n_lists, max_order)
    index = {term: k for k, term in enumerate(terms)}
    parents = [
        [index[sub] for sub in itertools.combinations(term, len(term) - 1)] if len(term) > 2 else []
        for term in terms
    ]
    models: list[tuple[Pair, ...]] = []
    chosen = [False] * len(terms)

    def extend(k: int) -> None:
        if k == len(terms):
            models.append(tuple(t for t, inside in zip(terms, chosen, strict=True) if inside))
            if len(models) > limit:
                raise SearchTooLarge(
                    f"more than {limit:,} hierarchical models with {n_lists} lists and terms "
                    f"up to order {max_order}: lower --max-order or use --criterion stepwise"
                )
            return
        extend(k + 1)
        if all(chosen[p] for p in parents[k]):
            chosen[k] = True
            extend(k + 1)
            chosen[k] = False

    extend(0)
    return models


def generators(model: tuple[Pair, ...], n_lists: int) -> list[Pair]:
    """The highest terms and the lists in no term, highest order first (Rcapture's name)."""
    terms = sorted(set(model) | {(i,) for i in range(n_lists)}, key=lambda t: (len(t), t))
    top = [t for t in terms if not any(set(t) < set(u) for u in terms)]
    return sorted(top, key=lambda t: (-len(t), t))


def rcapture_name(model: tuple[Pair, ...], n_lists: int) -> str:
    """Rcapture's name of a model, e.g. ``[12,13,45]`` (lists numbered from 1)."""
    return "[" + ",".join("".join(str(i + 1) for i in t) for t in generators(model, n_lists)) + "]"


@dataclass(frozen=True)
class ModelFits:
    """Fit statistics of many models of one table (arrays over the models)."""

    models: list[tuple[Pair, ...]]
    estimable: np.ndarray  # bool: finite, identifiable estimate
    intercept: np.ndarray
    intercept_variance: np.ndarray
    loglik: np.ndarray
    parameters: np.ndarray  # fitted columns plus terms fixed at minus infinity
    observed: int

    @property
    def unobserved(self) -> np.ndarray:
        return np.exp(self.intercept)

    @property
    def estimate(self) -> np.ndarray:
        return self.observed + self.unobserved

    @property
    def aic(self) -> np.ndarray:
        return -2.0 * self.loglik + 2.0 * self.parameters

    @property
    def bic(self) -> np.ndarray:
        """Rcapture's BIC: −2 log L + log(n) × parameters, n = people seen."""
        return -2.0 * self.loglik + np.log(self.observed) * self.parameters


def fit_models(table: CaptureTable, models: list[tuple[Pair, ...]]) -> ModelFits:
    """Fit every model (by batched Newton–Raphson) and test which have an estimate."""
    patterns, counts = table.full_cells()
    terms = sorted({t for model in models for t in model}, key=lambda t: (len(t), t))
    column = {t: 1 + table.n_lists + k for k, t in enumerate(terms)}
    inside = np.array([patterns[:, list(t)].all(axis=1) for t in terms]).reshape(
        len(terms), len(patterns)
    )
    empty_term = np.array([counts[cells].sum() == 0 for cells in inside], dtype=bool)
    full = np.column_stack(
        [np.ones(len(patterns)), patterns.astype(float), inside.T.astype(float)]
    ).reshape(len(patterns), 1 + table.n_lists + len(terms))
    n_models, n_columns = len(models), full.shape[1]
    active = np.zeros((n_models, n_columns), dtype=bool)
    active[:, : 1 + table.n_lists] = True
    kept = np.ones((n_models, len(patterns)), dtype=bool)
    n_empty = np.zeros(n_models, dtype=int)
    for m, model in enumerate(models):
        for t in model:
            k = column[t] - 1 - table.n_lists
            if empty_term[k]:
                kept[m] &= ~inside[k]
                n_empty[m] += 1
            else:
                active[m, column[t]] = True
    out = {
        name: np.full(n_models, np.nan)
        for name in ("intercept", "intercept_variance", "loglik", "parameters")
    }
    estimable = np.zeros(n_models, dtype=bool)
    sizes = active.sum(axis=1)
    # Models with as many columns share a batch, each with only its own columns;
    # the smallest models come first, so that nesting can spare linear programs.
    order = np.argsort(sizes, kind="stable")
    batches = [
        group[start : start + BATCH]
        for size in np.unique(sizes)
        for group in [order[sizes[order] == size]]
        for start in range(0, len(group), BATCH)
    ]
    without: dict[bytes, list[int]] = {}
    for part in batches:
        columns = np.array([np.flatnonzero(active[m]) for m in part])
        x = np.ascontiguousarray(np.moveaxis(full[:, columns], 0, 1))  # models × cells × columns
        fitted = _fit_batch(x, counts.astype(float), kept[part])
        estimable[part] = _check_batch(fitted, counts, active[part], kept[part], without)
        out["intercept"][part] = fitted["beta"][:, 0]
        out["intercept_variance"][part] = fitted["variance0"]
        out["loglik"][part] = fitted["loglik"]
    out["parameters"] = sizes + n_empty
    return ModelFits(models, estimable, observed=table.observed, **out)


def _fit_batch(x: np.ndarray, y: np.ndarray, kept: np.ndarray, max_iter: int = 30) -> dict:
    """Newton–Raphson with step halving on a stack of Poisson regressions.

    ``x`` is models × cells × columns; dropped cells have weight 0.
    """
    n_models, _, n_columns = x.shape
    weight = kept.astype(float)
    log_factorial = gammaln(y + 1.0)

    def hessian(mu):
        return np.matmul(x.transpose(0, 2, 1), (weight * mu)[:, :, None] * x)

    def loglik(beta):
        eta = np.minimum(np.einsum("mcp,mp->mc", x, beta), 700.0)
        return (weight * (y * eta - np.exp(eta) - log_factorial)).sum(axis=1)

    with np.errstate(all="ignore"):
        # Start as glm does: one weighted least-squares step from mu = y + 0.5.
        mu = np.broadcast_to(y + 0.5, weight.shape)
        z = np.log(mu) + (y - mu) / mu
        rhs = np.einsum("mcp,mc->mp", x, weight * mu * z)
        beta = np.linalg.solve(hessian(mu), rhs[:, :, None])[:, :, 0]
        current = loglik(beta)
        running = np.ones(n_models, dtype=bool)
        converged = np.zeros(n_models, dtype=bool)
        last_step = np.full(n_models, np.inf)
        for _ in range(max_iter):
            idx = np.flatnonzero(running)
            if idx.size == 0:
                break
            xs, ws = x[idx], weight[idx]
            mu = np.exp(np.minimum(np.einsum("mcp,mp->mc", xs, beta[idx]), 700.0))
            gradient = np.einsum("mcp,mc->mp", xs, ws * (y - mu))
            h = np.matmul(xs.transpose(0, 2, 1), (ws * mu)[:, :, None] * xs)
            try:
                step = np.linalg.solve(h, gradient[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                step = np.stack([_safe_solve(a, b) for a, b in zip(h, gradient, strict=True)])
            step = np.where(np.isfinite(step), step, 0.0)
            new_beta = beta[idx] + step
            new = _loglik_rows(xs, ws, y, log_factorial, new_beta)
            for _ in range(30):
                worse = ~(new >= current[idx] - 1e-12)
                if not worse.any():
                    break
                step[worse] /= 2.0
                new_beta[worse] = beta[idx][worse] + step[worse]
                new[worse] = _loglik_rows(xs[worse], ws[worse], y, log_factorial, new_beta[worse])
            gain = new - current[idx]
            beta[idx], current[idx] = new_beta, new
            last_step[idx] = np.abs(step).max(axis=1)
            # Stop on a small step only: a fit drifting off to an infinite
            # coefficient gains ever less likelihood but keeps taking unit steps.
            done = (last_step[idx] < 1e-9) | (
                (np.abs(gain) < 1e-13 * np.maximum(1.0, np.abs(new))) & (last_step[idx] < 1e-6)
            )
            converged[idx[done]] = True
            running[idx[done]] = False
        mu = np.exp(np.minimum(np.einsum("mcp,mp->mc", x, beta), 700.0))
        h = hessian(mu)
        try:
            variance0 = np.linalg.inv(h)[:, 0, 0]
        except np.linalg.LinAlgError:
            variance0 = np.array([_safe_solve(a, np.eye(n_columns)[0])[0] for a in h])
    return {
        "beta": beta,
        "loglik": loglik(beta),
        "mu": mu,
        "converged": converged,
        "last_step": last_step,
        "variance0": variance0,
        "x": x,
    }


def _loglik_rows(x, weight, y, log_factorial, beta):
    eta = np.minimum(np.einsum("mcp,mp->mc", x, beta), 700.0)
    value = (weight * (y * eta - np.exp(eta) - log_factorial)).sum(axis=1)
    return np.where(np.isfinite(value), value, -np.inf)


def _safe_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.full_like(b, np.nan)


def _check_batch(fitted: dict, counts, active, kept, without: dict) -> np.ndarray:
    """Which fits are of models with a finite, identifiable estimate.

    ``without`` collects, by set of cells, the models found to have no
    estimate (as bit masks of their columns), across batches.
    """
    x, mu, beta = fitted["x"], fitted["mu"], fitted["beta"]
    weight = kept.astype(float)
    rank = np.linalg.matrix_rank(x * weight[:, :, None])
    identifiable = rank == x.shape[2]
    with np.errstate(all="ignore"):
        margins = np.abs(np.einsum("mcp,mc->mp", x, weight * (counts - mu))).max(axis=1)
        smallest = np.where(kept, mu, np.inf).min(axis=1)
    # A strictly positive table with the observed margins proves that the MLE
    # exists. When it does not, Newton walks off towards minus infinity with
    # steps that do not shrink (the fitted counts of some cells fall by a
    # constant factor per iteration), so a fit whose last step was small is a
    # stationary point, not a drift.
    certified = (
        fitted["converged"]
        & (fitted["last_step"] < 1e-6)
        & np.all(np.isfinite(beta), axis=1)
        & np.isfinite(fitted["variance0"])
        & (smallest > 1e-10)
        & (margins < 1e-6 * max(1.0, float(counts.sum())))
    )
    ok = identifiable & certified
    # Nesting saves most linear programs: on the same cells, a model with more
    # terms has more margins to match, so if no positive table matches the
    # smaller model's margins none matches the larger one's.
    for m in np.flatnonzero(identifiable & ~certified):
        cells = kept[m].tobytes()
        bits = int.from_bytes(np.packbits(active[m]).tobytes(), "big")
        if any(bits & smaller == smaller for smaller in without.get(cells, ())):
            continue
        rows = np.flatnonzero(kept[m])
        if mle_exists(x[m][rows], counts[rows]):
            # Exists but Newton did not settle (a very flat likelihood): a fit we
            # cannot trust is left out rather than ranked.
            ok[m] = False
        else:
            without.setdefault(cells, []).append(bits)
    return ok
