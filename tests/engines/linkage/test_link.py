import json

import pandas as pd
import pytest

from memoria.linkage import capture_histories, link_records

from .helpers import cluster_of


@pytest.mark.parametrize("person", ["swap", "nick", "chuy", "nomat", "typo"])
def test_it_links_one_person_across_lists(linked, person):
    assert cluster_of(linked, "casos_a", f"{person}.1") == cluster_of(
        linked, "casos_b", f"{person}.2"
    )


def test_it_links_swapped_surnames(linked):
    assert cluster_of(linked, "casos_a", "swap.1") == cluster_of(linked, "casos_b", "swap.2")


def test_it_deduplicates_within_a_list(linked):
    assert cluster_of(linked, "casos_a", "dup.1") == cluster_of(linked, "casos_a", "dup.2")


def test_it_keeps_brothers_taken_together_apart(linked):
    assert cluster_of(linked, "casos_a", "brother1.1") != cluster_of(
        linked, "casos_b", "brother2.1"
    )


def test_it_gives_every_record_exactly_one_cluster(linked):
    clusters = linked.clusters
    assert list(clusters.columns) == ["source", "record_id", "cluster_id"]
    assert not clusters.duplicated(["source", "record_id"]).any()
    assert linked.summary["records"] == len(clusters)


def test_it_writes_capture_histories_per_cluster(linked):
    histories = linked.capture_histories
    assert list(histories.columns) == [
        "cluster_id",
        "fiscalia",
        "colectivo",
        "prensa",
        "registro",
        "casos_a",
        "casos_b",
    ]
    assert len(histories) == linked.clusters["cluster_id"].nunique()
    values = histories.drop(columns="cluster_id")
    assert set(values.to_numpy().ravel()) <= {0, 1}
    assert (values.sum(axis=1) >= 1).all()


def test_it_explains_pairs_in_the_review_band(linked):
    review = linked.review
    assert len(review) > 0
    low, high = linked.summary["review_band"]
    in_band = review["match_probability"].between(low, high, inclusive="left")
    held_back = review["match_probability"] >= linked.summary["threshold"]
    assert (in_band | held_back).all()
    # Dates as the lists wrote them (possibly partial), not day numbers.
    assert {"event_date_l", "event_date_r"} <= set(review.columns)
    assert "event_day_l" not in review.columns
    first = review.iloc[0]
    evidence = json.loads(first["evidence"])
    assert {e["comparison"] for e in evidence} >= {"surnames", "given_name", "birth"}
    assert all(e["bayes_factor"] > 0 for e in evidence)
    assert "surnames:" in first["explanation"]


def test_it_holds_back_siblings_for_review_instead_of_linking(linked):
    pairs = linked.pairs
    ids = {"casos_a:brother1.1", "casos_b:brother2.1"}
    brothers = pairs[pairs["unique_id_l"].isin(ids) & pairs["unique_id_r"].isin(ids)]
    assert not brothers["linked"].any()


def test_it_does_not_merge_held_back_brothers_through_a_third_record(linked):
    # The press record matches both brothers; linking it to both would put
    # the brothers, whose pair is held back, in one cluster.
    brother_a = cluster_of(linked, "casos_a", "jl.1")
    brother_b = cluster_of(linked, "casos_a", "ja.1")
    press = cluster_of(linked, "casos_b", "jl-or-ja.1")
    assert brother_a != brother_b
    assert press in (brother_a, brother_b)
    # The link that was refused goes to review with the held-back pair.
    review = linked.review
    ids = {"jl.1", "ja.1", "jl-or-ja.1"}
    trio = review[review["record_id_l"].isin(ids) & review["record_id_r"].isin(ids)]
    assert len(trio) == 2
    assert (trio["cluster_id_l"] != trio["cluster_id_r"]).all()


def test_it_reports_a_summary(linked):
    summary = linked.summary
    assert summary["candidate_pairs"] >= summary["scored_pairs_kept"] > 0
    assert summary["clusters"] < summary["records"]
    assert summary["backend"] == "duckdb"


def test_it_builds_capture_histories_in_source_order():
    clusters = pd.DataFrame(
        {"source": ["b", "a", "a"], "record_id": ["1", "2", "3"], "cluster_id": [1, 1, 2]}
    )
    histories = capture_histories(clusters, ["a", "b", "c"])
    assert histories.to_dict("records") == [
        {"cluster_id": 1, "a": 1, "b": 1, "c": 0},
        {"cluster_id": 2, "a": 1, "b": 0, "c": 0},
    ]


def test_it_rejects_a_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        link_records({"a": pd.DataFrame({"record_id": ["1"], "full_name": ["Ana"]})}, threshold=1.5)


def test_it_counts_the_links_refused_to_keep_held_back_pairs_apart(linked):
    assert linked.summary["links_refused_by_vetoes"] >= 1
    assert linked.summary["held_back_pairs"] >= linked.summary["links_refused_by_vetoes"]
