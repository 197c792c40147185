"""The linkage pipeline: read, train, score, cluster, explain.

Internal: use :func:`memoria.linkage.link_records`.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from memoria.linkage import model
from memoria.linkage.backends import Backend, make_backend
from memoria.linkage.explain import explain_pairs, level_labels
from memoria.linkage.features import OTHER_READING, base_id, build_features_both_ways
from memoria.linkage.learning import (
    MProbabilities,
    apply_m,
    label_vector,
    learn_m,
    model_with_m,
    trained_m,
    trained_u,
)
from memoria.linkage.schema import CleaningReport, InputError, read_source

Progress = Callable[[str], None]
SourceInput = pd.DataFrame | str | Path
# Reviewers' answers: (unique_id, unique_id) -> "same", "different" or "unsure".
Labels = Mapping[tuple[str, str], str]

DEFAULT_THRESHOLD = 0.9
DEFAULT_REVIEW_BAND = (0.5, 0.98)
# Below this many records with a complete birth date, EM cannot learn name
# agreement from birth-date blocks and uses the fallback rule.
MIN_FULL_BIRTH_DATES = 200
EXACT_COUNT_LIMIT = 200_000
# Pairs scoring below this (with the first estimate of the prior) are
# dropped before the prior is re-estimated; together they carry a negligible
# share of the expected number of matches.
PRIOR_FLOOR_PROBABILITY = 0.001


@dataclass
class LinkageResult:
    """What a linkage run produces.

    ``clusters``: one row per record (source, record_id, cluster_id).
    ``review``: pairs whose match probability falls in the review band, with
    an explanation of each score, for a human to confirm or reject.
    ``pairs``: every scored pair at or above the lower end of the review band.
    ``capture_histories``: one row per cluster, a 0/1 column per source.
    ``model``: the trained Splink model (``save_model_to_json``), with the m
    probabilities learned from the answers when there were answers.
    """

    clusters: pd.DataFrame
    pairs: pd.DataFrame
    review: pd.DataFrame
    capture_histories: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    # What relearn() needs to score again with answers, without retraining.
    scoring: Scoring | None = field(default=None, repr=False)


def _as_sources(
    sources: Mapping[str, SourceInput] | Sequence[SourceInput],
    strict: bool = True,
    report: CleaningReport | None = None,
) -> tuple[list[str], list[pd.DataFrame]]:
    """Read every source; returns their names (in input order) and records."""
    if isinstance(sources, Mapping):
        items = [(str(name), data) for name, data in sources.items()]
    else:
        items = [
            (f"source{i + 1}" if isinstance(data, pd.DataFrame) else Path(data).stem, data)
            for i, data in enumerate(sources)
        ]
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise InputError(f"two sources share a name: {sorted(names)}; rename one")
    return names, [read_source(data, name, strict=strict, report=report) for name, data in items]


def _train(
    linker: Any, seed: int, max_pairs_u: float, full_birth_dates: int, records: int, say: Progress
) -> list[str]:
    """Train the model; returns notes about sessions that had to be shortened."""
    say("estimating how many records match")
    linker.training.estimate_probability_two_random_records_match(
        list(model.DETERMINISTIC_RULES), recall=model.DETERMINISTIC_RECALL
    )
    say("estimating u probabilities from random pairs")
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs_u, seed=seed)
    rules = list(model.TRAINING_BLOCKING_RULES)
    if full_birth_dates < MIN_FULL_BIRTH_DATES:
        rules[0] = model.FALLBACK_TRAINING_RULE
    notes = []
    for rule in rules:
        say(f"EM training on pairs blocked by {rule}")
        lift_starting_m(linker)
        note = _em_session(linker, rule)
        if note:
            notes.append(note)
    floor_m_probabilities(linker, records)
    return notes


def _levels_with_m(comparison: Any) -> list:
    """A comparison's levels that have an m probability (not the null level)."""
    return [
        level
        for level in comparison.comparison_levels
        if not level.is_null_level
        and level.m_probability is not None
        and not math.isnan(level.m_probability)
    ]


def _scale_to_one(levels: list) -> None:
    total = sum(level.m_probability for level in levels)
    for level in levels:
        level.m_probability = level.m_probability / total


#: No m probability starts an EM session below this (see lift_starting_m).
SESSION_START_FLOOR = 1e-10


