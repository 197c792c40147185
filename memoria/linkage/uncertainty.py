"""Linkage uncertainty: clusterings drawn from the pair probabilities.

One clustering (link a pair when its probability reaches the threshold) hides
the doubt about pairs near the threshold: an estimate computed on it has an
interval that is only about sampling from the lists. :func:`draw_clusterings`
draws ``M`` clusterings, each as plausible as the pair probabilities and the
reviewers' answers make it; estimating on each and pooling the results
(``memoria.mse.pooling``) carries the linkage doubt into the interval.

**What a draw is.** A partition of the records drawn from

    P(partition) ∝ ∏ over pairs (i, j) put in one cluster of p_ij / (1 - p_ij)

where ``p_ij`` is the model's match probability of the pair; a pair never
scored (it fell below the lowest probability the run kept) counts with that
lowest probability (the most it could have had; at most 0.5, at least 0.001). For two records
alone this puts them together with probability exactly ``p_ij``. Independent
coin flips per pair followed by connected components would not: a chain
A–B–C of two 60% pairs joins A and C (whose own score may be 1%) in 36% of the
draws, and long chains of middling pairs end up as one large cluster almost
always; the clusters would be too few and the estimates biased low. The
product above weighs every pair of a cluster, including A–C, so transitivity
is paid for by the evidence against it.

**What stays fixed.** A reviewer's "same person" joins its records in every
draw; "different people" keeps them apart in every draw, also through third
records. "Unsure" leaves the pair to the model.

**Pairs the relatives guard held back** (:func:`memoria.linkage.pipeline.vetoed`:
high score, but given names or birth years that differ) are not evidence of
two people; the guard only refuses to link them without a human. Their score
is not to be trusted either: siblings share surnames, place and date, and the
model, which adds up agreements as if independent, scores them near 1. On the
project's generator a fifth or fewer of them are one person (32 of 183 on
five seeds). So each draw first draws the share ``r`` of held-back pairs that are one person from
Beta(1 + answered "same", 1 + answered "different") over the held-back pairs
reviewers have answered, then makes each unanswered held-back pair joinable
(with its score) with probability ``r`` and keeps it apart otherwise. With no
answers ``r`` is uniform: the pooled interval then spans everything from "all
relatives" to "all one person", and every answer narrows it.
(``held_back="apart"`` keeps them apart in every draw instead, as the single
clustering does.)

**How.** Records joined by human answers form units; units connected by
undecided scored pairs form blocks, drawn independently of each other. A block
of two units is one coin flip with the pair's probability; a larger block is
drawn by Gibbs sampling (each unit moves to an existing cluster of its block
or to a new one, with probability proportional to the odds product), started
from the model's own clustering, after ``burn_in`` sweeps and ``sweeps``
sweeps between kept draws. This module imports no Django.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from memoria.linkage.pipeline import _VetoAwareGroups, capture_histories
from memoria.linkage.review import DIFFERENT, SAME, Link, Pair, pair_key

#: Probabilities are clipped to this distance from 0 and 1 (a 1.0 would be an infinite weight).
CLIP = 1e-9
#: The least probability an unscored pair counts with: the pipeline scores
#: pairs down to this floor (``PRIOR_FLOOR_PROBABILITY``), so a certain link
#: (weight about 20) always outweighs one unscored pair (about -7).
UNSCORED_FLOOR = 0.001
BURN_IN_SWEEPS = 20
SWEEPS_BETWEEN_DRAWS = 5


@dataclass
class Clusterings:
    """``draws`` clusterings of ``records`` (each maps record to a cluster number 1..n).

    ``blocks``: how many groups of records were uncertain; ``uncertain_pairs``:
    scored pairs whose link was drawn rather than fixed by an answer;
    ``held_back_pairs``: unanswered pairs of the relatives guard, and
    ``held_back_answers`` the answers (same, different) their rate is learned from.
    """

    records: list[Hashable]
    draws: list[dict[Hashable, int]]
    blocks: int
    largest_block: int
    uncertain_pairs: int
    held_back_pairs: int = 0
    held_back_answers: dict[str, int] | None = None

    def capture_histories(
        self, sources: Mapping[Hashable, str], names: Sequence[str]
    ) -> list[pd.DataFrame]:
        """One capture-history frame per draw (one row per cluster, a 0/1 column per list)."""
        frames = []
        for clusters in self.draws:
            rows = [(sources[r], str(r), c) for r, c in clusters.items()]
            frame = pd.DataFrame(rows, columns=["source", "record_id", "cluster_id"])
            frames.append(capture_histories(frame, names))
        return frames

    def cluster_counts(self) -> list[int]:
        return [len(set(clusters.values())) for clusters in self.draws]


def _weight(probability: float) -> float:
    p = min(max(float(probability), CLIP), 1.0 - CLIP)
    return math.log(p / (1.0 - p))


def draw_clusterings(
    records: Iterable[Hashable],
    links: Iterable[Link],
    decisions: Mapping[Pair, str] | None = None,
    *,
    draws: int = 20,
    seed: int | None = None,
    unscored_probability: float | None = None,
    burn_in: int = BURN_IN_SWEEPS,
    sweeps: int = SWEEPS_BETWEEN_DRAWS,
    held_back: str = "learned",
    progress: Callable[[int, int], None] | None = None,
) -> Clusterings:
    """``draws`` clusterings consistent with the pair probabilities and the answers.

    ``links`` are the run's scored pairs (:class:`memoria.linkage.review.Link`:
    probability, and whether the model held the pair back); ``decisions`` maps
    :func:`pair_key` pairs to ``same``/``different``/``unsure``.
    ``unscored_probability`` is the probability given to two records of one
    block that no scored pair joins (default: the lowest scored probability,
    at most 0.5, at least 0.001). ``held_back`` says what becomes of pairs
    the relatives guard held back and nobody answered: ``"learned"`` (see the
    module's docstring) or ``"apart"`` (never joined, as in the clustering).
    ``progress(done, draws)`` is called after each draw.
    """
    if held_back not in ("learned", "apart"):
        raise ValueError(f"unknown held_back {held_back!r}")
    if draws < 1:
        raise ValueError("draws must be at least 1")
    decisions = decisions or {}
    records = list(records)
    index = {record: i for i, record in enumerate(records)}
    links = [link for link in links if link.left in index and link.right in index]
    rng = np.random.default_rng(seed)

    forbidden: dict[int, set[int]] = {}

    def forbid(a: int, b: int) -> None:
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)

    same = []
    for (a, b), decision in decisions.items():
        if a in index and b in index:
            if decision == DIFFERENT:
                forbid(index[a], index[b])
            elif decision == SAME:
                same.append((index[a], index[b]))
    uncertain = []
    guarded = []
    answered = {SAME: 0, DIFFERENT: 0}
    for link in links:
        decision = decisions.get(pair_key(link.left, link.right))
        if decision in (SAME, DIFFERENT):
            if link.held_back:
                answered[decision] += 1
            continue
        a, b = index[link.left], index[link.right]
        if link.held_back and held_back == "apart":
            forbid(a, b)
        elif link.held_back:
            guarded.append((a, b, float(link.probability)))
        else:
            uncertain.append((a, b, float(link.probability), bool(link.linked)))
    if unscored_probability is None:
        lowest = min((p for *_ab, p, _linked in uncertain), default=0.5)
        unscored_probability = min(lowest, 0.5)
    unscored = _weight(max(unscored_probability, UNSCORED_FLOOR))

    # Units: records joined by "same" answers (refused when other answers forbid it).
    units = _VetoAwareGroups(forbidden)
    for a, b in sorted(same):
        units.join(a, b)
    unit_of = np.array([units.root(i) for i in range(len(records))])
    _, unit_of = np.unique(unit_of, return_inverse=True)
    n_units = int(unit_of.max()) + 1 if len(records) else 0
    members: list[list[int]] = [[] for _ in range(n_units)]
    for record, unit in enumerate(unit_of.tolist()):
        members[unit].append(record)

    # Pair weights between units; forbidden pairs are -inf.
    weights: dict[tuple[int, int], float] = {}
    model_linked: list[tuple[int, int]] = []
    for a, b, p, linked in uncertain:
        ua, ub = int(unit_of[a]), int(unit_of[b])
        if ua == ub:
            continue
        key = (min(ua, ub), max(ua, ub))
        weights[key] = weights.get(key, 0.0) + _weight(p) - unscored
        if linked:
            model_linked.append(key)
    # Held-back pairs: joinable (with their weight) or apart, anew in every draw.
    switches: dict[tuple[int, int], float] = {}
    for a, b, p in guarded:
        ua, ub = int(unit_of[a]), int(unit_of[b])
        if ua != ub:
            key = (min(ua, ub), max(ua, ub))
            switches[key] = switches.get(key, 0.0) + _weight(p) - unscored
    blocked: set[tuple[int, int]] = set()
    for a, others in forbidden.items():
        for b in others:
            ua, ub = int(unit_of[a]), int(unit_of[b])
            if ua != ub:
                blocked.add((min(ua, ub), max(ua, ub)))

    blocks = _blocks(n_units, list(weights) + list(switches))
    sizes = {unit: len(m) for unit, m in enumerate(members)}
    samplers = [
        _BlockSampler(block, weights, blocked, sizes, unscored, set(model_linked), switches)
        for block in blocks
        if len(block) > 1
    ]
    pairs_two = [s for s in samplers if s.pair_only]
    larger = [s for s in samplers if not s.pair_only]
    switched = [s for s in larger if s.switches]

    def guard_rate() -> float:
        # The share of held-back pairs that are one person, learned from the answers.
        return float(rng.beta(1 + answered[SAME], 1 + answered[DIFFERENT]))

    rate = guard_rate()
    for sampler in larger:
        sampler.set_switches(rng, rate)
        for _ in range(burn_in):
            sampler.sweep(rng)

    result = []
    for draw in range(draws):
        label = np.arange(n_units)  # every unit its own cluster, then joined
        if pairs_two:
            probabilities = np.array([s.pair_probability for s in pairs_two])
            joined = rng.random(len(pairs_two)) < probabilities
            for sampler, join in zip(pairs_two, joined.tolist(), strict=True):
                if join:
                    label[sampler.units[1]] = sampler.units[0]
        if draw > 0 and switched:
            rate = guard_rate()
            for sampler in switched:
                sampler.set_switches(rng, rate)
        for sampler in larger:
            if draw > 0:
                for _ in range(max(sweeps, 1)):
                    sampler.sweep(rng)
            for unit, cluster in zip(sampler.units, sampler.assignment, strict=True):
                label[unit] = sampler.units[cluster]
        result.append(_numbered(records, unit_of, label))
        if progress is not None:
            progress(draw + 1, draws)
    return Clusterings(
        records,
        result,
        blocks=len(samplers),
        largest_block=max((len(s.units) for s in samplers), default=1),
        uncertain_pairs=len(uncertain),
        held_back_pairs=len(guarded),
        held_back_answers=dict(answered),
    )


def _numbered(records: list, unit_of: np.ndarray, label: np.ndarray) -> dict:
    """Cluster numbers 1..n in the records' order."""
    numbers: dict[int, int] = {}
    clusters = {}
    for record, unit in zip(records, unit_of.tolist(), strict=True):
        clusters[record] = numbers.setdefault(int(label[unit]), len(numbers) + 1)
    return clusters


def _blocks(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components (of size > 1) of the units joined by scored pairs."""
    if not edges:
        return []
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    left = np.array([a for a, _ in edges])
    right = np.array([b for _, b in edges])
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    split = np.flatnonzero(np.diff(labels[order])) + 1
    return [group.tolist() for group in np.split(order, split) if len(group) > 1]


class _BlockSampler:
    """Gibbs sampler over the partitions of one block of units."""

    def __init__(self, units, weights, blocked, sizes, unscored, model_linked, switches) -> None:
        self.units = list(units)
        k = len(self.units)
        position = {unit: i for i, unit in enumerate(self.units)}
        # W[i, j]: log odds of putting units i and j together (every record pair
        # between them counts: scored ones with their weight, the others unscored).
        w = np.zeros((k, k))
        for i, a in enumerate(self.units):
            for j in range(i + 1, k):
                w[i, j] = w[j, i] = unscored * sizes[a] * sizes[self.units[j]]
        start_links = []
        for (a, b), value in weights.items():
            if a in position and b in position:
                i, j = position[a], position[b]
                w[i, j] += value
                w[j, i] = w[i, j]
                if (a, b) in model_linked:
                    start_links.append((i, j))
        for a, b in blocked:
            if a in position and b in position:
                w[position[a], position[b]] = w[position[b], position[a]] = -np.inf
        # Held-back pairs: (i, j, weight when joinable).
        self.switches = [
            (position[a], position[b], value)
            for (a, b), value in switches.items()
            if a in position and b in position and np.isfinite(w[position[a], position[b]])
        ]
        self.w = w
        self.rows = w.tolist()
        self.pair_only = k == 2 and np.isfinite(w[0, 1]) and not self.switches
        if self.pair_only:
            self.pair_probability = 1.0 / (1.0 + math.exp(-w[0, 1]))
        # Start from the model's clustering, without forbidden joins.
        groups = _VetoAwareGroups(
            {i: {j for j in range(k) if np.isneginf(w[i, j])} for i in range(k)}
        )
        for i, j in start_links:
            groups.join(i, j)
        roots: dict[int, int] = {}
        self.assignment = [roots.setdefault(groups.root(i), len(roots)) for i in range(k)]

    def set_switches(self, rng: np.random.Generator, rate: float) -> None:
        """Each held-back pair is joinable with probability ``rate``, else kept apart.

        A unit kept apart from another cannot join its cluster at its next
        move, so after one sweep no cluster holds a pair kept apart.
        """
        if not self.switches:
            return
        rows = self.w.tolist()
        for (i, j, value), joinable in zip(
            self.switches, (rng.random(len(self.switches)) < rate).tolist(), strict=True
        ):
            rows[i][j] = rows[j][i] = rows[i][j] + value if joinable else -math.inf
        self.rows = rows

    def sweep(self, rng: np.random.Generator) -> None:
        """Move every unit once (blocks are small: plain Python beats numpy here)."""
        k = len(self.units)
        assignment = self.assignment
        weights = self.rows
        uniforms = rng.random(k).tolist()
        for i, u in zip(rng.permutation(k).tolist(), uniforms, strict=True):
            scores: dict[int, float] = {}
            row = weights[i]
            for j in range(k):
                if j != i:
                    c = assignment[j]
                    scores[c] = scores.get(c, 0.0) + row[j]
            fresh = next(c for c in range(k) if c not in scores)
            scores[fresh] = 0.0
            top = max(scores.values())
            options = [(c, math.exp(v - top)) for c, v in scores.items()]
            threshold = u * sum(p for _, p in options)
            chosen = options[-1][0]
            for cluster, p in options:
                threshold -= p
                if threshold <= 0:
                    chosen = cluster
                    break
            assignment[i] = chosen
