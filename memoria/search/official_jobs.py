"""Official lists in the background worker: imports and the registry report.

Like the case import (``memoria.cases.io.jobs``): the uploaded table and its
mapping travel to the worker sealed under the organization's key; the worker
checks every row (the progress the page shows) and, in the transaction that
marks the job done, writes every record and the audit entry, or nothing when
a row has a problem (the problems are kept sealed as the job's output).

The registry report compares the organization's family files with the
registry records (``memoria.search.absence``) in ``prepare`` (progress), and
seals the comparison as the job's output; the pages read the newest one.
"""

from __future__ import annotations

from dataclasses import asdict

from django.utils import translation
from django.utils.translation import gettext as _

from memoria.cases.io.jobs import seal, unseal
from memoria.cases.io.mapping import MappingError
from memoria.cases.io.readers import Table
from memoria.cases.io.validation import RowError
from memoria.jobs.models import Job
from memoria.jobs.queue import enqueue
from memoria.jobs.registry import PermanentJobError, job_handler
from memoria.search.absence import Comparison, compare
from memoria.search.official import check_official_table, write_official

IMPORT = "search.official_import"
REPORT = "search.registry_report"
UPLOAD_CONTEXT = "search.official.upload"
PROBLEMS_CONTEXT = "search.official.problems"
REPORT_CONTEXT = "search.official.report"
REQUEST_CONTEXT = "search.official.request"


def _organization(job):
    from memoria.accounts.models import Organization

    return Organization.objects.get(pk=job.organization_id)


# -- imports ----------------------------------------------------------------------------


def queue_import(
    organization,
    actor,
    table: Table,
    mapping: dict,
    kind: str,
    publisher: str,
    key: str,
    language: str,
):
    """Queue the import of ``table``; the same ``key`` gives back the same job."""
    sealed = seal(
        organization.pk,
        {"table": table.to_dict(), "mapping": mapping, "publisher": publisher},
        UPLOAD_CONTEXT,
    )
    return enqueue(
        IMPORT,
        f"{IMPORT}:{organization.pk}:{key}",
        organization=organization,
        created_by=actor,
        payload={"kind": kind, "language": language, "via": "web"},
        sealed_input=sealed,
        max_attempts=3,
    )


def import_problems(job) -> list[RowError]:
    data = getattr(job, "data", None)
    if data is None or not data.sealed_output:
        return []
    return [RowError(**problem) for problem in unseal(data.sealed_output, PROBLEMS_CONTEXT)]


def _check(job, context):
    sealed = context.sealed_input
    if not sealed:
        raise PermanentJobError(_("The file of this import is no longer held; upload it again."))
    held = unseal(sealed, UPLOAD_CONTEXT)
    table = Table.from_dict(held["table"])
    with translation.override(job.payload.get("language") or None):
        try:
            report = check_official_table(
                table, held["mapping"], job.payload["kind"], progress=context.progress
            )
        except MappingError as error:
            raise PermanentJobError(str(error)) from error
    return report, held.get("publisher", ""), table.filename


@job_handler(IMPORT, prepare=_check)
def _write(job, context) -> dict:
    report, publisher, filename = context.prepared
    if not report.ok:
        problems = [asdict(error) for error in report.errors]
        context.output = seal(job.organization_id, problems, PROBLEMS_CONTEXT)
        return {"ok": False, "rows": len(report.rows), "bad_rows": len(report.bad_rows)}
    batch = write_official(
        report,
        _organization(job),
        job.created_by,
        publisher=publisher,
        filename=filename,
        via=job.payload.get("via", "web"),
    )
    return {
        "ok": True,
        "rows": batch.rows,
        "created": batch.created,
        "updated": batch.updated,
        "batch": batch.pk,
    }


# -- the registry report ---------------------------------------------------------------------


def queue_report(organization, actor, key: str):
    return enqueue(
        REPORT,
        f"{REPORT}:{organization.pk}:{key}",
        organization=organization,
        created_by=actor,
        payload={},
        # Only so the job has its data row, where the sealed comparison is written.
        sealed_input=seal(organization.pk, {}, REQUEST_CONTEXT),
        max_attempts=2,
    )


def latest_report(organization) -> Job | None:
    return (
        Job.objects.select_related("data")
        .filter(organization=organization, kind=REPORT)
        .order_by("-created_at", "-id")
        .first()
    )


def latest_comparison(organization) -> tuple[Job | None, Comparison | None]:
    """The newest report job and, once done, its comparison."""
    job = latest_report(organization)
    done = (
        Job.objects.select_related("data")
        .filter(organization=organization, kind=REPORT, status=Job.Status.DONE)
        .order_by("-finished_at", "-id")
        .first()
    )
    data = getattr(done, "data", None) if done is not None else None
    if data is None or not data.sealed_output:
        return job, None
    return job, Comparison.from_dict(unseal(data.sealed_output, REPORT_CONTEXT))


def _compare(job, context) -> Comparison:
    return compare(_organization(job), progress=context.progress)


@job_handler(REPORT, prepare=_compare)
def _seal_report(job, context) -> dict:
    from memoria.audit.labels import AuditAction
    from memoria.audit.log import audit

    comparison: Comparison = context.prepared
    context.output = seal(job.organization_id, comparison.to_dict(), REPORT_CONTEXT)
    audit(
        job.created_by,
        _organization(job),
        AuditAction.SEARCH_REGISTRY_REPORT,
        files=len(comparison.files),
        records=len(comparison.records),
        method=comparison.method,
    )
    return {
        "files": len(comparison.files),
        "records": len(comparison.records),
        "pairs": len(comparison.links),
        "method": comparison.method,
    }