def lift_starting_m(linker: Any) -> None:
    """Lift every m probability below ``SESSION_START_FLOOR`` before an EM session.

    A session starts from the estimates the sessions before it left, and EM
    leaves plain disagreement on place, sex or event date near 1e-50 (true
    pairs never show it). Started there, a session in which a level is shown
    only by pairs with such a disagreement (namesakes in another state)
    drives that level's m below what Splink accepts (1e-300) in one or two
    iterations, and the session is cut short or skipped (``_em_session``).
    Starting values only set where EM begins: a session that converges ends
    where it would have, and each session's own estimates are what Splink
    combines, so the model keeps its vetoes while EM gets the iterations to
    reach them. The levels of each comparison are scaled to add up to 1.
    """
    for comparison in linker._settings_obj.comparisons:
        levels = _levels_with_m(comparison)
        if not any(level.m_probability < SESSION_START_FLOOR for level in levels):
            continue
        for level in levels:
            level.m_probability = max(level.m_probability, SESSION_START_FLOOR)
        _scale_to_one(levels)


def floor_m_probabilities(linker: Any, records: int) -> None:
    """No level but a comparison's last ("differ") is left with an m
    probability below half a match in the lists.

    EM estimates a level's m from the matches its training blocks hold. A
    level that true pairs of one list alone show (a press list's names
    split differently: it gives no birth dates, so the session blocked on
    birth dates never sees them) can be met by none or one of them, and EM
    then drives its m towards 0 (1e-37 was seen): a level that means "every
    name word agrees" became a veto stronger than any disagreement. Seen
    zero times among ``M`` matches, a level's m is about ``0.5 / M``, not 0
    (the Jeffreys estimate of a proportion), where ``M`` is the expected
    number of matches among the records. The last level of each comparison
    (plain disagreement) keeps EM's estimate: that true pairs almost never
    show it is what the lists say, and it is what holds relatives and
    namesakes apart. The levels are then scaled to add up to 1 again.
    """
    settings = linker._settings_obj
    prior = settings._probability_two_random_records_match
    matches = prior * records * (records - 1) / 2
    if matches < 1:
        return
    floor = 0.5 / matches
    for comparison in settings.comparisons:
        levels = _levels_with_m(comparison)
        raised = False
        for level in levels:
            if level.comparison_vector_value > 0 and level.m_probability < floor:
                level.m_probability = floor
                raised = True
        if raised:
            _scale_to_one(levels)


