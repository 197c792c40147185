"""Helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse


class CommandError(Exception):
    """A failure the user can act on: printed as one clear line, no traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def probability(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1 (exclusive)")
    return value


def setup_django() -> None:
    """Configure Django for commands that need the web platform's models.

    Configuration errors (a bad ``DATABASE_URL``, a missing production secret)
    surface here as a ``CommandError`` with the variable's name.
    """
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memoria.settings")
    from memoria.config import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as error:
        raise CommandError(str(error)) from error
