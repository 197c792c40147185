"""``memoria import``: import a CSV or Excel file of cases into an organization.

All rows or none: the file is checked first, and if any row has a problem
nothing is written and every bad row is listed with its number and reason.
The records and the import's audit entry are written in one transaction.

A file (or some of its references) imported before is never imported again
silently: the command says which cases the rows became and stops, unless
``--on-duplicate skip|update|create`` says what to do with them.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import a CSV or XLSX file of cases",
        description="Import a CSV or XLSX file of cases (one row per victim of one violation) "
        "into an organization. Every row is checked first; if any row has a problem nothing "
        "is written and every bad row is listed. Columns are matched by name unless a "
        'mapping file ({"field": "column header"}, see docs/export-schema.md) is given.',
    )
    parser.add_argument("file", type=Path, help="the CSV or XLSX file")
    parser.add_argument(
        "--format",
        choices=("spreadsheet", "esf", "uwazi", "hxl"),
        default="spreadsheet",
        help="spreadsheet: your own CSV or XLSX (the default); esf: HURIDOCS Events Standard "
        "Formats (JSON); uwazi: Uwazi entity CSV; hxl: CSV with HXL hashtags "
        "(docs/formats.md). --mapping and --on-duplicate are for spreadsheets only",
    )
    parser.add_argument("--organization", required=True, metavar="SLUG", help="its short name")
    parser.add_argument("--mapping", type=Path, help="JSON file mapping fields to column headers")
    parser.add_argument(
        "--dry-run", action="store_true", help="check every row and report, but write nothing"
    )
    parser.add_argument(
        "--on-duplicate",
        choices=("skip", "update", "create"),
        help="what to do with rows whose case was imported before: skip them, update those "
        "cases from the file, or create them again (default: import nothing and say so)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from rich.console import Console
    from rich.markup import escape

    from memoria.cases.io.console import UnknownOrganization, organization_by_slug, progress_bar
    from memoria.cases.io.importer import check_table, write_rows
    from memoria.cases.io.mapping import MappingError, guess_mapping, load_mapping_file
    from memoria.cases.io.readers import UnreadableFile, read_path

    console = Console()
    try:
        organization = organization_by_slug(args.organization)
    except UnknownOrganization as error:
        raise CommandError(str(error)) from error
    if not args.file.is_file():
        raise CommandError(f"{args.file} is not a file")
    if args.format != "spreadsheet":
        return _import_standard(console, args, organization)
    try:
        table = read_path(args.file)
        mapping = load_mapping_file(args.mapping) if args.mapping else guess_mapping(table.headers)
        with progress_bar(console) as advance:
            report = check_table(table, mapping, organization, progress=advance)
    except (UnreadableFile, MappingError) as error:
        raise CommandError(str(error)) from error
    for note in table.reading_notes():
        console.print(f"[yellow]{escape(note)}[/]")
    if not report.ok:
        _print_problems(console, report)
        return 1
    console.print(
        f"{report.row_count} rows are correct: {report.event_count} events would be created."
    )
    previous = report.previous
    if previous:
        _print_previous(console, previous)
        if args.on_duplicate is None and not args.dry_run:
            console.print(
                "[bold red]Nothing was imported.[/] Say what to do with those rows: "
                "--on-duplicate skip, update or create."
            )
            return 1
    if args.dry_run:
        console.print("Dry run: nothing was written.")
        return 0
    with progress_bar(console) as advance:
        write_rows(
            report,
            organization,
            actor=None,
            progress=advance,
            via="cli",
            on_duplicate=args.on_duplicate,
        )
    console.print(
        f"Imported {report.events_created} events, {report.people_created} people and "
        f"{report.acts_created} acts into {organization.slug}."
    )
    if report.events_updated:
        console.print(f"Updated {report.events_updated} cases imported before.")
    if report.rows_skipped:
        console.print(f"Skipped {report.rows_skipped} rows imported before.")
    return 0


def _print_previous(console, previous) -> None:
    what = "This file was" if previous.same_file else "Some of its cases were"
    numbers = ", ".join(f"#{number}" for number in previous.case_numbers[:30])
    more = len(previous.case_numbers) - 30
    if more > 0:
        numbers += f" and {more} more"
    console.print(
        f"[bold yellow]Warning:[/] {what} imported before: {previous.rows} rows belong to "
        f"cases already recorded ({numbers})."
    )


def _print_problems(console, report) -> None:
    from rich.table import Table

    bad = report.bad_rows
    console.print(f"[bold red]Nothing was imported: {len(bad)} rows have problems.[/]")
    table = Table("row", "column", "value", "problem")
    for row, errors in bad:
        for error in errors:
            table.add_row(str(row), error.column_label, error.value, error.message)
    console.print(table)


def _import_standard(console, args, organization) -> int:
    """ESF, Uwazi CSV or HXL: every record checked, then all written, or nothing."""
    from rich.markup import escape
    from rich.table import Table

    from memoria.cases.io.standard import FormatProblems, import_file
    from memoria.cli.common import CommandError

    try:
        report = import_file(
            args.format,
            args.file.read_bytes(),
            args.file.name,
            organization,
            None,
            via="cli",
            dry_run=args.dry_run,
        )
    except FormatProblems as error:
        raise CommandError(str(error)) from error
    if not report.ok:
        console.print(f"[bold red]Nothing was imported: {len(report.errors)} problems.[/]")
        table = Table("where", "field", "value", "problem")
        for error in report.errors:
            table.add_row(
                escape(error.where), error.field, escape(error.value), escape(error.message)
            )
        console.print(table)
        return 1
    if args.dry_run:
        console.print("Dry run: every record is correct; nothing was written.")
        return 0
    console.print(
        f"Imported {report.events} events, {report.people} people and {report.acts} acts "
        f"into {organization.slug}."
    )
    return 0