def _em_session(linker: Any, rule: str) -> str | None:
    """One EM session, shortened if an m probability underflows.

    Splink 5 refuses m values below 1e-300. EM reaches them when a level of
    a comparison is seen only in non-matches among the session's pairs
    ("age within 3 years" in a session blocked on full names, where such
    pairs are namesakes): it drives that level's m towards 0, in as few as
    two iterations when the session starts from vetoes (``lift_starting_m``
    prevents most of that). The session is run again with half the
    iterations until it ends before the underflow, so that the comparisons
    it trains keep its estimates, even from a single iteration
    (``floor_m_probabilities`` then lifts the vanishing level). Skipping the
    session instead left those comparisons with their starting values: "age
    agrees" kept m 0.01 and counted against a match.
    """
    # A failed session leaves the linker's model half trained: restore it
    # before each retry.
    model_before = copy.deepcopy(linker._settings_obj.core_model_settings)
    saved = linker._settings_obj.training_settings
    iterations = saved.max_iterations
    try:
        while True:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=5e6
                )
            except ValueError as error:
                if "below the minimum allowed" not in str(error):
                    raise
                linker._settings_obj.core_model_settings = copy.deepcopy(model_before)
                if iterations == 1:
                    return (
                        f"EM on '{rule}' skipped (probability underflow); "
                        "its parameters keep other estimates"
                    )
                iterations = max(1, iterations // 2)
                linker._settings_obj.training_settings = dataclasses.replace(
                    saved, max_iterations=iterations
                )
                continue
            if iterations == saved.max_iterations:
                return None
            unit = "iteration" if iterations == 1 else "iterations"
            return f"EM on '{rule}' stopped after {iterations} {unit} (probability underflow)"
    finally:
        linker._settings_obj.training_settings = saved


def _logit2(probability: float) -> float:
    return math.log2(probability / (1 - probability))


def estimate_prior(
    match_weights: np.ndarray, prior: float, records: int, max_iterations: int = 200
) -> float:
    """The probability that two random records match, re-estimated from the
    scored candidate pairs (expectation-maximisation on the prior alone).

    ``match_weights`` are Splink's weights of the candidate pairs, which
    include the prior term ``log2(prior / (1 - prior))``; subtracting it
    leaves each pair's Bayes factor, which does not depend on the prior. The
    expected number of true pairs under a prior ``λ`` is the sum of the
    pairs' match probabilities; dividing it by the number of possible pairs
    ``records * (records - 1) / 2`` gives the next ``λ``, until the two
    agree. Pairs that no blocking rule produces, or that score below the
    floor, count as non-matches (blocking misses few true pairs).

    The first estimate (deterministic rules with an assumed recall) depends
    on a guessed constant; this one is consistent with the model's own
    scores: the probabilities it returns add up to the number of matches it
    implies.
    """
    possible = records * (records - 1) / 2
    if possible <= 0 or len(match_weights) == 0 or not 0 < prior < 1:
        return prior
    log_bayes_factor = np.asarray(match_weights, dtype=float) - _logit2(prior)
    current = prior
    for _ in range(max_iterations):
        odds = np.exp2(np.clip(log_bayes_factor + _logit2(current), -1000, 1000))
        expected = float((odds / (1 + odds)).sum())
        following = min(max(expected / possible, 1e-15), 0.5)
        if abs(following - current) <= 1e-6 * current:
            return following
        current = following
    return current


def rescore(scored: pd.DataFrame, prior_before: float, prior: float) -> pd.DataFrame:
    """Match weights and probabilities of ``scored`` with a new prior (the
    Bayes factors are unchanged)."""
    if prior == prior_before:
        return scored
    scored = scored.copy()
    scored["match_weight"] = scored["match_weight"] + (_logit2(prior) - _logit2(prior_before))
    odds = np.exp2(scored["match_weight"].clip(-1000, 1000))
    scored["match_probability"] = odds / (1 + odds)
    return scored


def vetoed(pairs: pd.DataFrame) -> pd.Series:
    """Pairs never linked automatically, whatever their score.

    Splink adds the evidence of each comparison as if independent. Relatives
    break that: siblings share both surnames, the municipality and often the
    day they were taken, and those agreements outweigh different given names.
    So a pair whose given names are both known and plainly differ (lowest
    level), or whose birth years are more than two years apart (three when
    one side is an age), is held back for human review instead of being
    linked.

    Siblings never share a CURP: a pair with the same (valid, checked at
    import) CURP on both records is not vetoed, whatever its names and dates.
    """
    given_differ = pairs["gamma_given_name"] == 0
    birth_differ = pairs["gamma_birth"] == 0
    veto = given_differ | birth_differ
    if "curp_l" in pairs and "curp_r" in pairs:
        same_curp = pairs["curp_l"].notna() & (pairs["curp_l"] == pairs["curp_r"])
        veto &= ~same_curp.fillna(False).astype(bool)
    return veto


def refuse_links_across_vetoes(pairs: pd.DataFrame, cannot_link: pd.Series) -> pd.Series:
    """The ``linked`` flags of ``pairs`` after refusing links that would put
    two records of a vetoed pair in one cluster.

    Clusters are connected components: if A–B and B–C are linked while A–C is
    vetoed (two brothers, and a third record that matches both), the three
    end up together and the veto is bypassed. So, inside every component that
    holds a vetoed pair, links are added again strongest first (union-find),
    and a link that would join two groups between which a pair is vetoed is
    refused: it is set to False and goes to review as a held-back pair.

    ``pairs`` has unique_id_l, unique_id_r, match_probability and a boolean
    ``linked``; ``cannot_link`` flags the vetoed pairs (same index).
    """
    linked = pairs["linked"].to_numpy(dtype=bool).copy()
    cannot = cannot_link.to_numpy(dtype=bool) & ~linked
    if not cannot.any():
        return pd.Series(linked, index=pairs.index)
    codes, ids = pd.factorize(
        np.concatenate([pairs["unique_id_l"].to_numpy(), pairs["unique_id_r"].to_numpy()])
    )
    left, right = codes[: len(pairs)], codes[len(pairs) :]
    labels = _components(len(ids), left[linked], right[linked])
    conflict = cannot & (labels[left] == labels[right])
    if not conflict.any():
        return pd.Series(linked, index=pairs.index)
    troubled = set(labels[left[conflict]].tolist())
    forbidden: dict[int, set[int]] = {}
    for a, b in zip(left[conflict].tolist(), right[conflict].tolist(), strict=True):
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)
    redo = np.flatnonzero(linked & np.isin(labels[left], list(troubled)))
    # Strongest first; ties in a fixed order so that runs are reproducible.
    probability = pairs["match_probability"].to_numpy()[redo]
    redo = redo[np.lexsort((right[redo], left[redo], -probability))]
    groups = _VetoAwareGroups(forbidden)
    for row in redo.tolist():
        if not groups.join(int(left[row]), int(right[row])):
            linked[row] = False
    return pd.Series(linked, index=pairs.index)


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


