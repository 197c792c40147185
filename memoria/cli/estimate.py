"""``memoria estimate``: how many victims did no list record?

    memoria estimate histories.csv --method all --criterion stepwise --json

The input is a capture-history CSV: one 0/1 column per list and a ``count``
column, or one row per individual (or per linked cluster, as written by
``memoria link --capture-histories``; its ``cluster_id`` column is ignored).
See docs/estimation.md. numpy, statsmodels and numba are imported inside the
handler so that ``memoria --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from memoria.cli.common import CommandError, probability


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``estimate`` subcommand."""
    parser = subparsers.add_parser(
        "estimate",
        help="estimate how many victims no list recorded (multiple systems estimation)",
        description=(
            "Multiple systems estimation from a capture-history table: log-linear models "
            "(with model selection) and the Bayesian latent-class model LCMCR."
        ),
    )
    parser.add_argument(
        "table", type=Path, metavar="TABLE.csv", help="0/1 column per list, optional count column"
    )
    parser.add_argument(
        "--method",
        choices=("loglinear", "lcmcr", "all"),
        default="loglinear",
        help="which estimator(s) to run (default loglinear)",
    )
    parser.add_argument(
        "--criterion",
        choices=("bic", "aic", "stepwise"),
        default="stepwise",
        help="log-linear model selection (default stepwise, any number of "
        "lists; bic/aic search all models, at most 6 lists, and average them)",
    )
    parser.add_argument(
        "--max-order",
        type=_max_order,
        default=None,
        metavar="K",
        help="bic/aic: search hierarchical models with terms of up to K lists "
        "(default 2, two-list terms; 'all' = lists - 1, as Rcapture's closedpMS.t)",
    )
    parser.add_argument(
        "--threshold",
        type=probability,
        default=0.02,
        metavar="P",
        help="stepwise: add a term while its p-value is below P (default 0.02)",
    )
    parser.add_argument(
        "--strata",
        action="append",
        default=[],
        metavar="COL",
        help="estimate per value of this column and add up (repeatable)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="COL",
        help="a column that is neither a list nor a count (repeatable)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed for LCMCR and the bootstrap (default: random, reported)",
    )
    parser.add_argument("--chains", type=_positive, default=4, help="LCMCR chains (default 4)")
    parser.add_argument(
        "--classes", type=_positive, default=10, help="LCMCR latent classes K (default 10)"
    )
    parser.add_argument(
        "--iterations",
        type=_positive,
        default=10_000,
        help="LCMCR iterations kept per chain, after burn-in (default 10000)",
    )
    parser.add_argument(
        "--burn-in",
        type=_non_negative,
        default=10_000,
        help="LCMCR iterations discarded per chain (default 10000)",
    )
    parser.add_argument(
        "--thin", type=_positive, default=10, help="keep every N-th LCMCR iteration (default 10)"
    )
    parser.add_argument(
        "--max-unobserved-ratio",
        type=float,
        default=None,
        metavar="R",
        help="LCMCR: truncate the unobserved count at R × observed (R's "
        "sampler uses 20); default no cap",
    )
    parser.add_argument(
        "--until-converged",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="LCMCR: keep sampling, doubling the chains' length, until R-hat is below 1.01 "
        "with 100 effective draws per chain (or the time cap); the first half of the "
        "extended chains is discarded. Default: on for tables of 7 lists or more, off "
        "(the fixed --iterations) for smaller ones",
    )
    parser.add_argument(
        "--max-seconds",
        type=_positive,
        default=300,
        metavar="S",
        help="when sampling until converged: stop after S seconds of sampling, the last "
        "round shortened to fit (default 300, per table or stratum)",
    )
    parser.add_argument(
        "--bootstrap",
        type=_non_negative,
        default=0,
        metavar="N",
        help="log-linear: N bootstrap replicates with model re-selection (BCa)",
    )
    parser.add_argument(
        "--pairs",
        type=Path,
        metavar="PAIRS.csv",
        help="linkage uncertainty: TABLE.csv is then the clusters file of `memoria link --out` "
        "and PAIRS.csv its `--pairs` file; the estimate runs on clusterings drawn from the "
        "pair probabilities and is pooled, beside the estimate on the clusters alone",
    )
    parser.add_argument(
        "--linkage-draws",
        type=_positive,
        default=20,
        metavar="M",
        help="with --pairs: how many clusterings to draw (default 20)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="draw the estimates, the posterior and the observed count",
    )
    parser.set_defaults(handler=run)


