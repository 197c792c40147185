"""Full names whose order is unsure are read both ways.

"LAZARO SIMON" and "MARTIN TOMAS" are two words that are each a given name
and a surname: nothing in them says which comes first, and a press list
writes most names given names first, so they are read that way. Both
readings are kept; each pair of records is scored under the reading that
agrees best, and a record links under one reading only.
"""

import pandas as pd
import pytest

from memoria.linkage import link_records
from memoria.linkage.features import build_features_both_ways, read_names_both_ways
from memoria.linkage.pipeline import best_reading
from memoria.linkage.schema import read_source
from memoria.linkage.synthetic_independent import generate_lists
from memoria.names import PersonName

from .conftest import cases_frame
from .helpers import cluster_of

# Separate columns: the order is stated.
FAMILIAS = [
    # Simón Lázaro, whom the press writes surname first.
    ("simon.1", "Simón", "Lázaro", "", "hombre", "1985-02-03", "", "2013-04-05", "15", "15033"),
    # Two men taken on the same day in the same state, whose names are the
    # two readings of "MARTIN TOMAS".
    ("tomas.1", "Tomás", "Martín", "", "hombre", "1979-05-02", "", "2014-06-10", "12", "12029"),
    ("martin.1", "Martín", "Tomás", "", "hombre", "1992-08-20", "", "2014-06-10", "12", "12001"),
    # Raúl Reyna Reyes, whose middle word the press list's reading takes for a given name.
    ("reyna.1", "Raúl", "Reyna", "Reyes", "hombre", "1990-03-07", "", "2015-09-12", "19", "19039"),
]
# A press list: full names only, given names first when the words say so.
PRENSA = pd.DataFrame(
    [
        ("n1", "LAZARO SIMON", "28", "05/04/2013", "15", ""),
        # No age: only the names, the day and the place tell the two men apart.
        ("n2", "MARTIN TOMAS", "", "10/06/2014", "12", "12029"),
        ("n3", "Juan Pérez López", "40", "01/01/2012", "09", ""),
        ("n4", "RAUL REYNA REYES", "25", "12/09/2015", "19", ""),
    ],
    columns=["record_id", "full_name", "age", "event_date", "state", "municipality"],
)


@pytest.fixture(scope="module")
def linked():
    background = generate_lists(500, seed=5).sources
    sources = {**background, "familias_c": cases_frame(FAMILIAS), "prensa_c": PRENSA}
    return link_records(sources, seed=1)


def _pair(result, a, b):
    """The scored pair of two records, with ``a`` on the left."""
    pairs = result.pairs
    rows = pairs[(pairs["unique_id_l"] == a) & (pairs["unique_id_r"] == b)]
    assert len(rows) == 1, (a, b)
    return rows.iloc[0]


def test_an_unsure_full_name_keeps_its_other_reading():
    frame = read_source(PRENSA, "prensa_c")
    parsed, others = read_names_both_ways(frame)
    assert parsed[0] == PersonName("lazaro", "simon", "")  # its list's order
    assert others == {
        0: PersonName("simon", "lazaro", ""),
        1: PersonName("tomas", "martin", ""),
    }  # "Juan Pérez López" is decided by its words: one reading


def test_it_links_a_name_written_in_the_unsure_order(linked):
    assert cluster_of(linked, "familias_c", "simon.1") == cluster_of(linked, "prensa_c", "n1")
    pair = _pair(linked, "familias_c:simon.1", "prensa_c:n1")
    assert pair["linked"]
    # The press record was read the other way for this pair.
    assert pair["other_reading_r"] and not pair["other_reading_l"]


def test_the_two_readings_of_one_name_do_not_join_two_people(linked):
    # "MARTIN TOMAS" matches Tomás Martín (same municipality) under one
    # reading and Martín Tomás under the other: it links to one of them, and
    # the two men, born 13 years apart, stay apart.
    press = cluster_of(linked, "prensa_c", "n2")
    assert cluster_of(linked, "familias_c", "tomas.1") == press
    assert cluster_of(linked, "familias_c", "martin.1") != press
    assert linked.summary["links_refused_by_reading"] >= 1
    refused = _pair(linked, "familias_c:martin.1", "prensa_c:n2")
    assert not refused["linked"]
    assert refused["match_probability"] >= linked.summary["threshold"]  # held back for review
    held = linked.review
    assert ((held["record_id_l"] == "martin.1") | (held["record_id_r"] == "martin.1")).any()


def test_the_summary_says_how_many_names_were_read_both_ways(linked):
    summary = linked.summary
    assert summary["names_read_both_ways"] >= 2
    assert summary["links_under_other_reading"] >= 2  # Simón Lázaro and Tomás Martín
    assert summary["records"] == sum(summary["sources"].values())  # no record counted twice
    assert len(linked.clusters) == summary["records"]


def test_each_pair_keeps_one_reading_with_every_comparison():
    # Two rows of one pair (one per reading): the stronger is kept whole, so
    # its surname and given-name levels come from the same reading.
    scored = pd.DataFrame(
        {
            "unique_id_l": ["a:1", "a:1", "b:1 (other reading) "],
            "unique_id_r": ["b:1", "b:1 (other reading) ", "b:1"],
            "match_weight": [-3.0, 9.0, 20.0],
            "gamma_surnames": [0, 6, 6],
            "gamma_given_name": [0, 5, 5],
            "given_l": ["martin", "martin", "tomas"],
            "given_r": ["martin", "tomas", "martin"],
        }
    )
    best = best_reading(scored)
    assert len(best) == 1  # the record against its own other reading is no pair
    row = best.iloc[0]
    assert (row["unique_id_l"], row["unique_id_r"]) == ("a:1", "b:1")
    assert (row["match_weight"], row["gamma_surnames"], row["gamma_given_name"]) == (9.0, 6, 5)
    assert (row["other_reading_l"], row["other_reading_r"]) == (False, True)


def test_other_readings_have_their_own_rows_for_blocking():
    frame = read_source(PRENSA, "prensa_c")
    features, others = build_features_both_ways(frame)
    assert len(features) == len(PRENSA)  # one row per record
    assert list(others["record_id"]) == ["n1", "n2"]
    assert list(others["given_first"]) == ["simon", "tomas"]
    assert list(others["pat"]) == ["lazaro", "martin"]
    assert not set(others["unique_id"]) & set(features["unique_id"])


def test_it_links_a_three_word_name_split_the_other_way(linked):
    # Read as given names "Raúl Reyna" and surname Reyes; the family wrote
    # Raúl | Reyna | Reyes. Every name word agrees, split differently.
    frame = read_source(PRENSA, "prensa_c")
    parsed, _others = read_names_both_ways(frame)
    assert parsed[3] == PersonName("raul reyna", "reyes", "")
    assert cluster_of(linked, "familias_c", "reyna.1") == cluster_of(linked, "prensa_c", "n4")
    pair = _pair(linked, "familias_c:reyna.1", "prensa_c:n4")
    assert pair["linked"]
    labels = linked.scoring.level_labels["surnames"]
    assert labels[pair["gamma_surnames"]] == "the same name words, split differently"
