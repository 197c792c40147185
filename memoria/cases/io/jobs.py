"""Imports and reindexing as background jobs (``memoria worker``).

A web import is checked on the review page, then queued: the spreadsheet and
its column choices travel to the worker sealed under the organization's key
(``JobData.sealed_input``, deleted when the job ends), never in clear. The
worker checks every row again (the progress the page shows) and, in the
transaction that marks the job done, writes the records and the audit entry.
Problems found in the rows are kept sealed as the job's output.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import asdict

from django.utils import translation
from django.utils.translation import gettext as _

from memoria.cases.io.importer import (
    DuplicateImport,
    ImportReport,
    check_table,
    event_key,
    write_rows,
)
from memoria.cases.io.mapping import MappingError
from memoria.cases.io.readers import Table
from memoria.cases.io.validation import RowError
from memoria.jobs.queue import enqueue
from memoria.jobs.registry import PermanentJobError, job_handler
from memoria.vault.cipher import decrypt_text, encrypt_text

IMPORT = "cases.import"
REINDEX = "cases.reindex"
UPLOAD_CONTEXT = "cases.import.upload"
PROBLEMS_CONTEXT = "cases.import.problems"


# -- sealing ------------------------------------------------------------------------


def seal(organization_id: int, data: object, context: str) -> str:
    """``data`` as JSON, compressed and encrypted under the organization's key."""
    packed = zlib.compress(json.dumps(data).encode())
    return encrypt_text(organization_id, base64.b64encode(packed).decode(), context)


def unseal(sealed: str, context: str):
    return json.loads(zlib.decompress(base64.b64decode(decrypt_text(sealed, context))))


# -- imports ------------------------------------------------------------------------


def queue_import(
    organization,
    actor,
    table: Table,
    mapping: dict,
    key: str,
    language: str,
    on_duplicate: str | None = None,
):
    """Queue the import of a checked table; the same ``key`` gives back the same job.

    ``on_duplicate`` (skip, update, create) says what to do with rows imported
    before; without it such rows stop the import (see ``importer.write_rows``).
    """
    sealed = seal(organization.pk, {"table": table.to_dict(), "mapping": mapping}, UPLOAD_CONTEXT)
    return enqueue(
        IMPORT,
        f"{IMPORT}:{organization.pk}:{key}",
        organization=organization,
        created_by=actor,
        payload={"via": "web", "language": language, "on_duplicate": on_duplicate},
        sealed_input=sealed,
        max_attempts=3,
    )


def import_problems(job) -> list[RowError]:
    """The problems the worker found in the rows (sealed in the job's output)."""
    data = getattr(job, "data", None)
    if data is None or not data.sealed_output:
        return []
    return [RowError(**problem) for problem in unseal(data.sealed_output, PROBLEMS_CONTEXT)]


def bad_rows(problems: list[RowError]) -> list[tuple[int, list[RowError]]]:
    return ImportReport(errors=problems).bad_rows


def _check_import(job, context) -> ImportReport:
    from memoria.accounts.models import Organization

    organization = Organization.objects.get(pk=job.organization_id)
    sealed = context.sealed_input
    if not sealed:
        raise PermanentJobError(_("The file of this import is no longer held; upload it again."))
    held = unseal(sealed, UPLOAD_CONTEXT)
    table = Table.from_dict(held["table"])
    with translation.override(job.payload.get("language") or None):
        try:
            return check_table(table, held["mapping"], organization, progress=context.progress)
        except MappingError as error:
            raise PermanentJobError(str(error)) from error


@job_handler(IMPORT, prepare=_check_import)
def _write_import(job, context) -> dict:
    """Write the checked rows and the audit entry (inside the job's transaction)."""
    from memoria.accounts.models import Organization

    report: ImportReport = context.prepared
    if not report.ok:
        problems = [asdict(error) for error in report.errors]
        context.output = seal(job.organization_id, problems, PROBLEMS_CONTEXT)
        return {"ok": False, "rows": report.row_count, "bad_rows": len(report.bad_rows)}
    organization = Organization.objects.get(pk=job.organization_id)
    try:
        write_rows(
            report,
            organization,
            actor=job.created_by,
            via=job.payload.get("via", "web"),
            on_duplicate=job.payload.get("on_duplicate"),
        )
    except DuplicateImport as duplicate:
        # Imported meanwhile by someone else: nothing written, and the page says which rows.
        with translation.override(job.payload.get("language") or None):
            problems = [asdict(error) for error in duplicate_problems(report, duplicate)]
        context.output = seal(job.organization_id, problems, PROBLEMS_CONTEXT)
        return {"ok": False, "rows": report.row_count, "bad_rows": len(problems)}
    return {
        "ok": True,
        "rows": report.row_count,
        "events": report.events_created,
        "people": report.people_created,
        "acts": report.acts_created,
        "updated": report.events_updated,
        "skipped": report.rows_skipped,
    }


def duplicate_problems(report: ImportReport, duplicate: DuplicateImport) -> list[RowError]:
    """One problem per row whose case was imported before, naming that case."""
    problems = []
    for row in report.rows:
        event = duplicate.previous.events.get(event_key(row))
        if event is not None:
            message = _("Already imported as case #%(number)s.") % {"number": event.number}
            problems.append(RowError(row.row, "event_reference", row.event_reference, message))
    return problems


# -- reindexing ---------------------------------------------------------------------


def queue_reindex(organization, batch_size: int, key: str, via: str = "cli"):
    return enqueue(
        REINDEX,
        f"{REINDEX}:{organization.pk}:{key}",
        organization=organization,
        payload={"batch_size": batch_size, "via": via},
    )


def _rebuild(job, context) -> int:
    """Rewrite the keys batch by batch (each its own transaction; safe to repeat)."""
    from memoria.accounts.models import Organization
    from memoria.cases.search import rebuild_search_index

    organization = Organization.objects.get(pk=job.organization_id)
    return rebuild_search_index(
        organization,
        batch_size=job.payload.get("batch_size", 500),
        progress=lambda done, total: context.progress("reindex", done, total),
    )


@job_handler(REINDEX, prepare=_rebuild)
def _audit_reindex(job, context) -> dict:
    """The audit entry, once, with the job's "done" mark."""
    from memoria.audit.log import audit

    people = context.prepared
    audit(None, job.organization, "cases.reindex", via=job.payload.get("via", "cli"), people=people)
    return {"people": people}
