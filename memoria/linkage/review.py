"""Human review of scored pairs: which pair to ask about next, and the
clusters once people have answered.

A reviewer answers "same person", "different people" or "unsure" about a
pair of records. Two things follow from the answers:

* the **order** of the queue (:func:`review_order`): uncertainty sampling,
  the simplest active-learning rule. The pair whose match probability is
  closest to 0.5 is the one the model knows least about, so its answer changes
  the clusters most often; held-back pairs (which the model scored high but
  the rules refused to link, see :func:`memoria.linkage.pipeline.vetoed`)
  count as fully uncertain. ``bench/review.py`` measures it against the
  plain "most probable first" order.
* the **clusters** (:func:`reviewed_clusters`): a "same" answer links its
  pair whatever the score, a "different" answer unlinks it and, stronger, no
  cluster may ever contain both of its records (not through third records
  either); "unsure" leaves the model's choice. Human links are added first,
  then the model's strongest first, each refused if it would join two records
  someone said are different people, or a held-back pair nobody confirmed.

Records are named by any hashable id (the pipeline's ``unique_id``; the web
queue uses stable fingerprints, so answers survive a new run over the same
lists). This module imports no Django.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from memoria.linkage.pipeline import _VetoAwareGroups, capture_histories

SAME = "same"
DIFFERENT = "different"
UNSURE = "unsure"
DECISIONS = (SAME, DIFFERENT, UNSURE)

Pair = tuple[Hashable, Hashable]


def pair_key(a: Hashable, b: Hashable) -> Pair:
    """The pair in a fixed order, so (a, b) and (b, a) are one pair."""
    return (a, b) if str(a) <= str(b) else (b, a)


def uncertainty(probability: float, held_back: bool = False) -> float:
    """How little the model knows about a pair: 1 at probability 0.5 (or held
    back), 0 at probability 0 or 1."""
    if held_back:
        return 1.0
    return 1.0 - 2.0 * abs(float(probability) - 0.5)


def review_order(pairs: pd.DataFrame, order: str = "uncertainty") -> pd.DataFrame:
    """``pairs`` (with ``match_probability`` and optionally ``held_back``) in
    the order a reviewer should see them.

    ``order`` is ``"uncertainty"`` (closest to 0.5 first, held-back pairs
    first of all) or ``"probability"`` (most probable first, for comparison).
    Ties keep the input order.
    """
    held = pairs["held_back"] if "held_back" in pairs else pd.Series(False, index=pairs.index)
    if order == "probability":
        key = -pairs["match_probability"]
    elif order == "uncertainty":
        key = -pd.Series(
            [
                uncertainty(p, bool(h))
                for p, h in zip(pairs["match_probability"], held, strict=True)
            ],
            index=pairs.index,
        )
    else:
        raise ValueError(f"unknown review order {order!r}")
    return pairs.loc[key.sort_values(kind="stable").index]


@dataclass(frozen=True)
class Link:
    """A scored pair the model linked (or held back) before review."""

    left: Hashable
    right: Hashable
    probability: float
    linked: bool
    held_back: bool = False


@dataclass
class ReviewedClusters:
    """Cluster of every record after the reviewers' answers.

    ``clusters`` maps record id to a cluster number (1..n, numbered by the
    records' order); ``refused`` counts human "same" answers that could not
    be honoured because other answers said two of the records differ.
    """

    clusters: dict[Hashable, int]
    refused: int = 0

    def frame(self, sources: Mapping[Hashable, str]) -> pd.DataFrame:
        """``source, record_id, cluster_id`` rows (``sources`` maps id to its list)."""
        rows = [(sources[r], str(r), c) for r, c in self.clusters.items()]
        return pd.DataFrame(rows, columns=["source", "record_id", "cluster_id"])

    def capture_histories(self, sources: Mapping[Hashable, str], names: Sequence[str]):
        """One row per cluster, a 0/1 column per list: the input of ``memoria estimate``."""
        return capture_histories(self.frame(sources), names)


def reviewed_clusters(
    records: Iterable[Hashable],
    links: Iterable[Link],
    decisions: Mapping[Pair, str],
) -> ReviewedClusters:
    """Connected components of the model's links corrected by the answers.

    ``decisions`` maps :func:`pair_key` pairs to ``same``/``different``/
    ``unsure``; a decided pair need not be among ``links``.
    """
    records = list(records)
    index = {record: i for i, record in enumerate(records)}
    forbidden: dict[int, set[int]] = {}

    def forbid(a: int, b: int) -> None:
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)

    human_same = []
    for (a, b), decision in decisions.items():
        if a not in index or b not in index:
            continue  # a record of an earlier run that is no longer in the lists
        if decision == DIFFERENT:
            forbid(index[a], index[b])
        elif decision == SAME:
            human_same.append((index[a], index[b]))
    model_links = []
    for link in links:
        if link.left not in index or link.right not in index:
            continue
        a, b = index[link.left], index[link.right]
        decision = decisions.get(pair_key(link.left, link.right))
        if decision in (SAME, DIFFERENT):
            continue  # already counted as a human answer
        if link.held_back:
            forbid(a, b)
        elif link.linked:
            model_links.append((-link.probability, min(a, b), max(a, b)))
    groups = _VetoAwareGroups(forbidden)
    refused = 0
    for a, b in sorted(human_same):
        if not groups.join(a, b):
            refused += 1
    for _negative, a, b in sorted(model_links):
        groups.join(a, b)
    numbers: dict[int, int] = {}
    clusters = {}
    for record, i in index.items():
        root = groups.root(i)
        clusters[record] = numbers.setdefault(root, len(numbers) + 1)
    return ReviewedClusters(clusters, refused)
