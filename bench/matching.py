"""Benchmark of ``memoria match`` against a NamUs-style filter search.

    .venv/bin/python bench/matching.py                         # 2,000 x 3,000 and 100,000 x 50,000
    .venv/bin/python bench/matching.py --sizes 2000x3000 --seed 7

Files come from ``tests/engines/matching/generator.py`` (fictional people,
deterministic from ``--seed``), written to CSV and read back as the command
would. For each size and method: recall@1, @5, @10 and mean reciprocal rank
over the missing people who have true remains in the set (the SCHEMA's
scoring), the true pairs absent from the candidates, the average number of
candidates per person, wall time and CPU time (file reading and matching;
generation excluded; CPU time counts both cores) and peak resident memory of
a child process running ``memoria match``.

The peer searches for the people with true remains only (unless
``--peer-all``): each person's list does not depend on the others, so its
recall and MRR are the same, and its candidates per person are counted over
those people.

    .venv/bin/python bench/matching.py --sizes 100000x50000 --from DIR --skip-ours
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from memoria.matching import features  # noqa: E402
from memoria.matching.schema import read_missing, read_remains  # noqa: E402
from tests.engines.matching.generator import generate  # noqa: E402


def scores(candidates: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """The SCHEMA's metrics."""
    people = truth["missing_id"].unique()
    merged = truth.merge(candidates, on=["missing_id", "remains_id"], how="left")
    best = merged.groupby("missing_id")["rank"].min().reindex(people)
    ranks = best.to_numpy(dtype=float)
    found = ~np.isnan(ranks)
    per_person = candidates.groupby("missing_id").size()
    return {
        "people_scored": int(len(people)),
        "recall@1": round(float(np.mean(found & (ranks <= 1))), 3),
        "recall@5": round(float(np.mean(found & (ranks <= 5))), 3),
        "recall@10": round(float(np.mean(found & (ranks <= 10))), 3),
        "mrr": round(float(np.mean(np.where(found, 1 / np.nan_to_num(ranks, nan=1), 0))), 3),
        "true_pairs_absent": int(merged["rank"].isna().sum()),
        "candidates_per_person": round(float(per_person.mean()) if len(per_person) else 0.0, 2),
    }


# The peer -------------------------------------------------------------------

_STOP = frozenset(
    [
        "con",
        "sin",
        "para",
        "por",
        "una",
        "uno",
        "unos",
        "unas",
        "los",
        "las",
        "del",
        "que",
        "color",
        "tipo",
        "marca",
        "region",
        "cara",
        "tiene",
    ]
)


def _words(*texts: str) -> set[str]:
    return {
        w for t in texts for w in features.normalize(t).split() if len(w) >= 4 and w not in _STOP
    }


