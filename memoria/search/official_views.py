"""Pages of the official lists: import a list, and the reports against the registry.

Import is three steps like the case import: upload (the list's kind and the
file), choose the columns (guessed from the headers), then the job's page
(progress, then what was created and updated, or every problem with nothing
saved). The table waits in the session sealed under the organization's key.

The two reports read the newest registry report job (``official_jobs``);
"run again" queues a new one. Each page is audited; each is downloadable as
CSV. Reading takes ``read_search``; importing and deciding a pair take
``edit_records`` as well.
"""

from __future__ import annotations

import csv
import io
import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.io.exporter import _safe_cell
from memoria.cases.io.jobs import seal, unseal
from memoria.cases.io.readers import Table
from memoria.jobs.models import Job
from memoria.jobs.worker import worker_status
from memoria.search import access, official_jobs
from memoria.search.absence import THRESHOLD, classify, decisions_of
from memoria.search.models import AnteMortemFile, FileSource, OfficialImport, OfficialListKind
from memoria.search.official import column_labels, decide_pair, guess_mapping
from memoria.search.official_forms import DecisionForm, OfficialMappingForm, OfficialUploadForm

READ = Capability.READ_SEARCH
EDIT = Capability.EDIT_RECORDS
SESSION_KEY = "memoria_search_official"
HELD_CONTEXT = "search.official.held"


def _render(request, template: str, context: dict, status: int = 200):
    context = {"section": "official", **context}
    context.setdefault("can_edit", access.search_access(request.membership).write)
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _readable(membership) -> None:
    if not access.search_access(membership).read:
        raise Http404("No such page")


def _writable(membership) -> None:
    if not access.search_access(membership).write:
        raise Http404("No such page")


# -- the list of imports ---------------------------------------------------------------------


@organization_view(READ)
def official_list(request, membership):
    _readable(membership)
    organization = membership.organization
    imports = list(OfficialImport.objects.filter(organization=organization))
    registry = AnteMortemFile.objects.filter(organization=organization, source=FileSource.RNPDNO)
    audit(request.user, organization, AuditAction.SEARCH_OFFICIAL_LIST, request=request)
    context = {
        "organization": organization,
        "imports": imports,
        "registry_count": registry.count(),
        "forensic_count": access.remains_of(membership).filter(import_batch__isnull=False).count(),
        "report": official_jobs.latest_report(organization),
    }
    return _render(request, "search/official/list.html", context)


# -- import ------------------------------------------------------------------------------------


def _held(request, organization) -> dict | None:
    held = request.session.get(SESSION_KEY)
    if not held or held.get("organization") != organization.pk:
        return None
    return {**unseal(held["sealed"], HELD_CONTEXT), "token": held["token"]}


@organization_view(EDIT)
def official_import(request, membership):
    _writable(membership)
    organization = membership.organization
    form = OfficialUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        held = {
            "table": form.table.to_dict(),
            "kind": form.cleaned_data["kind"],
            "publisher": form.cleaned_data["publisher"],
        }
        request.session[SESSION_KEY] = {
            "organization": organization.pk,
            "sealed": seal(organization.pk, held, HELD_CONTEXT),
            # Confirming twice (a double click, a resent form) queues one job.
            "token": uuid.uuid4().hex,
        }
        return redirect("search:official_columns", organization.slug)
    return _render(
        request, "search/official/import.html", {"organization": organization, "form": form}
    )


@organization_view(EDIT)
def official_columns(request, membership):
    _writable(membership)
    organization = membership.organization
    held = _held(request, organization)
    if held is None:
        messages.info(request, _("Choose the file to import."))
        return redirect("search:official_import", organization.slug)
    table = Table.from_dict(held["table"])
    kind = held["kind"]
    form = OfficialMappingForm(
        request.POST or None,
        kind=kind,
        headers=table.headers,
        initial=guess_mapping(kind, table.headers),
    )
    if request.method == "POST" and form.is_valid():
        job = official_jobs.queue_import(
            organization,
            request.user,
            table,
            form.mapping,
            kind,
            held["publisher"],
            key=held["token"],
            language=get_language(),
        )
        request.session.pop(SESSION_KEY, None)
        return redirect("search:official_job", organization.slug, job.pk)
    context = {
        "organization": organization,
        "form": form,
        "table": table,
        "kind_label": dict(OfficialListKind.choices)[kind],
        "preview": table.rows[:5],
    }
    return _render(request, "search/official/columns.html", context)


@organization_view(EDIT)
def official_job(request, membership, job_id: int):
    """The queued import: progress, then what it created and updated, or every problem."""
    _writable(membership)
    organization = membership.organization
    job = (
        Job.objects.select_related("data")
        .filter(pk=job_id, kind=official_jobs.IMPORT, organization=organization)
        .first()
    )
    if job is None:
        raise Http404("No such import")
    problems = official_jobs.import_problems(job) if job.status == Job.Status.DONE else []
    labels = column_labels(job.payload.get("kind", OfficialListKind.RNPDNO))
    by_row: dict[int, list] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append(
            (labels.get(problem.column, problem.column), problem)
        )
    context = {
        "organization": organization,
        "job": job,
        "problems": sorted(by_row.items()),
        "worker": worker_status(),
        "refresh": not job.finished,
    }
    return _render(request, "search/official/job.html", context)


# -- the reports ---------------------------------------------------------------------------------


