import numpy as np
import pytest

from memoria.mse import ess_bulk, rhat
from memoria.mse.diagnostics import convergence_warnings


def ar1(rho, size, rng):
    x = np.empty(size)
    x[0] = rng.normal()
    noise = rng.normal(scale=np.sqrt(1 - rho**2), size=size)
    for t in range(1, size):
        x[t] = rho * x[t - 1] + noise[t]
    return x


def test_rhat_is_one_for_chains_from_the_same_distribution():
    draws = np.random.default_rng(1).normal(size=(4, 2000))
    assert rhat(draws) == pytest.approx(1.0, abs=0.01)
    assert convergence_warnings(draws) == []


def test_rhat_flags_chains_that_disagree():
    draws = np.random.default_rng(2).normal(size=(4, 1000))
    draws[1] += 2.0
    assert rhat(draws) > 1.1
    assert "CHAINS DISAGREE" in convergence_warnings(draws)[0]


def test_ess_of_independent_draws_is_their_number():
    draws = np.random.default_rng(3).normal(size=(4, 2500))
    assert ess_bulk(draws) == pytest.approx(10_000, rel=0.1)


def test_ess_of_an_autocorrelated_chain_follows_theory():
    # AR(1) with rho = 0.9: integrated autocorrelation time (1 + rho) / (1 - rho) = 19.
    rng = np.random.default_rng(4)
    draws = np.vstack([ar1(0.9, 20_000, rng) for _ in range(4)])
    assert ess_bulk(draws) == pytest.approx(80_000 / 19, rel=0.15)
