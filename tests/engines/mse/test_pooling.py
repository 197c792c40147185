"""Pooling estimates over clusterings (linkage uncertainty): known answers."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from memoria.mse import EstimateOptions, estimate_population, read_capture_table
from memoria.mse.pooling import estimate_pooled, mixture_interval, pool_reports

DATA = Path(__file__).resolve().parents[1] / "data" / "mse"


@pytest.fixture(scope="module")
def western():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_capture_table(DATA / "sparsemse_Western.csv")


def test_one_clustering_repeated_gives_its_own_interval(western):
    options = EstimateOptions(methods=("loglinear",), seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = estimate_population(western, options)
        pooled = estimate_pooled([western, western, western], options)
    assert pooled["loglinear"]["estimate"] == pytest.approx(single["loglinear"]["estimate"])
    assert pooled["loglinear"]["interval"] == pytest.approx(single["loglinear"]["interval"])
    assert pooled["observed"] == {"min": 345, "max": 345, "each": [345, 345, 345]}


def test_a_split_lognormal_mixture_of_one_reproduces_the_interval():
    median, interval = mixture_interval([1000.0, 1000.0], [[900.0, 1200.0], [900.0, 1200.0]])
    assert (median, interval) == (1000.0, (900.0, 1200.0))
    # One component alone, not the shortcut: the bisection finds the same ends.
    median, interval = mixture_interval([1000.0, 1000.0 + 1e-6], [[900, 1200], [900, 1200]])
    assert median == pytest.approx(1000.0, rel=1e-6)
    assert interval == pytest.approx((900.0, 1200.0), rel=1e-6)


def test_clusterings_that_disagree_widen_the_interval():
    reports = [
        {"observed": 900, "loglinear": {"estimate": 1000.0, "interval": [950.0, 1050.0]}},
        {"observed": 950, "loglinear": {"estimate": 1100.0, "interval": [1045.0, 1155.0]}},
    ]
    pooled = pool_reports(reports)["loglinear"]
    low, high = pooled["interval"]
    assert low < 1000.0 < 1100.0 < high
    assert low == pytest.approx(950.0, rel=0.01)  # the lower clustering's own tail
    assert high == pytest.approx(1155.0, rel=0.01)
    assert 1000.0 < pooled["estimate"] < 1100.0


def test_lcmcr_draws_are_put_together():
    first = np.full((2, 50), 100.0)
    second = np.full((2, 50), 200.0)
    reports = [
        {"observed": 90, "lcmcr": {"estimate": 100.0, "_draws": first}},
        {"observed": 95, "lcmcr": {"estimate": 200.0, "_draws": second}},
    ]
    pooled = pool_reports(reports)["lcmcr"]
    assert pooled["interval"] == [100.0, 200.0]
    assert len(pooled["_draws"]) == 200


def test_with_averaging_the_model_averages_are_pooled_too(western):
    options = EstimateOptions(methods=("loglinear",), criterion="bic", seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = estimate_population(western, options)["loglinear"]["model_average"]
        pooled = estimate_pooled([western, western], options)["loglinear"]["model_average"]
    assert pooled["estimate"] == pytest.approx(single["estimate"])
    assert pooled["interval"] == pytest.approx(single["interval"])
    assert pooled["criterion"] == "bic"
    assert pooled["median_width"] == pytest.approx(single["interval"][1] - single["interval"][0])


def test_pooled_figures_say_how_wide_one_clusterings_interval_is():
    reports = [
        {
            "observed": 900,
            "loglinear": {"estimate": 1000.0, "interval": [950.0, 1050.0]},
            "lcmcr": {"estimate": 150.0, "_draws": np.array([[100.0, 200.0]])},
        },
        {
            "observed": 950,
            "loglinear": {"estimate": 1100.0, "interval": [1045.0, 1175.0]},
            "lcmcr": {"estimate": 200.0, "_draws": np.array([[100.0, 300.0]])},
        },
    ]
    pooled = pool_reports(reports)
    assert pooled["loglinear"]["median_width"] == pytest.approx(115.0)
    # Each clustering's own 95% interval of its draws: 102.5–197.5 and 105–295.
    assert pooled["lcmcr"]["median_width"] == pytest.approx((95.0 + 190.0) / 2)
    assert "model_average" not in pooled["loglinear"]


def test_a_clustering_whose_interval_has_no_upper_end_leaves_the_others_finite():
    # The second clustering's profile never falls far enough: its interval has no
    # upper end. Its upper half puts 0.5 beyond every finite N: the mixture's
    # median and lower end stay finite, its upper end has no bound either.
    median, (low, high) = mixture_interval([1000.0, 1100.0], [[900.0, 1200.0], [950.0, np.inf]])
    assert 1000.0 < median < 1100.0
    assert 900.0 < low < 950.0
    assert high == np.inf
    # Where the mixture's CDF is 0.5: 0.5·Φ(z₁) + 0.5·Φ(z₂) with each half's spread.
    from scipy import stats

    z = stats.norm.ppf(0.975)
    first = stats.norm.cdf(np.log(median / 1000.0) / (np.log(1200.0 / 1000.0) / z))
    second = stats.norm.cdf(np.log(median / 1100.0) / (np.log(1100.0 / 950.0) / z))
    assert (first + second) / 2 == pytest.approx(0.5, abs=1e-6)
