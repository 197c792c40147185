"""Learning m probabilities from reviewers' answers (memoria.linkage.learning)."""

from __future__ import annotations

import pandas as pd
import pytest

from memoria.linkage import link_records
from memoria.linkage.learning import apply_m, label_vector, learn_m, model_with_m
from memoria.linkage.pipeline import relearn
from memoria.linkage.review import DIFFERENT, SAME
from memoria.linkage.synthetic import generate_lists

# One comparison with three levels: 2 (agree), 1 (close), 0 (differ); -1 no data.
M = {"name": {2: 0.8, 1: 0.15, 0: 0.05}}


def scored_pairs(gammas, probabilities) -> pd.DataFrame:
    n = len(gammas)
    return pd.DataFrame(
        {
            "unique_id_l": [f"a:{i}" for i in range(n)],
            "unique_id_r": [f"b:{i}" for i in range(n)],
            "gamma_name": gammas,
            "mw_name": [0.0] * n,
            "match_weight": [0.0] * n,
            "match_probability": probabilities,
        }
    )


def test_without_answers_m_stays_the_em_estimate():
    scored = scored_pairs([2, 1, 0, -1], [0.9, 0.6, 0.5, 0.3])
    learned, summary = learn_m(scored, M, label_vector(scored, {}))
    assert learned == M
    assert summary["same"] == summary["different"] == 0


def test_answers_replace_the_models_guess_for_the_labelled_pairs_only():
    # Expected matches where the comparison has data: N = 0.9 + 0.6 + 0.4 + 0.5
    # = 2.4 (the pair without data does not count); EM's counts N·m: 1.92,
    # 0.36, 0.12. The pair at level 1 with p 0.6 is answered "different": the
    # level keeps 0.4 of its mass 1.0. The pair at level 0 (p 0.5) is answered
    # "same": its level's mass goes from 0.5 to 1.0.
    scored = scored_pairs([2, 1, 1, 0, -1], [0.9, 0.6, 0.4, 0.5, 0.3])
    labels = {("a:1", "b:1"): DIFFERENT, ("b:3", "a:3"): SAME, ("a:4", "b:4"): "unsure"}
    learned, summary = learn_m(scored, M, label_vector(scored, labels))
    counts = {2: 1.92, 1: 0.36 * 0.4, 0: 0.12 * 2}
    total = sum(counts.values())
    assert learned["name"] == pytest.approx({g: c / total for g, c in counts.items()})
    assert (summary["same"], summary["different"]) == (1, 1)


def test_a_level_keeps_a_hundredth_of_ems_count_when_every_pair_there_is_different():
    scored = scored_pairs([2, 1], [0.9, 0.6])
    learned, _ = learn_m(scored, M, label_vector(scored, {("a:1", "b:1"): DIFFERENT}))
    counts = {2: 1.5 * 0.8, 1: 1.5 * 0.15 * 0.01, 0: 1.5 * 0.05}
    total = sum(counts.values())
    assert learned["name"] == pytest.approx({g: c / total for g, c in counts.items()})


# Birth, as the model compares it: 2 "age agrees" (m above u: evidence for a
# match), 1 "birth years within 2" (also), 0 "birth differs" (against).
BIRTH_M = {"birth": {2: 0.70, 1: 0.25, 0: 0.05}}
BIRTH_U = {"birth": {2: 0.05, 1: 0.06, 0: 0.89}}


