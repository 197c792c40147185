"""Record linkage for Memoria: one person, many lists.

Deduplicates and links person records (victims in prosecutors' lists,
collectives' spreadsheets, press reports, registries) with Splink, on DuckDB
by default and on Spark for large networks. Import from here:

* :func:`link_records` runs the whole pipeline and returns a
  :class:`LinkageResult` (clusters, review pairs with explanations, capture
  histories for ``memoria estimate``);
* :func:`read_source` reads one list in the standard schema (see
  :mod:`memoria.linkage.schema`) and raises :class:`InputError` listing every
  bad value;
* :func:`relearn` scores and clusters a result again with reviewers'
  answers, the model learning its m probabilities from them (no retraining;
  :func:`link_records` takes the answers too, as ``labels``);
* :func:`pairwise_scores` measures clusters against known truth.

This package imports no Django and nothing from the web platform.
"""

from __future__ import annotations

from memoria.linkage.evaluation import PairwiseScores, pairwise_scores
from memoria.linkage.pipeline import (
    DEFAULT_REVIEW_BAND,
    DEFAULT_THRESHOLD,
    LinkageResult,
    capture_histories,
    link_records,
    relearn,
)
from memoria.linkage.schema import COLUMNS, BadValue, InputError, read_source

__all__ = [
    "COLUMNS",
    "DEFAULT_REVIEW_BAND",
    "DEFAULT_THRESHOLD",
    "BadValue",
    "InputError",
    "LinkageResult",
    "PairwiseScores",
    "capture_histories",
    "link_records",
    "pairwise_scores",
    "read_source",
    "relearn",
]
