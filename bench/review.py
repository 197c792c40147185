"""How many reviewed pairs take linkage F1 to 0.97 and to 0.99.

    .venv/bin/python bench/review.py                      # 20,000 people, seed 2026
    .venv/bin/python bench/review.py --people 5000 --seeds 1 2 3 --out /tmp/review.json
    .venv/bin/python bench/review.py --generator independent --learn-every 50

A simulated reviewer answers each pair of the review queue from the truth
(same person or not), in the queue's order, and the clusters are rebuilt
after every answer as the web queue does (``memoria.linkage.review``). The
benchmark reports, for each way of working, the number of answers after
which pairwise F1 first reaches 0.97 and 0.99, and the F1 once the whole
queue is answered (the ceiling: pairs outside the queue are never asked
about). The ways of working:

* ``uncertainty``: the queue's order (closest to 0.5 first, held-back pairs
  first of all), the model fixed;
* ``uncertainty+learning``: the same order, and every ``--learn-every``
  answers the model learns m from the answers so far and scores every pair
  again (``memoria.linkage.pipeline.relearn``, as a new run in the web
  would); the queue is then the new review band, minus the pairs answered;
* ``probability`` (with ``--orders``): most probable first, the model fixed.

``--generator own`` uses the project's generator
(``memoria.linkage.synthetic``); ``independent`` uses
``memoria.linkage.synthetic_independent``, which shares none of the names
module's tables or rules.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memoria.linkage import link_records, pairwise_scores  # noqa: E402
from memoria.linkage.pipeline import relearn  # noqa: E402
from memoria.linkage.review import (  # noqa: E402
    DIFFERENT,
    SAME,
    Link,
    pair_key,
    review_order,
    reviewed_clusters,
)

TARGETS = (0.97, 0.99)
GENERATORS = {
    "own": "memoria.linkage.synthetic",
    "independent": "memoria.linkage.synthetic_independent",
}


def generator(name: str):
    """``generate_lists`` of the chosen generator, imported only when asked for."""
    module = GENERATORS[name]
    try:
        return importlib.import_module(module).generate_lists
    except ModuleNotFoundError as error:
        if error.name != module:
            raise
        raise SystemExit(
            f"--generator {name} needs {module}, which is not in this tree yet"
        ) from None


def _f1(records, links, decisions, truth) -> float:
    clusters = reviewed_clusters(records, links, decisions).clusters
    return pairwise_scores([clusters[r] for r in records], [truth[r] for r in records]).f1


def _model(result, threshold: float, order: str, decided: dict):
    """The links of a result and its queue without the pairs already answered."""
    pairs = result.pairs.copy()
    pairs["held_back"] = (pairs["match_probability"] >= threshold) & ~pairs["linked"]
    low, high = result.summary["review_band"]
    in_band = pairs["match_probability"].between(low, high, inclusive="left")
    queue = review_order(pairs[in_band | pairs["held_back"]], order)
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
    waiting = [
        (a, b)
        for a, b in zip(queue["unique_id_l"], queue["unique_id_r"], strict=True)
        if pair_key(a, b) not in decided
    ]
    return links, waiting


def simulate(result, truth: dict, order: str, learn_every: int = 0, threshold: float = 0.9) -> dict:
    """Answer the queue in ``order`` from the truth; F1 after every answer.

    With ``learn_every`` > 0 the model learns from the answers (and the queue
    is rebuilt) after every ``learn_every`` answers.
    """
    records = list(truth)
    decisions: dict = {}
    links, waiting = _model(result, threshold, order, decisions)
    first_queue = len(waiting)
    start = _f1(records, links, decisions, truth)
    reached = {target: (0 if start >= target else None) for target in TARGETS}
    curve = [(0, round(start, 4))]
    # Rebuilding the clusters after every answer costs O(records); on large
    # queues check every few answers, then step back to the first that reached.
    # The step divides learn_every, so a step never spans two models.
    step = max(1, first_queue // 400)
    if learn_every:
        step = max(d for d in range(1, min(step, learn_every) + 1) if learn_every % d == 0)
    answered: list = []
    relearned = 0
    last_f1 = start
    window_start = 0
    while waiting:
        a, b = waiting.pop(0)
        decisions[pair_key(a, b)] = SAME if truth[a] == truth[b] else DIFFERENT
        answered.append((a, b))
        i = len(answered)
        relearn_now = learn_every and i % learn_every == 0
        if i % step and waiting and not relearn_now:
            continue
        f1 = _f1(records, links, decisions, truth)
        for target in TARGETS:
            if reached[target] is None and f1 >= target:
                reached[target] = _first_reaching(
                    records, links, answered, truth, target, max(window_start + 1, i - step + 1), i
                )
        curve.append((i, round(f1, 4)))
        last_f1 = f1
        window_start = i
        if relearn_now:
            result = relearn(result.scoring, decisions)
            relearned += 1
            links, waiting = _model(result, threshold, order, decisions)
    return {
        "order": order + ("+learning" if learn_every else ""),
        "learn_every": learn_every or None,
        "times_relearned": relearned,
        "queue": first_queue,
        "answers": len(answered),
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


def run(people: int, seed: int, generator_name: str, learn_every: int, orders) -> dict:
    lists = generator(generator_name)(people, seed=seed)
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
        "generator": GENERATORS[generator_name],
        "people": people,
        "seed": seed,
        "records": len(truth),
        "link_seconds": round(seconds, 1),
        "review_pairs": int(result.summary["review_pairs"]),
        "orders": [],
    }
    ways = [(order, 0) for order in orders]
    if learn_every:
        ways.insert(min(1, len(ways)), ("uncertainty", learn_every))
    for order, every in ways:
        t0 = time.monotonic()
        simulated = simulate(result, truth, order, every)
        simulated["seconds"] = round(time.monotonic() - t0, 1)
        out["orders"].append(simulated)
        print(
            f"{generator_name} seed {seed} {simulated['order']}: F1 {simulated['f1_unreviewed']}"
            f" -> {simulated['f1_all_reviewed']} after {simulated['answers']} answers"
            f" (first queue {simulated['queue']}); 0.97 after {simulated['pairs_to_0.97']},"
            f" 0.99 after {simulated['pairs_to_0.99']} ({simulated['seconds']} s)",
            file=sys.stderr,
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026])
    parser.add_argument("--generator", choices=sorted(GENERATORS), default="own")
    parser.add_argument(
        "--learn-every",
        type=int,
        default=50,
        metavar="K",
        help="also simulate learning m from the answers every K answers (0: do not)",
    )
    parser.add_argument(
        "--orders",
        nargs="*",
        choices=["uncertainty", "probability"],
        default=["uncertainty"],
        help="queue orders to simulate with the model fixed (none: only with learning)",
    )
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    generator(args.generator)  # fail now, not after linking, if it is absent
    results = {
        "machine": {
            "python": platform.python_version(),
            "processor": platform.machine(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "runs": [
            run(args.people, seed, args.generator, args.learn_every, args.orders)
            for seed in args.seeds
        ],
    }
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
