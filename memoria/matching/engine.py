"""Rank unidentified remains for each missing person by a likelihood ratio.

The score of a pair (missing person, remains) is the base-10 logarithm of a
likelihood ratio: how much more likely the evidence is if the remains are the
person's than if they are someone else's. It is a sum of independent pieces
of evidence (sex, time, age, stature, place, each shared mark, tooth, garment
or brand, and the tattoos a complete body should have shown). Each piece is
``log10(m / u)``: ``m`` is how often the evidence appears for a true pair (a
stated assumption, see ``docs/matching.md``), ``u`` how often it appears by
chance, measured on the remains file itself. A score of 2 means the evidence
is 100 times likelier for the same person; 0 means it says nothing.

Hard exclusions, only where the evidence is certain, drop a pair:

* a sex conflict on a complete or partial body (a skeleton's estimate can err);
* remains found more than :data:`FOUND_BEFORE_DAYS` days before the person
  was last seen;
* an age at death more than :data:`AGE_MARGIN` years outside what the age at
  disappearance and the years elapsed allow;
* statures more than :data:`STATURE_MARGIN` cm apart beyond the family's
  rounding (:data:`STATURE_ROUNDING`).

Scale: pairs are compared in blocks, each block being the missing people of
one state (sorted by date) against the remains found in that state since the
earliest of them was last seen, as dense NumPy arrays; token evidence for
frequent tokens is one matrix product per block, and rare tokens (a name in a
tattoo, a brand, a tooth) are found by a sparse product across every state,
so remains found in another state are still proposed when they share rare
evidence (:data:`CROSS_STATE_MIN`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from memoria.matching import features, kernel
from memoria.matching.schema import Missing, Remains
from memoria.matching.vocabulary import SKIN_KINDS

FOUND_BEFORE_DAYS = 30
AGE_MARGIN = 6.0
AGE_PENALTY_PER_YEAR = 0.35
STATURE_ROUNDING = 5.0
STATURE_MARGIN = 10.0
STATURE_PENALTY_PER_CM = 0.08
CROSS_STATE_MIN = 2.0
CROSS_MIN_COUNT = 30
FULL_COMPARISON = 50_000_000  # below this many pairs, no blocking by state
MAX_TOKEN_WEIGHT = 3.0
# Small files: frequencies are shrunk towards PRIOR_SHARE as if PRIOR_COUNT more
# records had been seen (a rare token among 30 remains is not proof of much).
PRIOR_COUNT = 20
PRIOR_SHARE = 0.05
REFERENCE_AGES = (10.0, 80.0)
REFERENCE_STATURES = (145.0, 190.0)
COMMON_TOKENS = 512
COMMON_MIN_COUNT = 25
BLOCK_CELLS = 6_000_000
NEG = np.float32(-np.inf)

# m: the chance that evidence present in life is also found in a true pair.
M_SEX_AGREE = 0.95
M_SEX_CONFLICT_SKELETON = 0.10
M_AGE_INSIDE = 0.9
M_STATURE_INSIDE = 0.85
M_SAME_MUNICIPALITY = 0.35
M_SAME_STATE = 0.75
M_OTHER_MUNICIPALITY = M_SAME_STATE - M_SAME_MUNICIPALITY
M_FAMILY_OMITS_TATTOO = 0.35
TOKEN_M = {
    "m1": 0.6,  # a mark of this kind in this body region
    "m2": 0.7,  # ... with this motif or cause, given the region
    "m3": 0.25,  # this kind and motif in any region (the family may misplace it)
    "t": 0.5,  # letters or a year written in a tattoo
    "d1": 0.5,  # a dental treatment or loss
    "d2": 0.6,  # ... at this tooth, or of this material
    "c1": 0.4,  # a garment or belonging
    "c2": 0.6,  # ... of this colour, given the garment
    "b": 0.4,  # a brand
    "h": 0.5,  # hair colour or length
}


def _context(token: str) -> str:
    if token.startswith("t:"):
        return "skin"
    if token.startswith("m:"):
        kind = token.split(":")[1]
        return "skin" if kind in SKIN_KINDS else "body"
    return token[0]  # d, c, b, h


def _token_level(token: str) -> str:
    kind = token.split(":", 1)[0]
    if token.startswith("m:") and ":any:" in token:
        return "m3"
    if kind in ("m", "d", "c"):
        return kind + ("2" if features.parent(token) else "1")
    return kind


@dataclass
class Model:
    """What the files say about how common each piece of evidence is."""

    tokens: dict[str, int]
    weights: np.ndarray  # float32 per token
    common: np.ndarray  # int32 token ids in the dense path
    common_pos: np.ndarray  # token id -> column in the dense matrices, -1 if rare
    am_common: np.ndarray  # (missing, common) float32 weights
    pm_common: np.ndarray  # (remains, common) float32 0/1
    am_token_ptr: np.ndarray  # CSR of each missing person's common tokens
    am_token_word: np.ndarray
    am_token_bit: np.ndarray
    am_token_weight: np.ndarray
    pm_bits: np.ndarray  # (remains, words) uint64: the common tokens each remains has
    am_rare: sparse.csr_matrix
    pm_rare: sparse.csr_matrix
    am_cross: sparse.csr_matrix  # tokens rare enough to look for across states
    pm_cross: sparse.csr_matrix
    # Per remains: log10 weights that depend only on the remains.
    sex_agree: np.ndarray
    sex_conflict: np.ndarray
    age_inside: np.ndarray
    stature_inside: np.ndarray
    same_municipality: np.ndarray
    same_state_other_municipality: np.ndarray
    same_state: np.ndarray
    other_state: np.ndarray
    tattoo_missed: np.ndarray
    time_table: np.ndarray  # log10 LR by days between last seen and found


def _log10(x) -> np.ndarray:
    return np.log10(np.asarray(x, dtype=np.float64)).astype(np.float32)


def _share_between(sorted_values, low, high, reference: tuple[float, float]) -> np.ndarray:
    """For each (low, high), the share of sorted_values inside [low, high].

    Shrunk towards a uniform reference range as if PRIOR_COUNT more people had
    been seen, so that small files give sensible shares.
    """
    inside = np.searchsorted(sorted_values, high, side="right") - np.searchsorted(
        sorted_values, low, side="left"
    )
    ref_low, ref_high = reference
    uniform = np.clip(
        (np.minimum(high, ref_high) - np.maximum(low, ref_low)) / (ref_high - ref_low), 0, 1
    )
    uniform = np.nan_to_num(uniform, nan=1.0)
    return (inside + PRIOR_COUNT * uniform) / (len(sorted_values) + PRIOR_COUNT)


def _time_table(span_days: float) -> np.ndarray:
    days = np.arange(0, 366 * 60, dtype=np.float64)
    same = (
        0.45 / 180 * np.exp(-days / 180)
        + 0.35 / 730 * np.exp(-days / 730)
        + 0.20 / (25 * 365.25) * (days <= 25 * 365.25)
        + 1e-7
    )
    return _log10(same * max(span_days, 365.0))


def build_model(missing: Missing, remains: Remains) -> Model:
    n_m, n_r = len(missing), len(remains)
    # Token frequencies among the remains (u), and each token's weight log10(m/u).
    counts: Counter[str] = Counter()
    for tokens in remains.tokens:
        counts.update(tokens)
    vocabulary: dict[str, int] = {}
    for tokens in missing.tokens:
        for token in tokens:
            if token in counts and token not in vocabulary:
                vocabulary[token] = len(vocabulary)
    # The frequency of a token counts only the remains that could show it: hair
    # where hair was described, skin marks where skin was seen, teeth where teeth
    # were charted, clothes where clothes were recovered.
    context: Counter[str] = Counter()
    for tokens, seen in zip(remains.tokens, remains.skin_seen, strict=True):
        families = {_context(t) for t in tokens}
        if seen > 0:
            families.add("skin")
        context.update(families)
    weights = np.zeros(len(vocabulary), dtype=np.float32)
    for token, index in vocabulary.items():
        n_context = context.get(_context(token), 0)
        share = (counts[token] + PRIOR_COUNT * PRIOR_SHARE) / (n_context + PRIOR_COUNT)
        up = features.parent(token)
        parent_share = (
            (counts.get(up, 0) + PRIOR_COUNT * PRIOR_SHARE) / (n_context + PRIOR_COUNT)
            if up
            else 1.0
        )
        conditional = min(1.0, share / parent_share)
        m = TOKEN_M[_token_level(token)]
        weights[index] = np.clip(np.log10(m / conditional), 0.0, MAX_TOKEN_WEIGHT)
    by_count = sorted(vocabulary, key=lambda t: (-counts[t], t))
    common_tokens = [t for t in by_count[:COMMON_TOKENS] if counts[t] >= COMMON_MIN_COUNT]
    common = np.array([vocabulary[t] for t in common_tokens], dtype=np.int32)
    common_pos = np.full(len(vocabulary), -1, dtype=np.int32)
    common_pos[common] = np.arange(len(common), dtype=np.int32)
    cross_limit = max(CROSS_MIN_COUNT, n_r // 200)
    cross = np.array([counts[t] <= cross_limit for t in vocabulary], dtype=bool)

    def matrices(rows: list[tuple[str, ...]], weighted: bool):
        lengths = np.fromiter((len(t) for t in rows), dtype=np.int64, count=len(rows))
        get = vocabulary.get
        ids = np.fromiter(
            (get(t, -1) for tokens in rows for t in tokens), dtype=np.int64, count=lengths.sum()
        )
        row_of = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
        known = ids >= 0
        ids, row_of = ids[known], row_of[known]
        pos = common_pos[ids]
        dense = np.zeros((len(rows), len(common)), dtype=np.float32)
        is_common = pos >= 0
        dense[row_of[is_common], pos[is_common]] = weights[ids[is_common]] if weighted else 1.0
        sparse_part = ~is_common | cross[ids]
        r_rows, r_cols = row_of[sparse_part], ids[sparse_part]
        r_rows_a = np.array(r_rows, dtype=np.int32)
        r_cols_a = np.array(r_cols, dtype=np.int32)
        values = weights[r_cols_a] if weighted else np.ones(len(r_cols_a), dtype=np.float32)
        shape = (len(rows), len(vocabulary))
        rare_only = common_pos[r_cols_a] < 0
        rare = sparse.csr_matrix(
            (values[rare_only], (r_rows_a[rare_only], r_cols_a[rare_only])), shape=shape
        )
        crossing = cross[r_cols_a]
        cross_matrix = sparse.csr_matrix(
            (values[crossing], (r_rows_a[crossing], r_cols_a[crossing])), shape=shape
        )
        return dense, rare, cross_matrix

    am_common, am_rare, am_cross = matrices(missing.tokens, weighted=True)
    pm_common, pm_rare, pm_cross = matrices(remains.tokens, weighted=False)
    words = max(1, (len(common) + 63) // 64)
    pm_bits = np.zeros((n_r, words), dtype=np.uint64)
    for pos in range(len(common)):
        pm_bits[:, pos // 64] |= (pm_common[:, pos] > 0).astype(np.uint64) << np.uint64(pos % 64)
    nz_rows, nz_pos = np.nonzero(am_common)
    am_token_ptr = np.zeros(n_m + 1, dtype=np.int64)
    np.add.at(am_token_ptr, nz_rows + 1, 1)
    am_token_ptr = np.cumsum(am_token_ptr)

    # Sex.
    determined = remains.sex > 0
    share_sex = np.array(
        [0.5, *(max(0.05, np.mean(remains.sex[determined] == s)) for s in (1, 2))]
        if determined.any()
        else [0.5, 0.5, 0.5]
    )
    p = np.maximum(share_sex[remains.sex], 0.2)  # neither sex is ever rarer than this
    # Age and stature: how many missing people the remains' range would fit.
    ages = np.sort(missing.age[~np.isnan(missing.age)])
    q_age = _share_between(ages, remains.age_min - 1, remains.age_max + 1, REFERENCE_AGES)
    statures = np.sort(missing.stature[~np.isnan(missing.stature)])
    q_stature = _share_between(
        statures,
        remains.stature_min - STATURE_ROUNDING,
        remains.stature_max + STATURE_ROUNDING,
        REFERENCE_STATURES,
    )
    # Place.
    state_share = np.bincount(remains.state, minlength=33) / max(n_r, 1)
    f_state = np.maximum(state_share[remains.state], 1 / max(n_r, 1))
    _, inverse, mun_counts = np.unique(
        remains.municipality, return_inverse=True, return_counts=True
    )
    f_mun = np.maximum(mun_counts[inverse] / max(n_r, 1), 1 / max(n_r, 1))
    seen = missing.seen_lo[missing.seen_lo >= 0]
    span = (remains.found.max() - seen.min()) if len(seen) and n_r else 3650.0
    return Model(
        tokens=vocabulary,
        weights=weights,
        common=common,
        common_pos=common_pos,
        am_common=am_common,
        pm_common=pm_common,
        am_token_ptr=am_token_ptr,
        am_token_word=(nz_pos // 64).astype(np.int64),
        am_token_bit=np.left_shift(np.uint64(1), (nz_pos % 64).astype(np.uint64)),
        am_token_weight=am_common[nz_rows, nz_pos].astype(np.float32),
        pm_bits=pm_bits,
        am_rare=am_rare,
        pm_rare=pm_rare,
        am_cross=am_cross,
        pm_cross=pm_cross,
        sex_agree=_log10(M_SEX_AGREE / p),
        sex_conflict=_log10(M_SEX_CONFLICT_SKELETON / p),
        age_inside=_log10(M_AGE_INSIDE / np.maximum(q_age, 0.03)),
        stature_inside=_log10(M_STATURE_INSIDE / np.maximum(q_stature, 0.05)),
        same_municipality=_log10(M_SAME_MUNICIPALITY / f_mun),
        same_state_other_municipality=_log10(
            M_OTHER_MUNICIPALITY / np.maximum(f_state - f_mun, 1 / max(n_r, 1))
        ),
        same_state=_log10(M_SAME_STATE / f_state),
        other_state=_log10((1 - M_SAME_STATE) / np.maximum(1 - f_state, 0.05)),
        tattoo_missed=_log10(np.maximum(1 - remains.skin_seen, 1e-3)),
        time_table=_time_table(float(span)),
    )


_POPCOUNT = np.array([bin(x).count("1") for x in range(256)], dtype=np.float32)
UNREPORTED_WEIGHT = np.float32(np.log10(M_FAMILY_OMITS_TATTOO / (1 - 0.3)))
COMPONENTS = ("sex", "time", "age", "stature", "place", "tattoos_not_found", "tattoos_unreported")
EXCLUSIONS = ("sex", "found_before", "age", "stature")


def components(model: Model, am: Missing, pm: Remains, i, j) -> tuple[dict, dict]:
    """Each piece of numeric evidence (log10 LR) and each exclusion, for index arrays.

    ``i`` and ``j`` broadcast: a column and a row give a block, two equal-length
    arrays give pairs. Token evidence is not included (see :func:`score_pairs`).
    """
    sa, sp = am.sex[i], pm.sex[j]
    both = (sa > 0) & (sp > 0)
    conflict = both & (sa != sp)
    soft = pm.condition[j] >= 2
    sex = np.where(both, np.where(conflict, model.sex_conflict[j], model.sex_agree[j]), 0)
    lo, hi, found = am.seen_lo[i], am.seen_hi[i], pm.found[j]
    seen_known = lo >= 0
    found_before = seen_known & (found < lo - FOUND_BEFORE_DAYS)
    gap = np.clip(found - (lo + hi) // 2, 0, len(model.time_table) - 1)
    when = np.where(seen_known, model.time_table[gap], 0)
    elapsed = np.where(seen_known, np.maximum(found - hi, 0), 0).astype(np.float32) / 365.25
    age = am.age[i]
    outside = np.maximum(
        np.maximum(pm.age_min[j] - (age + elapsed + 1), age - 1 - pm.age_max[j]), 0
    )
    age_known = ~np.isnan(outside)
    outside = np.nan_to_num(outside)
    age_w = np.where(age_known, model.age_inside[j] - AGE_PENALTY_PER_YEAR * outside, 0)
    stature = am.stature[i]
    off = np.maximum(
        np.maximum(
            pm.stature_min[j] - STATURE_ROUNDING - stature,
            stature - STATURE_ROUNDING - pm.stature_max[j],
        ),
        0,
    )
    stature_known = ~np.isnan(off)
    off = np.nan_to_num(off)
    stature_w = np.where(stature_known, model.stature_inside[j] - STATURE_PENALTY_PER_CM * off, 0)
    st_a, st_p = am.state[i], pm.state[j]
    mu_a, mu_p = am.municipality[i], pm.municipality[j]
    place_known = (st_a > 0) & (st_p > 0)
    same_state = st_a == st_p
    place = np.where(
        ~place_known,
        0,
        np.where(
            same_state,
            np.where(
                (mu_a > 0) & (mu_a == mu_p),
                model.same_municipality[j],
                np.where(
                    (mu_a > 0) & (mu_p > 0),
                    model.same_state_other_municipality[j],
                    model.same_state[j],
                ),
            ),
            model.other_state[j],
        ),
    )
    ga, gp = am.tattoo_groups[i], pm.tattoo_groups[j]
    missed = _POPCOUNT[ga & ~gp & 0x1F] + ((ga & 0x80) != 0) * (gp == 0)
    not_found = missed * model.tattoo_missed[j]
    unreported = np.where(
        am.marks_known[i],
        np.minimum(_POPCOUNT[gp & ~ga & 0x1F], 2) * UNREPORTED_WEIGHT,
        0,
    )
    evidence = {
        "sex": sex,
        "time": when,
        "age": age_w,
        "stature": stature_w,
        "place": place,
        "tattoos_not_found": not_found,
        "tattoos_unreported": unreported,
    }
    exclusions = {
        "sex": conflict & ~soft,
        "found_before": found_before,
        "age": age_known & (outside > AGE_MARGIN),
        "stature": stature_known & (off > STATURE_MARGIN),
    }
    return evidence, exclusions


def _numeric(model, am, pm, i, j) -> np.ndarray:
    evidence, exclusions = components(model, am, pm, i, j)
    total = sum(evidence.values()).astype(np.float32)
    excluded = exclusions["sex"] | exclusions["found_before"] | exclusions["age"]
    excluded |= exclusions["stature"]
    total[excluded] = NEG
    return total


def block_top(model: Model, am: Missing, pm: Remains, rows, cols, rare, k, full=None):
    """The k best columns per row of a block, with every piece of evidence.

    ``rare`` is a CSR matrix (rows × cols) of rare-token weights. Returns
    positions in ``cols`` (-1 where fewer than k remain) and their scores; when
    ``full`` (rows × cols, float32) is given, every score is written there too.
    """
    top_cols = np.full((len(rows), k), -1, dtype=np.int64)
    top_scores = np.full((len(rows), k), -np.inf, dtype=np.float32)
    if full is None:
        full = np.zeros((0, 0), dtype=np.float32)
    # The block's remains, gathered once so the kernel reads them in order.
    c = np.asarray(cols)
    kernel.block_top(
        rows.astype(np.int64),
        np.arange(len(c), dtype=np.int64),
        model.am_token_ptr,
        model.am_token_word,
        model.am_token_bit,
        model.am_token_weight,
        model.pm_bits[c],
        rare.indptr.astype(np.int64),
        rare.indices.astype(np.int64),
        rare.data.astype(np.float32),
        top_cols,
        top_scores,
        full,
        am.sex,
        am.seen_lo,
        am.seen_hi,
        am.age,
        am.stature,
        am.state,
        am.municipality,
        am.tattoo_groups,
        am.marks_known,
        pm.sex[c],
        pm.condition[c],
        pm.found[c],
        pm.age_min[c],
        pm.age_max[c],
        pm.stature_min[c],
        pm.stature_max[c],
        pm.state[c],
        pm.municipality[c],
        pm.tattoo_groups[c],
        model.sex_agree[c],
        model.sex_conflict[c],
        model.age_inside[c],
        model.stature_inside[c],
        model.same_municipality[c],
        model.same_state_other_municipality[c],
        model.same_state[c],
        model.other_state[c],
        model.tattoo_missed[c],
        model.time_table,
        _POPCOUNT,
        UNREPORTED_WEIGHT,
        FOUND_BEFORE_DAYS,
        np.float32(AGE_MARGIN),
        np.float32(AGE_PENALTY_PER_YEAR),
        np.float32(STATURE_ROUNDING),
        np.float32(STATURE_MARGIN),
        np.float32(STATURE_PENALTY_PER_CM),
    )
    return top_cols, top_scores


def score_pairs(model: Model, am: Missing, pm: Remains, i, j, rare=None) -> np.ndarray:
    """Scores (log10 LR; -inf when excluded) of pairs given as two index arrays."""
    i, j = np.asarray(i), np.asarray(j)
    total = _numeric(model, am, pm, i, j)
    if len(model.common):
        total += np.einsum("ij,ij->i", model.am_common[i], model.pm_common[j])
    if rare is None:
        rare = np.asarray(model.am_rare[i].multiply(model.pm_rare[j]).sum(axis=1)).ravel()
    return (total + rare).astype(np.float32)


@dataclass
class Evidence:
    code: str
    weight: float
    detail: str = ""


@dataclass
class Explanation:
    """Why a pair scores what it does, or why it is excluded."""

    missing_id: str
    remains_id: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    exclusions: list[Evidence] = field(default_factory=list)

    @property
    def excluded(self) -> bool:
        return bool(self.exclusions)


def explain(model: Model, am: Missing, pm: Remains, i: int, j: int) -> Explanation:
    """Every piece of evidence for one pair with its weight, and every exclusion."""
    ii, jj = np.array([i]), np.array([j])
    evidence, exclusions = components(model, am, pm, ii, jj)
    items = [Evidence(k, round(float(v[0]), 3)) for k, v in evidence.items() if v[0] != 0]
    shared = set(am.tokens[i]) & set(pm.tokens[j])
    for token in sorted(shared):
        index = model.tokens.get(token)
        if index is not None and model.weights[index] > 0:
            items.append(Evidence("shared", round(float(model.weights[index]), 3), token))
    reasons = {
        "sex": f"sex {am.frame['sex'].iat[i]} against a {pm.frame['condition'].iat[j]} "
        f"body estimated {pm.frame['sex_estimate'].iat[j]}",
        "found_before": f"found {pm.frame['found_date'].iat[j]}, more than "
        f"{FOUND_BEFORE_DAYS} days before last seen {am.frame['last_seen_date'].iat[i]}",
        "age": f"age at death {pm.frame['age_min'].iat[j] or '?'}–"
        f"{pm.frame['age_max'].iat[j] or '?'} impossible for age "
        f"{am.age[i]:.0f} at disappearance (margin {AGE_MARGIN:g} years)",
        "stature": f"stature {pm.frame['stature_min_cm'].iat[j]}–"
        f"{pm.frame['stature_max_cm'].iat[j]} cm against {am.stature[i]:.0f} cm "
        f"(beyond {STATURE_ROUNDING + STATURE_MARGIN:g} cm)",
    }
    excluded = [Evidence(k, float("-inf"), reasons[k]) for k, v in exclusions.items() if v[0]]
    score = float("-inf") if excluded else round(sum(e.weight for e in items), 3)
    return Explanation(str(am.ids[i]), str(pm.ids[j]), score, items, excluded)


@dataclass
class MatchResult:
    candidates: pd.DataFrame  # missing_id, remains_id, rank, score
    reverse: pd.DataFrame | None  # remains_id, missing_id, rank, score
    summary: dict
    model: Model


def _top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and scores of the k best per row (unordered)."""
    if scores.shape[1] <= k:
        cols = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
        return cols, scores
    cols = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return cols, np.take_along_axis(scores, cols, axis=1)


