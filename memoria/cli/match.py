"""``memoria match``: rank unidentified remains for each missing person.

    memoria match --missing missing.csv --remains remains.csv --top 10 \\
        --out candidates.csv [--reverse by_remains.csv] [--reasons reasons.csv]

The file formats are in docs/matching.md. Nothing is written unless every
input row can be read; outputs are written to a temporary file and renamed,
so a failure never leaves a partial file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from memoria.cli.common import CommandError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("must be from 1 to 1000")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``match`` subcommand."""
    parser = subparsers.add_parser(
        "match",
        help="rank unidentified remains for each missing person",
        description=(
            "Compare the ante-mortem file of missing people with the post-mortem file of "
            "unidentified remains and write, for each person, the remains that could be "
            "theirs, best first, with a likelihood-ratio score (see docs/matching.md)."
        ),
    )
    parser.add_argument("--missing", required=True, type=Path, metavar="missing.csv")
    parser.add_argument("--remains", required=True, type=Path, metavar="remains.csv")
    parser.add_argument(
        "--top", type=_positive, default=10, metavar="N", help="candidates per person (default 10)"
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="candidates.csv",
        help="write missing_id, remains_id, rank, score here",
    )
    parser.add_argument(
        "--reverse",
        type=Path,
        metavar="by_remains.csv",
        help="also write the best missing people for each remains (remains_id first)",
    )
    parser.add_argument(
        "--reasons",
        type=Path,
        metavar="reasons.csv",
        help="also write each candidate's evidence and weights (slower on large files)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object on stdout"
    )
    parser.set_defaults(handler=run)


def _check_paths(args: argparse.Namespace) -> None:
    for path in (args.missing, args.remains):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
    outputs = [p for p in (args.out, args.reverse, args.reasons) if p is not None]
    for output in outputs:
        if not output.parent.exists():
            raise CommandError(f"{output.parent}: no such directory")
        if output.resolve() in (args.missing.resolve(), args.remains.resolve()):
            raise CommandError(f"{output}: would overwrite an input")
    if len({p.resolve() for p in outputs}) != len(outputs):
        raise CommandError("two outputs have the same name")


def _write_all(frames: list[tuple[Path, object]]) -> None:
    """Write every output to a temporary file first, then rename them all."""
    done: list[tuple[str, Path]] = []
    try:
        for path, frame in frames:
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            os.close(handle)
            done.append((temporary, path))
            frame.to_csv(temporary, index=False)
    except OSError as error:
        for temporary, _ in done:
            Path(temporary).unlink(missing_ok=True)
        raise CommandError(f"cannot write: {error}") from error
    for temporary, path in done:
        os.replace(temporary, path)


def _reasons(result, missing, remains):
    import pandas as pd

    from memoria.matching import explain

    index_m = {v: i for i, v in enumerate(missing.ids)}
    index_r = {v: i for i, v in enumerate(remains.ids)}
    rows = []
    for m_id, r_id, rank in result.candidates[["missing_id", "remains_id", "rank"]].itertuples(
        index=False
    ):
        explanation = explain(result.model, missing, remains, index_m[m_id], index_r[r_id])
        for item in explanation.evidence:
            rows.append((m_id, r_id, rank, item.code, item.detail, item.weight))
    return pd.DataFrame(
        rows, columns=["missing_id", "remains_id", "rank", "evidence", "detail", "weight"]
    )


def run(args: argparse.Namespace) -> int:
    """Read both files, rank, write the outputs, print a summary."""
    _check_paths(args)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from memoria.matching import InputError, match, read_missing, read_remains

    console = Console(stderr=True)
    with console.status("reading files…"):
        try:
            missing = read_missing(args.missing, source=str(args.missing))
            remains = read_remains(args.remains, source=str(args.remains))
        except InputError as error:
            raise CommandError(str(error)) from error
    console.print(f"read {len(missing):,} missing people and {len(remains):,} remains")
    columns = (
        TextColumn("matching"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} people"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("match", total=len(missing))
        result = match(
            missing,
            remains,
            top=args.top,
            reverse=args.reverse is not None,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    outputs = [(args.out, result.candidates)]
    if args.reverse is not None:
        outputs.append((args.reverse, result.reverse))
    if args.reasons is not None:
        with console.status("writing reasons…"):
            outputs.append((args.reasons, _reasons(result, missing, remains)))
    _write_all(outputs)
    summary = {**result.summary, "outputs": {p.stem: str(p) for p, _ in outputs}}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    console.print(
        f"[bold]{summary['people_with_candidates']:,}[/] of {summary['missing']:,} people have "
        f"candidates among {summary['remains']:,} remains; {summary['candidate_rows']:,} rows; "
        f"{summary['strong_candidates']:,} strong (score ≥ 2, likelihood ratio ≥ 100); "
        f"{summary['pairs_compared']:,} pairs compared; {summary['seconds']} s"
    )
    for path, _ in outputs:
        console.print(f"  {path}", soft_wrap=True)
    sys.stderr.flush()
    return 0
