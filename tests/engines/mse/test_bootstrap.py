"""Bootstrap with model re-selection (Chan, Silverman & Vincent 2021).

Published BCa intervals come from 1,000 replicates with R's random numbers;
ours use another generator, so the endpoints differ by Monte Carlo error. With
500 replicates the error of a 2.5%/97.5% BCa endpoint is a few percent; the
tolerance is 10%. A percentile interval or a bootstrap without re-selection
misses the published figures by far more (e.g. Western's percentile upper end
is above 8,000).
"""

import numpy as np
import pytest

from memoria.mse import bootstrap_interval
from memoria.mse.bootstrap import bca_interval

from .conftest import load


@pytest.mark.slow
def test_it_reproduces_western_bootstrap_interval():
    result = bootstrap_interval(load("sparsemse_Western"), "stepwise", replicates=500, seed=2)
    assert result.estimate == pytest.approx(2483, abs=0.5)
    low, high = result.interval
    assert low == pytest.approx(1293, rel=0.10)
    assert high == pytest.approx(3670, rel=0.10)
    assert result.failed == 0


@pytest.mark.slow
def test_it_reproduces_new_orleans_five_list_bootstrap_interval():
    # This table is sparse (185 individuals): across seeds, 1,000-replicate BCa
    # lower bounds ranged 456–619 and upper 1,488–1,657. At this fixed seed
    # the test is a regression check that also agrees with the published figure.
    result = bootstrap_interval(load("sparsemse_NewOrl_5"), "stepwise", replicates=1000, seed=1)
    low, high = result.interval
    assert low == pytest.approx(589, rel=0.10)
    assert high == pytest.approx(1703, rel=0.10)


@pytest.mark.slow
def test_it_reproduces_new_orleans_eight_list_bootstrap_interval():
    # Published (Chan, Silverman & Vincent 2021): stepwise 1,184, bootstrap
    # (717, 1,657) from 1,000 replicates. About 88% of the replicates lie above
    # the estimate (bias correction z0 near -1.16), so BCa takes the 2.5% end
    # at the 0.0002% level, i.e. the smallest replicate, and the 97.5% end at
    # the 35% level. Over nine seeds at 1,000 replicates our ends ranged
    # 1,516-1,677 (sd 56) and 453-788 (sd 106). The published run has the
    # same Monte Carlo error, so ours and it differ with sd about 1.4 times
    # those; the tolerances are three such sd: 14% on the upper end, 60% on
    # the lower end (an extreme order statistic, hardly testable).
    result = bootstrap_interval(load("sparsemse_NewOrl"), "stepwise", replicates=1000, seed=1)
    assert result.estimate == pytest.approx(1184, abs=0.5)
    low, high = result.interval
    assert high == pytest.approx(1657, rel=0.14)
    assert low == pytest.approx(717, rel=0.60)
    # What drives both ends, and varies little between seeds (sd 0.05).
    assert result.bias_correction == pytest.approx(-1.16, abs=0.15)
    assert result.failed <= 10


def test_the_bootstrap_is_reproducible_with_a_seed():
    table = load("sparsemse_NewOrl_5")
    first = bootstrap_interval(table, "stepwise", replicates=20, seed=7)
    second = bootstrap_interval(table, "stepwise", replicates=20, seed=7)
    assert np.array_equal(first.replicates, second.replicates)


def test_bca_reduces_to_percentiles_without_bias_or_acceleration():
    replicates = np.arange(1, 10001, dtype=float)
    z0, (low, high) = bca_interval(replicates, np.median(replicates), 0.0)
    assert z0 == pytest.approx(0.0, abs=1e-3)
    assert low == pytest.approx(np.quantile(replicates, 0.025), rel=1e-3)
    assert high == pytest.approx(np.quantile(replicates, 0.975), rel=1e-3)


def test_bca_shifts_the_interval_towards_the_estimate():
    replicates = np.arange(1, 10001, dtype=float)
    _, (low, high) = bca_interval(replicates, 3000.0, 0.0)  # estimate below the median
    assert high < np.quantile(replicates, 0.975)
    assert low < np.quantile(replicates, 0.025)
