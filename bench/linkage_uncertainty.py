"""Coverage of the estimate's interval with and without linkage uncertainty.

    .venv/bin/python bench/linkage_uncertainty.py                      # 30 runs, minutes
    .venv/bin/python bench/linkage_uncertainty.py --runs 5 --people 2000 --lcmcr-iterations 0

For each seed the project's generator (``memoria.linkage.synthetic``) makes
lists of ``--people`` people (the true N); ``link_records`` links them with its
defaults; the estimate runs on (a) the threshold clustering alone, (b) ``--draws``
clusterings drawn from the pair probabilities and pooled
(``memoria.linkage.uncertainty``, ``memoria.mse.pooling``), and (c) the true
clustering, which shows what the estimator does without any linkage error.
With ``--answer-held-back K`` a simulated reviewer first answers K pairs the
relatives guard held back (chosen at random), from the truth; with
``--answer-queue K`` the reviewer answers, from the truth, the first K pairs of
the web's review queue (``memoria.linkage.review.review_order``: held-back
pairs first, then the pairs closest to 0.5), the answers retrain the model
(``relearn``, as a re-run of the web's linkage does) and its pairs are scored
again. (a) and (b) both use the answers.
Reports, per method, the share of runs whose 95% interval contains the true N
(coverage), the median relative error and the mean relative width.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# The repository instead of bench/ (whose statistics.py would shadow the standard library's).
sys.path[0] = str(Path(__file__).resolve().parents[1])

from memoria.linkage import link_records  # noqa: E402
from memoria.linkage.pipeline import relearn  # noqa: E402
from memoria.linkage.review import (  # noqa: E402
    DIFFERENT,
    SAME,
    Link,
    pair_key,
    review_order,
    reviewed_clusters,
)
from memoria.linkage.synthetic import DEFAULT_SOURCES, generate_lists  # noqa: E402
from memoria.linkage.uncertainty import draw_clusterings  # noqa: E402
from memoria.mse import EstimateOptions, LcmcrSettings, estimate_population  # noqa: E402
from memoria.mse.pooling import estimate_pooled  # noqa: E402
from memoria.mse.tables import table_from_frame  # noqa: E402


def _table(histories, names):
    return {None: table_from_frame(histories[list(names)])}


def _answers(links, truth, count: int, seed: int) -> dict:
    """A reviewer who answers ``count`` held-back pairs (chosen at random) from the truth."""
    if not count:
        return {}
    person = dict(zip(truth["source"] + ":" + truth["record_id"], truth["person_id"], strict=True))
    held = [link for link in links if link.held_back]
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(held), size=min(count, len(held)), replace=False)
    return {
        pair_key(held[i].left, held[i].right): SAME
        if person[held[i].left] == person[held[i].right]
        else DIFFERENT
        for i in chosen.tolist()
    }


def _queue_answers(result, truth, count: int) -> dict:
    """A reviewer who answers the first ``count`` pairs of the web's queue from the truth.

    The queue is the run's review pairs (the review band and the held-back
    pairs) in :func:`review_order` (held-back first, then closest to 0.5).
    """
    if not count:
        return {}
    person = dict(zip(truth["source"] + ":" + truth["record_id"], truth["person_id"], strict=True))
    pairs = result.pairs.copy()
    low, high = result.summary["review_band"]
    threshold = result.summary["threshold"]
    pairs["held_back"] = pairs["match_probability"].ge(threshold) & ~pairs["linked"]
    in_band = pairs["match_probability"].between(low, high, inclusive="left")
    review = pairs[in_band | pairs["held_back"]]
    queue = review_order(review).head(count)
    return {
        pair_key(a, b): SAME if person[a] == person[b] else DIFFERENT
        for a, b in zip(queue["unique_id_l"], queue["unique_id_r"], strict=True)
    }


def _links(result) -> list[Link]:
    pairs = result.pairs
    threshold = result.summary["threshold"]
    return [
        Link(a, b, float(p), bool(linked), bool(p >= threshold and not linked))
        for a, b, p, linked in zip(
            pairs["unique_id_l"],
            pairs["unique_id_r"],
            pairs["match_probability"],
            pairs["linked"],
            strict=True,
        )
    ]


def one_run(seed: int, args) -> dict:
    profiles = DEFAULT_SOURCES
    if args.names_in_columns:
        profiles = [dataclasses.replace(p, full_name_only=False) for p in profiles]
    lists = generate_lists(args.people, seed=seed, profiles=profiles)
    names = list(lists.sources)
    result = link_records(
        lists.sources, seed=seed, count_candidates=False, review_band=(args.band_low, 0.98)
    )
    truth = lists.truth()
    links = _links(result)
    decisions = _answers(links, truth, args.answer_held_back, seed)
    if args.answer_queue:
        decisions = _queue_answers(result, truth, args.answer_queue)
        result = relearn(result.scoring, decisions)
        links = _links(result)
    clusters = result.clusters
    uid = (clusters["source"] + ":" + clusters["record_id"]).tolist()
    source_of = dict(zip(uid, clusters["source"], strict=True))
    drawn = draw_clusterings(
        uid,
        links,
        decisions,
        draws=args.draws,
        seed=seed,
        unscored_probability=args.unscored,
    )
    histories = result.capture_histories
    if decisions:  # the single clustering with the same answers, as the web applies them
        histories = reviewed_clusters(uid, links, decisions).capture_histories(source_of, names)
    methods = ("loglinear", "lcmcr") if args.lcmcr_iterations else ("loglinear",)
    options = EstimateOptions(methods=methods, seed=seed)
    if args.lcmcr_iterations:
        lcmcr = LcmcrSettings(
            chains=2,
            burn_in=args.lcmcr_iterations // 2,
            iterations=args.lcmcr_iterations,
            thin=10,
            seed=seed,
            processes=1,
        )
        options = EstimateOptions(methods=methods, seed=seed, lcmcr=lcmcr)
    truth["cluster_id"] = truth["person_id"]
    from memoria.linkage import capture_histories

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = estimate_population(_table(histories, names), options)
        true_clusters = estimate_population(_table(capture_histories(truth, names), names), options)
        pooled = estimate_pooled(
            [_table(h, names) for h in drawn.capture_histories(source_of, names)], options
        )
    row = {
        "seed": seed,
        "true_n": args.people,
        "observed_true": int(truth["person_id"].nunique()),
        "observed_single": int(single["observed"]),
        "observed_draws": pooled["observed"],
        "answers": {
            "same": sum(d == SAME for d in decisions.values()),
            "different": sum(d == DIFFERENT for d in decisions.values()),
            "held_back_answered": sum(
                1
                for link in links
                if link.held_back and pair_key(link.left, link.right) in decisions
            ),
        },
    }
    for method in methods:
        row[method] = {
            "single": [single[method]["estimate"], *single[method]["interval"]],
            "pooled": [pooled[method]["estimate"], *pooled[method]["interval"]],
            "true_clusters": [
                true_clusters[method]["estimate"],
                *true_clusters[method]["interval"],
            ],
        }
    return row


def summarise(rows: list[dict], people: int) -> dict:
    found = {}
    for method in ("loglinear", "lcmcr"):
        if method not in rows[0]:
            continue
        for kind in ("single", "pooled", "true_clusters"):
            figures = np.array([r[method][kind] for r in rows], dtype=float)
            estimate, low, high = figures.T
            found[f"{method} {kind}"] = {
                "coverage": float(np.mean((low <= people) & (people <= high))),
                "median_relative_error": float(np.median((estimate - people) / people)),
                "mean_relative_width": float(np.mean((high - low) / people)),
            }
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="these seeds instead of --runs from --first-seed"
    )
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--lcmcr-iterations", type=int, default=2000)
    parser.add_argument(
        "--band-low",
        type=float,
        default=0.5,
        help="lowest pair probability the linkage keeps (its review band's low end, default 0.5)",
    )
    parser.add_argument(
        "--answer-held-back",
        type=int,
        default=0,
        metavar="K",
        help="a reviewer answers K held-back pairs from the truth (default 0)",
    )
    parser.add_argument(
        "--answer-queue",
        type=int,
        default=0,
        metavar="K",
        help="a reviewer answers the first K pairs of the web's review queue from the truth, "
        "and the model learns from them (default 0)",
    )
    parser.add_argument(
        "--names-in-columns",
        action="store_true",
        help="every list gives the name in separate columns (the generator's press list "
        "otherwise gives the whole name in one): a bound on what reading one-column names "
        "right could give",
    )
    parser.add_argument(
        "--unscored",
        type=float,
        default=None,
        help="probability of two records of one block that no kept pair joins"
        " (default: the draws' own, the lowest kept probability up to 0.5)",
    )
    parser.add_argument("--out", type=Path, help="write every run and the summary as JSON")
    args = parser.parse_args()
    started = time.monotonic()
    rows = []
    seeds = args.seeds or range(args.first_seed, args.first_seed + args.runs)
    for seed in seeds:
        rows.append(one_run(seed, args))
        print(
            f"[{time.monotonic() - started:7.1f} s] seed {seed}: "
            + json.dumps({k: v for k, v in rows[-1].items() if k != "observed_draws"}),
            file=sys.stderr,
            flush=True,
        )
        if args.out:
            args.out.write_text(json.dumps({"runs": rows}, indent=1))
    summary = summarise(rows, args.people)
    report = {
        "runs": len(rows),
        "people": args.people,
        "draws": args.draws,
        "lcmcr_iterations": args.lcmcr_iterations,
        "band_low": args.band_low,
        "answer_held_back": args.answer_held_back,
        "answer_queue": args.answer_queue,
        "names_in_columns": args.names_in_columns,
        "seconds": round(time.monotonic() - started, 1),
        "load_average": os.getloadavg(),
        "summary": summary,
    }
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.write_text(json.dumps({**report, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
