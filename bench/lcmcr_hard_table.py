"""Benchmark: the default LCMCR run on the 20-list table, against HRDAG's published posterior.

    .venv/bin/python bench/lcmcr_hard_table.py [--seeds 1 2] [--max-seconds S] [--json out.json]

Runs ``memoria estimate tests/engines/data/mse/verdata_recruitment_1999_men.csv
--method lcmcr --seed S --json`` as a new user would (default settings: the
table has 20 lists, so the chains sample until they agree or 5 minutes pass)
and reports, per seed: wall time, CPU time of the whole command and per chain,
the load average before and after, R-hat, effective sample size, rounds, the
iterations each chain ran, and the median and 95% interval next to HRDAG's
published 2,068 [1,396, 3,062] (verdata 1.0.2, replicate R1, men, 1999;
LCMCR with K = 15, one chain of 10,000 + 5,000,000 iterations).

On a shared machine the chains get less CPU within the same wall-time cap, so
the CPU seconds per chain are the figure to compare with an idle machine, where
4 chains on 2 cores get about half a core each: 150 CPU seconds per chain in 5
minutes. ``--max-seconds`` lets a loaded machine give the chains that much CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests" / "engines" / "data" / "mse" / "verdata_recruitment_1999_men.csv"
PUBLISHED = {"median": 2068, "interval": [1396, 3062]}


def run(seed: int, max_seconds: float | None) -> dict:
    command = [sys.executable, "-m", "memoria", "estimate", str(TABLE), "--method", "lcmcr",
               "--seed", str(seed), "--json"]  # fmt: skip
    if max_seconds is not None:
        command += ["--max-seconds", str(max_seconds)]
    load_before = os.getloadavg()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    wall = time.perf_counter() - began
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    lcmcr = json.loads(out.stdout)["lcmcr"]
    settings = lcmcr["settings"]
    diagnostics = lcmcr["diagnostics"]
    discarded = lcmcr.get("discarded_per_chain", 500 + settings["burn_in"])  # warm-up 500
    per_chain = diagnostics["draws_per_chain"] * settings["thin"] + discarded
    return {
        "seed": seed,
        "command": " ".join(["memoria", *command[3:]]),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "cpu_seconds_per_chain": round(cpu / settings["chains"], 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "chains": settings["chains"],
        "classes": settings["classes"],
        "until_converged": settings["until_converged"],
        "max_seconds": settings["max_seconds"],
        "rounds": lcmcr.get("rounds", 1),
        "converged": lcmcr.get("converged"),
        "iterations_per_chain": per_chain,
        "rhat": round(diagnostics["rhat"], 3),
        "ess_bulk": round(diagnostics["ess_bulk"]),
        "chain_medians": diagnostics["chain_medians"],
        "median": lcmcr["median"],
        "interval": [round(x) for x in lcmcr["interval"]],
        "published": PUBLISHED,
        "warnings": lcmcr["warnings"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="pass --max-seconds to the command (default: its own)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    for seed in args.seeds:
        result = run(seed, args.max_seconds)
        results.append(result)
        print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
