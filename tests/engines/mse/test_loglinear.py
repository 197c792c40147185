"""Known answers for single log-linear models (README of tests/engines/data/mse).

Tolerances: the README's figures are rounded to the unit (or to 0.1 for
730.9); the engine reproduces the R fits to far better than that, so the
tolerance is half a unit of the last published digit plus rounding.
"""

import numpy as np
import pytest

from memoria.mse import ModelNotEstimable, check_model, fit_loglinear, parse_terms
from memoria.mse.loglinear import fit_poisson, quick_fit

from .conftest import load

UK_STEPWISE = ["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"]


def model(name, terms=()):
    table = load(name)
    return fit_loglinear(table, parse_terms(table.lists, list(terms)))


def test_it_reproduces_the_hiv_independence_estimate():
    fit = model("rcapture_HIV")
    assert fit.estimate == pytest.approx(11125, abs=0.5)
    assert fit.standard_error == pytest.approx(905, abs=0.5)
    low, high = fit.profile_interval()
    assert low == pytest.approx(9532, abs=0.5)
    assert high == pytest.approx(13114, abs=0.5)


def test_it_reproduces_uk_2013_stepwise_model_and_normal_interval():
    fit = model("sparsemse_UKdat_5", UK_STEPWISE)
    assert fit.estimate == pytest.approx(11313, abs=0.5)
    low, high = fit.normal_interval()
    assert low == pytest.approx(9884, abs=0.5)
    assert high == pytest.approx(13027, abs=0.5)


def test_it_reproduces_uk_2013_main_effects():
    fit = model("sparsemse_UKdat_5")
    assert fit.estimate == pytest.approx(13444, abs=0.5)
    assert [round(x) for x in fit.normal_interval()] == [11985, 15133]


def test_it_reproduces_madigan_york_best_bic_model_and_profile_interval():
    fit = model("madigan_york_3list", ["MR:DC"])
    assert fit.estimate == pytest.approx(730.9, abs=0.05)
    low, high = fit.profile_interval()
    assert low == pytest.approx(700, abs=0.5)
    assert high == pytest.approx(767, abs=0.6)  # published bound is rounded up from 766.5


def test_it_reproduces_new_orleans_main_effects():
    assert model("sparsemse_NewOrl").estimate == pytest.approx(997, abs=0.5)


def test_the_fast_solver_agrees_with_statsmodels():
    table = load("sparsemse_UKdat_5")
    reference = fit_loglinear(table, parse_terms(table.lists, UK_STEPWISE))
    fast = quick_fit(table, reference.design)
    assert np.allclose(fast.fit.coefficients, reference.fit.coefficients, rtol=1e-7, atol=1e-9)
    assert np.allclose(fast.fit.covariance, reference.fit.covariance, rtol=1e-6)
    assert fast.fit.loglik == pytest.approx(reference.fit.loglik, rel=1e-10)


def test_artificial_3_has_no_mle_for_a_b_and_all_two_way_is_not_identifiable():
    table = load("sparsemse_Artificial_3")
    a_b = check_model(table, parse_terms(table.lists, ["A:B"]))
    assert not a_b.exists
    assert a_b.identifiable
    all_two_way = check_model(table, parse_terms(table.lists, ["A:B", "A:C", "B:C"]))
    assert not all_two_way.identifiable
    assert check_model(table, parse_terms(table.lists, ["A:C", "B:C"])).ok
    with pytest.raises(ModelNotEstimable, match="no finite maximum-likelihood estimate"):
        fit_loglinear(table, parse_terms(table.lists, ["A:B"]))


def test_non_overlapping_pairs_are_fixed_at_minus_infinity_like_sparsemse():
    table = load("sparsemse_Artificial_3")
    fit = fit_loglinear(table, parse_terms(table.lists, ["A:C", "B:C"]))
    assert fit.design.empty_pairs == ((0, 2), (1, 2))
    assert len(fit.design.rows) == 4  # cells with A&C or B&C are removed
    # AIC counts the two fixed parameters, as SparseMSE's modelfit does.
    assert fit.aic == pytest.approx(-2 * fit.fit.loglik + 2 * (4 + 2))


def test_rcapture_bic_uses_log_observed():
    fit = model("madigan_york_3list", ["MR:DC"])
    assert fit.bic - fit.aic == pytest.approx((np.log(626) - 2) * 5)


def test_it_rejects_unknown_terms():
    table = load("rcapture_HIV")
    with pytest.raises(ValueError, match="not a two-list term"):
        parse_terms(table.lists, ["c1:zz"])


def test_newton_solver_matches_a_known_poisson_regression():
    # log mu = 1 + 0.5 x with exact data: the MLE is the generating coefficients.
    x = np.array([0.0, 1.0, 2.0, 3.0])
    matrix = np.column_stack([np.ones(4), x])
    counts = np.exp(1 + 0.5 * x)
    fit = fit_poisson(matrix, counts)
    assert np.allclose(fit.coefficients, [1.0, 0.5])


@pytest.mark.parametrize(
    ("name", "terms", "estimate", "bias"),
    [
        # Rcapture 1.4-4 on this machine: closedp.t(d, dfreq = TRUE), model Mt.
        ("rcapture_HIV", [], 11124.58, 71.5011),
        ("sparsemse_Western", [], 2007.142, 66.44507),
        # closedpCI.t(d, dfreq = TRUE, mX = ~ . + c1:c2 + c1:c4): "the asymptotic bias is large".
        ("sparsemse_NewOrl_5", ["A:BEFG", "A:D"], 1481.548, 162.0377),
    ],
)
def test_the_asymptotic_bias_equals_rcaptures(name, terms, estimate, bias):
    table = load(name)
    model = fit_loglinear(table, parse_terms(table.lists, terms))
    assert model.estimate == pytest.approx(estimate, abs=0.01)
    assert model.asymptotic_bias == pytest.approx(bias, abs=0.001)


def test_a_large_asymptotic_bias_is_warned_as_rcapture_does():
    from memoria.mse import EstimateOptions, estimate_population, table_from_arrays

    # Three lists that barely overlap: the estimate (2,036) rests on 4 people.
    histories = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]])
    table = table_from_arrays(["A", "B", "C"], histories, np.array([60, 50, 40, 2, 1, 1]))
    report = estimate_population({None: table}, EstimateOptions())
    assert report["loglinear"]["asymptotic_bias"] == pytest.approx(470.3, abs=0.1)
    assert any(
        message.startswith("log-linear: the asymptotic bias is large: 470")
        for message in report["warnings"]
    )
    calm = estimate_population({None: load("rcapture_HIV")}, EstimateOptions())
    assert not any("asymptotic bias" in message for message in calm["warnings"])


def test_the_special_functions_equal_scipys():
    from scipy import special, stats

    from memoria.mse import special as own

    for k, mean in [(0, 3.0), (4, 3.2), (17, 5.5), (40, 12.0), (200, 180.5), (3, 0.01)]:
        assert own.poisson_cdf(k, mean) == pytest.approx(stats.poisson.cdf(k, mean), rel=1e-12)
        assert own.poisson_at_least(k, mean) == pytest.approx(
            stats.poisson.sf(k - 1, mean), rel=1e-12, abs=1e-300
        )
    values = np.array([1.0, 2.5, 10.0, 1234.5])
    assert np.allclose(own.gammaln(values), special.gammaln(values), rtol=1e-14)
    assert own.chi2_1_quantile(0.95) == pytest.approx(stats.chi2.ppf(0.95, 1), rel=1e-12)
    assert own.normal_quantile(0.975) == pytest.approx(stats.norm.ppf(0.975), rel=1e-12)
