"""Pages to import a spreadsheet of cases and to export the organization's records.

Import is four steps: upload, choose which column feeds which field, review
(the first rows as they will be saved and every problem found), confirm. The
uploaded table is held in the session, encrypted under the organization's
key, only until it is confirmed or dropped; it never touches MEDIA_ROOT. On
confirming, the import becomes a background job (``memoria.cases.io.jobs``):
the table travels to the worker sealed the same way, and the job's page shows
its progress, then what it created or the problems found.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import uuid
import zlib

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.reauth import has_recent_auth, reauth_url, recent_auth_required
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.io import export_jobs, exporter
from memoria.cases.io.forms import ExportForm, MappingForm, StandardImportForm, UploadForm
from memoria.cases.io.importer import check_table
from memoria.cases.io.jobs import IMPORT, bad_rows, import_problems, queue_import
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.previous import CHOICES
from memoria.cases.io.readers import Table
from memoria.cases.io.schema import COLUMNS_BY_KEY
from memoria.jobs.models import Job
from memoria.jobs.queue import cancel
from memoria.jobs.worker import worker_status
from memoria.vault.cipher import decrypt_text, encrypt_text
from memoria.vault.keys import VaultError

logger = logging.getLogger(__name__)
SESSION_KEY = "memoria_cases_import"
SEAL_CONTEXT = "cases.import.upload"
PREVIEW_ROWS = 10


# -- the held upload --------------------------------------------------------------


def hold_upload(request, organization, table: Table, mapping: dict | None = None) -> None:
    """Keep the table (compressed, encrypted) in the session until imported or dropped."""
    packed = zlib.compress(json.dumps(table.to_dict()).encode())
    sealed = encrypt_text(organization.pk, base64.b64encode(packed).decode(), SEAL_CONTEXT)
    request.session[SESSION_KEY] = {
        "organization": organization.pk,
        "table": sealed,
        "mapping": mapping,
        # Confirming twice (a double click, a resent form) queues one job.
        "token": uuid.uuid4().hex,
    }


def held_upload(request, organization) -> tuple[Table, dict | None] | None:
    held = request.session.get(SESSION_KEY)
    if not held or held.get("organization") != organization.pk:
        return None
    packed = base64.b64decode(decrypt_text(held["table"], SEAL_CONTEXT))
    return Table.from_dict(json.loads(zlib.decompress(packed))), held.get("mapping")


def held_token(request) -> str:
    return request.session.get(SESSION_KEY, {}).get("token") or uuid.uuid4().hex


def set_held_mapping(request, mapping: dict) -> None:
    held = request.session[SESSION_KEY]
    held["mapping"] = mapping
    request.session[SESSION_KEY] = held


def drop_upload(request) -> None:
    request.session.pop(SESSION_KEY, None)


def _start_again(request, organization):
    messages.info(request, _("Choose the file to import."))
    return redirect("cases_io:import", organization.slug)


def _after_import_url(organization) -> str:
    try:
        return reverse("cases:list", args=[organization.slug])
    except NoReverseMatch:
        return reverse("accounts:dashboard", args=[organization.slug])


# -- import -----------------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
def import_upload(request, membership):
    organization = membership.organization
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        hold_upload(request, organization, form.table)
        return redirect("cases_io:import_columns", organization.slug)
    context = {
        "organization": organization,
        "form": form,
        "columns": COLUMNS_BY_KEY.values(),
        "worker": worker_status(),
    }
    return render(request, "cases/io/upload.html", context)


@organization_view(Capability.EDIT_RECORDS)
def import_columns(request, membership):
    organization = membership.organization
    held = held_upload(request, organization)
    if held is None:
        return _start_again(request, organization)
    table, mapping = held
    form = MappingForm(
        request.POST or None,
        headers=table.headers,
        initial=mapping or guess_mapping(table.headers),
    )
    if request.method == "POST" and form.is_valid():
        set_held_mapping(request, form.mapping)
        return redirect("cases_io:import_review", organization.slug)
    context = {"organization": organization, "form": form, "table": table}
    return render(request, "cases/io/columns.html", context)


@organization_view(Capability.EDIT_RECORDS)
def import_review(request, membership):
    organization = membership.organization
    held = held_upload(request, organization)
    if held is None or not held[1]:
        return _start_again(request, organization)
    table, mapping = held
    choice = request.POST.get("on_duplicate") if request.method == "POST" else None
    report = None
    if request.method == "POST" and choice not in CHOICES:
        report = check_table(table, mapping, organization)
        if report.previous:
            messages.error(request, _("Choose what to do with the rows imported before."))
    if request.method == "POST" and (report is None or not report.previous):
        job = queue_import(
            organization,
            request.user,
            table,
            mapping,
            held_token(request),
            get_language(),
            on_duplicate=choice if choice in CHOICES else None,
        )
        drop_upload(request)
        return redirect("cases_io:import_job", organization.slug, job.pk)
    report = report or check_table(table, mapping, organization)
    context = {
        "organization": organization,
        "table": table,
        "report": report,
        "preview": _preview(report.rows[:PREVIEW_ROWS], organization),
        "case_numbers": _case_numbers(report.previous.case_numbers),
        "status": 200 if report.ok else 422,
    }
    return render(request, "cases/io/review.html", context, status=context["status"])


def _case_numbers(numbers: list[int], shown: int = 30) -> str:
    """ "#3, #4, #9" (and how many more, for a long list)."""
    text = ", ".join(f"#{number}" for number in numbers[:shown])
    if len(numbers) > shown:
        text += " " + _("and %(count)s more") % {"count": len(numbers) - shown}
    return text


def _preview(rows, organization) -> list:
    """The first rows with place names and vocabulary labels, as they will be shown."""
    from memoria.cases.io.importer import TERM_FIELDS
    from memoria.cases.models import Term
    from memoria.places.models import Municipality, State

    municipalities = dict(
        Municipality.objects.filter(cvegeo__in={r.municipality_code for r in rows}).values_list(
            "cvegeo", "name"
        )
    )
    states = dict(State.objects.values_list("code", "name"))
    labels = {
        (key, term.code): term.label
        for key, code in TERM_FIELDS.items()
        for term in Term.objects.for_organization(organization, code)
    }
    for row in rows:
        parts = [municipalities.get(row.municipality_code), states.get(row.state_code)]
        row.place_label = ", ".join(p for p in parts if p)
        for key in TERM_FIELDS:
            code = getattr(row, key)
            setattr(row, f"{key}_label", labels.get((key, code), code or ""))
    return rows


def _import_job(membership, job_id: int) -> Job:
    """An import job of the member's organization (404 for any other)."""
    job = (
        Job.objects.select_related("data")
        .filter(pk=job_id, kind=IMPORT, organization=membership.organization)
        .first()
    )
    if job is None:
        raise Http404
    return job