class _VetoAwareGroups:
    """Union-find whose groups never contain both records of a forbidden pair."""

    def __init__(self, forbidden: dict[int, set[int]]) -> None:
        self.parent: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        # Per group root: the records that no member of the group may join.
        self.forbidden = {node: set(others) for node, others in forbidden.items()}

    def root(self, node: int) -> int:
        parent = self.parent.setdefault(node, node)
        if parent == node:
            return node
        top = self.root(parent)
        self.parent[node] = top
        return top

    def join(self, a: int, b: int) -> bool:
        """Merge the groups of ``a`` and ``b``; False if a forbidden pair would meet."""
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return True
        members_a = self.members.setdefault(ra, [ra])
        members_b = self.members.setdefault(rb, [rb])
        if len(members_a) < len(members_b):
            ra, rb, members_a, members_b = rb, ra, members_b, members_a
        banned = self.forbidden.get(ra)
        if banned and any(m in banned for m in members_b):
            return False
        self.parent[rb] = ra
        members_a.extend(members_b)
        del self.members[rb]
        if rb in self.forbidden:
            self.forbidden.setdefault(ra, set()).update(self.forbidden.pop(rb))
        return True


def connected_clusters(records: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Clusters = connected components of the linked pairs, numbered 1..n.

    ``records`` has unique_id, source, record_id; ``pairs`` has unique_id_l,
    unique_id_r and a boolean ``linked``. Numbering follows the records'
    order (source, record_id) so that output is stable between runs.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    records = records.sort_values(["source", "record_id"], kind="stable").reset_index(drop=True)
    index = pd.Series(range(len(records)), index=records["unique_id"].to_numpy())
    linked = pairs[pairs["linked"]]
    left = index.reindex(linked["unique_id_l"].to_numpy()).to_numpy()
    right = index.reindex(linked["unique_id_r"].to_numpy()).to_numpy()
    n = len(records)
    graph = coo_matrix(([1] * len(left), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Relabel by first appearance so cluster 1 holds the first record.
    first_seen = pd.Series(labels).drop_duplicates()
    renumber = pd.Series(range(1, len(first_seen) + 1), index=first_seen.to_numpy())
    out = records[["source", "record_id"]].copy()
    out["cluster_id"] = renumber.reindex(labels).to_numpy().astype("int64")
    return out


def capture_histories(clusters: pd.DataFrame, sources: Sequence[str]) -> pd.DataFrame:
    """One row per cluster: ``cluster_id`` and a 0/1 column per source.

    This is the input format of ``memoria estimate``.
    """
    table = pd.crosstab(clusters["cluster_id"], clusters["source"]).clip(upper=1)
    table = table.reindex(columns=list(sources), fill_value=0).astype("int64")
    return table.reset_index().rename_axis(columns=None)


def _count_candidates(linker: Any, records: int) -> tuple[int, bool]:
    """Number of pairs the blocking rules compare, and whether it is estimated.

    Exact counting repeats every blocking join; above
    ``EXACT_COUNT_LIMIT`` records the count is estimated from a 10% sample
    of records on each side instead.
    """
    exact = records <= EXACT_COUNT_LIMIT
    counts = linker.blocking_analysis.count_comparisons_from_blocking_rules(
        record_sample_proportion=1.0 if exact else 0.1
    )
    return (int(counts[-1]["cumulative_comparison_count"]) if counts else 0), not exact


@dataclass(frozen=True)
class _Options:
    threshold: float
    band: tuple[float, float]
    seed: int
    max_pairs_u: float
    count_candidates: bool


def link_records(
    sources: Mapping[str, SourceInput] | Sequence[SourceInput],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    review_band: tuple[float, float] = DEFAULT_REVIEW_BAND,
    backend: str | Backend = "duckdb",
    seed: int = 42,
    max_pairs_u: float = 2e6,
    count_candidates: bool = True,
    progress: Progress | None = None,
    strict: bool = False,
    labels: Labels | None = None,
) -> LinkageResult:
    """Deduplicate and link person records across any number of sources.

    ``sources`` maps a source name to a DataFrame or CSV path in the standard
    schema (see :mod:`memoria.linkage.schema`), or is a list of CSV paths
    named by their stems. Records whose pairwise match probability reaches
    ``threshold`` are joined into clusters (connected components of the
    linked pairs, except that the two records of a held-back pair are never
    put in one cluster; see :func:`refuse_links_across_vetoes`); pairs with
    probability in ``review_band`` are returned for human review.
    ``backend`` is ``"duckdb"``, ``"spark"`` or a backend object (see
    :mod:`memoria.linkage.backends`); ``count_candidates`` adds the exact
    number of compared pairs to the summary at the cost of one more pass.

    Placeholders ("N/D", "SIN DATO", birth date 1900-01-01...) are read as
    missing, and dates that cannot exist (1999-02-29) as unknown; both are
    counted in ``summary["input"]``. With ``strict`` an unreadable date
    refuses the run instead.

    ``labels`` are reviewers' answers about pairs, keyed by two
    ``source:record_id`` ids, valued ``"same"``, ``"different"`` or
    ``"unsure"``: they correct the trained m probabilities (so they change the
    score of every pair, see :mod:`memoria.linkage.learning`) and are applied
    to the clusters; ``summary["learned_from"]`` counts them. Without them
    the result is the same as with none. :func:`relearn` applies other
    answers to a result's ``scoring`` without training again.

    Raises :class:`memoria.linkage.InputError` when a source cannot be read.
    """
    if not 0 < threshold < 1:
        raise ValueError("threshold must be between 0 and 1")
    low, high = review_band
    if not 0 <= low <= high <= 1:
        raise ValueError("review_band must be (low, high) with 0 <= low <= high <= 1")
    options = _Options(threshold, (low, high), seed, max_pairs_u, count_candidates)
    say = progress or (lambda _message: None)
    started = time.monotonic()
    say("reading sources")
    cleaning = CleaningReport()
    names, frames = _as_sources(sources, strict, cleaning)
    records = pd.concat(frames, ignore_index=True)
    say(f"preparing {len(records):,} records")
    features, other_readings = build_features_both_ways(records)
    del frames, records  # a million records: free the raw copies before Splink runs
    engine = make_backend(backend) if isinstance(backend, str) else backend
    try:
        result = _link(engine, features, names, options, say, labels, other_readings)
    finally:
        if isinstance(backend, str):
            engine.close()
    result.summary["input"] = cleaning.as_dict()
    result.summary["seconds"] = round(time.monotonic() - started, 1)
    return result


def _link(
    engine: Backend,
    features: pd.DataFrame,
    names: list[str],
    options: _Options,
    say: Progress,
    labels: Labels | None = None,
    other_readings: pd.DataFrame | None = None,
) -> LinkageResult:
    """Train, score and cluster on one backend.

    ``other_readings`` (see :func:`memoria.linkage.features.build_features_both_ways`)
    play no part in training: the model is trained on one reading of every
    record, then scores the candidate pairs of both readings, and each pair
    of records keeps the reading that agrees best (:func:`best_reading`).
    """
    from splink import Linker

    settings = model.build_settings(with_curp=bool(features["curp"].notna().any()))
    table = engine.database_api().register(features)
    # Splink warns about levels unseen in small samples; the summary says what matters.
    linker = Linker(table, settings, log_level=logging.ERROR)
    full_birth_dates = int(features["birth_day"].notna().sum())
    notes = _train(linker, options.seed, options.max_pairs_u, full_birth_dates, len(features), say)
    read_both_ways = 0 if other_readings is None else len(other_readings)
    scorer = linker
    if read_both_ways:
        say(f"adding the other reading of {read_both_ways:,} names whose order is unsure")
        both = engine.database_api().register(
            pd.concat([features, other_readings], ignore_index=True)
        )
        scorer = Linker(both, linker.misc.save_model_to_json(), log_level=logging.ERROR)
        # Splink's cache of intermediate tables belongs to the database
        # connection: without this the new linker would reuse the training
        # linker's tables, which hold one reading only.
        scorer.table_management.invalidate_cache()
    candidates, estimated = None, False
    if options.count_candidates:
        say("counting candidate pairs")
        # Pairs of records, as the blocking rules meet them under the first reading
        # (the second readings' rows would count a record against itself and
        # the same pair twice).
        candidates, estimated = _count_candidates(linker, len(features))
    say("scoring candidate pairs")
    lowest = min(options.band[0], options.threshold)
    # Score down to a low floor: the pairs below the review band still count
    # when the prior is re-estimated from the candidate pairs, and when
    # answers change the model (relearn).
    floor = min(lowest, PRIOR_FLOOR_PROBABILITY)
    predictions = scorer.inference.predict(threshold_match_probability=floor, warning_mode="never")
    scored = best_reading(engine.to_pandas(predictions))
    say("estimating how many records match from the scored pairs")
    prior_before = linker._settings_obj._probability_two_random_records_match
    prior = estimate_prior(scored["match_weight"].to_numpy(), prior_before, len(features))
    scored = rescore(scored, prior_before, prior)
    linker._settings_obj._probability_two_random_records_match = prior
    scoring = Scoring(
        records=features[["unique_id", "source", "record_id"]].copy(),
        names=names,
        scored=scored,
        m=trained_m(linker),
        u=trained_u(linker),
        prior=prior,
        level_labels=level_labels(linker),
        model=linker.misc.save_model_to_json(),
        threshold=options.threshold,
        band=options.band,
        read_both_ways=read_both_ways,
    )
    result = relearn(scoring, labels or {}, say)
    result.summary.update(
        {
            "candidate_pairs": candidates,
            "candidate_pairs_estimated": estimated,
            "prior_match_probability_initial": prior_before,
            "backend": engine.name,
            "training_notes": notes,
        }
    )
    return result


@dataclass
class Scoring:
    """What scoring with other answers needs, kept from a run: every candidate
    pair the trained model scored (down to ``PRIOR_FLOOR_PROBABILITY``,
    before any answer), the trained m probabilities and prior, the records."""

    records: pd.DataFrame
    names: list[str]
    scored: pd.DataFrame
    m: MProbabilities
    prior: float
    level_labels: dict[str, dict[int, str]]
    model: dict[str, Any]
    threshold: float
    band: tuple[float, float]
    # How many records' names were read in both orders (see best_reading).
    read_both_ways: int = 0
    # The trained u probabilities: no answer turns a level's m past them (learning).
    u: MProbabilities = field(default_factory=dict)


def best_reading(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per pair of records, from pairs scored under both readings.

    A record whose name's order is unsure is scored twice against each
    candidate, once per reading (rows whose ``unique_id`` ends with
    :data:`~memoria.linkage.features.OTHER_READING`). Each pair of records
    keeps the row of the reading whose match weight is highest: a reading
    is one whole record, so every comparison of the pair sees the same
    reading and no word counts as a given name in one comparison and as a
    surname in another. Rows pairing a record with its own other reading
    are dropped. ``unique_id_l`` and ``unique_id_r`` become the records'
    own ids (left before right, as Splink orders them); ``other_reading_l``
    and ``other_reading_r`` say which side was read the other way.
    """
    other_l = scored["unique_id_l"].str.endswith(OTHER_READING).to_numpy(dtype=bool)
    other_r = scored["unique_id_r"].str.endswith(OTHER_READING).to_numpy(dtype=bool)
    scored = scored.assign(other_reading_l=other_l, other_reading_r=other_r)
    if not (other_l.any() or other_r.any()):
        return scored
    # Only pairs with a record read both ways can appear twice: the rest
    # (nearly all) are kept as they are.
    other = scored[other_l | other_r]
    read_twice = np.union1d(
        base_id(other["unique_id_l"]).unique(), base_id(other["unique_id_r"]).unique()
    )
    involved = (
        ~(other_l | other_r)
        & (
            scored["unique_id_l"].isin(read_twice) | scored["unique_id_r"].isin(read_twice)
        ).to_numpy()
    )
    plain = scored[~(other_l | other_r) & ~involved]
    both = pd.concat([scored[involved], other])
    both["unique_id_l"] = base_id(both["unique_id_l"])
    both["unique_id_r"] = base_id(both["unique_id_r"])
    both = both[both["unique_id_l"] != both["unique_id_r"]]
    flipped = (both["unique_id_l"] > both["unique_id_r"]).to_numpy()
    if flipped.any():
        both = _swap_sides(both, flipped)
    # The best reading of each pair; on a tie, the readings taken at first.
    readings = both["other_reading_l"].astype(int) + both["other_reading_r"].astype(int)
    order = np.lexsort((readings.to_numpy(), -both["match_weight"].to_numpy()))
    best = both.iloc[order].drop_duplicates(["unique_id_l", "unique_id_r"])
    return pd.concat([plain, best]).sort_index().reset_index(drop=True)


def _swap_sides(pairs: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``pairs`` with the left and right columns exchanged on ``rows``."""
    pairs = pairs.copy()
    for left in [c for c in pairs.columns if c.endswith("_l")]:
        right = left[:-2] + "_r"
        if right not in pairs:
            continue
        a, b = pairs[left].to_numpy(copy=True), pairs[right].to_numpy(copy=True)
        a[rows], b[rows] = b[rows], a[rows].copy()
        pairs[left], pairs[right] = a, b
    return pairs


def one_reading_per_record(pairs: pd.DataFrame, linked: np.ndarray) -> np.ndarray:
    """``linked`` after keeping, for each record, links of one reading only.

    A record read both ways may match one person under one reading and
    another person under the other ("MARTIN TOMAS" and both Tomás Martín and
    Martín Tomás); linking both would put two people in one cluster through
    it. The reading of its strongest link wins; its links under the other
    reading are refused (they stay above the threshold, so they go to review
    as held back).
    """
    if "other_reading_l" not in pairs or not (
        pairs["other_reading_l"].any() or pairs["other_reading_r"].any()
    ):
        return linked
    rows = np.flatnonzero(linked)
    sides = pd.DataFrame(
        {
            "row": np.concatenate([rows, rows]),
            "record": np.concatenate(
                [pairs["unique_id_l"].to_numpy()[rows], pairs["unique_id_r"].to_numpy()[rows]]
            ),
            "other": np.concatenate(
                [
                    pairs["other_reading_l"].to_numpy(dtype=bool)[rows],
                    pairs["other_reading_r"].to_numpy(dtype=bool)[rows],
                ]
            ),
            "probability": np.tile(pairs["match_probability"].to_numpy()[rows], 2),
        }
    )
    sides = sides[sides.groupby("record")["other"].transform("nunique") > 1]
    if sides.empty:
        return linked
    sides = sides.sort_values(["probability", "row"], ascending=[False, True], kind="stable")
    winner = sides.groupby("record", sort=False)["other"].first()
    losing = sides["other"].to_numpy() != sides["record"].map(winner).to_numpy()
    out = linked.copy()
    out[sides["row"].to_numpy()[losing]] = False
    return out


def relearn(scoring: Scoring, labels: Labels, say: Progress | None = None) -> LinkageResult:
    """Score, cluster and explain with the m probabilities learned from ``labels``.

    ``labels`` maps pairs of ``unique_id`` (``source:record_id``) to
    ``"same"``, ``"different"`` or ``"unsure"`` (see
    :mod:`memoria.linkage.learning`). The answers change m, hence every
    pair's score; the prior is re-estimated from the new scores; then the
    answers are applied to the clusters as the review queue does ("same"
    links, "different" keeps apart even through third records; see
    :func:`memoria.linkage.review.reviewed_clusters`). Without answers this
    is the trained model's result. No retraining: quick enough to run after
    every few answers (``bench/review.py``). Pairs the trained model scored
    below ``PRIOR_FLOOR_PROBABILITY`` are not scored again.
    """
    say = say or (lambda _message: None)
    scored, m, prior = scoring.scored, scoring.m, scoring.prior
    y = label_vector(scored, labels) if labels else np.full(len(scored), np.nan)
    learned = None
    if not np.isnan(y).all():
        say("learning from the answers")
        m, learned = learn_m(scored, scoring.m, y, scoring.u)
        scored = apply_m(scored, scoring.m, m)
        weights = scored["match_weight"].to_numpy()
        prior = estimate_prior(weights, scoring.prior, len(scoring.records))
        scored = rescore(scored, scoring.prior, prior)
    lowest = min(scoring.band[0], scoring.threshold)
    scored = scored[scored["match_probability"] >= lowest].reset_index(drop=True)
    say("clustering")
    clusters, refused, refused_reading = _cluster(scoring.records, scored, scoring.threshold)
    clusters_model = int(clusters["cluster_id"].nunique())
    refused_answers = 0
    if labels:
        clusters, refused_answers = _clusters_with_answers(
            scoring.records, scored, labels, scoring.threshold
        )
    pairs = _pairs_frame(scored, clusters)
    low, high = scoring.band
    in_band = pairs["match_probability"].between(low, high, inclusive="left")
    held_back = pairs["match_probability"].ge(scoring.threshold) & ~pairs["linked"]
    review = explain_pairs(pairs[in_band | held_back], scoring.level_labels)
    records = scoring.records
    summary = {
        "records": len(records),
        "sources": {n: int((records["source"] == n).sum()) for n in scoring.names},
        "scored_pairs_kept": len(pairs),
        "linked_pairs": int(pairs["linked"].sum()),
        "held_back_pairs": int(held_back.sum()),
        # Links above the threshold refused because they would have put a
        # held-back pair in one cluster (included in held_back_pairs).
        "links_refused_by_vetoes": refused,
        # Full names whose order their words do not decide, read both ways;
        # the links that took the other reading; and links refused because
        # their record was linked under its other reading (held back).
        "names_read_both_ways": scoring.read_both_ways,
        "links_under_other_reading": int(
            (pairs["linked"] & (pairs["other_reading_l"] | pairs["other_reading_r"])).sum()
        ),
        "links_refused_by_reading": refused_reading,
        "review_pairs": len(review),
        "clusters": int(clusters["cluster_id"].nunique()),
        # Before the answers are applied to the clusters (the same without answers).
        "clusters_before_answers": clusters_model,
        "prior_match_probability": prior,
        "threshold": scoring.threshold,
        "review_band": [low, high],
        # What the model learned from the answers: how many "same" and
        # "different" answers were about scored pairs, and the largest change
        # of a level's weight per comparison (bits); None without answers.
        "learned_from": learned,
        "answers_refused": refused_answers,
    }
    histories = capture_histories(clusters, scoring.names)
    trained = model_with_m(scoring.model, m)
    trained["probability_two_random_records_match"] = prior
    result = LinkageResult(clusters, pairs, review, histories, summary, trained)
    result.scoring = scoring
    return result


def _clusters_with_answers(
    records: pd.DataFrame, pairs: pd.DataFrame, labels: Labels, threshold: float
) -> tuple[pd.DataFrame, int]:
    """Clusters of the model's links corrected by the answers, numbered as
    :func:`connected_clusters` numbers them; and how many "same" answers were refused."""
    from memoria.linkage.review import Link, pair_key, reviewed_clusters

    held = (pairs["match_probability"] >= threshold) & ~pairs["linked"]
    links = [
        Link(a, b, p, bool(linked), bool(h))
        for a, b, p, linked, h in zip(
            pairs["unique_id_l"],
            pairs["unique_id_r"],
            pairs["match_probability"],
            pairs["linked"],
            held,
            strict=True,
        )
    ]
    decisions = {pair_key(str(a), str(b)): d for (a, b), d in labels.items()}
    ordered = records.sort_values(["source", "record_id"], kind="stable")
    reviewed = reviewed_clusters(ordered["unique_id"].astype(str).tolist(), links, decisions)
    out = ordered[["source", "record_id"]].reset_index(drop=True)
    out["cluster_id"] = [reviewed.clusters[u] for u in ordered["unique_id"].astype(str)]
    return out, reviewed.refused


def _cluster(
    features: pd.DataFrame, scored: pd.DataFrame, threshold: float
) -> tuple[pd.DataFrame, int, int]:
    """Set ``scored["linked"]`` and cluster the records.

    Returns the clusters, how many links above the threshold were refused
    because they would have put a held-back pair in one cluster, and how
    many because their record was linked under its other reading.
    """
    above = scored["match_probability"] >= threshold
    # Held-back pairs (vetoed, though they score above the threshold) must not
    # end up in one cluster through third records either.
    held_back = vetoed(scored) & above
    linked = (above & ~held_back).to_numpy()
    one_reading = one_reading_per_record(scored, linked)
    refused_reading = int(linked.sum() - one_reading.sum())
    scored["linked"] = one_reading
    scored["linked"] = refuse_links_across_vetoes(scored, held_back)
    refused = int(above.sum() - held_back.sum() - refused_reading - scored["linked"].sum())
    clusters = connected_clusters(features[["unique_id", "source", "record_id"]], scored)
    return clusters, refused, refused_reading


def _pairs_frame(predictions: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Scored pairs with each side's source, record_id and cluster."""
    lookup = clusters.set_index(clusters["source"] + ":" + clusters["record_id"])["cluster_id"]
    frame = predictions.copy()
    frame["cluster_id_l"] = frame["unique_id_l"].map(lookup)
    frame["cluster_id_r"] = frame["unique_id_r"].map(lookup)
    return frame.sort_values("match_probability", ascending=False, kind="stable").reset_index(
        drop=True
    )
