"""Convergence diagnostics for MCMC draws: rank-normalised split R-hat and ESS.

Following Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat". Draws of N are heavy-tailed and
integer-valued, which is why the rank-normalised versions are used.
"""

from __future__ import annotations

import numpy as np

#: Vehtari et al. recommend R-hat below 1.01 and bulk ESS above 100 per chain.
RHAT_LIMIT = 1.01
ESS_PER_CHAIN = 100


def split_chains(draws: np.ndarray) -> np.ndarray:
    """Halve each chain, so that a drift within a chain shows as disagreement."""
    half = draws.shape[1] // 2
    return np.vstack([draws[:, :half], draws[:, draws.shape[1] - half :]])


def rank_normalize(draws: np.ndarray) -> np.ndarray:
    """Replace draws by normal scores of their pooled ranks (ties get average ranks)."""
    from scipy import stats  # slow to import: only when chains are checked

    ranks = stats.rankdata(draws, method="average").reshape(draws.shape)
    return stats.norm.ppf((ranks - 0.375) / (draws.size + 0.25))


def _basic_rhat(chains: np.ndarray) -> float:
    n = chains.shape[1]
    within = chains.var(axis=1, ddof=1).mean()
    between = n * chains.mean(axis=1).var(ddof=1)
    if within == 0:
        return float("nan") if between > 0 else 1.0
    return float(np.sqrt(((n - 1) / n * within + between / n) / within))


def rhat(draws: np.ndarray) -> float:
    """Rank-normalised split R-hat: the larger of the bulk and the folded (tail) version."""
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] < 4:
        raise ValueError("R-hat needs a (chains, draws) array with at least 4 draws per chain")
    split = split_chains(draws)
    bulk = _basic_rhat(rank_normalize(split))
    folded = np.abs(split - np.median(split))
    tail = _basic_rhat(rank_normalize(folded))
    return float(np.nanmax([bulk, tail]))


def ess_bulk(draws: np.ndarray) -> float:
    """Bulk effective sample size (rank-normalised split chains)."""
    return _ess(rank_normalize(split_chains(np.asarray(draws, dtype=float))))


def ess_tail(draws: np.ndarray) -> float:
    """Tail ESS: the smaller ESS of the indicators of the 5% and 95% quantiles."""
    draws = np.asarray(draws, dtype=float)
    split = split_chains(draws)
    values = []
    for q in (0.05, 0.95):
        cut = np.quantile(draws, q)
        values.append(_ess((split <= cut).astype(float)))
    return float(min(values))


def _autocovariance(x: np.ndarray) -> np.ndarray:
    n = len(x)
    centred = x - x.mean()
    size = 2 ** int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, size)
    return np.fft.irfft(spectrum * np.conj(spectrum), size)[:n] / n


def _ess(chains: np.ndarray) -> float:
    """Multi-chain ESS with Geyer's initial monotone sequence (Stan's estimator)."""
    m, n = chains.shape
    if np.all(chains == chains.flat[0]):
        return float(m * n)
    acov = np.array([_autocovariance(c) for c in chains])
    within = acov[:, 0].mean() * n / (n - 1)
    var_plus = within * (n - 1) / n
    if m > 1:
        var_plus += chains.mean(axis=1).var(ddof=1)
    rho = 1.0 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Sum pairs of autocorrelations while positive, forcing them to decrease.
    total, previous = 0.0, np.inf
    for t in range(0, n - 1, 2):
        pair = rho[t] + rho[t + 1]
        if pair < 0:
            break
        pair = min(pair, previous)
        total += pair
        previous = pair
    tau = -1.0 + 2.0 * total
    tau = max(tau, 1.0 / np.log10(m * n))
    return float(m * n / tau)


def convergence_warnings(draws: np.ndarray) -> list[str]:
    """Plain-language warnings when chains disagree or carry too little information."""
    messages = []
    value = rhat(draws)
    if draws.shape[0] == 1 and (not np.isfinite(value) or value > RHAT_LIMIT):
        half = draws.shape[1] // 2
        messages.append(
            f"THE CHAIN DRIFTS: its two halves disagree (medians {np.median(draws[0, :half]):,.0f} "
            f"and {np.median(draws[0, half:]):,.0f}). Do not report this estimate: run more "
            "iterations and several chains."
        )
    elif not np.isfinite(value) or value > RHAT_LIMIT:
        medians = ", ".join(f"{np.median(c):,.0f}" for c in draws)
        messages.append(
            f"CHAINS DISAGREE: R-hat = {value:.3f} (should be below {RHAT_LIMIT}); chain "
            f"medians {medians}. Do not report this estimate: run more iterations or "
            "reconsider the model."
        )
    bulk = ess_bulk(draws)
    if bulk < ESS_PER_CHAIN * draws.shape[0]:
        messages.append(
            f"effective sample size is only {bulk:.0f} (want at least "
            f"{ESS_PER_CHAIN * draws.shape[0]}): run more iterations"
        )
    return messages
