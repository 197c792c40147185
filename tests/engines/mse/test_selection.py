"""Known answers for model selection (README of tests/engines/data/mse).

Published estimates are rounded to the unit: tolerance 0.5. The selected terms
must match exactly, since a different model is a different answer.
"""

import pytest

from memoria.mse import fit_loglinear, select_model
from memoria.mse.selection import best_subset

from .conftest import load


def test_it_reproduces_uk_2013_stepwise_estimate():
    selection = select_model(load("sparsemse_UKdat_5"), "stepwise")
    assert selection.model.estimate == pytest.approx(11313, abs=0.5)
    assert set(selection.model.terms) == {
        "LA:NG",
        "NG:GP",
        "PFNCA:GP",
        "LA:PFNCA",
        "GO:GP",
        "NG:GO",
    }
    # Terms are added smallest p-value first; the reference run lists the
    # model's terms in this same order.
    assert [step["term"] for step in selection.steps] == [
        "LA:NG",
        "NG:GP",
        "PFNCA:GP",
        "LA:PFNCA",
        "GO:GP",
        "NG:GO",
    ]
    low, high = selection.model.normal_interval()
    assert (round(low), round(high)) == (9884, 13027)


def test_it_reproduces_uk_2013_with_six_lists():
    model = select_model(load("sparsemse_UKdat"), "stepwise").model
    assert model.estimate == pytest.approx(11418, abs=0.5)
    assert [round(x) for x in model.normal_interval()] == [9977, 13146]


def test_it_reproduces_western_us_stepwise_model():
    model = select_model(load("sparsemse_Western"), "stepwise").model
    assert model.terms == ["A:E"]
    assert model.estimate == pytest.approx(2483, abs=0.5)


def test_it_reproduces_new_orleans_stepwise_estimates():
    assert select_model(load("sparsemse_NewOrl"), "stepwise").model.estimate == pytest.approx(
        1184, abs=0.5
    )
    assert select_model(load("sparsemse_NewOrl_5"), "stepwise").model.estimate == pytest.approx(
        1034, abs=0.5
    )


def test_it_reproduces_the_new_orleans_main_effects_estimate():
    # Published: main effects 997, against 1,184 for the stepwise model.
    assert fit_loglinear(load("sparsemse_NewOrl"), ()).estimate == pytest.approx(997, abs=0.5)


def test_it_reproduces_madigan_york_best_bic_model():
    model = select_model(load("madigan_york_3list"), "bic").model
    assert model.terms == ["MR:DC"]
    assert model.estimate == pytest.approx(730.9, abs=0.05)


def test_it_reproduces_madigan_york_five_list_best_bic_model():
    model = select_model(load("madigan_york_5list"), "bic").model
    assert model.terms == ["L1:L2", "L1:L3", "L4:L5"]
    assert model.estimate == pytest.approx(620.5, abs=0.05)


def test_it_reproduces_the_lesbian_best_bic_estimate_and_profile_interval():
    model = select_model(load("rcapture_lesbian"), "bic").model
    assert model.estimate == pytest.approx(6349, abs=0.5)
    assert [round(x) for x in model.profile_interval()] == [5422, 7536]


def test_uk_five_best_models_by_bic_range_from_11313_to_25978():
    ranking = best_subset(load("sparsemse_UKdat_5"), "bic").ranking
    best_five = [model.estimate for model in ranking[:5]]
    assert min(best_five) == pytest.approx(11313, abs=0.5)
    assert max(best_five) == pytest.approx(25978, abs=0.5)
    assert [m.bic for m in ranking] == sorted(m.bic for m in ranking)


def test_aic_ranks_by_aic():
    selection = select_model(load("madigan_york_3list"), "aic")
    assert [m.aic for m in selection.ranking] == sorted(m.aic for m in selection.ranking)


def test_stepwise_skips_terms_without_an_estimate():
    # In Artificial_3 adding A:B leaves no finite MLE: stepwise must never pick it.
    selection = select_model(load("sparsemse_Artificial_3"), "stepwise", threshold=0.999)
    assert "A:B" not in selection.model.terms


def test_all_subsets_is_limited_to_six_lists():
    with pytest.raises(ValueError, match="use --criterion stepwise"):
        select_model(load("sparsemse_NewOrl"), "bic")
