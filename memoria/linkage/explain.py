"""Explanations of pairwise scores, for the human review queue.

A match probability alone does not tell a reviewer why two records were
linked. Each pair gets the level reached in every comparison and the Bayes
factor that level contributed (how many times more likely the observed
agreement is for the same person than for two different people), as text for
a person and as JSON for the web review queue.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

Labels = dict[str, dict[int, str]]

# The event date as the list wrote it (possibly partial, "2014-09"), not the
# day number the model compares. The names are the reading the pair was
# scored with; ``other_reading`` says that a side's full name, whose order
# is unsure, was read in the order not taken first (``pipeline.best_reading``).
_SHOWN_COLUMNS = (
    "given",
    "pat",
    "mat",
    "other_reading",
    "sex",
    "birth_year",
    "event_date",
    "municipality",
)


def level_labels(linker: Any) -> Labels:
    """``{comparison: {gamma value: label}}`` of a trained Splink linker."""
    labels: Labels = {}
    for comparison in linker._settings_obj.comparisons:
        name = comparison.output_column_name
        labels[name] = {
            level.comparison_vector_value: level.label_for_charts
            for level in comparison.comparison_levels
        }
    return labels


def _evidence(row: pd.Series, labels: Labels) -> list[dict[str, Any]]:
    items = []
    for name, levels in labels.items():
        gamma = row.get(f"gamma_{name}")
        if gamma is None or pd.isna(gamma):
            continue
        # Splink 5 reports log2 match weights per comparison (mw_<name>) and
        # the term-frequency correction separately (mw_tf_adj_<name>).
        weight = _number(row.get(f"mw_{name}")) + _number(row.get(f"mw_tf_adj_{name}"))
        level = levels.get(int(gamma), str(gamma))
        items.append({"comparison": name, "level": level, "bayes_factor": 2.0**weight})
    # Strongest evidence first, for or against.
    return sorted(items, key=lambda item: -abs(math.log(max(item["bayes_factor"], 1e-300))))


def _number(value: Any) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)


def _sentence(evidence: list[dict[str, Any]]) -> str:
    parts = []
    for item in evidence:
        factor = item["bayes_factor"]
        shown = f"x{factor:.3g}" if factor >= 1 else f"/{1 / factor:.3g}"
        parts.append(f"{item['comparison']}: {item['level']} ({shown})")
    return "; ".join(parts)


def explain_pairs(pairs: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Review rows for scored pairs: identities, score, shown values, reasons.

    Columns: ``source_l, record_id_l, source_r, record_id_r,
    match_probability, match_weight, cluster_id_l, cluster_id_r``, the
    compared values of each side, ``explanation`` (text) and ``evidence``
    (JSON list of ``{comparison, level, bayes_factor}``).
    """
    columns = [
        "source_l",
        "record_id_l",
        "source_r",
        "record_id_r",
        "match_probability",
        "match_weight",
        "cluster_id_l",
        "cluster_id_r",
    ]
    shown = [f"{c}_{side}" for c in _SHOWN_COLUMNS for side in ("l", "r")]
    present = [c for c in columns + shown if c in pairs.columns]
    out = pairs[present].copy()
    evidence = [_evidence(row, labels) for _, row in pairs.iterrows()]
    out["explanation"] = [_sentence(e) for e in evidence]
    out["evidence"] = [json.dumps(e, ensure_ascii=False) for e in evidence]
    return out.reset_index(drop=True)
