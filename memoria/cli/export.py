"""``memoria export``: write an organization's case records to CSV, JSON or XLSX."""

from __future__ import annotations

import argparse
from pathlib import Path

# The site's languages (settings.LANGUAGES), known here before Django is set up.
LANGUAGES = ("es-mx", "en")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export an organization's case records",
        description="Write an organization's case records as CSV, JSON or XLSX (schema: "
        "docs/export-schema.md), or in a standard format: ESF, Uwazi CSV, HXL "
        "(docs/formats.md). Without --identities, names, CURP, birth dates, titles, "
        "descriptions and source references are left out. Every export is audited.",
    )
    parser.add_argument("--organization", required=True, metavar="SLUG", help="its short name")
    parser.add_argument(
        "--format",
        choices=("csv", "json", "xlsx", "esf", "uwazi", "hxl"),
        default="csv",
        help="esf: HURIDOCS Events Standard Formats (JSON); uwazi: Uwazi entity CSV; "
        "hxl: CSV with HXL hashtags (docs/formats.md)",
    )
    parser.add_argument(
        "--identities",
        action="store_true",
        help="include names, CURP, birth dates and testimonies (keep the file safe)",
    )
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        default="es-mx",
        help="language of the *_label columns of CSV and XLSX, and of the XLSX column "
        "descriptions (default: es-mx); codes never change",
    )
    parser.add_argument("--out", type=Path, required=True, help="file to write")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from django.db import DatabaseError, transaction
    from rich.console import Console

    from memoria.audit.log import audit
    from memoria.cases.io.console import UnknownOrganization, organization_by_slug, progress_bar
    from memoria.cases.io.exporter import export_records
    from memoria.operations.files import write_whole_file
    from memoria.vault.keys import VaultError

    console = Console(stderr=True)
    try:
        organization = organization_by_slug(args.organization)
    except UnknownOrganization as error:
        raise CommandError(str(error)) from error
    out: Path = args.out
    if out.is_dir():
        raise CommandError(f"{out} is a directory")
    if not out.parent.is_dir():
        raise CommandError(f"{out.parent} is not a folder")

    def write(stream) -> int:
        with progress_bar(console) as advance:
            return export_records(
                organization,
                args.format,
                args.identities,
                stream,
                progress=lambda done, total: advance("export", done, total),
                language=args.language,
            )

    def record(acts: int) -> None:
        # Once the whole file is on the disk and before it takes its name: an export
        # that fails is never audited, and one the log cannot record is not delivered.
        with transaction.atomic():
            audit(
                None,
                organization,
                "cases.export_identities" if args.identities else "cases.export",
                via="cli",
                format=args.format,
                identities=args.identities,
                acts=acts,
            )

    try:
        acts = write_whole_file(out, write, before_replace=record)
    except (VaultError, DatabaseError, OSError) as error:
        raise CommandError(f"nothing was exported to {out}: {error}") from error
    console.print(f"Wrote {acts} acts of {organization.slug} to {out}.")
    return 0
