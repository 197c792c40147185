"""Benchmark: a small estimate end to end, Memoria's command against R's Rcapture.

    R_LIBS=/tmp/Rlib .venv/bin/python bench/small_estimate.py [--repeats 5]

What an analyst waits for: a whole new process, from the command to the answer
(start-up, library loading, reading the table, the model search, the output).
For each small published table, ``memoria estimate TABLE --json`` (stepwise
log-linear, the default) and ``memoria estimate TABLE --criterion bic --json``
(every hierarchical model with two-list terms, ranked by BIC) against
``Rscript`` running ``closedpMS.t(X, dfreq = TRUE)`` from Rcapture (every
hierarchical model, ranked by BIC), each run ``--repeats`` times in the same
minutes. Wall and CPU seconds (user + system of the child process) are the
median over the repeats; the ratio divides Memoria's by R's.

R is found on PATH (``Rscript``) with Rcapture in its library or in ``R_LIBS``;
without it only Memoria's times are printed. Nothing is downloaded or installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "engines" / "data" / "mse"
TABLES = ("madigan_york_3list.csv", "rcapture_HIV.csv", "sparsemse_Western.csv")
R_SCRIPT = """
suppressMessages(library(Rcapture))
args <- commandArgs(trailingOnly = TRUE)
X <- read.csv(args[1])
fit <- closedpMS.t(X, dfreq = TRUE)
best <- fit$results[which.min(fit$results[, "BIC"]), ]
cat(best["abundance"], "\\n")
"""


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(command: list[str], repeats: int) -> tuple[float, float]:
    runs = [timed(command) for _ in range(repeats)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "library(Rcapture)"], capture_output=True, timeout=120, check=False
    )
    return probe.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    memoria = [str(ROOT / ".venv" / "bin" / "memoria"), "estimate"]
    with_r = r_available()
    script = Path(os.environ.get("TMPDIR", "/tmp")) / "memoria_small_estimate.R"
    script.write_text(R_SCRIPT)
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("table | Memoria stepwise wall/CPU | Memoria --criterion bic wall/CPU | "
          "R closedpMS.t wall/CPU | ratio (bic / R, wall)")  # fmt: skip
    for name in TABLES:
        table = str(DATA / name)
        stepwise = median_of([*memoria, table, "--json"], args.repeats)
        bic = median_of([*memoria, table, "--criterion", "bic", "--json"], args.repeats)
        r = median_of(["Rscript", str(script), table], args.repeats) if with_r else None
        cells = [f"{wall:.2f} / {cpu:.2f}" for wall, cpu in (stepwise, bic, *([r] if r else []))]
        ratio = f"{bic[0] / r[0]:.2f}" if r else "—"
        print(f"{name} | " + " | ".join(cells) + (" | —" if not r else "") + f" | {ratio}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
