"""Pairwise precision, recall and F1 of a clustering against the truth.

A pair of records counts as linked when both are in the same cluster, and as
truly matched when both belong to the same person. Counting pairs (rather
than clusters) is the standard in the record-linkage literature, and it
weighs large clusters heavily: one wrong merge of two big clusters costs
many pairs.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class PairwiseScores:
    """Counts and rates of linked pairs against true pairs."""

    true_positives: int
    predicted_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "true_positives": self.true_positives,
            "predicted_pairs": self.predicted_pairs,
            "true_pairs": self.true_pairs,
        }


def _pairs_within(groups: pd.Series) -> int:
    sizes = groups.value_counts()
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(
    predicted: Sequence[Hashable] | pd.Series, truth: Sequence[Hashable] | pd.Series
) -> PairwiseScores:
    """Compare predicted cluster labels with true entity labels, record by record.

    Both sequences are aligned: element i of each describes the same record.

    >>> pairwise_scores([1, 1, 2, 3], ["a", "a", "a", "b"]).as_dict()["recall"]
    0.3333
    """
    frame = pd.DataFrame({"p": list(predicted), "t": list(truth)})
    if frame.isna().any().any():
        raise ValueError("every record needs a predicted cluster and a true entity")
    true_positives = _pairs_within(frame["p"].astype(str) + "\x1f" + frame["t"].astype(str))
    return PairwiseScores(true_positives, _pairs_within(frame["p"]), _pairs_within(frame["t"]))
