"""LCMCR: the Bayesian non-parametric latent-class model of Manrique-Vallier (2016).

Individuals belong to one of K latent classes (truncated stick-breaking prior,
concentration alpha ~ Gamma(a, b)); within a class, lists record independently
with probabilities lambda[j, k] ~ Beta(1, 1). Heterogeneous capture
probabilities and list dependence are both captured by the class mixture. The
unobserved count n0 is sampled by data augmentation under p(N) ∝ 1/N.

The Gibbs sampler works on cells (distinct histories) rather than individuals,
as the R package's C++ code does: the individuals of one cell are exchangeable,
so their class counts are one multinomial draw. The kernel is compiled with
numba; chains run in separate processes.

The R sampler is also said to cap the unobserved count at 20 times the
observed count. Here no cap is applied unless ``max_unobserved_ratio`` is set;
when it is, draws beyond it are redrawn (a truncated prior), and the number of
kept draws (after burn-in and thinning) that hit the cap is reported so a
binding cap cannot go unnoticed; hits during warm-up and burn-in are counted
apart, since those iterations are not part of the posterior.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue as queue_module
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

import numba
import numpy as np

from memoria.mse.tables import CaptureTable

#: Warm-up iterations before burn-in starts, with alpha held fixed (as in R's LCMCR).
WARM_UP = 500
#: Iterations per kernel call: between calls the chain reports progress.
BLOCK = 2000


@dataclass(frozen=True)
class LcmcrSettings:
    """Sampler settings; defaults follow the issue (K = 10, four chains)."""

    classes: int = 10
    chains: int = 4
    burn_in: int = 10_000
    iterations: int = 10_000
    thin: int = 10
    a_alpha: float = 0.25
    b_alpha: float = 0.25
    max_unobserved_ratio: float | None = None
    seed: int | None = None
    processes: int | None = None

    def __post_init__(self) -> None:
        if self.classes < 1:
            raise ValueError("LCMCR needs at least 1 latent class")
        if self.chains < 1 or self.iterations < 1 or self.thin < 1 or self.burn_in < 0:
            raise ValueError("chains, iterations and thin must be positive, burn-in non-negative")
        if self.iterations < self.thin:
            raise ValueError("iterations must be at least thin (no draw would be kept)")


@dataclass(frozen=True)
class LcmcrResult:
    """Posterior draws of N (one row per chain) and the settings that produced them.

    ``cap_hits``: kept draws (after burn-in and thinning) at which the cap on
    the unobserved count bound; ``cap_hits_burn_in``: warm-up and burn-in
    iterations at which it bound (discarded, so they do not truncate the
    posterior, but they show the chains starting against the cap).
    """

    draws: np.ndarray
    observed: int
    settings: LcmcrSettings
    seed: int
    cap_hits: int
    cap_hits_burn_in: int = 0

    @property
    def pooled(self) -> np.ndarray:
        return self.draws.ravel()

    @property
    def median(self) -> float:
        return float(np.median(self.pooled))

    @property
    def mean(self) -> float:
        return float(np.mean(self.pooled))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed posterior interval for N."""
        tail = (1.0 - level) / 2.0
        low, high = np.quantile(self.pooled, [tail, 1.0 - tail])
        return float(low), float(high)

    def settings_dict(self) -> dict:
        return {**asdict(self.settings), "seed": self.seed}


def sample_lcmcr(
    table: CaptureTable,
    settings: LcmcrSettings | None = None,
    progress: Callable[[int], None] | None = None,
) -> LcmcrResult:
    """Run the chains (in parallel processes when more than one) and collect draws of N.

    ``progress`` receives the total number of iterations done over all chains.
    """
    settings = settings or LcmcrSettings()
    seed = settings.seed if settings.seed is not None else int.from_bytes(os.urandom(4), "little")
    children = np.random.SeedSequence(seed).spawn(settings.chains)
    chain_seeds = [int(c.generate_state(1)[0]) for c in children]
    data = _cell_data(table)
    _warm_compile()
    processes = min(settings.processes or os.cpu_count() or 1, settings.chains)
    if processes <= 1:
        results = [
            _run_chain(data, settings, s, _Reporter(progress, settings, index=k))
            for k, s in enumerate(chain_seeds)
        ]
    else:
        results = _run_parallel(data, settings, chain_seeds, processes, progress)
    draws = np.vstack([r[0] for r in results]).astype(np.int64) + table.observed
    kept_hits = int(sum(r[1] for r in results))
    burn_in_hits = int(sum(r[2] for r in results))
    return LcmcrResult(draws, table.observed, settings, seed, kept_hits, burn_in_hits)


def _cell_data(table: CaptureTable) -> tuple:
    """Cells in compressed form: for cell m, the lists it is on are ones[start[m]:start[m+1]].

    Each cell's lists are stored in descending order. Cells come sorted by history
    code (list 0 the lowest bit), so neighbouring cells often share their highest
    lists: ``shared[m]`` counts the leading entries cell m shares with cell m - 1,
    whose partial products the sampler reuses.
    """
    histories = table.histories.astype(np.int64)
    rows = [np.flatnonzero(h)[::-1] for h in histories]
    ones = np.concatenate(rows + [np.zeros(0, np.int64)]).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(histories.sum(axis=1))]).astype(np.int64)
    shared = np.zeros(len(rows), np.int64)
    for m in range(1, len(rows)):
        a, b = rows[m - 1], rows[m]
        length = min(len(a), len(b))
        same = np.flatnonzero(a[:length] != b[:length])
        shared[m] = same[0] if len(same) else length
    marginal = histories.T @ table.counts / table.observed
    return (start, ones, shared, table.counts.astype(np.int64), marginal)


