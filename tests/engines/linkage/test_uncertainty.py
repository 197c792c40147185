"""Clusterings drawn from pair probabilities (linkage uncertainty): known answers."""

from __future__ import annotations

import itertools

import pytest

from memoria.linkage.review import DIFFERENT, SAME, Link, pair_key, reviewed_clusters
from memoria.linkage.uncertainty import draw_clusterings


def together(clusters: dict, a, b) -> bool:
    return clusters[a] == clusters[b]


def share(drawn, a, b) -> float:
    return sum(together(c, a, b) for c in drawn.draws) / len(drawn.draws)


def test_with_certain_pairs_every_draw_is_the_reviewed_clustering():
    records = list("ABCDEF")
    links = [Link("A", "B", 1.0, True), Link("B", "C", 1.0, True), Link("D", "E", 0.0, False)]
    decisions = {pair_key("E", "F"): SAME}
    expected = reviewed_clusters(records, links, decisions).clusters
    drawn = draw_clusterings(records, links, decisions, draws=10, seed=1)
    assert all(draw == expected for draw in drawn.draws)


def test_a_lone_pair_is_joined_as_often_as_its_probability():
    drawn = draw_clusterings(["A", "B"], [Link("A", "B", 0.3, False)], draws=4000, seed=2)
    # Binomial(4000, 0.3): standard error 0.0072.
    assert share(drawn, "A", "B") == pytest.approx(0.3, abs=0.03)


def test_a_chain_pays_for_its_transitive_pair():
    """A–B and B–C at 0.6, A–C never scored (counted at 0.01): the exact partition
    probabilities give A and C together in 0.8% of draws, not the 36% that coin
    flips per pair and connected components would give."""
    links = [Link("A", "B", 0.6, True), Link("B", "C", 0.6, True)]
    odds = 0.6 / 0.4
    small = 0.01 / 0.99
    weights = {"ABC": odds * odds * small, "AB": odds, "BC": odds, "AC": small, "": 1.0}
    exact_ac = (weights["ABC"] + weights["AC"]) / sum(weights.values())
    exact_ab = (weights["ABC"] + weights["AB"]) / sum(weights.values())
    drawn = draw_clusterings(
        list("ABC"), links, draws=3000, seed=3, unscored_probability=0.01, sweeps=2
    )
    assert share(drawn, "A", "C") == pytest.approx(exact_ac, abs=0.01)
    assert share(drawn, "A", "B") == pytest.approx(exact_ab, abs=0.04)


def test_answers_are_the_same_in_every_draw():
    records = list("ABCDE")
    links = [
        Link("A", "B", 0.01, False),  # said to be the same person
        Link("C", "D", 0.99, True),  # said to be different people
        Link("A", "E", 0.5, False),
        Link("B", "E", 0.5, False),
        Link("C", "E", 0.9, False, held_back=True),  # relatives guard
        Link("D", "E", 0.9, True),
    ]
    decisions = {pair_key("A", "B"): SAME, pair_key("C", "D"): DIFFERENT}
    drawn = draw_clusterings(records, links, decisions, draws=300, seed=4, held_back="apart")
    assert share(drawn, "A", "B") == 1.0
    assert share(drawn, "C", "D") == 0.0
    assert share(drawn, "C", "E") == 0.0  # held back, kept apart
    assert 0.0 < share(drawn, "A", "E") < 1.0
    assert 0.0 < share(drawn, "D", "E") < 1.0
    learned = draw_clusterings(records, links, decisions, draws=300, seed=4)
    assert share(learned, "C", "D") == 0.0
    assert 0.0 < share(learned, "C", "E") < 1.0  # no answers: any share is possible


def test_held_back_pairs_are_joined_at_the_rate_the_answers_teach():
    """Three answered held-back pairs were one person, one was two: the share
    drawn is Beta(4, 2), whose mean is 2/3, and a sure pair joins when joinable."""
    records = ["X", "Y"] + [f"{side}{i}" for i in range(4) for side in "LR"]
    links = [Link("X", "Y", 0.999999, False, held_back=True)]
    links += [Link(f"L{i}", f"R{i}", 0.97, False, held_back=True) for i in range(4)]
    decisions = {pair_key(f"L{i}", f"R{i}"): SAME for i in range(3)}
    decisions[pair_key("L3", "R3")] = DIFFERENT
    drawn = draw_clusterings(records, links, decisions, draws=3000, seed=6)
    # Bernoulli(2/3) over 3000 draws: standard error 0.009.
    assert share(drawn, "X", "Y") == pytest.approx(2 / 3, abs=0.035)
    assert share(drawn, "L0", "R0") == 1.0 and share(drawn, "L3", "R3") == 0.0
    assert drawn.held_back_pairs == 1
    assert drawn.held_back_answers == {SAME: 3, DIFFERENT: 1}


def test_the_draws_are_reproducible_and_vary():
    records = [f"r{i}" for i in range(12)]
    links = [Link(a, b, 0.5, False) for a, b in itertools.combinations(records[:6], 2)]
    links += [Link("r6", "r7", 0.5, False)]
    first = draw_clusterings(records, links, draws=8, seed=5)
    again = draw_clusterings(records, links, draws=8, seed=5)
    assert first.draws == again.draws
    assert len(set(first.cluster_counts())) > 1
    assert all(draw["r11"] != draw["r10"] for draw in first.draws)  # never scored together
