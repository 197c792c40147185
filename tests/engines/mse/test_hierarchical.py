"""Search over every hierarchical model, and averaging over the models searched.

Reference figures: Rcapture 1.4-4 (built from its CRAN source, cran/Rcapture
at "version 1.4-4") under R 4.2.2 on this project's machine, 2026-12-05:
``closedpMS.t(X, dfreq = TRUE, maxorder = 4)`` on the CSVs of
tests/engines/data/mse/, results sorted by BIC and by AIC. Only the numbers
are copied here. Rcapture names a model by its highest terms, lists numbered
from 1: ``[12,13,45]`` is L1:L2, L1:L3 and L4:L5 with all main effects.
"""

import json

import numpy as np
import pytest

from memoria.mse.averaging import average_models, mata_interval
from memoria.mse.hierarchical import fit_models, hierarchical_models, rcapture_name
from memoria.mse.selection import select_model

from .conftest import DATA, load
from .test_cli import run_estimate

# (Rcapture's name, abundance, criterion) of the five best models.
RCAPTURE_BEST = {
    ("madigan_york_5list", "bic"): [
        ("[12,13,45]", 620.470, 200.129),
        ("[12,13,24,45]", 634.517, 201.666),
        ("[13,45,2]", 609.894, 202.471),
        ("[12,13,14,45]", 614.280, 204.871),
        ("[13,24,45]", 618.904, 205.278),
    ],
    ("madigan_york_5list", "aic"): [
        ("[125,13,24,45]", 680.521, 157.328),
        ("[124,13,45]", 619.106, 158.044),
        ("[125,145,13,24]", 716.649, 158.141),
        ("[12,13,24,45]", 634.517, 158.806),
        ("[125,13,24,34,45]", 685.931, 158.842),
    ],
    ("sparsemse_UKdat_5", "bic"): [
        ("[123,25,34]", 25311.29, 195.879),
        ("[123,34,5]", 28822.12, 196.330),
        ("[12,13,23,25,34]", 22991.33, 196.540),
        ("[12,13,25,35,45]", 12262.41, 197.495),
        ("[12,13,23,34,5]", 25978.17, 198.320),
    ],
    ("sparsemse_UKdat_5", "aic"): [
        ("[124,234,15,25,35,45]", 5551.77, 123.613),
        ("[123,15,25,34,35,45]", 18468.24, 124.272),
        ("[123,15,25,34]", 24752.65, 124.709),
        ("[123,15,25,34,35]", 21728.09, 124.775),
        ("[123,24,25,34]", 28957.38, 124.871),
    ],
}


@pytest.fixture(scope="module")
def searched():
    """Every hierarchical model of two five-list tables, fitted once for the module."""
    models = hierarchical_models(5, 4)
    return {
        name: fit_models(load(name), models) for name in ("madigan_york_5list", "sparsemse_UKdat_5")
    }


@pytest.mark.parametrize(
    ("lists", "order", "count"),
    [(3, 2, 8), (4, 3, 113), (5, 2, 1024), (5, 4, 6893), (6, 2, 32768)],
)
def test_it_enumerates_as_many_hierarchical_models_as_rcapture(lists, order, count):
    # 6,893 is the length of closedpMS.t's results for five lists (maxorder 4).
    models = hierarchical_models(lists, order)
    assert len(models) == count
    assert len(set(models)) == count
    for model in models:  # every term's sub-terms are in the model
        for term in model:
            if len(term) > 2:
                assert all(tuple(i for i in term if i != j) in model for j in term), (
                    f"{model} is not hierarchical"
                )


def test_too_many_models_are_refused_with_a_way_out():
    with pytest.raises(ValueError, match="lower --max-order"):
        hierarchical_models(5, 4, limit=1000)


@pytest.mark.parametrize(("table", "criterion"), sorted(RCAPTURE_BEST))
def test_the_best_models_and_their_estimates_are_rcapture_s(searched, table, criterion):
    fits = searched[table]
    values = np.where(fits.estimable, getattr(fits, criterion), np.inf)
    best = np.argsort(values, kind="stable")[:5]
    assert [rcapture_name(fits.models[m], 5) for m in best] == [
        name for name, _, _ in RCAPTURE_BEST[table, criterion]
    ]
    for m, (_, abundance, value) in zip(best, RCAPTURE_BEST[table, criterion], strict=True):
        assert fits.estimate[m] == pytest.approx(abundance, abs=0.01)
        assert values[m] == pytest.approx(value, abs=0.001)


