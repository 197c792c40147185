"""Benchmark: microseconds per LCMCR Gibbs iteration, against R's C++ sampler.

    .venv/bin/python bench/lcmcr_speed.py [--iterations 20000] [--json out.json]

Tables are simulated (two latent classes, 3,000 people) with 3, 5 and 8 lists
(K = 10) and 20 lists (K = 15). One chain, one core. The time per iteration is
the difference between a long and a short run divided by the extra iterations,
so start-up, compilation and warm-up cancel out. CPU time of this process is
reported next to wall time because shared machines inflate wall time.

The published tables in tests/engines/data/mse/ (4 to 8 lists, 13 to 28
distinct histories) are timed too, with K = 10: the cost per iteration grows
with the number of distinct histories, and R's reference tables are unknown.

If ``Rscript`` and the LCMCR package are installed (``R_LIBS`` may point at
a private library), the same tables are timed in R in the same run and the
ratio column divides by those measured times. Only without R does it fall back
on the figures quoted in issue 6 (about 7–16 µs for 3–8 lists with K = 10,
about 100 µs for 20 lists with K = 15), and it says so. This script never
downloads or installs anything.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from memoria.mse import LcmcrSettings, read_capture_table, sample_lcmcr
from memoria.mse.simulate import Scenario, simulate_table

#: (lists, classes, R's reference µs per iteration: the published range's end for that size)
CASES = ((3, 10, 7.0), (5, 10, 11.5), (8, 10, 16.0), (20, 15, 100.0))
#: Published tables, timed with K = 10 against R's 7–16 µs (3–8 lists).
TABLES = (
    "rcapture_HIV", "lcmcr_kosovo", "madigan_york_5list", "sparsemse_UKdat", "sparsemse_NewOrl",
)  # fmt: skip
DATA = Path(__file__).resolve().parents[1] / "tests" / "engines" / "data" / "mse"

R_SCRIPT = """
suppressMessages(library(LCMCR))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d[] <- lapply(d, function(x) factor(x, levels = c(0, 1)))
s <- lcmCR(d, tabular = FALSE, K = as.integer(args[2]), seed = 1, verbose = FALSE)
n <- as.integer(args[3])
cpu <- function() { p <- proc.time(); p[["user.self"]] + p[["sys.self"]] }
wall <- function() proc.time()[["elapsed"]]
c0 <- cpu(); w0 <- wall(); s$Update(n %/% 4); c1 <- cpu(); w1 <- wall()
s$Update(n); c2 <- cpu(); w2 <- wall()
extra <- (n - n %/% 4)
cat(((w2 - w1) - (w1 - w0)) / extra * 1e6, ((c2 - c1) - (c1 - c0)) / extra * 1e6, "\\n")
"""


def scenario(n_lists: int) -> Scenario:
    rng = np.random.default_rng(n_lists)
    hard = rng.uniform(0.03, 0.12, n_lists)
    visible = rng.uniform(0.2, 0.5, n_lists)
    capture = tuple((float(a), float(b)) for a, b in zip(hard, visible, strict=True))
    return Scenario(f"{n_lists} lists", 3000, (0.7, 0.3), capture)


def time_chain(table, classes: int, iterations: int) -> tuple[float, float]:
    """Return (wall µs, CPU µs) per iteration for one chain in this process."""

    def run(count: int) -> tuple[float, float]:
        settings = LcmcrSettings(classes=classes, chains=1, burn_in=0, iterations=count,
                                 thin=count, seed=1, processes=1)  # fmt: skip
        wall, cpu = time.perf_counter(), time.process_time()
        sample_lcmcr(table, settings)
        return time.perf_counter() - wall, time.process_time() - cpu

    run(100)  # compile or load the numba cache
    short, long = run(iterations // 4), run(iterations)
    extra = iterations - iterations // 4
    return ((long[0] - short[0]) / extra * 1e6, (long[1] - short[1]) / extra * 1e6)


def time_r(table, classes: int, iterations: int) -> float | None:
    """CPU µs per iteration in R's LCMCR (as Memoria's ratio uses CPU), or None without R."""
    if not r_available():
        return None
    with tempfile.TemporaryDirectory() as folder:
        rows = np.repeat(table.histories, table.counts, axis=0)
        data = Path(folder) / "table.csv"
        pd.DataFrame(rows, columns=list(table.lists)).to_csv(data, index=False)
        script = Path(folder) / "bench.R"
        script.write_text(R_SCRIPT)
        out = subprocess.run(["Rscript", str(script), str(data), str(classes), str(iterations)],
                             capture_output=True, text=True, check=True, timeout=3600)  # fmt: skip
    return float(out.stdout.split()[-1])  # CPU; the wall time is the value before it


def r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(LCMCR)"], capture_output=True, timeout=120)
    return probe.returncode == 0


def cpu_model() -> str:
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    has_r = r_available()
    print(f"machine: {cpu_model()}, {platform.machine()}, python {platform.python_version()}")
    if not has_r:
        print("Rscript with the LCMCR package is not installed: comparing with R's published "
              "figures only (this script never installs R).")  # fmt: skip
    results = []
    # The ratio column divides by R's time measured in this run when R is here;
    # only without R does it fall back on the figures quoted in the issue.
    basis = "R measured here" if has_r else "R quoted (not measured)"
    print(f"ratio = Memoria CPU µs / {basis} µs")
    header = f"{'lists':>5} {'K':>3} {'n':>6} {'cells':>6} {'wall µs':>8} {'CPU µs':>7} "
    print(header + f"{'R ref µs':>8}" + (f" {'R here µs':>9}" if has_r else "") + f" {'ratio':>6}")
    for n_lists, classes, reference in CASES:
        table = simulate_table(scenario(n_lists), np.random.default_rng(1))
        wall, cpu = time_chain(table, classes, args.iterations)
        r_here = time_r(table, classes, args.iterations) if has_r else None
        ratio = cpu / (r_here if r_here is not None else reference)
        row = {
            "lists": n_lists, "classes": classes, "observed": table.observed,
            "cells": len(table.counts), "wall_us": wall, "cpu_us": cpu,
            "r_reference_us": reference, "r_here_us": r_here, "ratio_cpu_to_r": ratio,
            "ratio_basis": basis,
        }  # fmt: skip
        results.append(row)
        line = (f"{n_lists:>5} {classes:>3} {table.observed:>6} {len(table.counts):>6} "
                f"{wall:>8.1f} {cpu:>7.1f} {reference:>8.1f}")  # fmt: skip
        line += f" {r_here:>9.1f}" if r_here is not None else ""
        print(line + f" {ratio:>6.2f}", flush=True)
    print("\npublished tables, K = 10")
    for name in TABLES:
        path = DATA / f"{name}.csv"
        if not path.exists():
            continue
        table = read_capture_table(path)[None]
        wall, cpu = time_chain(table, 10, args.iterations)
        r_here = time_r(table, 10, args.iterations) if has_r else None
        ratio = cpu / r_here if r_here else None
        results.append({"table": name, "lists": table.n_lists, "classes": 10,
                        "observed": table.observed, "cells": len(table.counts),
                        "wall_us": wall, "cpu_us": cpu, "r_here_us": r_here,
                        "ratio_cpu_to_r": ratio})  # fmt: skip
        line = (f"{name:>20} {table.n_lists:>3} lists {table.observed:>6} {len(table.counts):>4} "
                f"cells {wall:>7.1f} µs wall {cpu:>7.1f} µs CPU")  # fmt: skip
        if r_here is not None:
            line += f"  R here {r_here:.1f} µs  ratio {ratio:.2f}"
        print(line, flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": cpu_model(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