def _max_order(text: str) -> int:
    """``all`` (every order, stored as a large number capped later) or an order ≥ 2."""
    if text == "all":
        return 99
    value = _integer(text)
    if value < 2:
        raise argparse.ArgumentTypeError("must be at least 2 (or 'all')")
    return value


def _positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def run(args: argparse.Namespace) -> int:
    import os
    import warnings

    from memoria import mse
    from memoria.mse.estimate import engine_warnings, strip_arrays

    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    if args.pairs is not None:
        return _run_with_linkage(args, seed)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", mse.MseWarning)
            tables = mse.read_capture_table(
                args.table, strata=args.strata, ignore=tuple(args.ignore)
            )
        options = _options(args, seed)
    except (mse.CaptureTableError, ValueError) as error:
        raise CommandError(str(error)) from error
    try:
        with _Progress(enabled=_long_run(options) and sys.stderr.isatty()) as progress:
            report = mse.estimate_population(tables, options, progress, keep_draws=True)
    except (mse.CaptureTableError, mse.ModelNotEstimable, ValueError) as error:
        raise CommandError(str(error)) from error
    # Only Memoria's own warnings go into the report; a library's warnings
    # (pandas, statsmodels) are shown on stderr as Python shows warnings.
    report["warnings"] = engine_warnings(caught) + report["warnings"]
    report["seed"] = seed
    if args.plot:
        _plot(report, args.plot)
    clean = strip_arrays(report)
    if args.json:
        print(json.dumps(_finite(clean), ensure_ascii=False))
        # stdout may go straight into a file or another program: say it here too.
        for message in report["warnings"]:
            print(f"memoria estimate: WARNING: {message}", file=sys.stderr)
    else:
        _print_table(clean)
    return 0


def _run_with_linkage(args: argparse.Namespace, seed: int) -> int:
    """Estimate on the clusters given and on clusterings drawn from the pairs; pool."""
    import warnings

    from memoria import mse
    from memoria.mse.estimate import strip_arrays
    from memoria.mse.pooling import estimate_pooled

    if args.strata or args.bootstrap:
        raise CommandError("--pairs does not work with --strata or --bootstrap yet")
    try:
        records, source_of, links, names = _read_linkage(args.table, args.pairs)
        options = _options(args, seed)
    except ValueError as error:
        raise CommandError(str(error)) from error
    from memoria.linkage.pipeline import capture_histories
    from memoria.linkage.uncertainty import draw_clusterings

    def table(histories):
        return {None: mse.table_from_frame(histories[names])}

    with _Progress(enabled=sys.stderr.isatty()) as progress, warnings.catch_warnings():
        warnings.simplefilter("ignore", mse.MseWarning)  # reported once, below
        drawn = draw_clusterings(
            records,
            links,
            draws=args.linkage_draws,
            seed=seed,
            progress=lambda done, total: progress("drawing clusterings", done, total),
        )
        clusters = _read_csv(args.table)
        try:
            single = mse.estimate_population(table(capture_histories(clusters, names)), options)
            tables = [table(h) for h in drawn.capture_histories(source_of, names)]
            pooled = estimate_pooled(tables, options, progress)
        except (mse.CaptureTableError, mse.ModelNotEstimable) as error:
            raise CommandError(str(error)) from error
    report = {
        **strip_arrays(single),
        "seed": seed,
        "linkage_uncertainty": {
            **pooled,
            "uncertain_pairs": drawn.uncertain_pairs,
            "held_back_pairs": drawn.held_back_pairs,
            "blocks": drawn.blocks,
        },
    }
    if args.json:
        print(json.dumps(_finite(report), ensure_ascii=False))
        return 0
    _print_table(report)
    _print_pooled(report)
    return 0


