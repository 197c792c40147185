"""What ``memoria import`` and ``memoria export`` share: the organization and a progress bar.

Nothing here imports the command line: an unknown organization raises
``UnknownOrganization``, which the commands turn into their own error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

STAGES = {
    "check": "Checking rows",
    "write": "Writing records",
    "export": "Exporting acts",
    "reindex": "Rebuilding search keys",
    "saving": "Saving",
}


class UnknownOrganization(LookupError):
    """No organization has this short name; the message says so, for the operator."""


def organization_by_slug(slug: str):
    from memoria.accounts.models import Organization

    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise UnknownOrganization(f"there is no organization with the short name {slug!r}")
    return organization


@contextmanager
def progress_bar(console) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar; yields ``advance(stage, done, total)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(STAGES.get(stage, stage), total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield advance
