"""``memoria privacy-report``: what a stolen copy of the database says without any key.

Reads the case tables as a thief would (raw SQL, no key) and prints, for the
victims recorded, how many are unique on the columns kept in clear and the
smallest group size (k), then what the blind search index shows. See
``memoria.cases.privacy`` and docs/security.md.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "privacy-report",
        help="measure what the database says about victims without any key",
        description="Read the case tables without any key, as someone holding a stolen "
        "copy would, and report how many victims are unique on what is stored in clear, "
        "the smallest group of victims who look alike (k), and what the blind search "
        "index shows (index rows per person, values shared between people). Reads only. "
        "See docs/security.md.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from memoria.cli.common import setup_django

    setup_django()
    from memoria.cases.privacy import measure

    print(measure().as_text())
    return 0