@organization_view(Capability.EDIT_RECORDS)
def import_job(request, membership, job_id: int):
    """The queued import: progress while it runs, then what it created or every problem."""
    organization = membership.organization
    job = _import_job(membership, job_id)
    problems = import_problems(job) if job.status == Job.Status.DONE else []
    context = {
        "organization": organization,
        "job": job,
        "problems": bad_rows(problems),
        "worker": worker_status(),
        "refresh": not job.finished,
        "cases_url": _after_import_url(organization),
    }
    return render(request, "cases/io/job.html", context)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def import_job_cancel(request, membership, job_id: int):
    job = _import_job(membership, job_id)
    if cancel(job):
        messages.info(request, _("The import was cancelled; nothing was saved."))
    else:
        messages.error(request, _("The import has already started and cannot be cancelled."))
    return redirect("cases_io:import_job", membership.organization.slug, job.pk)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def import_cancel(request, membership):
    drop_upload(request)
    messages.info(request, _("The import was cancelled; nothing was saved."))
    return redirect("cases_io:import", membership.organization.slug)


# -- export -----------------------------------------------------------------------


@organization_view(Capability.READ_RECORDS)
def export(request, membership):
    """Export without identities: any member who may read the records."""
    return _export(request, membership, identities=False)


@organization_view(Capability.EXPORT_IDENTITIES)
@recent_auth_required
def export_identities(request, membership):
    """Export with names, CURP and testimonies: coordinators, after re-authenticating."""
    return _export(request, membership, identities=True)


def _export(request, membership, identities: bool):
    organization = membership.organization
    form = ExportForm(request.POST or None)
    act_count = exporter.count_acts(organization)
    status = 200
    if request.method == "POST" and form.is_valid():
        fmt = form.cleaned_data["format"]
        if act_count > export_jobs.LARGE_EXPORT_ACTS:
            # Built by the worker, audited when it is done (export_jobs._audit_export).
            job = export_jobs.queue_export(
                organization, request.user, fmt, identities, get_language()
            )
            return redirect("cases_io:export_job", organization.slug, job.pk)
        try:
            return _delivered_export(request, organization, fmt, identities)
        except VaultError:
            # A value that does not decrypt, or an audit key that does not open:
            # nothing was sent and nothing claims it was. The operator finds which
            # with 'memoria audit verify' and the server log.
            logger.exception("export of %s failed", organization.slug)
            messages.error(
                request,
                _(
                    "The export could not be made, so nothing was downloaded. Some "
                    "encrypted data could not be read; tell whoever runs the server."
                ),
            )
            status = 500
    context = {
        "organization": organization,
        "form": form,
        "identities": identities,
        "can_export_identities": membership.can(Capability.EXPORT_IDENTITIES),
        "act_count": act_count,
        "large": export_jobs.LARGE_EXPORT_ACTS,
    }
    return render(request, "cases/io/export.html", context, status=status)


