"""The few special functions a log-linear estimate needs, without SciPy.

Importing ``scipy.special`` takes longer than fitting a small table; these
are exact to double precision for the arguments the estimators use, and the
tests compare them with SciPy.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def gammaln(values):
    """log Γ(x), elementwise on arrays, for scalars a float."""
    if np.ndim(values) == 0:
        return math.lgamma(float(values))
    return _lgamma(np.asarray(values, dtype=float)).astype(float)


def normal_quantile(probability: float) -> float:
    return NormalDist().inv_cdf(probability)


def chi2_1_quantile(level: float) -> float:
    """Quantile of χ² with one degree of freedom: the square of a normal quantile."""
    return normal_quantile(0.5 + level / 2.0) ** 2


def _lower_regularized_gamma(a: float, x: float) -> float:
    """P(a, x) = γ(a, x) / Γ(a), by series below a + 1 and continued fraction above."""
    if x <= 0.0:
        return 0.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        denominator = a
        for _ in range(10_000):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return min(1.0, total * math.exp(log_prefix))
    # Lentz's continued fraction for Q(a, x).
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return max(0.0, 1.0 - math.exp(log_prefix) * h)


def poisson_cdf(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean)."""
    if k < 0:
        return 0.0
    if mean <= 0.0:
        return 1.0
    return 1.0 - _lower_regularized_gamma(k + 1.0, mean)


def poisson_at_least(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0.0:
        return 0.0
    return _lower_regularized_gamma(float(k), mean)