def test_select_model_searches_every_order_when_asked():
    # Rcapture's best model by BIC among all 113 hierarchical models of the
    # lesbian-health table (README of tests/engines/data/mse): 6,349.
    selection = select_model(load("rcapture_lesbian"), "bic", max_order=99)
    assert selection.max_order == 3
    assert len(selection.ranking) + selection.rejected == 113
    assert selection.model.estimate == pytest.approx(6349, abs=0.5)
    assert selection.model.terms == ["A:B", "A:D", "B:C", "B:D", "C:D"]
    assert [round(x) for x in selection.model.profile_interval()] == [5422, 7536]


def test_one_model_with_all_the_weight_gives_its_own_normal_interval():
    # Model 0 is 40 BIC points better: its weight is 1 − 2e−9.
    average = average_models(
        np.array([100.0, 140.0]), np.array([80.0, 300.0]), np.array([0.04, 0.01]), 500
    )
    assert average.estimate == pytest.approx(580.0, abs=1e-3)
    z = 1.959964
    assert average.interval == pytest.approx(
        (500 + 80 * np.exp(-z * 0.2), 500 + 80 * np.exp(z * 0.2)), rel=1e-6
    )
    assert average.effective_models == pytest.approx(1.0, abs=1e-6)


def test_averaging_two_equal_models_gives_the_mixture_quantiles_and_bucklands_se():
    from scipy import optimize, stats

    average = average_models(
        np.array([10.0, 10.0]), np.array([100.0, 200.0]), np.array([0.01, 0.04]), 1000
    )
    assert average.estimate == pytest.approx(1150.0)
    # Buckland et al. (1997): Σ w √(se² + (N − N̄)²), se² = U² Var(b0) + U.
    se = [np.sqrt(100**2 * 0.01 + 100), np.sqrt(200**2 * 0.04 + 200)]
    assert average.standard_error == pytest.approx(
        0.5 * np.sqrt(se[0] ** 2 + 50**2) + 0.5 * np.sqrt(se[1] ** 2 + 50**2)
    )

    def mixture(x):
        return 0.5 * stats.norm.cdf(x, np.log(100), 0.1) + 0.5 * stats.norm.cdf(x, np.log(200), 0.2)

    low = optimize.brentq(lambda x: mixture(x) - 0.025, 3, 7)
    high = optimize.brentq(lambda x: mixture(x) - 0.975, 3, 7)
    assert average.interval == pytest.approx((1000 + np.exp(low), 1000 + np.exp(high)), rel=1e-8)
    assert mata_interval(np.array([1.0]), np.array([0.5]), np.array([1.0]), 0.9) == pytest.approx(
        (1.0 - 1.644854 * 0.5, 1.0 + 1.644854 * 0.5), abs=1e-6
    )


def test_the_uk_average_spans_the_models_that_disagree():
    # The five best pairwise models by BIC run from 11,313 to 25,978 (see
    # test_selection); the average sits between them and its interval covers
    # both ends, where the best model's own profile interval does not.
    selection = select_model(load("sparsemse_UKdat_5"), "bic")
    average = selection.average
    assert selection.model.estimate == pytest.approx(22991.3, abs=0.1)
    assert 11313 < average.estimate < 22991
    low, high = average.interval
    assert low < 11313 and high > 25978
    assert average.models == 1024
    assert 2 < average.effective_models < 20
    profile = selection.model.profile_interval()
    assert profile[0] > 11313


def test_estimate_reports_the_average_in_json(capsys):
    run_estimate([str(DATA / "madigan_york_5list.csv"), "--criterion", "bic", "--json"])
    loglinear = json.loads(capsys.readouterr().out)["loglinear"]
    assert loglinear["model"] == ["L1:L2", "L1:L3", "L4:L5"]
    assert loglinear["models_searched"] == 1024
    assert loglinear["max_order"] == 2
    average = loglinear["model_average"]
    assert average["models"] == 1024 - loglinear["models_without_estimate"]
    assert average["criterion"] == "bic"
    low, high = average["interval"]
    assert low < average["estimate"] < high
    assert 600 < average["estimate"] < 640


def test_estimate_searches_every_order_and_prints_the_average(capsys):
    run_estimate([str(DATA / "rcapture_lesbian.csv"), "--criterion", "bic", "--max-order", "all"])
    out = capsys.readouterr().out
    assert "6,349" in out  # the best model, as with Rcapture
    # The averaged row: estimate and interval (the table may wrap its label).
    assert "average" in out
    assert "6,216" in out
    assert "[4,909, 8,196]" in out