class _Reporter:
    """Forwards a chain's progress to a callback, a queue, or nowhere."""

    def __init__(self, sink, settings: LcmcrSettings, index: int) -> None:
        self.sink, self.index = sink, index
        self.before = index * (WARM_UP + settings.burn_in + settings.iterations)

    def __call__(self, done: int) -> None:
        if self.sink is None:
            return
        if callable(self.sink):
            self.sink(self.before + done)
        else:
            self.sink.put((self.index, done))


def _run_chain(
    data: tuple, settings: LcmcrSettings, seed: int, report
) -> tuple[np.ndarray, int, int]:
    """Run one chain from the R package's starting point.

    Returns the kept n0 draws, how many of them hit the cap, and how many
    warm-up and burn-in iterations hit it.
    """
    start, ones, shared, freq, marginal = data
    n = int(freq.sum())
    k = settings.classes
    _seed(seed)
    # Start where R's LCMCR starts: every class at the lists' marginal frequencies.
    lam = np.clip(np.repeat(marginal[:, None], k, axis=1), 0.01, 0.99)
    nu = np.full(k, 1.0 / k)
    if k > 4:
        nu[:4], nu[4:] = 0.225, 0.1 / (k - 4)
    state = _State(
        lam, np.log(nu), np.zeros(k, np.int64), np.array([0.3 / k]), np.zeros(1, np.int64)
    )
    max_n0 = -1 if settings.max_unobserved_ratio is None else int(settings.max_unobserved_ratio * n)
    kept_hits, burn_in_hits = 0, 0
    scratch = np.zeros(0, np.int64)
    done = 0
    for phase, total in (
        ("warm", WARM_UP),
        ("burn", settings.burn_in),
        ("keep", settings.iterations),
    ):
        kept = np.zeros(total // settings.thin, np.int64) if phase == "keep" else scratch
        offset = 0
        for block_start in range(0, total, BLOCK):
            steps = min(BLOCK, total - block_start)
            sweeps_hit, draws_hit = _gibbs(
                start, ones, shared, freq, n, *state.arrays(), settings.a_alpha, settings.b_alpha,
                max_n0, phase != "warm", steps, settings.thin if phase == "keep" else 0,
                kept, offset, block_start,
            )  # fmt: skip
            if phase == "keep":
                offset = (block_start + steps) // settings.thin
                kept_hits += draws_hit
            else:
                burn_in_hits += sweeps_hit
            done += steps
            report(done)
    return kept, kept_hits, burn_in_hits


@dataclass
class _State:
    lam: np.ndarray
    log_nu: np.ndarray
    count0: np.ndarray
    alpha: np.ndarray
    n0: np.ndarray

    def arrays(self) -> tuple:
        return (self.lam, self.log_nu, self.count0, self.alpha, self.n0)


_progress_queue = None


def _init_worker(progress_queue) -> None:
    global _progress_queue
    _progress_queue = progress_queue


def _chain_worker(data: tuple, settings: LcmcrSettings, seed: int, index: int):
    return _run_chain(data, settings, seed, _Reporter(_progress_queue, settings, index))


def _run_parallel(data, settings, seeds, processes, progress) -> list:
    # fork keeps the compiled kernel and avoids re-running ``python -m memoria``'s
    # main module in each child, which spawn would do.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    progress_queue = context.Queue() if progress is not None else None
    done = [0] * len(seeds)
    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        initializer=_init_worker,
        initargs=(progress_queue,),
    ) as pool:
        futures = [pool.submit(_chain_worker, data, settings, s, k) for k, s in enumerate(seeds)]
        while progress_queue is not None and not all(f.done() for f in futures):
            try:
                index, count = progress_queue.get(timeout=0.2)
            except queue_module.Empty:
                continue
            done[index] = count
            progress(sum(done))
        results = [f.result() for f in futures]
    if progress is not None:
        progress(len(seeds) * (WARM_UP + settings.burn_in + settings.iterations))
    return results


def _warm_compile() -> None:
    """Compile (or load from cache) the kernel in this process before any fork."""
    lam = np.full((3, 2), 0.5)
    _gibbs(
        np.array([0, 1], np.int64), np.array([0], np.int64), np.zeros(1, np.int64),
        np.array([1], np.int64), 1,
        lam, np.log(np.full(2, 0.5)), np.zeros(2, np.int64), np.array([1.0]),
        np.zeros(1, np.int64), 0.25, 0.25, -1, True, 0, 0, np.zeros(0, np.int64), 0, 0,
    )  # fmt: skip


@numba.njit(cache=True)
def _seed(seed: int) -> None:
    np.random.seed(seed)


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
            hits += 1
            tries = 0
            while draw > max_n0 and tries < 100:
                draw = np.random.negative_binomial(n, success)
                tries += 1
            draw = min(draw, max_n0)
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
