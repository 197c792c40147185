"""``memoria demo``: load the fictional demo network (idempotent)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="load the fictional demo network into the database",
        description="Create three fictional organizations with a demo user for every role "
        "and thousands of fictional cases each, their directory profiles, a search for the "
        "disappeared with ranked candidates, anonymous reports and a public site. Running it "
        "again changes nothing. Refused when MEMORIA_PRODUCTION is on.",
    )
    parser.add_argument(
        "--cases",
        type=int,
        default=DEMO_CASES,
        help=f"fictional cases per organization (default {DEMO_CASES}; 0 for none)",
    )
    parser.add_argument(
        "--totp",
        action="store_true",
        help="print the two-step sign-in code the demo users' authenticator shows now",
    )
    parser.set_defaults(handler=run)


DEMO_CASES = 3000


def run(args: argparse.Namespace) -> int:
    if args.totp:
        return print_totp_code()
    load_and_report(cases=args.cases)
    return 0


def load_and_report(cases: int = DEMO_CASES) -> None:
    """Migrate, load the demo network and print its logins."""
    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if settings.PRODUCTION:
        raise CommandError("the demo network is never loaded when MEMORIA_PRODUCTION is on")
    call_command("migrate", interactive=False, verbosity=0)

    from rich.console import Console

    from memoria.cases.io.console import progress_bar
    from memoria.core.demo import DEMO_PASSWORD, load_demo_network

    with progress_bar(Console()) as advance:
        network = load_demo_network(
            cases=cases, progress=lambda org, done, total: advance(org.slug, done, total)
        )
    print("Demo network loaded (all data is fictional). Demo logins, password:", DEMO_PASSWORD)
    for organization, users in network.items():
        print(f"  {organization.name}")
        for user, role in users:
            print(f"    {role:<12} {user.email}")
    from memoria.accounts.demo import DEMO_TOTP_SECRET

    print(
        "Two-step sign-in: add the secret",
        DEMO_TOTP_SECRET,
        "to an authenticator app, or run 'memoria demo --totp' for the current code.",
    )


def print_totp_code() -> int:
    from memoria.cli.common import setup_django

    setup_django()
    from memoria.accounts.demo import demo_totp_code

    print(demo_totp_code())
    return 0