def _report(membership):
    organization = membership.organization
    job, comparison = official_jobs.latest_comparison(organization)
    if comparison is None:
        return job, None, None, {}, {}
    classified = classify(comparison, decisions_of(organization))
    files = {
        f.pk: f
        for f in AnteMortemFile.objects.filter(
            organization=organization, source=FileSource.FAMILY
        ).select_related("person")
    }
    wanted = set(classified.not_in_cases) | {link.record for link in classified.uncertain}
    records = {
        r.pk: r
        for r in AnteMortemFile.objects.filter(
            organization=organization, source=FileSource.RNPDNO, pk__in=wanted
        )
    }
    return job, comparison, classified, files, records


def _csv(filename: str, header: list[str], rows: list[list]) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell("" if value is None else str(value)) for value in row])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def _place(record) -> str:
    parts = [
        str(record.municipality) if record.municipality_id else "",
        str(record.state) if record.state_id else "",
    ]
    return ", ".join(part for part in parts if part)


@organization_view(READ)
def registry_absent(request, membership):
    """People in our cases absent from the registry, and the uncertain pairs for review."""
    _readable(membership)
    organization = membership.organization
    job, comparison, classified, files, records = _report(membership)
    audit(
        request.user,
        organization,
        AuditAction.SEARCH_REGISTRY_REPORT,
        request=request,
        report="absent",
        format=request.GET.get("format", "html"),
    )
    absent = [files[pk] for pk in (classified.absent if classified else []) if pk in files]
    uncertain = [
        (link, files[link.file], records[link.record])
        for link in (classified.uncertain if classified else [])
        if link.file in files and link.record in records
    ]
    if request.GET.get("format") == "csv":
        rows = [
            [
                "absent",
                f.pk,
                f.person.full_name,
                f.get_sex_display(),
                f.age_at_disappearance,
                f.last_seen_date,
                _place(f),
                f.rnpdno_folio,
                "",
                "",
                "",
            ]
            for f in absent
        ]
        rows += [
            [
                "uncertain",
                f.pk,
                f.person.full_name,
                f.get_sex_display(),
                f.age_at_disappearance,
                f.last_seen_date,
                _place(f),
                f.rnpdno_folio,
                r.rnpdno_folio,
                r.official_name,
                f"{link.probability:.2f}",
            ]
            for link, f, r in uncertain
        ]
        header = [
            "result",
            "file_id",
            "name",
            "sex",
            "age",
            "last_seen_date",
            "place",
            "file_rnpdno_folio",
            "registry_folio",
            "registry_name",
            "probability",
        ]
        return _csv("absent-from-registry.csv", header, rows)
    context = {
        "organization": organization,
        "job": job,
        "comparison": comparison,
        "classified": classified,
        "absent": absent,
        "uncertain": uncertain,
        "threshold": THRESHOLD,
        "worker": worker_status(),
        "refresh": job is not None and not job.finished,
        "run_key": uuid.uuid4().hex,
    }
    return _render(request, "search/official/absent.html", context)


@organization_view(READ)
def registry_reverse(request, membership):
    """Registry records of the organization's places that are in none of its files."""
    _readable(membership)
    organization = membership.organization
    job, comparison, classified, _files, records = _report(membership)
    audit(
        request.user,
        organization,
        AuditAction.SEARCH_REGISTRY_REPORT,
        request=request,
        report="reverse",
        format=request.GET.get("format", "html"),
    )
    missing = [
        records[pk] for pk in (classified.not_in_cases if classified else []) if pk in records
    ]
    if request.GET.get("format") == "csv":
        rows = [
            [
                r.rnpdno_folio,
                r.official_name,
                r.get_sex_display(),
                r.age_at_disappearance,
                r.last_seen_date,
                _place(r),
                r.official_status,
            ]
            for r in missing
        ]
        header = [
            "registry_folio",
            "registry_name",
            "sex",
            "age",
            "date",
            "place",
            "registry_status",
        ]
        return _csv("registry-not-in-cases.csv", header, rows)
    context = {
        "organization": organization,
        "job": job,
        "comparison": comparison,
        "classified": classified,
        "missing": missing,
        "worker": worker_status(),
        "refresh": job is not None and not job.finished,
        "run_key": uuid.uuid4().hex,
    }
    return _render(request, "search/official/reverse.html", context)


@organization_view(READ)
@require_POST
def registry_run(request, membership):
    """Queue a new comparison (one per click: the form carries a fresh key)."""
    _readable(membership)
    organization = membership.organization
    key = request.POST.get("key", "")
    if not key or len(key) > 64 or not key.isalnum():
        key = uuid.uuid4().hex
    official_jobs.queue_report(organization, request.user, key)
    messages.info(request, _("The comparison with the registry is running in the background."))
    target = (
        "search:registry_reverse"
        if request.POST.get("next") == "reverse"
        else "search:registry_absent"
    )
    return redirect(target, organization.slug)


@organization_view(EDIT)
@require_POST
def registry_decide(request, membership):
    _writable(membership)
    organization = membership.organization
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise Http404("No such pair")
    family = AnteMortemFile.objects.filter(
        organization=organization, source=FileSource.FAMILY, pk=form.cleaned_data["file"]
    ).first()
    record = AnteMortemFile.objects.filter(
        organization=organization, source=FileSource.RNPDNO, pk=form.cleaned_data["record"]
    ).first()
    if family is None or record is None:
        raise Http404("No such pair")
    decide_pair(family, record, request.user, form.cleaned_data["same"], request=request)
    messages.success(request, _("The decision was saved."))
    return redirect("search:registry_absent", organization.slug)
