"""Benchmark: searching every hierarchical log-linear model, against Rcapture.

    R_LIBS=/tmp/Rlib .venv/bin/python -m bench.loglinear_search [--repeats 3] [--json out.json]

For each five-list table in tests/engines/data/mse/, Memoria ranks all 6,893
hierarchical models (every main effect, terms of up to four lists) by BIC with
``select_model(table, "bic", max_order=4)``, and Rcapture 1.4-4 does the same
with ``closedpMS.t(X, dfreq = TRUE, maxorder = 4)``, in the same run. Both
sides are timed inside their process (start-up and library loading excluded),
wall and CPU (user + system), best of ``--repeats`` (SciPy's linear
programming, used for a few models, is imported before timing); the ratio column divides
Memoria's time by R's. The best model by BIC and its estimate are printed for
both, to show they agree. A six-list table (UK 2013, 32,768 models with
two-list terms) is timed with ``--six`` (R takes minutes on it).

R is found on PATH (``Rscript``) with Rcapture in its library or in
``R_LIBS``; without it only Memoria's times are printed. This script never
downloads or installs anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from memoria.mse import read_capture_table
from memoria.mse.hierarchical import rcapture_name
from memoria.mse.selection import select_model

DATA = Path(__file__).resolve().parents[1] / "tests" / "engines" / "data" / "mse"
TABLES = ("madigan_york_5list", "sparsemse_UKdat_5", "sparsemse_NewOrl_5")

R_SCRIPT = """
suppressMessages(library(Rcapture))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
cpu <- function() { p <- proc.time(); p[["user.self"]] + p[["sys.self"]] }
c0 <- cpu(); w0 <- proc.time()[["elapsed"]]
fit <- closedpMS.t(d, dfreq = TRUE, maxorder = as.integer(args[2]), stopiflong = FALSE)
w1 <- proc.time()[["elapsed"]]; c1 <- cpu()
r <- fit$results
best <- which.min(r[, "BIC"])
cat(w1 - w0, c1 - c0, nrow(r), rownames(r)[best], r[best, "abundance"], "\\n")
"""


def time_memoria(name: str, max_order: int, repeats: int) -> dict:
    table = read_capture_table(DATA / f"{name}.csv")[None]
    from scipy.optimize import linprog  # noqa: F401  (imported once, as R loads Rcapture first)

    select_model(table, "bic", max_order=2)  # warm up
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        selection = select_model(table, "bic", max_order=max_order)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    terms = [tuple(table.lists.index(n) for n in t.split(":")) for t in selection.model.terms]
    return {
        "wall": best_wall,
        "cpu": best_cpu,
        "models": len(selection.ranking) + selection.rejected,
        "without_estimate": selection.rejected,
        "best": rcapture_name(tuple(terms), table.n_lists),
        "estimate": selection.model.estimate,
        "average": selection.average.estimate,
        "average_interval": list(selection.average.interval),
    }


def time_r(name: str, max_order: int, repeats: int) -> dict | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "search.R"
        script.write_text(R_SCRIPT)
        runs = []
        for _ in range(repeats):
            done = subprocess.run(
                [rscript, str(script), str(DATA / f"{name}.csv"), str(max_order)],
                capture_output=True,
                text=True,
                env=os.environ,
            )
            if done.returncode != 0:
                print(f"R failed on {name}: {done.stderr.strip()[-300:]}")
                return None
            wall, cpu, models, best, estimate = done.stdout.split()
            runs.append((float(wall), float(cpu), int(models), best, float(estimate)))
    return {
        "wall": min(r[0] for r in runs),
        "cpu": min(r[1] for r in runs),
        "models": runs[0][2],
        "best": runs[0][3],
        "estimate": runs[0][4],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--six", action="store_true", help="also UK 2013 with six lists")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cases = [(name, 4) for name in TABLES] + ([("sparsemse_UKdat", 2)] if args.six else [])
    print(f"{platform.machine()} {platform.processor() or ''} Python {platform.python_version()}")
    print(f"load average before: {os.getloadavg()}")
    rows = []
    for name, order in cases:
        ours = time_memoria(name, order, args.repeats)
        theirs = time_r(name, order, 1 if args.six and order == 2 else args.repeats)
        rows.append({"table": name, "max_order": order, "memoria": ours, "rcapture": theirs})
        line = (
            f"{name:20s} order {order}: {ours['models']:,} models; "
            f"Memoria wall {ours['wall']:.2f} s CPU {ours['cpu']:.2f} s, "
            f"best {ours['best']} N = {ours['estimate']:.2f}, "
            f"average {ours['average']:.1f} [{ours['average_interval'][0]:.0f}, "
            f"{ours['average_interval'][1]:.0f}]"
        )
        if theirs:
            line += (
                f"\n{'':20s} Rcapture wall {theirs['wall']:.2f} s CPU {theirs['cpu']:.2f} s, "
                f"best {theirs['best']} N = {theirs['estimate']:.2f}; ratio Memoria / R: wall "
                f"{ours['wall'] / theirs['wall']:.3f}, CPU {ours['cpu'] / theirs['cpu']:.3f}"
            )
        print(line, flush=True)
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