def test_answers_never_make_an_agreement_count_against_a_match():
    # Few scored pairs reach "age agrees" (one list alone gives ages), and all
    # five are relatives answered "different": the level's mass goes to the
    # floor. Without a bound, m falls to 0.007 / 0.307 = 0.023, below u (0.05):
    # "age agrees" would divide the odds by 2.2. It stops at u (factor 1), and
    # the other levels share the rest in their learned proportions.
    scored = scored_pairs([2] * 5 + [1] * 20 + [0] * 20, [0.95] * 5 + [0.9] * 20 + [0.01] * 20)
    scored = scored.rename(columns={"gamma_name": "gamma_birth", "mw_name": "mw_birth"})
    labels = {(f"a:{i}", f"b:{i}"): DIFFERENT for i in range(5)}
    learned, _ = learn_m(scored, BIRTH_M, label_vector(scored, labels), BIRTH_U)
    rest = 0.95 / 0.30
    assert learned["birth"] == pytest.approx({2: 0.05, 1: 0.25 * rest, 0: 0.05 * rest})
    rescored = apply_m(scored, BIRTH_M, learned)
    factor = 2 ** (rescored["mw_birth"].iloc[0] - scored["mw_birth"].iloc[0])
    assert BIRTH_M["birth"][2] / BIRTH_U["birth"][2] * factor == pytest.approx(1.0)


def test_same_answers_never_make_a_disagreement_count_for_a_match():
    # Here level 1 is evidence against a match (m 0.25 below u 0.45). Ten pairs
    # there, scored 0.05, answered "same": the level's mass goes from 0.5 to
    # 10, its count is multiplied by 20, and m would reach 5 / 5.75 = 0.87,
    # above u. It stops at u; levels 2 and 0 share the rest as 0.70 : 0.05.
    u = {"birth": {2: 0.05, 1: 0.45, 0: 0.50}}
    scored = scored_pairs([2] * 20 + [1] * 10, [0.99] * 20 + [0.05] * 10)
    scored = scored.rename(columns={"gamma_name": "gamma_birth", "mw_name": "mw_birth"})
    labels = {(f"a:{i}", f"b:{i}"): SAME for i in range(20, 30)}
    learned, _ = learn_m(scored, BIRTH_M, label_vector(scored, labels), u)
    rest = 0.55 / 0.75
    assert learned["birth"] == pytest.approx({2: 0.70 * rest, 1: 0.45, 0: 0.05 * rest})


def test_the_bound_leaves_a_small_correction_alone():
    scored = scored_pairs([2] * 50 + [1] * 10, [0.99] * 50 + [0.7] * 10)
    scored = scored.rename(columns={"gamma_name": "gamma_birth", "mw_name": "mw_birth"})
    labels = {("a:50", "b:50"): DIFFERENT}
    bounded, _ = learn_m(scored, BIRTH_M, label_vector(scored, labels), BIRTH_U)
    free, _ = learn_m(scored, BIRTH_M, label_vector(scored, labels))
    assert bounded == free


def test_different_answers_lower_the_level_and_its_pairs_scores():
    # Many pairs at level 1 answered "different": m at level 1 goes down, the
    # other levels up, and an unanswered pair at level 1 scores lower.
    gammas = [2] * 50 + [1] * 10
    probabilities = [0.99] * 50 + [0.7] * 10
    scored = scored_pairs(gammas, probabilities)
    labels = {(f"a:{i}", f"b:{i}"): DIFFERENT for i in range(50, 58)}
    learned, _ = learn_m(scored, M, label_vector(scored, labels))
    assert learned["name"][1] < M["name"][1]
    assert learned["name"][2] > M["name"][2]
    rescored = apply_m(scored, M, learned)
    assert rescored["match_probability"].iloc[59] < 0.5 < 0.7
    assert rescored["match_probability"].iloc[0] > 0.5


def test_the_saved_model_gets_the_learned_m():
    model = {
        "comparisons": [
            {
                "output_column_name": "name",
                "comparison_levels": [
                    {"is_null_level": True},
                    {"m_probability": 0.8},
                    {"m_probability": 0.15},
                    {"m_probability": 0.05},
                ],
            }
        ]
    }
    saved = model_with_m(model, {"name": {2: 0.7, 1: 0.2, 0: 0.1}})
    levels = saved["comparisons"][0]["comparison_levels"]
    assert [level.get("m_probability") for level in levels] == [None, 0.7, 0.2, 0.1]
    assert model["comparisons"][0]["comparison_levels"][1]["m_probability"] == 0.8


