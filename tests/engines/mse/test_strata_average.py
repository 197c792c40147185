"""Model averages of independent strata added up (memoria.mse.averaging.sum_of_averages).

Known answers: two published five-list tables taken as two strata (Madigan &
York's and New Orleans', each averaged over its 1,024 pairwise models by BIC;
their own averages are in docs/estimation.md: 622 [597, 660] and 1,111 [608,
2,338]). The total's interval is checked against an independent computation:
the distribution of the sum by numerical integration of one stratum's mixture
against the other's distribution function, not by drawing.
"""

import json

import numpy as np
import pytest
from scipy import optimize, special, stats

from memoria.mse import EstimateOptions, estimate_population
from memoria.mse.averaging import average_models, sum_of_averages
from memoria.mse.selection import select_model

from .conftest import DATA, load
from .test_cli import run_estimate


@pytest.fixture(scope="module")
def averages():
    return [
        select_model(load(name), "bic").average
        for name in ("madigan_york_5list", "sparsemse_NewOrl_5")
    ]


def _mixture_cdf(average, people):
    """P(N ≤ people) under a stratum's mixture (MATA's distribution), vectorised."""
    keep = average.weights > 1e-9 * average.weights.max()
    unseen = np.maximum(np.asarray(people, dtype=float) - average.observed, 1e-300)
    z = (np.log(unseen)[..., None] - average.centres[keep]) / average.scales[keep]
    return special.ndtr(z) @ average.weights[keep]


def _sum_quantile(first, second, probability):
    """Quantile of N₁ + N₂ by integrating over N₁'s log unobserved count."""
    keep = first.weights > 1e-9 * first.weights.max()
    centres, scales, weights = first.centres[keep], first.scales[keep], first.weights[keep]
    x = np.linspace((centres - 9 * scales).min(), (centres + 9 * scales).max(), 8_001)
    density = stats.norm.pdf((x[:, None] - centres) / scales) / scales @ weights
    first_people = first.observed + np.exp(x)

    def below(total):
        return np.trapezoid(density * _mixture_cdf(second, total - first_people), x)

    low = first.observed + second.observed + 1
    return optimize.brentq(lambda t: below(t) - probability, low, 10 * low, xtol=0.05)


def test_one_stratum_gives_back_its_own_mata_interval(averages):
    for average in averages:
        summed = sum_of_averages([average], seed=3)
        assert summed.estimate == pytest.approx(average.estimate)
        assert summed.standard_error == pytest.approx(average.standard_error)
        assert summed.interval == pytest.approx(average.interval, rel=5e-3)


def test_two_published_tables_as_strata_add_up_as_by_hand(averages):
    madigan, new_orleans = averages
    assert madigan.estimate == pytest.approx(622.3, abs=0.05)
    assert new_orleans.estimate == pytest.approx(1111.4, abs=0.05)
    summed = sum_of_averages(averages, seed=1)
    # The estimate and Buckland's errors add as independent strata do.
    assert summed.estimate == pytest.approx(622.298 + 1111.366, abs=0.01)
    assert summed.standard_error == pytest.approx(np.hypot(17.867, 378.444), abs=0.01)
    # The interval: the quantiles of the sum, integrated numerically.
    expected = [_sum_quantile(madigan, new_orleans, p) for p in (0.025, 0.975)]
    assert summed.interval == pytest.approx(expected, rel=5e-3)
    assert summed.interval == pytest.approx((1231, 2971), abs=15)
    # Not the normal approximation from the added variances, which is symmetric
    # and would go below the 1,100 people both tables saw together.
    normal_low = summed.estimate - 1.959964 * summed.standard_error
    assert normal_low < 1000 < summed.interval[0]


def test_the_same_seed_gives_the_same_total_and_another_seed_nearly_so(averages):
    first = sum_of_averages(averages, seed=5)
    assert sum_of_averages(averages, seed=5) == first
    other = sum_of_averages(averages, seed=6)
    assert other.interval != first.interval
    assert other.interval == pytest.approx(first.interval, rel=1e-2)


def test_a_stratified_estimate_reports_the_summed_average_and_the_weights():
    tables = {"MY": load("madigan_york_5list"), "NO": load("sparsemse_NewOrl_5")}
    report = estimate_population(tables, EstimateOptions(criterion="bic", seed=1))
    combined = report["loglinear"]["model_average"]
    strata = report["strata"]
    assert combined["estimate"] == pytest.approx(
        sum(p["loglinear"]["model_average"]["estimate"] for p in strata.values())
    )
    assert combined["strata"] == 2
    assert "MATA" in combined["interval_method"]
    low, high = combined["interval"]
    assert low < combined["estimate"] < high
    best = strata["MY"]["loglinear"]["top_models"]
    # Weights exp(−ΔBIC/2), normalised over all 1,024 models: the best one's
    # share and the ratio between the first two follow from their BIC alone.
    assert best[0]["weight"] == pytest.approx(0.3838, abs=1e-4)
    assert best[1]["weight"] / best[0]["weight"] == pytest.approx(
        np.exp(-(best[1]["bic"] - best[0]["bic"]) / 2)
    )
    assert strata["MY"]["loglinear"]["model_average"]["models_carrying_95"] == 22


def test_the_models_carrying_the_weight_are_counted_from_the_best():
    average = average_models(
        np.array([0.0, 0.0, 10.0]), np.array([10.0, 20.0, 30.0]), np.array([0.1, 0.1, 0.1]), 5
    )
    assert average.carrying(0.95) == 2
    assert average.carrying(0.999) == 3
    assert average.carrying(0.4) == 1


def test_the_command_prints_the_strata_averages_added_up(tmp_path, capsys):
    # Madigan & York's people split in two strata, each cell half and half.
    lines = (DATA / "madigan_york_5list.csv").read_text().splitlines()
    rows = [lines[0] + ",state"]
    for line in lines[1:]:
        *history, count = line.split(",")
        half = int(count) // 2
        rows += [
            ",".join([*history, str(half), "A"]),
            ",".join([*history, str(int(count) - half), "B"]),
        ]
    path = tmp_path / "strata.csv"
    path.write_text("\n".join(rows) + "\n")
    run_estimate([str(path), "--criterion", "bic", "--strata", "state", "--seed", "1", "--json"])
    report = json.loads(capsys.readouterr().out)
    combined = report["loglinear"]["model_average"]
    parts = [report["strata"][s]["loglinear"]["model_average"] for s in ("A", "B")]
    assert combined["estimate"] == pytest.approx(sum(p["estimate"] for p in parts))
    assert combined["interval"][0] > sum(p["interval"][0] for p in parts)  # not the worst case
    assert combined["interval"][1] < sum(p["interval"][1] for p in parts)
    run_estimate([str(path), "--criterion", "bic", "--strata", "state", "--seed", "1"])
    out = " ".join(capsys.readouterr().out.split())
    # The total's averaged row, as the JSON gives it (the table may wrap its words).
    low, high = combined["interval"]
    assert f"{combined['estimate']:,.0f} │ [{low:,.0f}, {high:,.0f}]" in out
    assert "strata" in out
