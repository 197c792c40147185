"""What training leaves in the model (memoria.linkage.pipeline.floor_m_probabilities)."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from splink import DuckDBAPI, Linker

from memoria.linkage import model
from memoria.linkage.features import build_features
from memoria.linkage.pipeline import (
    SESSION_START_FLOOR,
    _as_sources,
    floor_m_probabilities,
    lift_starting_m,
)
from memoria.linkage.synthetic import generate_lists


def _levels(linker, name):
    for comparison in linker._settings_obj.comparisons:
        if comparison.output_column_name == name:
            return {
                level.label_for_charts: level
                for level in comparison.comparison_levels
                if not level.is_null_level
            }
    raise KeyError(name)


@pytest.fixture
def linker():
    lists = generate_lists(200, seed=3)
    _names, frames = _as_sources(lists.sources, False)
    features = build_features(pd.concat(frames, ignore_index=True))
    linker = Linker(
        DuckDBAPI().register(features), model.build_settings(False), log_level=logging.ERROR
    )
    linker._settings_obj._probability_two_random_records_match = 1e-3
    return linker, len(features)


def test_a_level_em_drove_to_zero_keeps_half_a_match(linker):
    # EM gave "every name word agrees, split differently" m = 1e-37 on a
    # seed whose press records the birth-date session never saw: a veto.
    linker, records = linker
    surnames = _levels(linker, "surnames")
    others = len(surnames) - 3
    for level in surnames.values():
        level.m_probability = 0.1 / others
    surnames["both surnames agree"].m_probability = 0.9 - 2e-16 - 1e-37
    surnames["the same name words, split differently"].m_probability = 1e-37
    surnames["surnames differ"].m_probability = 2e-16
    floor_m_probabilities(linker, records)
    floor = 0.5 / (1e-3 * records * (records - 1) / 2)
    split = surnames["the same name words, split differently"].m_probability
    assert split == pytest.approx(floor / (1 + floor))
    # Plain disagreement keeps EM's word: true pairs do not show it.
    assert surnames["surnames differ"].m_probability < 1e-15
    assert sum(level.m_probability for level in surnames.values()) == pytest.approx(1.0)
    # Levels EM estimated well are barely moved.
    assert surnames["both surnames agree"].m_probability == pytest.approx(0.9, rel=0.01)


@pytest.mark.parametrize("seed", [1, 5])
def test_every_em_session_trains_on_small_lists(seed):
    # On these lists EM used to underflow (Splink refuses an m below 1e-300):
    # started from the vetoes earlier sessions left (plain disagreement on
    # place or sex near 1e-50), EM drove "age within 3 years" to 0 among
    # namesakes within two iterations, and the session was skipped (seed 1:
    # the one on pairs with the same name, the only one that trains the
    # birth comparison; seed 5: the one on the same event day). Skipped, it
    # left "age agrees" at its starting m 0.01, below its u: agreeing ages
    # counted against a match (on one seed of the coverage benchmark, 60
    # people too many).
    from memoria.linkage import link_records

    lists = generate_lists(400, seed=seed)
    result = link_records(lists.sources, seed=seed, count_candidates=False)
    assert not [note for note in result.summary["training_notes"] if "skipped" in note]
    labels = {label: level for level, label in result.scoring.level_labels["birth"].items()}
    age = labels["age agrees"]
    assert result.scoring.m["birth"][age] > 5 * result.scoring.u["birth"][age]


def test_an_em_session_starts_from_no_veto(linker):
    # EM leaves plain disagreement near 1e-50; the next session starts from
    # at least SESSION_START_FLOOR, the levels still adding up to 1.
    linker, _records = linker
    place = _levels(linker, "place")
    for level in place.values():
        level.m_probability = 0.5
    place["different state"].m_probability = 1e-50
    lift_starting_m(linker)
    assert place["different state"].m_probability == pytest.approx(
        SESSION_START_FLOOR / (1 + SESSION_START_FLOOR)
    )
    assert sum(level.m_probability for level in place.values()) == pytest.approx(1.0)
