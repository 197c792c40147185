"""Clusters respect vetoes: held-back pairs are never merged through third records."""

import pandas as pd

from memoria.linkage.pipeline import connected_clusters, refuse_links_across_vetoes, vetoed


def pairs_frame(rows):
    """rows: (left, right, probability, linked, held_back)."""
    frame = pd.DataFrame(
        rows, columns=["unique_id_l", "unique_id_r", "match_probability", "linked", "held_back"]
    )
    return frame


def clusters_of(pairs, ids):
    records = pd.DataFrame({"unique_id": ids, "source": "s", "record_id": ids})
    clusters = connected_clusters(records, pairs)
    return {frozenset(g["record_id"]) for _, g in clusters.groupby("cluster_id")}


def test_it_refuses_the_weaker_link_that_would_join_a_held_back_pair():
    pairs = pairs_frame(
        [
            ("A", "B", 0.99, True, False),
            ("B", "C", 0.95, True, False),
            ("A", "C", 0.97, False, True),  # brothers: vetoed
        ]
    )
    pairs["linked"] = refuse_links_across_vetoes(pairs, pairs["held_back"])
    assert pairs["linked"].tolist() == [True, False, False]
    assert clusters_of(pairs, ["A", "B", "C"]) == {frozenset("AB"), frozenset("C")}


def test_it_follows_the_strongest_links_along_a_chain():
    pairs = pairs_frame(
        [
            ("A", "B", 0.99, True, False),
            ("B", "C", 0.91, True, False),
            ("C", "D", 0.95, True, False),
            ("A", "D", 0.93, False, True),
            ("E", "F", 0.92, True, False),
        ]
    )
    pairs["linked"] = refuse_links_across_vetoes(pairs, pairs["held_back"])
    assert pairs["linked"].tolist() == [True, False, True, False, True]
    assert clusters_of(pairs, list("ABCDEF")) == {
        frozenset("AB"),
        frozenset("CD"),
        frozenset("EF"),
    }


def test_it_keeps_plain_connected_components_without_vetoes():
    pairs = pairs_frame(
        [
            ("A", "B", 0.99, True, False),
            ("B", "C", 0.95, True, False),
            ("C", "D", 0.60, False, False),  # below the threshold, not vetoed
        ]
    )
    pairs["linked"] = refuse_links_across_vetoes(pairs, pairs["held_back"])
    assert pairs["linked"].tolist() == [True, True, False]
    assert clusters_of(pairs, list("ABCD")) == {frozenset("ABC"), frozenset("D")}


def scored(given, birth, curp_l, curp_r):
    return pd.DataFrame(
        {
            "gamma_given_name": [given],
            "gamma_birth": [birth],
            "curp_l": [curp_l],
            "curp_r": [curp_r],
        }
    )


CURP = "HEGJ800101HDFRRS09"


def test_it_vetoes_plainly_different_given_names_or_birth_years():
    assert vetoed(scored(0, 4, None, None)).tolist() == [True]
    assert vetoed(scored(5, 0, None, None)).tolist() == [True]
    assert vetoed(scored(5, 4, None, None)).tolist() == [False]
    assert vetoed(scored(0, 4, CURP, "MOPA900202MDFRRN01")).tolist() == [True]


def test_an_identical_curp_overrides_the_veto():
    # Siblings never share a CURP; a list that misspelled a given name may.
    assert vetoed(scored(0, 4, CURP, CURP)).tolist() == [False]
    assert vetoed(scored(5, 0, CURP, CURP)).tolist() == [False]


def test_the_veto_works_without_curp_columns():
    frame = scored(0, 4, None, None).drop(columns=["curp_l", "curp_r"])
    assert vetoed(frame).tolist() == [True]