def _read_csv(path: Path):
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise CommandError(f"{path}: {error}") from error


def _read_linkage(clusters_path: Path, pairs_path: Path):
    """Records, their lists, the scored pairs as links, and the list names."""
    from memoria.linkage.review import Link

    clusters = _read_csv(clusters_path)
    pairs = _read_csv(pairs_path)
    needed = {"source", "record_id", "cluster_id"}
    if not needed <= set(clusters.columns):
        raise ValueError(
            f"{clusters_path}: with --pairs, give the clusters file of memoria link --out"
        )
    columns = {"source_l", "record_id_l", "source_r", "record_id_r", "match_probability"}
    if not columns <= set(pairs.columns):
        raise ValueError(f"{pairs_path}: not a --pairs file of memoria link (columns missing)")
    clusters["cluster_id"] = clusters["cluster_id"].astype(int)
    records = (clusters["source"] + ":" + clusters["record_id"]).tolist()
    source_of = dict(zip(records, clusters["source"], strict=True))
    flags = {
        c: pairs[c].str.lower().isin(("true", "1")) if c in pairs else [False] * len(pairs)
        for c in ("linked", "held_back")
    }
    links = [
        Link(f"{sl}:{rl}", f"{sr}:{rr}", float(p), bool(linked), bool(held))
        for sl, rl, sr, rr, p, linked, held in zip(
            pairs["source_l"],
            pairs["record_id_l"],
            pairs["source_r"],
            pairs["record_id_r"],
            pairs["match_probability"],
            flags["linked"],
            flags["held_back"],
            strict=True,
        )
    ]
    names = list(dict.fromkeys(clusters["source"]))
    return records, source_of, links, names


def _print_pooled(report: dict) -> None:
    from rich.console import Console

    console = Console()
    pooled = report["linkage_uncertainty"]
    seen = pooled["observed"]
    console.print(
        f"With linkage uncertainty: {pooled['clusterings']} clusterings drawn from "
        f"{pooled['uncertain_pairs']:,} scored pairs and {pooled['held_back_pairs']:,} "
        f"held-back pairs; observed individuals {seen['min']:,}–{seen['max']:,}",
        highlight=False,
    )
    rows = [(m, pooled[m], report[m]) for m in ("loglinear", "lcmcr") if m in pooled]
    average = pooled.get("loglinear", {}).get("model_average")
    if average and "model_average" in report.get("loglinear", {}):
        rows.insert(1, ("loglinear average", average, report["loglinear"]["model_average"]))
    for name, figure, single in rows:
        low, high = figure["interval"]
        single_low, single_high = single["interval"]
        width = (
            f"; one clustering's interval {figure['median_width']:,.0f} wide (median)"
            if "median_width" in figure
            else ""
        )
        console.print(
            f"  {name}: {figure['estimate']:,.0f} [{low:,.0f}, {high:,.0f}] "
            f"(clusters alone: {single['estimate']:,.0f} "
            f"[{single_low:,.0f}, {single_high:,.0f}]{width})",
            highlight=False,
        )


def _options(args: argparse.Namespace, seed: int):
    from memoria.mse import EstimateOptions, LcmcrSettings

    methods = ("loglinear", "lcmcr") if args.method == "all" else (args.method,)
    if args.max_unobserved_ratio is not None and args.max_unobserved_ratio <= 0:
        raise ValueError("--max-unobserved-ratio must be positive")
    lcmcr = LcmcrSettings(
        classes=args.classes,
        chains=args.chains,
        burn_in=args.burn_in,
        iterations=args.iterations,
        thin=args.thin,
        max_unobserved_ratio=args.max_unobserved_ratio,
        seed=seed,
        until_converged=args.until_converged,
        max_seconds=float(args.max_seconds),
    )
    return EstimateOptions(
        methods=methods,
        criterion=args.criterion,
        threshold=args.threshold,
        max_order=args.max_order,
        bootstrap=args.bootstrap,
        seed=seed,
        lcmcr=lcmcr,
    )


