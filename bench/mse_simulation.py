"""Simulation study: coverage and bias of each estimator on populations of known size.

    .venv/bin/python bench/mse_simulation.py                  # minutes
    .venv/bin/python bench/mse_simulation.py --sims 200 --bootstrap 500 --lcmcr-iterations 20000

Each scenario (``memoria.mse.simulate.SCENARIOS``) draws ``--sims`` populations
of 2,000 people recorded by four lists: independent lists, heterogeneous
capture (a hard-to-reach majority), and a referral between two lists. For every
method the script reports the coverage of its 95% interval (share of intervals
containing the true 2,000), the relative bias of its point estimate, the
median absolute relative error and the mean relative interval width.

Methods: log-linear with stepwise selection (profile interval conditional on
the model; bootstrap BCa with re-selection when ``--bootstrap`` > 0),
log-linear with best BIC (profile interval), and LCMCR (K = 10, posterior
median and 95% interval).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from memoria.mse import (
    LcmcrSettings,
    ModelNotEstimable,
    bootstrap_interval,
    fit_loglinear,
    sample_lcmcr,
    select_model,
)
from memoria.mse.simulate import SCENARIOS, simulate_table


def run_methods(table, args, seed: int) -> dict[str, tuple[float, float, float]]:
    """Point estimate and interval of every method on one simulated table."""
    results = {}
    for criterion in ("stepwise", "bic"):
        try:
            chosen = select_model(table, criterion).model
            model = fit_loglinear(table, chosen.pairs, check=False)
            interval = model.profile_interval()
            results[f"loglinear {criterion} (profile)"] = (model.estimate, *interval)
        except ModelNotEstimable:
            results[f"loglinear {criterion} (profile)"] = (np.nan, np.nan, np.nan)
    if args.bootstrap:
        try:
            boot = bootstrap_interval(table, "stepwise", replicates=args.bootstrap, seed=seed)
            results["loglinear stepwise (bootstrap BCa)"] = (boot.estimate, *boot.interval)
        except ModelNotEstimable:
            results["loglinear stepwise (bootstrap BCa)"] = (np.nan, np.nan, np.nan)
    if args.lcmcr_iterations:
        settings = LcmcrSettings(classes=10, chains=2, burn_in=args.lcmcr_iterations // 2,
                                 iterations=args.lcmcr_iterations, thin=10, seed=seed,
                                 processes=1)  # fmt: skip
        posterior = sample_lcmcr(table, settings)
        results["LCMCR K=10 (posterior)"] = (posterior.median, *posterior.interval())
    return results


def summarize(rows: list[tuple[float, float, float]], truth: int) -> dict:
    values = np.array(rows, dtype=float)
    ok = np.all(np.isfinite(values), axis=1)
    summary = {"runs": int(len(values)), "failed": int((~ok).sum())}
    if not ok.any():
        return summary | dict.fromkeys(("coverage", "relative_bias", "median_abs_rel_error",
                                        "mean_rel_width"))  # fmt: skip
    estimate, low, high = values[ok].T
    return summary | {
        "coverage": float(np.mean((low <= truth) & (truth <= high))),
        "relative_bias": float(np.mean(estimate) / truth - 1),
        "median_abs_rel_error": float(np.median(np.abs(estimate / truth - 1))),
        "mean_rel_width": float(np.mean((high - low) / truth)),
    }


def format_row(method: str, stats: dict) -> str:
    """One line of the results table; "n/a" where every run of the method failed."""

    def cell(key: str, spec: str) -> str:
        value = stats.get(key)
        return f"{'n/a':>8}" if value is None else f"{value:{spec}}"

    return (
        f"  {method:38} {cell('coverage', '>8.2f')} {cell('relative_bias', '>+8.1%')} "
        f"{cell('median_abs_rel_error', '>8.1%')} {cell('mean_rel_width', '>8.2f')} "
        f"{stats['failed']:>8}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=40, help="populations per scenario")
    parser.add_argument("--bootstrap", type=int, default=100, help="replicates (0 = skip)")
    parser.add_argument("--lcmcr-iterations", type=int, default=4000, help="0 = skip LCMCR")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    started = time.perf_counter()
    summary = {}
    for number, scenario in enumerate(SCENARIOS):
        rng = np.random.default_rng([args.seed, number])
        collected: dict[str, list] = {}
        for sim in range(args.sims):
            table = simulate_table(scenario, rng)
            if table is None:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results = run_methods(table, args, seed=args.seed * 1000 + sim)
            for method, row in results.items():
                collected.setdefault(method, []).append(row)
        summary[scenario.name] = {m: summarize(r, scenario.size) for m, r in collected.items()}
        print(f"\n{scenario.name} (N = {scenario.size}, {args.sims} populations)")
        columns = ("coverage", "bias", "MdAPE", "width", "failed")
        print(f"  {'method':38} " + " ".join(f"{c:>8}" for c in columns))
        for method, stats in summary[scenario.name].items():
            print(format_row(method, stats), flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"settings": vars(args) | {"json": str(args.json)},
                                         "summary": summary}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
