"""Missing people and unidentified remains: ranked candidates with reasons.

For each missing person (the family's ante-mortem file), the remains that
could be theirs, ranked by a likelihood ratio built from sex, dates, age,
stature, place, marks, teeth, clothes and belongings; and the reverse. Import
from here:

* :func:`read_missing` and :func:`read_remains` read the analysts' CSV files
  (see ``docs/matching.md``) and raise :class:`InputError` listing every bad
  value;
* :func:`match` ranks candidates (a :class:`MatchResult`);
* :func:`explain` gives, for one pair, each piece of evidence with its weight
  and every exclusion with its reason.

This package imports no Django and nothing from the web platform.
"""

from __future__ import annotations

from memoria.matching.engine import (
    Evidence,
    Explanation,
    MatchResult,
    Model,
    build_model,
    explain,
    match,
    score_pairs,
)
from memoria.matching.schema import (
    BadValue,
    InputError,
    Missing,
    Remains,
    read_missing,
    read_remains,
)

__all__ = [
    "BadValue",
    "Evidence",
    "Explanation",
    "InputError",
    "MatchResult",
    "Missing",
    "Model",
    "Remains",
    "build_model",
    "explain",
    "match",
    "read_missing",
    "read_remains",
    "score_pairs",
]
