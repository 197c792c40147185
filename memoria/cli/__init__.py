"""The ``memoria`` command.

Each subcommand group lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to the
function that runs it. Modules import their heavy dependencies (Django, Splink,
statsmodels) inside the handler, so ``memoria --help`` stays fast and the
engine commands never load Django.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from memoria import __version__
from memoria.cli.common import CommandError
from memoria.config import PRIVATE_UMASK

# One module per subcommand group, in the order ``--help`` lists them.
COMMANDS = (
    "serve",
    "worker",
    "demo",
    "manage",
    "import_",
    "export",
    "reindex",
    "privacy_report",
    "link",
    "match",
    "estimate",
    "audit",
    "keys",
    "exchange",
    "backup",
    "restore",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memoria",
        description=(
            "Memoria: case documentation, search for the disappeared, protection, "
            "record linkage and estimation for civil-society networks."
        ),
    )
    parser.add_argument("--version", action="version", version=f"memoria {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"memoria.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(PRIVATE_UMASK)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args) or 0
    except CommandError as error:
        print(f"memoria {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
