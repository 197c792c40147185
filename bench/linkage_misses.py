"""Where the linkage misses true pairs, and how calibrated its probabilities are.

    .venv/bin/python bench/linkage_misses.py --seeds 1 2 3 4 5 --people 2000

For each seed the project's generator (``memoria.linkage.synthetic``) makes
four lists; ``link_records`` links them with its defaults. Every true pair
(two records of one person) left in different clusters is put in one class:
never compared (no prediction blocking rule produces it), scored below the
floor the run keeps (``PRIOR_FLOOR_PROBABILITY``), scored below 0.5, scored
0.5 to the threshold, or held back by the relatives guard. "Pieces left"
says how many clusters too many would remain after joining the missed true
pairs of each class in turn (held back first), so each class's share of the
excess clusters is the drop it causes. Also: held-back pairs and how many are
one person, false links, and P(one person | score bin) over every scored
pair that was not held back (the calibration the linkage-uncertainty draws
rely on).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import pandas as pd

# The repository instead of bench/ (whose statistics.py would shadow the standard library's).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from memoria.linkage import link_records, model  # noqa: E402
from memoria.linkage.features import build_features  # noqa: E402
from memoria.linkage.pipeline import _as_sources  # noqa: E402
from memoria.linkage.synthetic import DEFAULT_SOURCES, generate_lists  # noqa: E402

CLASSES = (
    "held back",
    "scored 0.5 to threshold",
    "scored floor to 0.5",
    "below the floor",
    "never compared",
)
BINS = (0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 1.0001)


def _pieces(n: int, edges: list[tuple[int, int]]) -> int:
    """Connected components of ``n`` nodes joined by ``edges``."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
    return len({root(i) for i in range(n)})


def _blocked(sources) -> set[tuple[str, str]]:
    """Every pair some prediction blocking rule produces (DuckDB, as the run does)."""
    import duckdb

    _names, frames = _as_sources(sources, False)
    features = build_features(pd.concat(frames, ignore_index=True))
    con = duckdb.connect()
    con.register("f", features)
    found: set[tuple[str, str]] = set()
    for rule in model.PREDICTION_BLOCKING_RULES:
        # The model's own rules, not user input.
        query = f"SELECT l.unique_id, r.unique_id FROM f l JOIN f r ON ({rule})"  # noqa: S608
        query += " AND l.unique_id < r.unique_id"
        found.update(con.execute(query).fetchall())
    return found


def one_seed(seed: int, people: int, names_in_columns: bool = False) -> tuple[dict, pd.DataFrame]:
    profiles = DEFAULT_SOURCES
    if names_in_columns:
        profiles = [dataclasses.replace(p, full_name_only=False) for p in profiles]
    lists = generate_lists(people, seed=seed, profiles=profiles)
    result = link_records(lists.sources, seed=seed, count_candidates=False)
    truth = lists.truth()
    uid = truth["source"] + ":" + truth["record_id"]
    person = dict(zip(uid, truth["person_id"], strict=True))
    clusters = result.clusters
    cluster = dict(
        zip(clusters["source"] + ":" + clusters["record_id"], clusters["cluster_id"], strict=True)
    )
    threshold = result.summary["threshold"]

    def key(a: str, b: str) -> tuple[str, str]:
        return (a, b) if a < b else (b, a)

    scored = result.scoring.scored
    probability = {
        key(a, b): p
        for a, b, p in zip(
            scored["unique_id_l"], scored["unique_id_r"], scored["match_probability"], strict=True
        )
    }
    pairs = result.pairs
    pair_keys = [key(a, b) for a, b in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)]
    linked = {k for k, flag in zip(pair_keys, pairs["linked"], strict=True) if flag}
    held = {
        k
        for k, flag, p in zip(pair_keys, pairs["linked"], pairs["match_probability"], strict=True)
        if p >= threshold and not flag
    }
    blocked = _blocked(lists.sources)
    missed: dict[str, list[tuple[str, str]]] = {c: [] for c in CLASSES}
    by_person = truth.assign(uid=uid).groupby("person_id")["uid"].apply(sorted)
    for members in by_person:
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if cluster[a] == cluster[b]:
                    continue
                k = (a, b)
                if k not in blocked:
                    c = "never compared"
                elif k not in probability:
                    c = "below the floor"
                elif k in held:
                    c = "held back"
                elif probability[k] < 0.5:
                    c = "scored floor to 0.5"
                else:
                    c = "scored 0.5 to threshold"
                missed[c].append(k)
    records = sorted(cluster)
    index = {r: i for i, r in enumerate(records)}
    n_people = truth["person_id"].nunique()
    edges = [(index[a], index[b]) for a, b in linked if person[a] == person[b]]
    pieces_left = {}
    for c in CLASSES:
        edges += [(index[a], index[b]) for a, b in missed[c]]
        pieces_left[c] = _pieces(len(records), edges) - n_people
    pieces = _pieces(
        len(records), [(index[a], index[b]) for a, b in linked if person[a] == person[b]]
    )
    same = [
        person[a] == person[b]
        for a, b in zip(scored["unique_id_l"], scored["unique_id_r"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "probability": scored["match_probability"].to_numpy(),
            "same": same,
            "held": [
                key(a, b) in held
                for a, b in zip(scored["unique_id_l"], scored["unique_id_r"], strict=True)
            ],
        }
    )
    row = {
        "seed": seed,
        "people_seen": n_people,
        "clusters": int(clusters["cluster_id"].nunique()),
        "pieces_too_many": pieces - n_people,
        "missed_pairs": {c: len(v) for c, v in missed.items()},
        "pieces_left_after_joining": pieces_left,
        "missed_pairs_with_a_press_record": {
            c: sum(a.startswith("prensa:") or b.startswith("prensa:") for a, b in v)
            for c, v in missed.items()
        },
        "held_back": len(held),
        "held_back_one_person": sum(person[a] == person[b] for a, b in held),
        "linked_pairs": len(linked),
        "false_links": sum(person[a] != person[b] for a, b in linked),
    }
    return row, frame[~frame["held"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument(
        "--names-in-columns",
        action="store_true",
        help="every list gives the name in separate columns (the press list too)",
    )
    args = parser.parse_args()
    frames = []
    for seed in args.seeds:
        row, frame = one_seed(seed, args.people, args.names_in_columns)
        print(json.dumps(row), flush=True)
        frames.append(frame)
    scored = pd.concat(frames)
    scored["bin"] = pd.cut(scored["probability"], BINS, right=False)
    table = scored.groupby("bin", observed=True).agg(
        pairs=("same", "size"),
        one_person=("same", "mean"),
        mean_probability=("probability", "mean"),
    )
    print(table.round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
