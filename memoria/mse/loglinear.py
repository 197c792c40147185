"""Log-linear (Poisson GLM) models of a capture-history table.

The expected count of each observable history is modelled as
``log mu = intercept + main effects + chosen two-list interactions``; the
all-zero history is then predicted by ``exp(intercept)`` and the population
estimate is ``observed + exp(intercept)``.

Two fitters share the same design: :func:`fit_loglinear` uses statsmodels (the
reported fit, with its covariance), and a plain Newton–Raphson solver serves the
thousands of fits that model search and the bootstrap need. Tests check that
the two agree.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from memoria.mse.existence import Design, ModelCheck, Pair, build_design, check_design
from memoria.mse.special import chi2_1_quantile, gammaln, normal_quantile
from memoria.mse.tables import CaptureTable


class ModelNotEstimable(ValueError):
    """The model has no finite or no identifiable estimate on these data."""


@dataclass(frozen=True)
class PoissonFit:
    """Maximum-likelihood fit of a Poisson regression."""

    coefficients: np.ndarray
    covariance: np.ndarray
    fitted: np.ndarray
    loglik: float
    converged: bool


@dataclass(frozen=True)
class LoglinearFit:
    """A fitted log-linear model and the population estimate it implies."""

    lists: tuple[str, ...]
    pairs: tuple[Pair, ...]
    design: Design
    fit: PoissonFit
    observed: int

    @property
    def unobserved(self) -> float:
        """Estimated number of individuals on no list (the dark figure)."""
        return float(np.exp(self.fit.coefficients[0]))

    @property
    def estimate(self) -> float:
        return self.observed + self.unobserved

    @property
    def asymptotic_bias(self) -> float:
        """First-order bias of the unobserved count, as Rcapture computes it.

        Rcapture 1.4-4 (``internal.DRY.R``): with X the design, V the inverse
        Fisher information and mu the fitted cells, xi = −½ diag(X V Xᵀ),
        psi = −2 Xᵀ diag(mu) xi − e₁, bias = ½ exp(b₀) (−V psi)₀. Rcapture warns
        "the asymptotic bias is large" when it exceeds 10% of N.
        """
        x, v, mu = self.design.matrix, self.fit.covariance, self.fit.fitted
        xi = -0.5 * np.einsum("ij,jk,ik->i", x, v, x)
        psi = -2.0 * x.T @ (mu * xi)
        psi[0] -= 1.0
        return float(0.5 * np.exp(self.fit.coefficients[0]) * (-(v @ psi))[0])

    @property
    def intercept_se(self) -> float:
        return float(np.sqrt(self.fit.covariance[0, 0]))

    @property
    def standard_error(self) -> float:
        """Standard error of N as Rcapture reports it.

        The delta-method variance of exp(intercept) plus the Poisson variance of
        the unobserved count itself (Rcapture's convention).
        """
        return float(np.sqrt(self.unobserved**2 * self.fit.covariance[0, 0] + self.unobserved))

    @property
    def terms(self) -> list[str]:
        """Interaction terms in the model, e.g. ``["LA:NG", "NG:GP"]``, pairs first."""
        return pair_names(self.lists, sort_terms(self.pairs))

    @property
    def aic(self) -> float:
        """AIC counting terms fixed by empty overlaps as parameters (as SparseMSE does)."""
        return -2.0 * self.fit.loglik + 2.0 * self.design.n_parameters

    @property
    def bic(self) -> float:
        """Rcapture's BIC: AIC + (log n − 2) × parameters, n = observed individuals."""
        return self.aic + (np.log(self.observed) - 2.0) * self.design.n_parameters

    @property
    def deviance(self) -> float:
        y, mu = self.design.counts, self.fit.fitted
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
        return float(2.0 * terms.sum())

    @property
    def residual_df(self) -> int:
        return len(self.design.counts) - self.design.matrix.shape[1]

    def normal_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Interval from a normal distribution on the intercept (log dark figure)."""
        z = normal_quantile(0.5 + level / 2.0)
        b0, se = self.fit.coefficients[0], self.intercept_se
        return (
            self.observed + float(np.exp(b0 - z * se)),
            self.observed + float(np.exp(b0 + z * se)),
        )

    def profile_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Profile-likelihood interval for N (Cormack 1992, as in Rcapture)."""
        return profile_interval(self, level)


def pair_names(lists: tuple[str, ...], pairs: tuple[Pair, ...]) -> list[str]:
    """Names of interaction terms, e.g. ``["LA:NG", "LA:NG:GO"]``."""
    return [":".join(lists[i] for i in term) for term in pairs]


def sort_terms(terms) -> tuple[Pair, ...]:
    """Terms by order (two-list terms first), then by list position."""
    return tuple(sorted(set(terms), key=lambda term: (len(term), term)))


def parse_terms(lists: tuple[str, ...], terms: list[str]) -> tuple[Pair, ...]:
    """Turn ``["LA:NG"]`` into list-index pairs, rejecting unknown names."""
    index = {name: k for k, name in enumerate(lists)}
    pairs = []
    for term in terms:
        names = term.split(":")
        if len(names) != 2 or any(n not in index for n in names) or names[0] == names[1]:
            raise ValueError(f"not a two-list term of these lists: {term!r}")
        i, j = sorted(index[n] for n in names)
        pairs.append((i, j))
    return tuple(sorted(set(pairs)))


def check_model(table: CaptureTable, pairs: tuple[Pair, ...]) -> ModelCheck:
    """Existence and identifiability of the model with these two-list terms."""
    patterns, counts = table.full_cells()
    return check_design(build_design(patterns, counts, pairs))


def fit_loglinear(
    table: CaptureTable, pairs: tuple[Pair, ...] = (), *, check: bool = True
) -> LoglinearFit:
    """Fit one model; raises :class:`ModelNotEstimable` when it has no estimate.

    Newton's method (:func:`fit_poisson`) gives the same maximum-likelihood
    fit as statsmodels' GLM (the estimates equal Rcapture's); statsmodels,
    slow to import, is only the fallback when Newton does not converge.
    """
    patterns, counts = table.full_cells()
    design = build_design(patterns, counts, sort_terms(pairs))
    if check:
        verdict = check_design(design)
        if not verdict.ok:
            names = ", ".join(pair_names(table.lists, pairs)) or "main effects"
            raise ModelNotEstimable(f"model [{names}]: {verdict.reason()}")
    with np.errstate(all="ignore"):
        try:
            fit = fit_poisson(design.matrix, design.counts)
        except np.linalg.LinAlgError:
            fit = None
    if fit is None or not fit.converged or not np.all(np.isfinite(fit.covariance)):
        fit = _statsmodels_fit(design)
    pairs = sort_terms(design.fitted_pairs + design.empty_pairs)
    return LoglinearFit(table.lists, pairs, design, fit, table.observed)


def _statsmodels_fit(design: Design) -> PoissonFit:
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings():
        # A saturated model fits every cell exactly; statsmodels then warns about
        # "perfect separation" and a zero residual df, which is expected here.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        result = GLM(design.counts, design.matrix, family=families.Poisson()).fit()
    return PoissonFit(
        coefficients=np.asarray(result.params),
        covariance=np.asarray(result.cov_params()),
        fitted=np.asarray(result.fittedvalues),
        loglik=float(result.llf),
        converged=bool(result.converged),
    )


def quick_fit(table: CaptureTable, design: Design) -> LoglinearFit:
    """Fit with the fast Newton solver (for model search and resampling)."""
    fit = fit_poisson(design.matrix, design.counts)
    pairs = sort_terms(design.fitted_pairs + design.empty_pairs)
    return LoglinearFit(table.lists, pairs, design, fit, table.observed)


def fit_poisson(
    matrix: np.ndarray, counts: np.ndarray, start: np.ndarray | None = None, max_iter: int = 100
) -> PoissonFit:
    """Poisson regression by Newton–Raphson with step halving.

    Only called on designs whose MLE exists, so the log-likelihood is strictly
    concave and Newton converges quadratically from a least-squares start.
    """
    y = counts.astype(float)
    beta = start if start is not None else np.linalg.lstsq(matrix, np.log(y + 0.5), rcond=None)[0]
    loglik = _poisson_loglik(matrix, y, beta)
    converged = False
    for _ in range(max_iter):
        mu = np.exp(matrix @ beta)
        hessian = matrix.T @ (mu[:, None] * matrix)
        step = np.linalg.solve(hessian, matrix.T @ (y - mu))
        new_beta, new_loglik = beta + step, _poisson_loglik(matrix, y, beta + step)
        halvings = 0
        while new_loglik < loglik - 1e-12 and halvings < 30:
            step /= 2.0
            new_beta, new_loglik = beta + step, _poisson_loglik(matrix, y, beta + step)
            halvings += 1
        beta, gain, loglik = new_beta, new_loglik - loglik, new_loglik
        if np.max(np.abs(step)) < 1e-10 or abs(gain) < 1e-12 * max(1.0, abs(loglik)):
            converged = True
            break
    mu = np.exp(matrix @ beta)
    covariance = np.linalg.inv(matrix.T @ (mu[:, None] * matrix))
    return PoissonFit(beta, covariance, mu, float(loglik), converged)


def _poisson_loglik(matrix: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    eta = matrix @ beta
    return float(np.sum(y * eta - np.exp(eta) - gammaln(y + 1.0)))


def profile_interval(model: LoglinearFit, level: float = 0.95) -> tuple[float, float]:
    """Profile-likelihood interval for the population size N.

    For a fixed N the unobserved cell holds N − n individuals; refitting the
    model on the completed table gives the multinomial profile log-likelihood
    ``log N!/(N−n)! + Σ y log(mu/N)``. The interval is where it lies within
    χ²₁(level)/2 of its maximum.
    """
    n = model.observed
    design = model.design
    matrix = np.vstack([np.eye(1, design.matrix.shape[1]), design.matrix])
    counts = design.counts.astype(float)
    start = [model.fit.coefficients]

    def loglik(total: float) -> float:
        y = np.concatenate([[total - n], counts])
        fit = fit_poisson(matrix, y, start=start[0])
        start[0] = fit.coefficients
        mu = fit.fitted
        with np.errstate(divide="ignore", invalid="ignore"):
            kernel = np.where(y > 0, y * np.log(mu / total), 0.0).sum()
        return float(gammaln(total + 1.0) - gammaln(total - n + 1.0) + kernel)

    top = _golden_max(loglik, float(n), max(10.0 * model.estimate, n + 10.0))
    best = loglik(top)
    cut = chi2_1_quantile(level) / 2.0

    def gap(total: float) -> float:
        return best - loglik(total) - cut

    low = float(n) if gap(float(n)) <= 0 else _root(gap, float(n), top)
    high = top * 1.5 + 10.0
    while gap(high) < 0:
        if high > 1e4 * model.estimate:
            return (low, float("inf"))
        high *= 2.0
    return (low, _root(gap, top, high))


def _golden_max(function, low: float, high: float, tolerance: float = 1e-7) -> float:
    """Maximum of a unimodal function on [low, high] by golden-section search.

    (scipy.optimize would do, but takes longer to import than the whole fit.)
    """
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = function(c), function(d)
    while b - a > tolerance * max(1.0, abs(a) + abs(b)):
        if fc >= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = function(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = function(d)
    return (a + b) / 2.0


def _root(function, low: float, high: float, xtol: float = 1e-6) -> float:
    """A root of ``function`` between ``low`` and ``high`` (opposite signs): Illinois method."""
    f_low, f_high = function(low), function(high)
    if f_low == 0.0:
        return low
    if f_high == 0.0:
        return high
    side = 0
    while high - low > xtol:
        middle = (low * f_high - high * f_low) / (f_high - f_low)
        if not low < middle < high:
            middle = (low + high) / 2.0
        f_middle = function(middle)
        if f_middle == 0.0:
            return middle
        if (f_middle > 0) == (f_high > 0):
            high, f_high = middle, f_middle
            if side == 1:
                f_low /= 2.0
            side = 1
        else:
            low, f_low = middle, f_middle
            if side == -1:
                f_high /= 2.0
            side = -1
        if abs(f_middle) < 1e-12:
            return middle
    return (low + high) / 2.0