def _long_run(options) -> bool:
    return "lcmcr" in options.methods or options.bootstrap > 0


class _Progress:
    """A rich progress bar on stderr (stdout stays clean for --json), one row per task."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.__enter__()
        return self

    def __call__(self, task: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if task not in self.tasks:
            self.tasks[task] = self.bar.add_task(task, total=total)
        self.bar.update(self.tasks[task], completed=done)

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.__exit__(*exc)


def _finite(value):
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _finite(value.item())
    return value


def _print_table(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"Observed individuals: {report['observed']:,} on {len(report['lists'])} lists "
        f"({', '.join(report['lists'])})"
    )
    table = Table("method", "estimate", "95% interval", "model / diagnostics", "interval method")
    for label, part in [(None, report), *report.get("strata", {}).items()]:
        prefix = f"[{label}] " if label else ""
        for method in ("loglinear", "lcmcr"):
            if method in part:
                table.add_row(prefix + method, *_row(method, part[method]))
            average = part.get(method, {}).get("model_average")
            if average and "strata" in average:  # the strata's averages added up
                table.add_row(
                    prefix + "loglinear average",
                    f"{average['estimate']:,.0f}",
                    f"[{average['interval'][0]:,.0f}, {average['interval'][1]:,.0f}]",
                    f"sum of {average['strata']} strata by {average['criterion']}",
                    "sum of draws from each stratum's MATA mixture",
                )
            elif average:
                detail = (
                    f"{average['models']:,} models by {average['criterion']}, "
                    f"about {average['effective_models']:.1f} effective"
                )
                table.add_row(
                    prefix + "loglinear average",
                    f"{average['estimate']:,.0f}",
                    f"[{average['interval'][0]:,.0f}, {average['interval'][1]:,.0f}]",
                    detail,
                    "model-averaged tail areas",
                )
    console.print(table)
    for message in report["warnings"]:
        console.print(f"[bold red]WARNING:[/] {message}", highlight=False)
    console.print(f"seed: {report['seed']}")


def _row(method: str, result: dict) -> list[str]:
    low, high = result["interval"]
    interval = f"[{low:,.0f}, {high:,.0f}]"
    if method == "loglinear":
        model = result["model"]
        detail = (
            model
            if isinstance(model, str)
            else ("main effects + " + ", ".join(model) if model else "main effects")
        )
        detail += f" ({result['criterion']})"
    else:
        diag = result.get("diagnostics", {})
        if diag.get("rhat") is not None:
            detail = f"R-hat {diag['rhat']:.3f}, ESS {diag['ess_bulk']:.0f}"
        elif diag.get("chains") == 1:
            detail = "1 chain: convergence not checked"
        else:
            detail = "posterior (summed strata)"
    return [f"{result['estimate']:,.0f}", interval, detail, result["interval_method"]]


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5))
    if "lcmcr" in report:
        draws = report["lcmcr"]["_draws"].ravel()
        axis.hist(
            draws, bins=60, density=True, alpha=0.5, color="tab:blue", label="LCMCR posterior of N"
        )
        axis.axvline(report["lcmcr"]["estimate"], color="tab:blue", label="LCMCR median")
    if "loglinear" in report:
        result = report["loglinear"]
        replicates = result.get("_replicates")
        if replicates is not None:
            axis.hist(
                replicates[~_isnan(replicates)],
                bins=60,
                density=True,
                alpha=0.4,
                color="tab:orange",
                label="bootstrap replicates",
            )
        axis.axvline(result["estimate"], color="tab:orange", label="log-linear estimate")
        axis.axvspan(
            *result["interval"], color="tab:orange", alpha=0.12, label="log-linear 95% interval"
        )
    axis.axvline(report["observed"], color="black", linestyle="--", label="observed")
    axis.set_xlabel("population size N")
    axis.set_yticks([])
    axis.legend(fontsize="small")
    axis.set_title("Multiple systems estimation")
    figure.tight_layout()
    try:
        figure.savefig(path, dpi=120)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error}") from error
    finally:
        plt.close(figure)


def _isnan(values):
    import numpy as np

    return np.isnan(values)
