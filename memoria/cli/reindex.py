"""``memoria reindex``: rebuild the blind search index of the people recorded.

Needed after an upgrade that changes the search keys a person gets (the typo
keys, for one): people recorded before it keep their old keys until then, and
are found only by the searches those keys allow.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reindex",
        help="rebuild the person search index",
        description="Recompute the blind search keys (keyed hashes of names, phonetic and "
        "typo keys, CURP) of every person of each organization, or of one, in batches "
        "while the server keeps running. Run it after an upgrade that changes the search "
        "keys; running it again does no harm. See docs/security.md.",
    )
    parser.add_argument("--organization", metavar="SLUG", help="only this organization")
    parser.add_argument("--batch-size", type=int, default=500, help="people per transaction")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from memoria.accounts.models import Organization
    from memoria.audit.log import audit
    from memoria.cases.io.console import organization_by_slug
    from memoria.cases.search import rebuild_search_index

    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    if args.organization:
        organizations = [organization_by_slug(args.organization)]
    else:
        organizations = list(Organization.objects.order_by("slug"))
    for organization in organizations:
        people = rebuild_search_index(organization, batch_size=args.batch_size)
        audit(None, organization, "cases.reindex", via="cli", people=people)
        print(f"{organization.slug}: search keys of {people} people rebuilt")
    return 0