def peer(missing_path: Path, remains_path: Path, top: int = 10, only=None) -> pd.DataFrame:
    """NamUs-style search: hard filters, then a crude score on state and shared words.

    ``only``: search for these missing ids only (each person's list does not
    depend on the others, so the metrics are the same).

    Filters: same sex unless either is unknown; found on or after the date
    last seen; the person's age projected to the date found within the
    remains' age range widened by 5 years; stature within the range widened
    by 10 cm. Score: 1 for the same state, plus the number of words (four
    letters or more) shared by marks, dental and clothing. Ties: by remains order.
    """
    am, pm = read_missing(missing_path), read_remains(remains_path)
    from scipy import sparse

    vocabulary: dict[str, int] = {}

    def matrix(frame) -> sparse.csr_matrix:
        rows, cols = [], []
        for r, (m, d, c) in enumerate(
            zip(frame["marks"], frame["dental"], frame["clothing"], strict=False)
        ):
            for w in _words(m, d, c):
                rows.append(r)
                cols.append(vocabulary.setdefault(w, len(vocabulary)))
        return rows, cols

    ar, ac = matrix(am.frame)
    pr, pc = matrix(pm.frame)
    shape = len(vocabulary)
    a = sparse.csr_matrix((np.ones(len(ar), np.float32), (ar, ac)), shape=(len(am), shape))
    b = sparse.csr_matrix(
        (np.ones(len(pr), np.float32), (pr, pc)), shape=(len(pm), shape)
    ).T.tocsr()
    out = []
    chunk = 256
    amin = np.nan_to_num(pm.age_min, nan=0) - 5
    amax = np.nan_to_num(pm.age_max, nan=200, posinf=200) - 0 + 5
    smin = np.nan_to_num(pm.stature_min, nan=0) - 10
    smax = np.nan_to_num(pm.stature_max, nan=500) + 10
    people = np.arange(len(am)) if only is None else np.flatnonzero(np.isin(am.ids, list(only)))
    for start in range(0, len(people), chunk):
        i = people[start : start + chunk][:, None]
        sa, sp = am.sex[i], pm.sex[None, :]
        ok = (sa == 0) | (sp == 0) | (sa == sp)
        seen = am.seen_lo[i]
        ok &= (seen < 0) | (pm.found[None, :] >= seen)
        projected = am.age[i] + np.where(seen >= 0, (pm.found[None, :] - seen) / 365.25, 0)
        ok &= np.isnan(projected) | ((projected >= amin) & (projected <= amax))
        st = am.stature[i]
        ok &= np.isnan(st) | ((st >= smin) & (st <= smax))
        score = (am.state[i] == pm.state[None, :]).astype(np.float32)
        score += (a[i.ravel()] @ b).toarray()
        score = np.where(ok, score, -np.inf)
        k = min(top, score.shape[1])
        cols = np.argpartition(-score, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(score, cols, axis=1)
        order = np.lexsort((cols, -vals), axis=1)
        cols, vals = np.take_along_axis(cols, order, 1), np.take_along_axis(vals, order, 1)
        for row, (cs, vs) in enumerate(zip(cols, vals, strict=False)):
            rank = 0
            for c, v in zip(cs, vs, strict=False):
                if np.isfinite(v):
                    rank += 1
                    out.append((am.ids[i[row, 0]], pm.ids[c], rank))
    return pd.DataFrame(out, columns=["missing_id", "remains_id", "rank"])


_CLI = """
import argparse, sys
from memoria.cli import match
parser = argparse.ArgumentParser(prog="memoria")
match.register(parser.add_subparsers(dest="command"))
args = parser.parse_args(["match", *sys.argv[1:]])
sys.exit(args.handler(args))
"""


def run_ours(folder: Path) -> dict:
    out = folder / "candidates.csv"
    command = [
        sys.executable,
        "-c",
        _CLI,
        "--missing",
        str(folder / "missing.csv"),
        "--remains",
        str(folder / "remains.csv"),
        "--top",
        "10",
        "--out",
        str(out),
        "--json",
    ]
    started = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={**os.environ})
    seconds = time.monotonic() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss
    return {
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime - cpu_before, 1),
        "candidates": pd.read_csv(out, dtype={"missing_id": str, "remains_id": str}),
        "seconds": round(seconds, 1),
        "peak_gb": round(max(peak, before) / 1024**2, 2),
        "summary": json.loads(done.stdout),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000x3000,100000x50000")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument(
        "--peer-all",
        action="store_true",
        help="run the peer for every missing person, not only those with true remains",
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="read missing.csv, remains.csv and truth.csv from this folder (one size)",
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args()
    results = []
    for size in args.sizes.split(","):
        n_missing, n_remains = (int(x) for x in size.split("x"))
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.source or Path(tmp)
            if args.source:
                truth = pd.read_csv(folder / "truth.csv", dtype=str)
            else:
                t = time.monotonic()
                frames = generate(n_missing, n_remains, seed=args.seed)
                frames.missing.to_csv(folder / "missing.csv", index=False)
                frames.remains.to_csv(folder / "remains.csv", index=False)
                truth = frames.truth
                took = time.monotonic() - t
                print(f"{size}: generated in {took:.0f} s", file=sys.stderr, flush=True)
            if not args.skip_ours:
                ours = run_ours(folder)
                row = {
                    "size": size,
                    "method": "memoria match",
                    **scores(ours["candidates"], truth),
                    "seconds": ours["seconds"],
                    "cpu_seconds": ours["cpu_seconds"],
                    "peak_gb": ours["peak_gb"],
                }
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
            if not args.skip_peer:
                t, cpu = time.monotonic(), time.process_time()
                only = None if args.peer_all else set(truth["missing_id"])
                theirs = peer(folder / "missing.csv", folder / "remains.csv", only=only)
                row = {
                    "size": size,
                    "method": "NamUs-style filter",
                    **scores(theirs, truth),
                    "seconds": round(time.monotonic() - t, 1),
                    "cpu_seconds": round(time.process_time() - cpu, 1),
                    "peak_gb": None,
                }
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    columns = [
        "size",
        "method",
        "people_scored",
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr",
        "true_pairs_absent",
        "candidates_per_person",
        "seconds",
        "cpu_seconds",
        "peak_gb",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in results:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")
    print(f"\n{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