def _best_per_group(
    groups, others, scores, k
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keep the k best (group, other, score) per group, ranked; -inf dropped."""
    keep = np.isfinite(scores)
    groups, others, scores = groups[keep], others[keep], scores[keep]
    order = np.lexsort((others, -scores, groups))
    groups, others, scores = groups[order], others[order], scores[order]
    first = np.r_[True, groups[1:] != groups[:-1]]
    starts = np.flatnonzero(first)
    rank = np.arange(len(groups)) - np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    keep = rank < k
    return groups[keep], others[keep], scores[keep], rank[keep] + 1


def match(
    am: Missing,
    pm: Remains,
    top: int = 10,
    reverse: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> MatchResult:
    """Rank the ``top`` remains for each missing person (and, if asked, the reverse)."""
    started = time.monotonic()
    model = build_model(am, pm)
    n_m, n_r = len(am), len(pm)
    out_i, out_j, out_s = [], [], []
    rev_i, rev_j, rev_s = [], [], []
    compared = 0
    done = 0
    pm_rare_t = model.pm_rare.T.tocsr()
    pm_cross_t = model.pm_cross.T.tocsr()
    states = np.unique(am.state) if n_m * n_r > FULL_COMPARISON else np.array([0])
    for state in states:
        rows = np.flatnonzero(am.state == state) if len(states) > 1 else np.arange(n_m)
        rows = rows[np.lexsort((am.seen_lo[rows], am.sex[rows]))]
        if state == 0:
            cols_all = np.arange(n_r)
        else:
            cols_all = np.flatnonzero((pm.state == state) | (pm.state == 0))
        cols_all = cols_all[np.argsort(pm.found[cols_all], kind="stable")]
        found_sorted = pm.found[cols_all]
        in_block = np.full(n_r, False)
        in_block[cols_all] = True
        chunk = max(16, min(2048, BLOCK_CELLS // max(len(cols_all), 1)))
        for start in range(0, len(rows), chunk):
            i = rows[start : start + chunk]
            lows = am.seen_lo[i]
            first = lows[lows >= 0].min() if (lows >= 0).all() else -(10**9)
            cols = cols_all[np.searchsorted(found_sorted, first - FOUND_BEFORE_DAYS) :]
            sexes = np.unique(am.sex[i])
            if len(sexes) == 1 and sexes[0] > 0:
                other = 3 - sexes[0]
                cols = cols[~((pm.sex[cols] == other) & (pm.condition[cols] < 2))]
            scores = None
            product = (model.am_rare[i] @ pm_rare_t).tocoo()
            if len(cols):
                # Rare tokens of this block, as positions in cols sorted per row.
                position = np.full(n_r, -1, dtype=np.int64)
                position[cols] = np.arange(len(cols))
                pos = position[product.col]
                keep = pos >= 0
                rare = sparse.csr_matrix(
                    (product.data[keep], (product.row[keep], pos[keep])),
                    shape=(len(i), len(cols)),
                )
                rare.sort_indices()
                if reverse:
                    scores = np.empty((len(i), len(cols)), dtype=np.float32)
                cc, ss = block_top(model, am, pm, i, cols, rare, top, full=scores)
                compared += len(i) * len(cols)
                found = cc >= 0
                out_i.append(np.repeat(i, cc.shape[1])[found.ravel()])
                out_j.append(cols[cc[found]])
                out_s.append(ss[found])
            # Remains elsewhere that share rare evidence.
            crossing = (model.am_cross[i] @ pm_cross_t).tocoo()
            far = ~in_block[crossing.col] & (crossing.data >= CROSS_STATE_MIN)
            if far.any():
                fi, fj = i[crossing.row[far]], crossing.col[far]
                # Their rare-token weights are in the product already.
                keys = product.row.astype(np.int64) * n_r + product.col
                order = np.argsort(keys)
                wanted = crossing.row[far].astype(np.int64) * n_r + fj
                at = np.minimum(np.searchsorted(keys, wanted, sorter=order), len(keys) - 1)
                hit = order[at] if len(keys) else at
                if len(keys):
                    rare_sum = np.where(keys[hit] == wanted, product.data[hit], 0)
                else:
                    rare_sum = np.zeros(len(wanted))
                rare_sum = rare_sum.astype(np.float32)
                fs = score_pairs(model, am, pm, fi, fj, rare=rare_sum)
                compared += len(fs)
                out_i.append(fi)
                out_j.append(fj)
                out_s.append(fs)
                if reverse:
                    rev_i.append(fi)
                    rev_j.append(fj)
                    rev_s.append(fs)
            if scores is not None:
                rr, rs = _top_k_rows(scores.T, top)
                rev_i.append(i[rr].ravel())
                rev_j.append(np.repeat(cols, rr.shape[1]))
                rev_s.append(rs.ravel())
            done += len(i)
            if progress is not None:
                progress(done, n_m)
    cat = lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype)  # noqa: E731
    gi, gj, gs, rank = _best_per_group(
        cat(out_i, np.int64), cat(out_j, np.int64), cat(out_s, np.float32), top
    )
    candidates = pd.DataFrame(
        {
            "missing_id": am.ids[gi],
            "remains_id": pm.ids[gj],
            "rank": rank,
            "score": np.round(gs.astype(np.float64), 2),
        }
    )
    reverse_frame = None
    if reverse:
        rj, ri, rs, rrank = _best_per_group(
            cat(rev_j, np.int64), cat(rev_i, np.int64), cat(rev_s, np.float32), top
        )
        reverse_frame = pd.DataFrame(
            {
                "remains_id": pm.ids[rj],
                "missing_id": am.ids[ri],
                "rank": rrank,
                "score": np.round(rs.astype(np.float64), 2),
            }
        )
    summary = {
        "missing": n_m,
        "remains": n_r,
        "pairs_compared": int(compared),
        "people_with_candidates": int(len(np.unique(gi))),
        "candidate_rows": int(len(candidates)),
        # Strong: a likelihood ratio above the number of remains, enough to
        # outweigh the prior odds of one chance in that many.
        "strong_candidates": int((gs >= np.log10(max(n_r, 10))).sum()),
        "seconds": round(time.monotonic() - started, 1),
    }
    if reverse_frame is not None:
        summary["remains_with_candidates"] = int(reverse_frame["remains_id"].nunique())
    return MatchResult(candidates, reverse_frame, summary, model)
