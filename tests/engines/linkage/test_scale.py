"""The prior is re-estimated from the scored pairs, so recall does not
collapse when the same generator makes a larger population, and the match
probabilities stay honest (they add up to about the true number of pairs)."""

import numpy as np
import pytest

from memoria.linkage import link_records, pairwise_scores
from memoria.linkage.pipeline import estimate_prior, rescore
from memoria.linkage.synthetic import generate_lists


def test_estimate_prior_recovers_the_prior_of_a_known_mixture():
    records = 10_000
    possible = records * (records - 1) / 2
    true_pairs = 5_000
    # 5,000 matches with Bayes factors around 2^24 and 50,000 non-matches
    # around 2^-4, scored with a prior that is 4 times too small.
    rng = np.random.default_rng(0)
    log_bf = np.concatenate([rng.normal(24, 2, true_pairs), rng.normal(-4, 3, 50_000)])
    wrong = true_pairs / possible / 4
    weights = log_bf + np.log2(wrong / (1 - wrong))
    prior = estimate_prior(weights, wrong, records)
    assert prior == pytest.approx(true_pairs / possible, rel=0.05)


def test_rescore_moves_weights_by_the_change_of_prior_only():
    import pandas as pd

    scored = pd.DataFrame({"match_weight": [0.0, 3.0], "match_probability": [0.5, 8 / 9]})
    out = rescore(scored, 0.01, 0.02)
    shift = np.log2(0.02 / 0.98) - np.log2(0.01 / 0.99)
    assert out["match_weight"].tolist() == pytest.approx([shift, 3 + shift])
    assert out["match_probability"].iloc[0] == pytest.approx(2**shift / (1 + 2**shift))


def _run(people):
    lists = generate_lists(people, seed=7)
    result = link_records(lists.sources, count_candidates=False)
    truth = lists.truth()
    merged = truth.merge(result.clusters, on=["source", "record_id"], validate="one_to_one")
    scores = pairwise_scores(merged["cluster_id"], merged["person_id"])
    return result, scores


@pytest.mark.slow
def test_recall_does_not_collapse_in_a_larger_population():
    small_result, small = _run(2_000)
    large_result, large = _run(10_000)
    assert large.recall >= small.recall - 0.015, (small.as_dict(), large.as_dict())
    assert large.precision >= 0.98, large.as_dict()
    assert large.f1 >= 0.97, large.as_dict()
    # Honest probabilities: the prior, as a number of matching pairs, is
    # close to the true number of pairs in the lists.
    for result, scores in ((small_result, small), (large_result, large)):
        records = result.summary["records"]
        implied = result.summary["prior_match_probability"] * records * (records - 1) / 2
        assert implied == pytest.approx(scores.true_pairs, rel=0.1), (implied, scores.as_dict())
