"""``memoria import``: import a CSV or Excel file of cases into an organization.

All rows or none: the file is checked first, and if any row has a problem
nothing is written and every bad row is listed with its number and reason.
The records and the import's audit entry are written in one transaction.
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
    parser.add_argument("--organization", required=True, metavar="SLUG", help="its short name")
    parser.add_argument("--mapping", type=Path, help="JSON file mapping fields to column headers")
    parser.add_argument(
        "--dry-run", action="store_true", help="check every row and report, but write nothing"
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
    if args.dry_run:
        console.print("Dry run: nothing was written.")
        return 0
    with progress_bar(console) as advance:
        write_rows(report, organization, actor=None, progress=advance, via="cli")
    console.print(
        f"Imported {report.events_created} events, {report.people_created} people and "
        f"{report.acts_created} acts into {organization.slug}."
    )
    return 0


def _print_problems(console, report) -> None:
    from rich.table import Table

    bad = report.bad_rows
    console.print(f"[bold red]Nothing was imported: {len(bad)} rows have problems.[/]")
    table = Table("row", "column", "value", "problem")
    for row, errors in bad:
        for error in errors:
            table.add_row(str(row), error.column_label, error.value, error.message)
    console.print(table)
