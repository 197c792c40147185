"""``memoria reindex``: rebuild the blind search index of the people recorded.

Needed after an upgrade that changes the search keys a person gets (the typo
keys, for one): people recorded before it keep their old keys until then, and
are found only by the searches those keys allow.

Each organization's rebuild is a background job (kind ``cases.reindex``). By
default this command runs it here, with a progress bar; ``--queue`` leaves it
to ``memoria worker`` and follows its progress (Ctrl+C stops following, not
the job).
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
    parser.add_argument(
        "--queue",
        action="store_true",
        help="queue the rebuild for the background worker and follow its progress",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uuid

    from memoria.cli.common import CommandError, setup_django

    setup_django()
    from rich.console import Console

    from memoria.accounts.models import Organization
    from memoria.cases.io.console import UnknownOrganization, organization_by_slug, progress_bar
    from memoria.cases.io.jobs import queue_reindex
    from memoria.jobs.queue import run_here
    from memoria.jobs.registry import JobError
    from memoria.jobs.worker import new_worker_id

    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    if args.organization:
        try:
            organizations = [organization_by_slug(args.organization)]
        except UnknownOrganization as error:
            raise CommandError(str(error)) from error
    else:
        organizations = list(Organization.objects.order_by("slug"))
    console = Console(stderr=True)
    run_id = uuid.uuid4().hex
    for organization in organizations:
        job = queue_reindex(organization, args.batch_size, key=run_id)
        with progress_bar(console) as advance:
            if args.queue:
                job = _follow(job, advance)
            else:
                try:
                    job = run_here(job, f"cli:{new_worker_id()}", on_progress=advance)
                except JobError as error:
                    raise CommandError(f"{organization.slug}: {error}") from error
        if job.status != job.Status.DONE:
            raise CommandError(f"{organization.slug}: the rebuild did not finish: {job.error}")
        people = job.result.get("people", 0)
        print(f"{organization.slug}: search keys of {people} people rebuilt")
    return 0


def _follow(job, advance):
    """Show a queued job's progress until it ends."""
    import time

    from memoria.jobs.worker import worker_status

    if not worker_status()["running"]:
        print("No worker is running: the rebuild waits until 'memoria worker' starts.")
    while True:
        job.refresh_from_db()
        if job.progress_total:
            advance(job.progress_phase or "reindex", job.progress_done, job.progress_total)
        if job.finished:
            return job
        time.sleep(0.5)
