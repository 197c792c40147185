"""``memoria link``: deduplicate and link lists of people.

    memoria link fiscalia.csv colectivo.csv prensa.csv --out clusters.csv \\
        --review pairs.csv --capture-histories histories.csv

``--pairs scored.csv`` writes every scored pair with its probability, for
``memoria estimate clusters.csv --pairs scored.csv`` (linkage uncertainty).

Each input is a CSV in the standard schema (see docs/linkage.md); its file
stem names the source. The state column may name the state ("Veracruz",
"Edo. de México", "CDMX") as well as give its INEGI code: names are read here
into codes (``memoria.geo``, which the engine may not import), as the web does
for uploaded lists. Splink is imported inside the handler so that
``memoria --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from memoria.cli.common import CommandError, probability


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``link`` subcommand."""
    parser = subparsers.add_parser(
        "link",
        help="link and deduplicate person records across lists (Splink)",
        description=(
            "Deduplicate and link person records across CSV lists in the standard "
            "schema. Writes one row per record with its cluster (one cluster per person)."
        ),
    )
    parser.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="LIST.csv",
        help="input lists; the file stem names the source",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="clusters.csv",
        help="write source, record_id, cluster_id here",
    )
    parser.add_argument(
        "--threshold",
        type=probability,
        default=None,
        metavar="P",
        help="match probability needed to link two records (default 0.9)",
    )
    parser.add_argument(
        "--review",
        type=Path,
        metavar="pairs.csv",
        help="write the pairs in the review band, with explanations",
    )
    parser.add_argument(
        "--review-band",
        type=_band,
        default=None,
        metavar="LOW,HIGH",
        help="probabilities sent to review (default 0.5,0.98)",
    )
    parser.add_argument(
        "--pairs",
        type=Path,
        metavar="pairs.csv",
        help="write every scored pair kept (at or above the review band's low end) with its "
        "probability: the input of `memoria estimate --pairs` (linkage uncertainty)",
    )
    parser.add_argument(
        "--answers",
        type=Path,
        metavar="pairs.csv",
        help=(
            "reviewers' answers: the review file with a 'decision' column "
            "(same, different or unsure); the model learns from them and the "
            "clusters follow them"
        ),
    )
    parser.add_argument(
        "--capture-histories",
        type=Path,
        metavar="histories.csv",
        help="write one row per cluster with a 0/1 column per source",
    )
    parser.add_argument(
        "--backend",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where Splink runs (default duckdb)",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed for u sampling (default 42)")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse the run when a date cannot be read (default: read it as unknown and count it)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object on stdout"
    )
    parser.set_defaults(handler=run)


