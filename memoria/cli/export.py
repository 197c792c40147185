"""``memoria export``: write an organization's case records to CSV, JSON or XLSX."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export an organization's case records",
        description="Write an organization's case records as CSV, JSON or XLSX (schema: "
        "docs/export-schema.md). Without --identities, names, CURP, birth dates, titles, "
        "descriptions and source references are left out. Every export is audited.",
    )
    parser.add_argument("--organization", required=True, metavar="SLUG", help="its short name")
    parser.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
    parser.add_argument(
        "--identities",
        action="store_true",
        help="include names, CURP, birth dates and testimonies (keep the file safe)",
    )
    parser.add_argument("--out", type=Path, required=True, help="file to write")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from rich.console import Console

    from memoria.audit.log import audit
    from memoria.cases.io.console import UnknownOrganization, organization_by_slug, progress_bar
    from memoria.cases.io.exporter import count_acts, export_records

    console = Console(stderr=True)
    try:
        organization = organization_by_slug(args.organization)
    except UnknownOrganization as error:
        raise CommandError(str(error)) from error
    if args.out.exists() and args.out.is_dir():
        raise CommandError(f"{args.out} is a directory")
    acts = count_acts(organization)
    audit(
        None,
        organization,
        "cases.export_identities" if args.identities else "cases.export",
        via="cli",
        format=args.format,
        identities=args.identities,
        acts=acts,
    )
    partial = args.out.with_name(args.out.name + ".partial")
    try:
        with partial.open("wb") as out, progress_bar(console) as advance:
            export_records(
                organization,
                args.format,
                args.identities,
                out,
                progress=lambda done, total: advance("export", done, total),
            )
        partial.replace(args.out)
    finally:
        partial.unlink(missing_ok=True)
    console.print(f"Wrote {acts} acts of {organization.slug} to {args.out}.")
    return 0