@pytest.fixture(scope="module")
def confusable(linked):
    """Pairs of the shared run whose given names plainly differ (the siblings'
    pattern), split in two halves: one answered "different", one not."""
    scored = linked.scoring.scored
    pattern = scored[(scored["gamma_given_name"] == 0) & (scored["match_probability"] > 0.05)]
    assert len(pattern) >= 10
    answered = pattern.iloc[::2]
    others = pattern.iloc[1::2]
    labels = dict.fromkeys(zip(answered.unique_id_l, answered.unique_id_r, strict=True), DIFFERENT)
    return others, labels


def _keyed(pairs: pd.DataFrame) -> pd.Series:
    return pairs.set_index(pairs["unique_id_l"] + "|" + pairs["unique_id_r"])["match_probability"]


def test_different_answers_lower_similar_pairs_on_a_new_scoring(linked, confusable):
    others, labels = confusable
    scoring = linked.scoring
    learned, summary = learn_m(scoring.scored, scoring.m, label_vector(scoring.scored, labels))
    assert summary["different"] == len(labels)
    assert learned["given_name"][0] < scoring.m["given_name"][0]
    # Every unanswered pair with the pattern scores lower.
    rescored = _keyed(apply_m(scoring.scored, scoring.m, learned))
    before = _keyed(others)
    assert (rescored.loc[before.index] < before).all()
    # And so does the run scored again: fewer pairs to review.
    again = relearn(scoring, labels)
    assert again.summary["learned_from"]["different"] == len(labels)
    assert again.summary["review_pairs"] < linked.summary["review_pairs"]


def test_same_answers_raise_the_pattern_instead(linked, confusable):
    others, labels = confusable
    again = relearn(linked.scoring, dict.fromkeys(labels, SAME))
    scored = linked.scoring.scored
    key = scored["unique_id_l"] + "|" + scored["unique_id_r"]
    before = scored.set_index(key)["match_probability"]
    # relearn keeps only pairs from the review band up; compare on what it kept
    after = again.pairs.set_index(again.pairs["unique_id_l"] + "|" + again.pairs["unique_id_r"])
    keys = [k for k in others["unique_id_l"] + "|" + others["unique_id_r"] if k in after.index]
    assert keys
    assert all(after.loc[k, "match_probability"] > before.loc[k] for k in keys)


def test_a_run_learns_within_the_trained_u(linked, confusable):
    _others, labels = confusable
    scoring = linked.scoring
    assert scoring.u["birth"]
    again = relearn(scoring, labels)
    for comparison in again.model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            m, u = level.get("m_probability"), level.get("u_probability")
            if m and u:
                name = comparison["output_column_name"]
                trained = scoring.m[name][len(levels) - 1 - levels.index(level)]
                assert (m >= u) == (trained >= u) or m == pytest.approx(u), (name, level)


def test_without_answers_relearn_gives_the_runs_result(linked):
    again = relearn(linked.scoring, {})
    assert again.summary["learned_from"] is None
    pd.testing.assert_frame_equal(again.clusters, linked.clusters)
    assert len(again.pairs) == len(linked.pairs)


def test_link_records_learns_from_answers_and_applies_them_to_clusters():
    lists = generate_lists(150, seed=3)
    first = link_records(lists.sources, seed=1, count_candidates=False, max_pairs_u=2e5)
    linked = first.pairs[first.pairs["linked"]].iloc[0]
    a, b = linked["unique_id_l"], linked["unique_id_r"]
    again = link_records(
        lists.sources, seed=1, count_candidates=False, max_pairs_u=2e5, labels={(a, b): DIFFERENT}
    )
    assert again.summary["learned_from"]["different"] == 1
    clusters = again.clusters.set_index(
        again.clusters["source"] + ":" + again.clusters["record_id"]
    )
    assert clusters.loc[a, "cluster_id"] != clusters.loc[b, "cluster_id"]
    assert again.model != first.model
