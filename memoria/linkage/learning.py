"""Learning the m probabilities from reviewers' answers.

EM estimates, for every comparison, how often each level occurs among true
matches (the m probabilities) without any labels. Once people have answered
"same person" or "different people" about some pairs, those answers are
better than the model's own guess for exactly those pairs, and should change
the weights with which every other pair is scored.

Splink's ``estimate_m_from_pairwise_labels`` cannot be used as it is: it
counts levels over the confirmed matches alone, as if they were a random
sample of true matches. The review queue asks about the pairs the model is
least sure of (probability near 0.5, held-back pairs), so its "same" answers
are the hardest true pairs by construction; m learned from them alone would
say that clean agreement is rare among true matches. Its "different" answers,
which say the most about which patterns mislead the model, would be lost.

What this module does instead (see docs/linkage.md, "Learning from answers"):
EM's m probabilities are the expected counts of each level among true
matches, divided by the expected number of matches ``N``. Among the scored
candidate pairs, the model counts ``mass(level)`` = the sum of their match
probabilities at that level. The answers correct that mass for the
answered pairs only: each had been counted as ``p`` of a match, and now
counts as 1 ("same") or 0 ("different"). EM's count at the level is scaled
by the share of the mass that remains::

    mass'(level) = mass(level) + Σ over answered pairs at that level (answer − p)
    count(level) = N·m_EM(level) · mass'(level) / mass(level)
    m(level)     = count(level) / Σ counts

This is one step of semi-supervised EM (Larsen and Rubin 2001) started from
EM's estimate. No weighting by how the queue chose the pairs is needed,
because the answers do not stand for other pairs: every unanswered pair
keeps its share ``p``, and the queue picks pairs by their score, which is a
function of the observed comparison levels, so the labels are missing at
random given the levels. Without answers m is unchanged; "different"
answers remove from a level at most the share of its mass they cover, so
pairs that look like them score lower, and "same" answers add to it.

The correction is a ratio, not a difference, because EM's counts and the
candidates' mass are on different scales (EM trains on its own blocks, and
the model's probabilities are over-confident on relatives, whose agreements
are not independent): subtracting the answered pairs' ``p`` from EM's count
directly can wipe out a level that true matches do show (given names that
differ: unknown nicknames), and on lists from the independent generator
that cost recall (docs/benchmarks.md). A level's count never falls below a
hundredth of EM's. u probabilities (estimated from millions of random pairs)
and levels without an m estimate are left alone.

**Answers never turn a level's evidence around.** A level where EM's m is
above u (an agreement: its Bayes factor m/u is above 1) keeps m at least
u, and a level where m is below u keeps m at most u: answers can weaken a
level's evidence down to neutral (factor 1), never make "age agrees" count
against a match. The ratio above can: a few "different" answers that hold
almost all the candidates' mass at a level (a level few scored pairs reach,
as "age agrees" when one list alone gives ages) take its count down to
the floor, and "same" answers at a level of small mass multiply its count,
which lowers every other level of the comparison; on a small run this once
showed "age agrees" dividing the odds by 4.59. A handful of answers, chosen
by the queue among the hardest pairs, is no ground to say that agreement is
rarer among true matches than among random pairs, against EM over every
pair and u over millions. The learned m are projected onto these bounds:
levels past their bound are held at u, the other levels share the rest in
their learned proportions (repeated until no level is past its bound).

This module imports no Django.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

# {comparison output column: {gamma value: m probability or None}}
MProbabilities = dict[str, dict[int, float | None]]

SAME = "same"
DIFFERENT = "different"
MIN_SHARE = 0.01


def trained_m(linker: Any) -> MProbabilities:
    """The m probabilities of a trained Splink linker, by comparison and level."""
    out: MProbabilities = {}
    for comparison in linker._settings_obj.comparisons:
        levels = {}
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            levels[int(level.comparison_vector_value)] = level.m_probability
        out[comparison.output_column_name] = levels
    return out


def trained_u(linker: Any) -> MProbabilities:
    """The u probabilities of a trained Splink linker, by comparison and level."""
    out: MProbabilities = {}
    for comparison in linker._settings_obj.comparisons:
        out[comparison.output_column_name] = {
            int(level.comparison_vector_value): level.u_probability
            for level in comparison.comparison_levels
            if not level.is_null_level
        }
    return out


def label_vector(
    scored: pd.DataFrame, labels: Mapping[tuple[Hashable, Hashable], str]
) -> np.ndarray:
    """1.0 for pairs labelled "same", 0.0 for "different", NaN for the rest.

    ``labels`` is keyed by pairs of ``unique_id`` (``source:record_id``) in
    either order; other answers ("unsure") count as no label.
    """
    value = {SAME: 1.0, DIFFERENT: 0.0}
    lookup: dict[tuple[str, str], float] = {}
    for (a, b), decision in labels.items():
        if decision in value:
            lookup[(str(a), str(b))] = value[decision]
            lookup[(str(b), str(a))] = value[decision]
    if not lookup:
        return np.full(len(scored), np.nan)
    keys = zip(scored["unique_id_l"].astype(str), scored["unique_id_r"].astype(str), strict=True)
    return np.array([lookup.get(key, np.nan) for key in keys], dtype=float)


def learn_m(
    scored: pd.DataFrame,
    m: MProbabilities,
    labels: np.ndarray,
    u: MProbabilities | None = None,
) -> tuple[MProbabilities, dict[str, Any]]:
    """m probabilities corrected by the labelled pairs (see the module's docstring).

    ``scored`` holds every candidate pair the trained model scored (columns
    ``gamma_<comparison>`` and ``match_probability``); ``labels`` is
    :func:`label_vector` of it; ``u`` the trained u probabilities
    (:func:`trained_u`): no learned level crosses its u (without them,
    nothing bounds the levels). Returns the new m probabilities and a summary
    (labels used, and per comparison the largest change of a level's weight
    in bits).
    """
    labelled = ~np.isnan(labels)
    probability = scored["match_probability"].to_numpy(dtype=float)
    learned: MProbabilities = {}
    shifts: dict[str, float] = {}
    for name, levels in m.items():
        gamma = scored[f"gamma_{name}"].to_numpy()
        known = {g: v for g, v in levels.items() if v is not None and v > 0}
        if not known:
            learned[name] = dict(levels)
            continue
        present = np.isin(gamma, list(known))
        matches = float(probability[present].sum())
        counts = {}
        for g, m_value in known.items():
            at_level = gamma == g
            at = labelled & at_level
            correction = float((labels[at] - probability[at]).sum())
            mass = float(probability[at_level].sum())
            share = (mass + correction) / mass if mass > 0 else 1.0
            # Never below a hundredth of EM's count: a few answers move a
            # level's weight by at most log2(100), 6.6 bits.
            counts[g] = matches * m_value * max(share, MIN_SHARE)
        total = sum(counts.values())
        if not labelled[present].any() or total <= 0:
            learned[name] = dict(levels)
            continue
        learned[name] = {g: (counts[g] / total if g in counts else v) for g, v in levels.items()}
        learned[name].update(_same_direction(learned[name], known, (u or {}).get(name) or {}))
        shifts[name] = max(abs(math.log2(learned[name][g] / known[g])) for g in known)
    used = labelled & (probability > 0)
    summary = {
        "same": int((labels[used] == 1).sum()),
        "different": int((labels[used] == 0).sum()),
        "largest_change_bits": {name: round(shift, 3) for name, shift in shifts.items()},
    }
    return learned, summary


def _same_direction(
    learned: dict[int, float | None], trained: dict[int, float], u: dict[int, float | None]
) -> dict[int, float]:
    """The learned m of the levels in ``trained``, none on the other side of its u
    than the trained m (see the module's docstring)."""
    low, high = {}, {}
    for g, m_value in trained.items():
        u_value = u.get(g)
        if u_value is None or not u_value > 0:
            continue
        if m_value > u_value:
            low[g] = float(u_value)
        elif m_value < u_value:
            high[g] = float(u_value)
    values = {g: float(learned[g] or 0.0) for g in trained}
    held: dict[int, float] = {}
    for _ in range(len(values) + 1):
        free = [g for g in values if g not in held]
        room = 1.0 - sum(held.values())
        share = sum(values[g] for g in free)
        if not free or share <= 0 or room <= 0:
            return dict(trained)  # no projection keeps the sum at 1: EM's m stand
        scaled = {g: values[g] * room / share for g in free}
        past = {g: low[g] for g in free if g in low and scaled[g] < low[g]}
        past |= {g: high[g] for g in free if g in high and scaled[g] > high[g]}
        if not past:
            return {**scaled, **held}
        held.update(past)
    return dict(trained)


def apply_m(scored: pd.DataFrame, before: MProbabilities, after: MProbabilities) -> pd.DataFrame:
    """``scored`` with each comparison's weight (``mw_<comparison>``), the
    total match weight and the probability recomputed for new m probabilities
    (u, term frequencies and the prior are unchanged)."""
    scored = scored.copy()
    total = np.zeros(len(scored))
    for name, levels in after.items():
        change = {
            g: math.log2(value / before[name][g])
            for g, value in levels.items()
            if value is not None and before[name].get(g) and value != before[name][g]
        }
        if not change:
            continue
        shift = scored[f"gamma_{name}"].map(change).fillna(0.0).to_numpy(dtype=float)
        if f"mw_{name}" in scored:
            scored[f"mw_{name}"] = scored[f"mw_{name}"] + shift
        total += shift
    scored["match_weight"] = scored["match_weight"] + total
    odds = np.exp2(scored["match_weight"].clip(-1000, 1000))
    scored["match_probability"] = odds / (1 + odds)
    return scored


def model_with_m(model: dict[str, Any], m: MProbabilities) -> dict[str, Any]:
    """A copy of a saved Splink model (``save_model_to_json``) with new m
    probabilities, so that loading it scores as the learned model does.

    Splink numbers a comparison's levels from the strongest down to 0, the
    null level being -1; the saved levels are in that order.
    """
    import copy

    model = copy.deepcopy(model)
    for comparison in model.get("comparisons", []):
        levels = m.get(comparison.get("output_column_name"))
        if not levels:
            continue
        ordinary = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for position, level in enumerate(ordinary):
            value = levels.get(len(ordinary) - 1 - position)
            if value is not None and "m_probability" in level:
                level["m_probability"] = value
    return model
