"""Clusters after human answers, and the order of the review queue (no Django)."""

from __future__ import annotations

import pandas as pd

from memoria.linkage.review import (
    DIFFERENT,
    SAME,
    UNSURE,
    Link,
    pair_key,
    review_order,
    reviewed_clusters,
    uncertainty,
)

CHAIN = [Link("a", "b", 0.97, True), Link("b", "c", 0.92, True), Link("a", "c", 0.6, False)]


def test_without_answers_clusters_are_the_models_links():
    result = reviewed_clusters("abcd", CHAIN, {})
    assert result.clusters["a"] == result.clusters["b"] == result.clusters["c"]
    assert result.clusters["d"] != result.clusters["a"]


def test_different_splits_a_cluster_even_through_a_third_record():
    result = reviewed_clusters("abc", CHAIN, {pair_key("a", "c"): DIFFERENT})
    assert result.clusters["a"] != result.clusters["c"]
    # b joins the record it matches best (a: 0.97), not both.
    assert result.clusters["b"] == result.clusters["a"]


def test_same_links_a_pair_the_model_left_apart_and_unsure_changes_nothing():
    links = [Link("a", "b", 0.7, False)]
    assert reviewed_clusters("ab", links, {pair_key("b", "a"): UNSURE}).clusters == {"a": 1, "b": 2}
    joined = reviewed_clusters("ab", links, {pair_key("b", "a"): SAME}).clusters
    assert joined["a"] == joined["b"]


def test_a_held_back_pair_stays_apart_unless_someone_says_same():
    links = [Link("a", "b", 0.95, False, held_back=True), Link("a", "c", 0.93, True),
             Link("b", "c", 0.92, True)]  # fmt: skip
    apart = reviewed_clusters("abc", links, {}).clusters
    assert apart["a"] != apart["b"]
    together = reviewed_clusters("abc", links, {pair_key("a", "b"): SAME}).clusters
    assert together["a"] == together["b"] == together["c"]


def test_contradicting_answers_keep_different_and_count_the_refused_same():
    answers = {pair_key("a", "b"): SAME, pair_key("b", "c"): SAME, pair_key("a", "c"): DIFFERENT}
    result = reviewed_clusters("abc", [], answers)
    assert result.clusters["a"] != result.clusters["c"]
    assert result.refused == 1


def test_the_queue_puts_the_most_uncertain_first():
    pairs = pd.DataFrame(
        {"match_probability": [0.97, 0.55, 0.8, 0.95], "held_back": [False, False, False, True]}
    )
    assert review_order(pairs).index.tolist() == [3, 1, 2, 0]
    assert review_order(pairs, "probability").index.tolist() == [0, 3, 2, 1]
    assert uncertainty(0.5) == 1.0 and uncertainty(1.0) == 0.0


def test_capture_histories_by_list():
    result = reviewed_clusters(["x1", "y1", "y2"], [Link("x1", "y1", 0.99, True)], {})
    histories = result.capture_histories({"x1": "x", "y1": "y", "y2": "y"}, ["x", "y"])
    assert histories[["x", "y"]].to_numpy().tolist() == [[1, 1], [0, 1]]