def _band(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError("write LOW,HIGH, e.g. 0.5,0.98")
    low, high = (float(p) for p in parts)
    if not 0 <= low <= high <= 1:
        raise argparse.ArgumentTypeError("need 0 <= LOW <= HIGH <= 1")
    return low, high


def _check_paths(args: argparse.Namespace) -> None:
    for path in args.sources:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
    stems = [p.stem for p in args.sources]
    if len(set(stems)) != len(stems):
        raise CommandError(f"two inputs have the same file name {sorted(stems)}; rename one")
    if args.answers is not None and not args.answers.is_file():
        raise CommandError(f"{args.answers}: no such file")
    for output in (args.out, args.review, args.pairs, args.capture_histories):
        if output is not None and not output.parent.exists():
            raise CommandError(f"{output.parent}: no such directory")


def run(args: argparse.Namespace) -> int:
    """Run the linkage and write the requested files."""
    _check_paths(args)
    from rich.console import Console

    from memoria.linkage import DEFAULT_REVIEW_BAND, DEFAULT_THRESHOLD, InputError, link_records
    from memoria.linkage.backends import BackendUnavailable
    from memoria.linkage.schema import read_csv_file

    console = Console(stderr=True)
    answers = _read_answers(args.answers) if args.answers is not None else None
    threshold = args.threshold or DEFAULT_THRESHOLD
    band = args.review_band or DEFAULT_REVIEW_BAND
    try:
        sources = {p.stem: states_as_codes(read_csv_file(p)) for p in args.sources}
        # Libraries print notes on stdout; keep stdout for the --json summary.
        with contextlib.redirect_stdout(sys.stderr), console.status("linking…") as status:
            result = link_records(
                sources,
                threshold=threshold,
                review_band=band,
                backend=args.backend,
                seed=args.seed,
                progress=lambda message: status.update(message),
                strict=args.strict,
                labels=answers,
            )
    except InputError as error:
        raise CommandError(str(_said_of_states(error))) from error
    except (BackendUnavailable, ImportError) as error:  # no Java or no pyspark for Spark
        raise CommandError(f"{args.backend} backend unavailable: {error}") from error
    _write(result, args)
    _report(result.summary, args, console)
    return 0


def states_as_codes(frame):
    """``frame`` with the states its state column names ("Veracruz", "Edo. de México",
    "CDMX", "Chih.") as their INEGI codes; other values as written, for the engine
    to read as codes, as unknown ("N/D", "99") or to refuse with their rows."""
    from memoria.geo import state_as_code

    for column in frame.columns:
        if str(column).strip().lower() == "state":
            frame[column] = frame[column].map(state_as_code)
    return frame


def _said_of_states(error):
    """The engine's refusal, a state it cannot read said as neither a code nor a name
    (the engine itself reads codes only)."""
    from dataclasses import replace

    from memoria.linkage import InputError

    if not error.problems:
        return error
    reason = "neither an INEGI state code (2 digits) nor a state's name"
    return InputError(
        [replace(p, reason=reason) if p.column == "state" else p for p in error.problems]
    )


ANSWER_COLUMNS = ("source_l", "record_id_l", "source_r", "record_id_r", "decision")
DECISIONS = ("same", "different", "unsure")


def _read_answers(path: Path) -> dict[tuple[str, str], str]:
    """``(source:record_id, source:record_id) -> decision`` from a review file
    with a ``decision`` column; rows with an empty decision are skipped."""
    import pandas as pd

    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: cannot be read as CSV ({error})") from error
    missing = [c for c in ANSWER_COLUMNS if c not in table.columns]
    if missing:
        raise CommandError(f"{path}: missing column(s) {', '.join(missing)}")
    answers = {}
    for row, (sl, rl, sr, rr, decision) in enumerate(
        table[list(ANSWER_COLUMNS)].itertuples(index=False, name=None), start=2
    ):
        decision = decision.strip().lower()
        if not decision:
            continue
        if decision not in DECISIONS:
            raise CommandError(
                f"{path}, row {row}: decision must be same, different or unsure, not {decision!r}"
            )
        answers[(f"{sl}:{rl}", f"{sr}:{rr}")] = decision
    return answers


def _write(result, args: argparse.Namespace) -> None:
    result.clusters.to_csv(args.out, index=False)
    if args.review is not None:
        result.review.to_csv(args.review, index=False)
    if args.capture_histories is not None:
        result.capture_histories.to_csv(args.capture_histories, index=False)
    if args.pairs is not None:
        scored_pairs(result).to_csv(args.pairs, index=False)


def scored_pairs(result):
    """Every kept pair by source and record id, with its probability and the model's choice."""
    import pandas as pd

    pairs = result.pairs
    left = pairs["unique_id_l"].astype(str).str.split(":", n=1, expand=True)
    right = pairs["unique_id_r"].astype(str).str.split(":", n=1, expand=True)
    threshold = result.summary.get("threshold", 0.9)
    return pd.DataFrame(
        {
            "source_l": left[0],
            "record_id_l": left[1],
            "source_r": right[0],
            "record_id_r": right[1],
            "match_probability": pairs["match_probability"],
            "linked": pairs["linked"].astype(bool),
            # Scored above the threshold but refused by the relatives guard.
            "held_back": (pairs["match_probability"] >= threshold) & ~pairs["linked"],
        }
    )


def _report(summary: dict, args: argparse.Namespace, console) -> None:
    outputs = {"clusters": str(args.out)}
    if args.review is not None:
        outputs["review"] = str(args.review)
    if args.capture_histories is not None:
        outputs["capture_histories"] = str(args.capture_histories)
    if args.pairs is not None:
        outputs["pairs"] = str(args.pairs)
    if args.json:
        print(json.dumps({**summary, "outputs": outputs}, ensure_ascii=False))
        return
    candidates = f"{summary['candidate_pairs']:,}"
    if summary.get("candidate_pairs_estimated"):
        candidates = f"about {candidates}"
    console.print(
        f"[bold]{summary['records']:,}[/] records from {len(summary['sources'])} sources; "
        f"{candidates} candidate pairs; {summary['linked_pairs']:,} linked; "
        f"[bold]{summary['clusters']:,}[/] clusters; {summary['review_pairs']:,} pairs to review; "
        f"{summary['seconds']} s"
    )
    _report_input(summary.get("input", {}), console)
    both_ways = summary.get("names_read_both_ways", 0)
    if both_ways:
        console.print(
            f"  {both_ways:,} full name(s) whose order their words do not decide were read "
            "both ways (given names first and surnames first); "
            f"{summary.get('links_under_other_reading', 0):,} link(s) took the other reading",
            highlight=False,
        )
    learned = summary.get("learned_from")
    if learned:
        console.print(
            f"  learned from {learned['same']:,} 'same' and {learned['different']:,} "
            "'different' answers",
            highlight=False,
        )
    for name, path in outputs.items():
        console.print(f"  {name}: {path}")
    sys.stderr.flush()


def _report_input(cleaning: dict, console) -> None:
    """Say which values were read as missing: the analyst may want to fix the list."""
    invalid = cleaning.get("invalid_dates_read_as_unknown", 0)
    placeholders = cleaning.get("placeholders_read_as_missing", 0)
    unnamed = cleaning.get("records_with_placeholder_names_only", 0)
    if invalid:
        console.print(
            f"  {invalid:,} date(s) that cannot exist or cannot be read were treated as "
            "unknown (--strict refuses them instead):",
            highlight=False,
        )
        for example in cleaning.get("invalid_date_examples", []):
            console.print(f"    {example}", highlight=False)
    if placeholders:
        columns = _by_column(cleaning.get("placeholders", {}))
        console.print(
            f"  {placeholders:,} placeholder value(s) read as missing ({columns})",
            highlight=False,
        )
    if unnamed:
        console.print(f"  {unnamed:,} record(s) have only placeholder names", highlight=False)


def _by_column(per_source: dict) -> str:
    totals: dict[str, int] = {}
    for columns in per_source.values():
        for column, count in columns.items():
            totals[column] = totals.get(column, 0) + count
    return ", ".join(f"{column} {count:,}" for column, count in sorted(totals.items()))
