"""The compiled Gibbs kernel of :mod:`memoria.mse.lcmcr` (numba, cached on disk).

Kept apart so that importing :mod:`memoria.mse` does not import numba: a
log-linear estimate never needs it.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def _seed(seed: int) -> None:
    np.random.seed(seed)


@numba.njit(cache=True)
def _fill_prior_log_weights(out: np.ndarray) -> None:
    acc = 0.0
    for k in range(len(out) - 1):
        g1, g2 = _log_gamma(1.0), _log_gamma(1.0)
        top = max(g1, g2)
        log_sum = top + math.log(math.exp(g1 - top) + math.exp(g2 - top))
        out[k] = g1 - log_sum + acc
        acc += g2 - log_sum
    out[len(out) - 1] = acc


@numba.njit(cache=True)
def _truncated_negative_binomial(n: int, success: float, cap: int) -> int:
    """A NegBin(n, success) draw conditioned on being at most ``cap`` (inverse CDF in logs)."""
    log_pmf = np.empty(cap + 1)
    log_fail = math.log1p(-success) if success < 1.0 else -np.inf
    log_pmf[0] = n * math.log(success)
    for k in range(1, cap + 1):
        log_pmf[k] = log_pmf[k - 1] + math.log((n + k - 1.0) / k) + log_fail
    top = log_pmf.max()
    total = 0.0
    for k in range(cap + 1):
        log_pmf[k] = math.exp(log_pmf[k] - top)
        total += log_pmf[k]
    u = np.random.random() * total
    for k in range(cap + 1):
        u -= log_pmf[k]
        if u < 0.0:
            return k
    return cap


@numba.njit(cache=True)
def _beta(a: float, b: float) -> float:
    """Beta(a, b) draw with exact shortcuts for a = 1 or b = 1.

    Most latent classes hold nobody on a given list (a = 1) or nobody at all;
    inverting the CDF there costs one uniform instead of two Gamma draws.
    """
    if a == 1.0:
        return 1.0 - np.random.random() ** (1.0 / b)
    if b == 1.0:
        return np.random.random() ** (1.0 / a)
    return np.random.beta(a, b)


@numba.njit(cache=True)
def _log_gamma(shape: float) -> float:
    """log of a Gamma(shape, 1) draw, stable when shape is tiny (Gamma draws underflow to 0)."""
    if shape == 1.0:
        return math.log(-math.log(1.0 - np.random.random()))  # exponential
    if shape < 1.0:
        return math.log(np.random.gamma(shape + 1.0, 1.0)) + math.log(np.random.random()) / shape
    return math.log(np.random.gamma(shape, 1.0))


@numba.njit(cache=True)
def _multinomial(total: int, weights: np.ndarray, weight_sum: float, out: np.ndarray) -> None:
    """Split ``total`` over classes in proportion to ``weights`` (sequential binomials)."""
    remaining, rest = total, weight_sum
    last = len(weights) - 1
    for k in range(last):
        if remaining == 0 or rest <= 0.0:
            out[k] = 0
            continue
        p = min(1.0, max(0.0, weights[k] / rest))
        c = np.random.binomial(remaining, p)
        out[k] = c
        remaining -= c
        rest -= weights[k]
    out[last] = remaining


@numba.njit(cache=True)
def _categorical_counts(
    total: int, weights: np.ndarray, weight_sum: float, out: np.ndarray
) -> None:
    """Class counts of ``total`` individuals drawn one by one (cheaper than K binomials)."""
    out[:] = 0
    last = len(weights) - 1
    for _ in range(total):
        u = np.random.random() * weight_sum
        k = 0
        while k < last and u >= weights[k]:
            u -= weights[k]
            k += 1
        out[k] += 1


@numba.njit(cache=True)
def _log_weights(base, lam, ones, first, last, weights) -> float:
    """Class weights of one history computed in logs (safe from under- and overflow)."""
    top = -np.inf
    for k in range(len(base)):
        value = base[k]
        for p in range(first, last):
            j = ones[p]
            value += math.log(lam[j, k]) - math.log1p(-lam[j, k])
        weights[k] = value
        top = max(top, value)
    total = 0.0
    for k in range(len(base)):
        weights[k] = math.exp(weights[k] - top)
        total += weights[k]
    return total


@numba.njit(cache=True)
def _gibbs(
    start, ones, shared, freq, n, lam, log_nu, count0, alpha, n0, a_alpha, b_alpha,
    max_n0, update_alpha, n_iter, thin, kept, offset, first_iter,
):  # fmt: skip
    """Run ``n_iter`` Gibbs sweeps in place; store n0 every ``thin`` sweeps.

    Returns how many sweeps hit the cap on n0, and how many stored draws did.

    Sweep order follows the R package: class counts of observed cells, lambda,
    stick-breaking weights, n0 and its classes, alpha.
    """
    n_lists, k_max = lam.shape
    n_cells = len(freq)
    base = np.empty(k_max)
    ratio = np.empty((n_lists, k_max))
    log_off = np.empty((n_lists, k_max))  # log(1 - lambda), reused by the next sweep
    weights = np.empty(k_max)
    longest = 0
    for m in range(n_cells):
        longest = max(longest, start[m + 1] - start[m])
    prefix = np.empty((longest + 1, k_max))  # prefix[d]: base times the cell's first d ratios
    cell_counts = np.empty(k_max, np.int64)
    on_list = np.empty((n_lists, k_max), np.int64)
    class_total = np.empty(k_max, np.int64)
    for j in range(n_lists):
        for k in range(k_max):
            log_off[j, k] = math.log1p(-lam[j, k])
    hits = 0
    stored_hits = 0
    for it in range(n_iter):
        # Class weight of a history = nu_k · Π(1 − λ) · Π over its lists of λ/(1 − λ).
        # Products of precomputed factors avoid an exp per cell and class, the
        # dominant cost with many cells; the log form is the fallback on overflow.
        top = -np.inf
        for k in range(k_max):
            base[k] = log_nu[k]
        for j in range(n_lists):
            for k in range(k_max):
                base[k] += log_off[j, k]
                ratio[j, k] = lam[j, k] / (1.0 - lam[j, k])
        for k in range(k_max):
            top = max(top, base[k])
        for k in range(k_max):
            prefix[0, k] = math.exp(base[k] - top)
        on_list[:, :] = 0
        class_total[:] = count0
        for m in range(n_cells):
            # Partial products shared with the previous cell are reused; lists
            # outer, classes inner: k_max independent products in step (SIMD).
            first, last = start[m], start[m + 1]
            for d in range(shared[m], last - first):
                j = ones[first + d]
                for k in range(k_max):
                    prefix[d + 1, k] = prefix[d, k] * ratio[j, k]
            depth = last - first
            weight_sum = 0.0
            for k in range(k_max):
                weights[k] = prefix[depth, k]
                weight_sum += weights[k]
            if not (0.0 < weight_sum < 1e300):
                weight_sum = _log_weights(base, lam, ones, first, last, weights)
            if freq[m] == 1 and k_max > 1:
                # One individual (most cells with many lists): draw its class directly.
                u = np.random.random() * weight_sum
                k = 0
                while k < k_max - 1 and u >= weights[k]:
                    u -= weights[k]
                    k += 1
                class_total[k] += 1
                for p in range(first, last):
                    on_list[ones[p], k] += 1
                continue
            if freq[m] < k_max:
                _categorical_counts(freq[m], weights, weight_sum, cell_counts)
            else:
                _multinomial(freq[m], weights, weight_sum, cell_counts)
            for k in range(k_max):
                c = cell_counts[k]
                if c:
                    class_total[k] += c
                    for p in range(first, last):
                        on_list[ones[p], k] += c
        # lambda | classes: the unobserved (count0) are off every list.
        for j in range(n_lists):
            for k in range(k_max):
                a = 1.0 + on_list[j, k]
                b = 1.0 + class_total[k] - on_list[j, k]
                lam[j, k] = min(max(_beta(a, b), 1e-300), 1.0 - 1e-16)
                log_off[j, k] = math.log1p(-lam[j, k])
        # Stick-breaking weights, in logs so tiny alphas cannot underflow.
        remaining = n + n0[0]
        acc = 0.0
        for k in range(k_max - 1):
            remaining -= class_total[k]
            g1 = _log_gamma(1.0 + class_total[k])
            g2 = _log_gamma(alpha[0] + remaining)
            top = max(g1, g2)
            log_sum = top + math.log(math.exp(g1 - top) + math.exp(g2 - top))
            log_nu[k] = g1 - log_sum + acc
            acc += g2 - log_sum
        log_nu[k_max - 1] = acc
        # Probability of being on no list, per class and in total.
        prob_zero = 0.0
        for k in range(k_max):
            value = log_nu[k]
            for j in range(n_lists):
                value += log_off[j, k]
            weights[k] = math.exp(value)
            prob_zero += weights[k]
        # n0 | rest ~ NegBin(n, 1 - prob_zero): p(N) ∝ 1/N integrated out.
        success = max(1.0 - prob_zero, 1e-12)
        draw = np.random.negative_binomial(n, success)
        hit = max_n0 >= 0 and draw > max_n0
        if hit:
            # R redraws until the draw is under the cap (no limit): the
            # negative binomial truncated at the cap. Redraw as R does; when the
            # cap sits far in the lower tail, draw from the same truncated
            # distribution by inverting its CDF, instead of looping for ever.
            hits += 1
            tries = 0
            while draw > max_n0 and tries < 1000:
                draw = np.random.negative_binomial(n, success)
                tries += 1
            if draw > max_n0:
                draw = _truncated_negative_binomial(n, success, max_n0)
        n0[0] = draw
        _multinomial(draw, weights, prob_zero, count0)
        if update_alpha:
            alpha[0] = np.random.gamma(a_alpha + k_max - 1.0, 1.0 / (b_alpha - log_nu[k_max - 1]))
        if thin > 0 and (first_iter + it + 1) % thin == 0:
            kept[offset] = n0[0]
            offset += 1
            if hit:
                stored_hits += 1
    return hits, stored_hits
