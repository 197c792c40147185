"""LCMCR: the Bayesian non-parametric latent-class model of Manrique-Vallier (2016).

Individuals belong to one of K latent classes (truncated stick-breaking prior,
concentration alpha ~ Gamma(a, b)); within a class, lists record independently
with probabilities lambda[j, k] ~ Beta(1, 1). Heterogeneous capture
probabilities and list dependence are both captured by the class mixture. The
unobserved count n0 is sampled by data augmentation under p(N) ∝ 1/N.

The Gibbs sampler works on cells (distinct histories) rather than individuals,
as the R package's C++ code does: the individuals of one cell are exchangeable,
so their class counts are one multinomial draw. The kernel
(:mod:`memoria.mse.lcmcr_kernel`) is compiled with numba, imported only when a
chain runs and cached on disk; chains run in separate processes.

R's sampler caps the unobserved count at 20 times the observed count
(``while (par->n0 > 20 * data->n)`` in ``src/NPLCM_CR_Basic_Freq.cpp`` of
LCMCR 0.4.14: it redraws until the draw is under the cap). Here no cap is
applied unless ``max_unobserved_ratio`` is set; when it is, draws beyond it
come from the same truncated distribution R's redrawing produces, and the number of
kept draws (after burn-in and thinning) that hit the cap is reported so a
binding cap cannot go unnoticed; hits during warm-up and burn-in are counted
apart, since those iterations are not part of the posterior.

With ``until_converged`` the chains keep sampling, in rounds, until the split
R-hat over all chains falls below ``target_rhat`` with enough effective draws,
or ``max_seconds`` have passed. Each round continues every chain from where it
stopped and doubles its length; the first half of each chain's draws is then
treated as burn-in too (the usual rule when a run is extended), so the
posterior is read from the second half only. A round that would not end within
the time cap is shortened to what fits, at the speed the previous round ran.

By default (``until_converged`` None) that rule applies to tables of
``MANY_LISTS`` lists or more, with a cap of five minutes: there a run of the
fixed default length leaves the chains in different modes (the 20-list table
of tests/engines/data/mse/ at R-hat 1.3-1.45), while tables of up to six lists
keep the fixed run that answers in seconds, with the warning when chains
disagree.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace

import numpy as np

from memoria.mse.tables import CaptureTable

#: Warm-up iterations before burn-in starts, with alpha held fixed (as in R's LCMCR).
WARM_UP = 500
#: Iterations per kernel call: between calls the chain reports progress.
BLOCK = 2000
#: From this many lists on, the default run samples until the chains agree (or the time cap).
MANY_LISTS = 7
#: The default time cap of such a run, in seconds of wall time (per table or stratum).
DEFAULT_MAX_SECONDS = 300.0


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
    # None: decided by the table (``for_table``): on from MANY_LISTS lists with 2+ chains.
    until_converged: bool | None = None
    # The limits of the convergence warnings (memoria.mse.diagnostics): R-hat below
    # 1.01 and a bulk effective sample size of 100 per chain.
    target_rhat: float = 1.01
    target_ess_per_chain: int = 100
    max_seconds: float = DEFAULT_MAX_SECONDS

    def __post_init__(self) -> None:
        if self.classes < 1:
            raise ValueError("LCMCR needs at least 1 latent class")
        if self.chains < 1 or self.iterations < 1 or self.thin < 1 or self.burn_in < 0:
            raise ValueError("chains, iterations and thin must be positive, burn-in non-negative")
        if self.iterations < self.thin:
            raise ValueError("iterations must be at least thin (no draw would be kept)")
        if self.until_converged and (self.chains < 2 or self.max_seconds <= 0):
            raise ValueError("sampling until converged needs 2 chains or more and a time cap")

    def for_table(self, table: CaptureTable) -> LcmcrSettings:
        """These settings with ``until_converged`` decided for ``table`` when left to the default.

        Tables of ``MANY_LISTS`` lists or more sample until the chains agree (within
        ``max_seconds``); smaller ones, and single chains (nothing to compare), run
        the fixed length.
        """
        if self.until_converged is not None:
            return self
        many = table.n_lists >= MANY_LISTS and self.chains >= 2
        return replace(self, until_converged=many)


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
    # With until_converged: the rounds run, whether R-hat reached the target, and
    # the iterations per chain discarded in all (burn-in and the extended runs' first halves).
    rounds: int = 1
    converged: bool | None = None
    discarded_per_chain: int | None = None

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
    on_round: Callable[[int, int, float], None] | None = None,
) -> LcmcrResult:
    """Run the chains (in parallel processes when more than one) and collect draws of N.

    ``progress`` receives the total number of iterations done over all chains
    in the current round. When the chains sample until converged (see
    :meth:`LcmcrSettings.for_table`), ``on_round`` is told of each new round
    before it starts: (round number, iterations it will run over all chains,
    the R-hat that made it necessary).
    """
    settings = (settings or LcmcrSettings()).for_table(table)
    seed = settings.seed if settings.seed is not None else int.from_bytes(os.urandom(4), "little")
    sequence = np.random.SeedSequence(seed)
    data = _cell_data(table)
    _warm_compile()
    processes = min(settings.processes or os.cpu_count() or 1, settings.chains)
    began = time.monotonic()
    results = _run_round(data, settings, sequence, processes, progress, None, 0)
    kept = [r[0] for r in results]
    kept_hits = int(sum(r[1] for r in results))
    burn_in_hits = int(sum(r[2] for r in results))
    if not settings.until_converged:
        draws = np.vstack(kept).astype(np.int64) + table.observed
        return LcmcrResult(draws, table.observed, settings, seed, kept_hits, burn_in_hits)

    from memoria.mse.diagnostics import ess_bulk, rhat

    rounds, length = 1, settings.iterations
    # Wall seconds per iteration of every chain, as the last round ran (for the last round's size).
    pace = (time.monotonic() - began) / (WARM_UP + settings.burn_in + settings.iterations)
    while True:
        usable = _usable(kept, rounds)
        current = rhat(usable) if usable.shape[1] >= 4 else float("inf")
        enough = usable.shape[1] >= 4 and (
            ess_bulk(usable) >= settings.target_ess_per_chain * settings.chains
        )
        if current < settings.target_rhat and enough:
            converged = True
            break
        # The next round doubles the length run since burn-in; when that would pass
        # the cap, it runs what fits (a round of less than a quarter is not worth
        # its start-up, and would hardly move the second half read).
        remaining = settings.max_seconds - (time.monotonic() - began)
        fits = int(remaining / pace) // settings.thin * settings.thin if pace > 0 else length
        extension = min(length, fits)
        if extension < max(length // 4, settings.thin):
            converged = False
            break
        rounds += 1
        if on_round is not None:
            on_round(rounds, extension * settings.chains, current)
        states = [r[3] for r in results]
        extend = replace(settings, iterations=extension, burn_in=0)
        round_began = time.monotonic()
        results = _run_round(data, extend, sequence, processes, progress, states, rounds)
        pace = (time.monotonic() - round_began) / extension
        kept = [np.concatenate([old, r[0]]) for old, r in zip(kept, results, strict=True)]
        kept_hits += int(sum(r[1] for r in results))
        length += extension
    usable = _usable(kept, rounds)
    discarded = WARM_UP + settings.burn_in + (len(kept[0]) - usable.shape[1]) * settings.thin
    return LcmcrResult(
        usable.astype(np.int64) + table.observed, table.observed, settings, seed,
        kept_hits, burn_in_hits, rounds, converged, discarded,
    )  # fmt: skip


def _usable(kept: list[np.ndarray], rounds: int) -> np.ndarray:
    """The draws to read: all of the first round's (it had its burn-in); once a run
    is extended, each chain's second half only."""
    chains = np.vstack(kept)
    return chains if rounds == 1 else chains[:, chains.shape[1] // 2 :]


def _run_round(data, settings, sequence, processes, progress, states, round_number) -> list:
    """One round of every chain: from R's start (``states`` None) or from where each stopped."""
    children = sequence.spawn(settings.chains)
    seeds = [int(c.generate_state(1)[0]) for c in children]
    if states is None:
        states = [None] * settings.chains
    if processes <= 1:
        return [
            _run_chain(data, settings, s, _Reporter(progress, settings, k, resumed=state), state)
            for k, (s, state) in enumerate(zip(seeds, states, strict=True))
        ]
    return _run_parallel(data, settings, seeds, processes, progress, states)


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

    def __init__(self, sink, settings: LcmcrSettings, index: int, resumed=None) -> None:
        self.sink, self.index = sink, index
        self.before = index * _chain_length(settings, resumed is not None)

    def __call__(self, done: int) -> None:
        if self.sink is None:
            return
        if callable(self.sink):
            self.sink(self.before + done)
        else:
            self.sink.put((self.index, done))


def _chain_length(settings: LcmcrSettings, resumed: bool) -> int:
    return settings.iterations if resumed else WARM_UP + settings.burn_in + settings.iterations


def _run_chain(
    data: tuple, settings: LcmcrSettings, seed: int, report, resume: _State | None = None
) -> tuple[np.ndarray, int, int, _State]:
    """Run one chain from the R package's starting point, or on from ``resume``.

    Returns the kept n0 draws, how many of them hit the cap, how many
    warm-up and burn-in iterations hit it, and the chain's state at the end.
    """
    start, ones, shared, freq, marginal = data
    n = int(freq.sum())
    k = settings.classes
    _kernel()._seed(seed)
    if resume is not None:
        state = resume
    else:
        # Start where R's LCMCR starts (``CNPLCM_CR_Basic_Freq::Initializes``): every
        # class at the lists' marginal frequencies, and class weights drawn from the
        # stick-breaking prior with concentration 1. R also fills ``nuK`` with fixed
        # values (0.9 over the first four classes), but its first sweep reads
        # ``log_nuK``, the random draw: a fixed start made short runs too low.
        lam = np.clip(np.repeat(marginal[:, None], k, axis=1), 1e-6, 1.0 - 1e-6)
        state = _State(
            lam, _prior_log_weights(k), np.zeros(k, np.int64), np.array([0.3 / k]),
            np.zeros(1, np.int64),
        )  # fmt: skip
    phases = (
        (("keep", settings.iterations),)
        if resume is not None
        else (("warm", WARM_UP), ("burn", settings.burn_in), ("keep", settings.iterations))
    )
    max_n0 = -1 if settings.max_unobserved_ratio is None else int(settings.max_unobserved_ratio * n)
    kept_hits, burn_in_hits = 0, 0
    scratch = np.zeros(0, np.int64)
    done = 0
    for phase, total in phases:
        kept = np.zeros(total // settings.thin, np.int64) if phase == "keep" else scratch
        offset = 0
        for block_start in range(0, total, BLOCK):
            steps = min(BLOCK, total - block_start)
            sweeps_hit, draws_hit = _kernel()._gibbs(
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
        if phase == "warm":
            state.sort_classes()
    return kept, kept_hits, burn_in_hits, state


@dataclass
class _State:
    lam: np.ndarray
    log_nu: np.ndarray
    count0: np.ndarray
    alpha: np.ndarray
    n0: np.ndarray

    def arrays(self) -> tuple:
        return (self.lam, self.log_nu, self.count0, self.alpha, self.n0)

    def sort_classes(self) -> None:
        """Relabel classes by decreasing weight, as R does after its warm-up.

        The stick-breaking prior is not exchangeable in the labels: the sampler
        mixes better when the largest classes come first.
        """
        order = np.argsort(-self.log_nu, kind="stable")
        self.lam[:] = self.lam[:, order]
        self.log_nu[:] = self.log_nu[order]
        self.count0[:] = self.count0[order]


def _prior_log_weights(k: int) -> np.ndarray:
    """log class weights drawn from the stick-breaking prior with alpha = 1.

    Drawn with numba's generator, seeded per chain, in the same order as R's
    ``Initializes``: each stick is Gamma(1)/(Gamma(1) + Gamma(1)), in logs.
    """
    out = np.empty(k)
    _kernel()._fill_prior_log_weights(out)
    return out


_progress_queue = None


def _init_worker(progress_queue) -> None:
    global _progress_queue
    _progress_queue = progress_queue


def _chain_worker(data: tuple, settings: LcmcrSettings, seed: int, index: int, resume):
    reporter = _Reporter(_progress_queue, settings, index, resumed=resume)
    return _run_chain(data, settings, seed, reporter, resume)


def _run_parallel(data, settings, seeds, processes, progress, states) -> list:
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
        futures = [
            pool.submit(_chain_worker, data, settings, s, k, state)
            for k, (s, state) in enumerate(zip(seeds, states, strict=True))
        ]
        while progress_queue is not None and not all(f.done() for f in futures):
            try:
                index, count = progress_queue.get(timeout=0.2)
            except queue_module.Empty:
                continue
            done[index] = count
            progress(sum(done))
        results = [f.result() for f in futures]
    if progress is not None:
        progress(len(seeds) * _chain_length(settings, states[0] is not None))
    return results


def _warm_compile() -> None:
    """Compile (or load from cache) the kernel in this process before any fork."""
    lam = np.full((3, 2), 0.5)
    _kernel()._gibbs(
        np.array([0, 1], np.int64), np.array([0], np.int64), np.zeros(1, np.int64),
        np.array([1], np.int64), 1,
        lam, np.log(np.full(2, 0.5)), np.zeros(2, np.int64), np.array([1.0]),
        np.zeros(1, np.int64), 0.25, 0.25, -1, True, 0, 0, np.zeros(0, np.int64), 0, 0,
    )  # fmt: skip


def _kernel():
    """The numba kernel, imported on first use (numba takes seconds to import)."""
    from memoria.mse import lcmcr_kernel

    return lcmcr_kernel