def _delivered_export(request, organization, fmt: str, identities: bool) -> HttpResponse:
    """The whole file, built before its audit entry is written and sent after it.

    Both land or neither: an export that fails half-way is never audited nor
    sent, and an export whose audit entry cannot be written is not sent. So the
    file is built in memory, not streamed (at most ``LARGE_EXPORT_ACTS`` acts:
    larger exports are worker jobs); identities never touch the disk in clear.
    """
    buffer = io.BytesIO()
    acts = exporter.export_records(organization, fmt, identities, buffer, language=get_language())
    with transaction.atomic():
        audit(
            request.user,
            organization,
            "cases.export_identities" if identities else "cases.export",
            request=request,
            format=fmt,
            identities=identities,
            acts=acts,
        )
    response = HttpResponse(buffer.getvalue(), content_type=exporter.CONTENT_TYPES[fmt])
    filename = exporter.export_filename(organization, fmt, identities)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _export_job(request, membership, job_id: int) -> Job:
    """An export job the member asked for themselves (404 for anyone else's).

    One with identities also needs the right to export them still.
    """
    job = Job.objects.filter(
        pk=job_id,
        kind=export_jobs.EXPORT,
        organization=membership.organization,
        created_by=request.user,
    ).first()
    if job is None:
        raise Http404
    if job.payload.get("identities") and not membership.can(Capability.EXPORT_IDENTITIES):
        raise Http404
    return job


@organization_view(Capability.READ_RECORDS)
def export_job(request, membership, job_id: int):
    """A queued export: its progress, then the link to download it."""
    job = _export_job(request, membership, job_id)
    context = {
        "organization": membership.organization,
        "job": job,
        "worker": worker_status(),
        "refresh": not job.finished,
        "available": job.status == Job.Status.DONE
        and not job.result.get("downloaded")
        and export_jobs.export_path(job.pk).exists(),
        "keep_hours": export_jobs.KEEP_HOURS,
    }
    return render(request, "cases/io/export_job.html", context)


@organization_view(Capability.READ_RECORDS)
@require_POST
def export_job_download(request, membership, job_id: int):
    """The export's file, once: it is deleted as soon as it has been sent."""
    organization = membership.organization
    job = _export_job(request, membership, job_id)
    path = export_jobs.export_path(job.pk)
    if job.status != Job.Status.DONE or not path.exists():
        raise Http404
    if job.payload.get("identities") and not has_recent_auth(request):
        # As for the export itself: password and code again, then back to the job's page.
        page = reverse("cases_io:export_job", args=[organization.slug, job.pk])
        return redirect(reauth_url(page))
    try:
        # Every part is authenticated before the first byte is sent: a damaged file
        # is refused whole, never sent cut short behind a 200.
        for _part in export_jobs.read_sealed(path, organization.pk, job.pk):
            pass
    except VaultError:
        logger.exception("export job %s: its sealed file does not open", job.pk)
        path.unlink(missing_ok=True)
        messages.error(
            request,
            _("The exported file was damaged on the server and was deleted. Export again."),
        )
        return redirect("cases_io:export_job", organization.slug, job.pk)
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(result={**job.result, "downloaded": True})
        audit(
            request.user,
            organization,
            AuditAction.CASES_EXPORT_DOWNLOAD,
            job,
            request=request,
            format=job.payload["format"],
            identities=job.payload.get("identities", False),
        )

    def content():
        try:
            yield from export_jobs.read_sealed(path, organization.pk, job.pk)
        finally:
            path.unlink(missing_ok=True)

    fmt = job.payload["format"]
    identities = job.payload.get("identities", False)
    response = StreamingHttpResponse(content(), content_type=exporter.CONTENT_TYPES[fmt])
    filename = exporter.export_filename(organization, fmt, identities)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# -- standard formats ---------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
def import_standard(request, membership):
    """Import a file in ESF, Uwazi CSV or HXL: every record checked, then all or nothing."""
    from memoria.cases.io.standard import FormatProblems, import_file

    organization = membership.organization
    form = StandardImportForm(request.POST or None, request.FILES or None)
    report, status = None, 200
    if request.method == "POST" and form.is_valid():
        dry_run = form.cleaned_data["check_only"]
        try:
            report = import_file(
                form.cleaned_data["format"],
                form.content,
                form.filename,
                organization,
                request.user,
                dry_run=dry_run,
            )
        except FormatProblems as error:
            form.add_error("file", str(error))
            status = 422
        else:
            if not report.ok:
                status = 422
            elif dry_run:
                messages.info(request, _("Every record of the file is correct; nothing was saved."))
            else:
                messages.success(
                    request,
                    _("Imported %(events)s events, %(people)s people and %(acts)s acts.")
                    % {"events": report.events, "people": report.people, "acts": report.acts},
                )
                return redirect(_after_import_url(organization))
    if request.method == "POST" and not form.is_valid():
        status = 422
    context = {"organization": organization, "form": form, "report": report}
    return render(request, "cases/io/standard.html", context, status=status)
