import pytest

from memoria.linkage import pairwise_scores


def test_it_scores_a_perfect_clustering():
    scores = pairwise_scores([1, 1, 2], ["a", "a", "b"])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)


def test_it_counts_pairs_not_records():
    # truth: {0,1,2} one person (3 pairs); predicted {0,1} and {2}: 1 pair found
    scores = pairwise_scores([1, 1, 2, 3], ["a", "a", "a", "b"])
    assert scores.true_pairs == 3
    assert scores.predicted_pairs == 1
    assert scores.precision == 1.0
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(0.5)


def test_it_penalizes_a_wrong_merge():
    scores = pairwise_scores([1, 1, 1, 1], ["a", "a", "b", "b"])
    assert scores.precision == pytest.approx(2 / 6)
    assert scores.recall == 1.0


def test_it_rejects_records_without_labels():
    with pytest.raises(ValueError):
        pairwise_scores([1, None], ["a", "b"])
