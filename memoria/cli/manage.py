"""``memoria manage ...``: Django's management commands, with Memoria's settings."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "manage",
        help="run a Django management command (migrate, createsuperuser, shell, ...)",
        description="Pass the remaining arguments to Django's manage.py, e.g. "
        "'memoria manage migrate' or 'memoria manage createsuperuser'.",
    )
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the command and its options")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from memoria.cli.common import setup_django

    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["memoria manage", *(args.arguments or ["help"])])
    return 0
