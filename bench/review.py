"""How many reviewed pairs take linkage F1 to 0.97 and to 0.99.

    .venv/bin/python bench/review.py                      # 20,000 people, seed 2026
    .venv/bin/python bench/review.py --people 5000 --seeds 1 2 3 --out /tmp/review.json

A simulated reviewer answers each pair of the review queue from the truth
(same person or not), in the queue's order, and the clusters are rebuilt
after every answer as the web queue does (``memoria.linkage.review``). The
benchmark reports, for the active-learning order (closest to 0.5 first,
held-back pairs first of all) and for the plain "most probable first" order,
the number of answers after which pairwise F1 first reaches 0.97 and 0.99,
and the F1 once the whole queue is answered (the ceiling: pairs outside the
queue are never asked about). Lists come from ``memoria.linkage.synthetic``
(the project's generator; a second, independent generator does not exist yet
in this tree).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memoria.linkage import link_records, pairwise_scores  # noqa: E402
from memoria.linkage.review import (  # noqa: E402
    DIFFERENT,
    SAME,
    Link,
    pair_key,
    review_order,
    reviewed_clusters,
)
from memoria.linkage.synthetic import generate_lists  # noqa: E402

TARGETS = (0.97, 0.99)


def _f1(records, links, decisions, truth) -> float:
    clusters = reviewed_clusters(records, links, decisions).clusters
    return pairwise_scores([clusters[r] for r in records], [truth[r] for r in records]).f1


def simulate(result, truth: dict, order: str, threshold: float = 0.9) -> dict:
    """Answer the queue in ``order`` from the truth; F1 after every answer."""
    pairs = result.pairs.copy()
    pairs["held_back"] = (pairs["match_probability"] >= threshold) & ~pairs["linked"]
    low, high = result.summary["review_band"]
    in_band = pairs["match_probability"].between(low, high, inclusive="left")
    queue = review_order(pairs[in_band | pairs["held_back"]], order)
    records = list(truth)
    links = [
        Link(a, b, p, bool(linked), bool(held))
        for a, b, p, linked, held in zip(
            pairs["unique_id_l"],
            pairs["unique_id_r"],
            pairs["match_probability"],
            pairs["linked"],
            pairs["held_back"],
            strict=True,
        )
    ]
    decisions: dict = {}
    start = _f1(records, links, decisions, truth)
    reached = {target: (0 if start >= target else None) for target in TARGETS}
    curve = [(0, round(start, 4))]
    # Rebuilding the clusters after every answer costs O(records); on large
    # queues check every few answers, then step back to the first that reached.
    step = max(1, len(queue) // 400)
    answered = list(zip(queue["unique_id_l"], queue["unique_id_r"], strict=True))
    last_f1 = start
    for i, (a, b) in enumerate(answered, start=1):
        decisions[pair_key(a, b)] = SAME if truth[a] == truth[b] else DIFFERENT
        if i % step and i != len(answered):
            continue
        f1 = _f1(records, links, decisions, truth)
        for target in TARGETS:
            if reached[target] is None and f1 >= target:
                reached[target] = _first_reaching(
                    records, links, answered, truth, target, i - step + 1, i
                )
        curve.append((i, round(f1, 4)))
        last_f1 = f1
    return {
        "order": order,
        "queue": len(answered),
        "f1_unreviewed": round(start, 4),
        "f1_all_reviewed": round(last_f1, 4),
        **{f"pairs_to_{target}": reached[target] for target in TARGETS},
        "curve": curve[:: max(1, len(curve) // 40)],
    }


def _first_reaching(records, links, answered, truth, target, low, high) -> int:
    for i in range(max(1, low), high + 1):
        decisions = {
            pair_key(a, b): SAME if truth[a] == truth[b] else DIFFERENT for a, b in answered[:i]
        }
        if _f1(records, links, decisions, truth) >= target:
            return i
    return high


def run(people: int, seed: int) -> dict:
    lists = generate_lists(people, seed=seed)
    started = time.monotonic()
    result = link_records(lists.sources)
    seconds = time.monotonic() - started
    truth_frame = lists.truth()
    truth = dict(
        zip(
            truth_frame["source"] + ":" + truth_frame["record_id"],
            truth_frame["person_id"],
            strict=True,
        )
    )
    out = {
        "generator": "memoria.linkage.synthetic",
        "people": people,
        "seed": seed,
        "records": len(truth),
        "link_seconds": round(seconds, 1),
        "review_pairs": int(result.summary["review_pairs"]),
        "orders": [],
    }
    for order in ("uncertainty", "probability"):
        t0 = time.monotonic()
        simulated = simulate(result, truth, order)
        simulated["seconds"] = round(time.monotonic() - t0, 1)
        out["orders"].append(simulated)
        print(
            f"seed {seed} {order}: F1 {simulated['f1_unreviewed']} -> "
            f"{simulated['f1_all_reviewed']} over {simulated['queue']} pairs; "
            f"0.97 after {simulated['pairs_to_0.97']}, 0.99 after {simulated['pairs_to_0.99']}",
            file=sys.stderr,
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026])
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    results = {
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "runs": [run(args.people, seed) for seed in args.seeds],
    }
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
