"""Pages of record linkage: lists, runs, and the review queue.

Analysts and coordinators (``Capability.RUN_ANALYSES``) upload lists, choose
their columns, start a run over chosen sources (the run is a worker job; its
page shows the progress), then review the uncertain pairs one at a time,
most uncertain first (docs/review.md). Pages that show a pair's records are
audited; every page is sent with ``Cache-Control: no-store`` by the
platform's middleware. A page with a form answers GET and HEAD with the form
and POST by acting; any other method (PUT, DELETE...) gets 405.
"""

from __future__ import annotations

import csv
import io
import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.analysis import access, actions
from memoria.analysis.estimation import person_histories
from memoria.analysis.explain import explained
from memoria.analysis.forms import (
    DecisionForm,
    EstimateForm,
    ListMappingForm,
    ListUploadForm,
    RunForm,
)
from memoria.analysis.jobs import linkage_problems, unreadable_message
from memoria.analysis.models import (
    Decision,
    Estimate,
    LinkageList,
    LinkageRun,
    PairDecision,
    ReviewPair,
)
from memoria.analysis.progress import estimate_status
from memoria.analysis.sources import (
    LIST_LABELS,
    guess_list_mapping,
    no_longer_shared,
    partners_sharing_people,
    shown_now,
    unseal_table,
)
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError
from memoria.jobs.worker import worker_status
from memoria.sharing.actions import audit_shared_read

SHOWN = ("full_name", "given_names", "paternal_surname", "maternal_surname", "sex",
         "birth_date", "age", "event_date", "state", "municipality", "curp")  # fmt: skip


def _ready_lists(organization):
    lists = list(LinkageList.objects.filter(organization=organization))
    return LinkageList.objects.filter(pk__in=[item.pk for item in lists if item.ready])


TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _token(sent: str) -> str:
    """The form's once-only token (the page's: 32 hex characters); a missing one, or
    one the page never gives (too long for the job's key, NUL or other characters a
    database may refuse), gets a new one."""
    return sent if TOKEN.fullmatch(sent) else uuid.uuid4().hex


@organization_view(Capability.RUN_ANALYSES)
@require_http_methods(["GET", "HEAD", "POST"])
def linkage(request, membership):
    """The organization's lists and runs, and the form to start a run."""
    organization = membership.organization
    form = RunForm(
        request.POST or None,
        lists=_ready_lists(organization),
        partners=partners_sharing_people(organization),
    )
    if request.method == "POST" and form.is_valid():
        run = actions.start_run(
            organization,
            request.user,
            form.cleaned_data["include_cases"],
            list(form.cleaned_data["lists"]),
            _token(request.POST.get("token", "")),
            get_language(),
            request=request,
            partners=list(form.cleaned_data.get("partners") or []),
        )
        return redirect("analysis:run", organization.slug, run.pk)
    context = {
        "organization": organization,
        "form": form,
        "lists": LinkageList.objects.filter(organization=organization),
        "runs": LinkageRun.objects.filter(organization=organization).select_related("job")[:20],
        "token": uuid.uuid4().hex,
    }
    return render(request, "analysis/linkage.html", context)


@organization_view(Capability.RUN_ANALYSES)
@require_http_methods(["GET", "HEAD", "POST"])
def list_upload(request, membership):
    organization = membership.organization
    form = ListUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        linkage_list = actions.upload_list(
            organization, request.user, form.cleaned_data["name"], form.table, request=request
        )
        return redirect("analysis:list_columns", organization.slug, linkage_list.pk)
    context = {"organization": organization, "form": form}
    return render(request, "analysis/list_upload.html", context)


@organization_view(Capability.RUN_ANALYSES)
@require_http_methods(["GET", "HEAD", "POST"])
def list_columns(request, membership, list_id: int):
    organization = membership.organization
    linkage_list = access.get_list(membership, list_id)
    table = unseal_table(linkage_list.sealed_table)
    initial = linkage_list.mapping or guess_list_mapping(table.headers)
    form = ListMappingForm(request.POST or None, headers=table.headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.set_list_mapping(linkage_list, request.user, form.mapping, request=request)
        messages.success(request, _("The list is ready to link."))
        return redirect("analysis:linkage", organization.slug)
    context = {"organization": organization, "form": form, "list": linkage_list, "table": table}
    return render(request, "analysis/list_columns.html", context)


@organization_view(Capability.RUN_ANALYSES)
@require_http_methods(["GET", "HEAD", "POST"])
def list_delete(request, membership, list_id: int):
    """Asks first (the list's name and rows, a button that posts), then deletes."""
    linkage_list = access.get_list(membership, list_id)
    if request.method == "POST":
        actions.delete_list(linkage_list, request.user, request=request)
        messages.info(request, _("The list was deleted."))
        return redirect("analysis:linkage", membership.organization.slug)
    context = {
        "organization": membership.organization,
        "list": linkage_list,
        "runs": linkage_list.runs.count(),
    }
    return render(request, "analysis/list_delete.html", context)


@organization_view(Capability.RUN_ANALYSES)
def run(request, membership, run_id: int):
    """A run: its job's progress, then its figures and the way into the queue."""
    organization = membership.organization
    linkage_run = access.get_run(membership, run_id)
    job = linkage_run.job
    clusters = actions.run_clusters(linkage_run) if linkage_run.finished else {}
    unknown = (linkage_run.summary or {}).get("read_as_unknown") or {}
    sources = actions.run_graph(linkage_run)["sources"] if any(unknown.values()) else {}
    kinds = {
        "invalid_dates": _("Dates that cannot exist or cannot be read"),
        "placeholders": _("Placeholders (“N/D”, “SIN DATO”, 1900-01-01…)"),
    }
    read_as_unknown = [
        (sources.get(source, source), LIST_LABELS.get(column, column), kinds[kind], count)
        for kind in kinds
        for source, columns in sorted(unknown.get(kind, {}).items())
        for column, count in sorted(columns.items())
    ]
    problems = linkage_problems(job) if job and job.status == job.Status.FAILED else []
    context = {
        "organization": organization,
        "run": linkage_run,
        "job": job,
        "worker": worker_status(),
        "refresh": job is not None and not job.finished,
        "lists": clusters.get("lists", []),
        "read_as_unknown": read_as_unknown,
        "pending": _pending(linkage_run).count() if linkage_run.finished else 0,
        "shared_people": _shared_people(linkage_run),
        "problems": problems,
        # The job's error names an uploaded list by its number; the sealed problems by name.
        "error": unreadable_message(problems) if problems else (job.error if job else ""),
        "keep_days": settings.MEMORIA_JOBS_KEEP_DAYS,  # a run whose job was pruned says so
        "token": uuid.uuid4().hex,
    }
    return render(request, "analysis/run.html", context)


def _shared_people(linkage_run: LinkageRun) -> list[tuple]:
    """(partner, people linked) for each partner of a finished run: those shared with a
    name or a CURP when the job read them (none: nothing was shared any more). Runs
    from before the count was kept show none."""
    counts = (linkage_run.summary or {}).get("shared_people")
    if not linkage_run.finished or counts is None:
        return []
    return [
        (partner, counts.get(str(partner.pk), 0))
        for partner in linkage_run.partners.order_by("name", "pk")
    ]


@organization_view(Capability.RUN_ANALYSES)
@require_POST
def run_again(request, membership, run_id: int):
    """Link the run's sources again: the model learns from the answers given so far."""
    organization = membership.organization
    linkage_run = access.get_run(membership, run_id)
    again = actions.run_again(
        linkage_run,
        request.user,
        _token(request.POST.get("token", "")),
        get_language(),
        request=request,
    )
    return redirect("analysis:run", organization.slug, again.pk)


def _decisions(organization, keys) -> dict[str, PairDecision]:
    found = PairDecision.objects.filter(organization=organization, pair_key__in=list(keys))
    return {decision.pair_key: decision for decision in found}


def _pending(linkage_run: LinkageRun):
    """The run's pairs nobody has answered yet (or answered "unsure"), queue order."""
    pairs = ReviewPair.objects.filter(run=linkage_run)
    answered = PairDecision.objects.filter(
        organization_id=linkage_run.organization_id,
        pair_key__in=pairs.values("pair_key"),
    ).exclude(decision=Decision.UNSURE)
    return pairs.exclude(pair_key__in=answered.values("pair_key")).order_by("-uncertainty", "pk")


@organization_view(Capability.RUN_ANALYSES)
def queue(request, membership, run_id: int):
    """The next pair to review: the most uncertain one nobody has answered."""
    organization = membership.organization
    linkage_run = access.get_run(membership, run_id)
    skip = request.GET.get("skip", "")
    skip = int(skip) if skip.isdigit() and len(skip) < 19 else 0  # a hand-typed one: ignored
    following = _pending(linkage_run).exclude(pk=skip).first()
    if following is not None:
        return redirect("analysis:pair", organization.slug, linkage_run.pk, following.pk)
    messages.success(request, _("Every pair of this run has been reviewed."))
    return redirect("analysis:run", organization.slug, linkage_run.pk)


@organization_view(Capability.RUN_ANALYSES)
@require_http_methods(["GET", "HEAD", "POST"])
def pair(request, membership, run_id: int, pair_id: int):
    """Two records side by side, why the model scored them so, and the decision."""
    organization = membership.organization
    linkage_run = access.get_run(membership, run_id)
    review_pair = access.get_pair(membership, linkage_run, pair_id)
    current = _decisions(organization, [review_pair.pair_key]).get(review_pair.pair_key)
    version = current.version if current else 0
    form = DecisionForm(
        request.POST or None,
        initial={"decision": current.decision if current else None, "version": version},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.decide_pair(
                review_pair,
                request.user,
                form.cleaned_data["decision"],
                form.cleaned_data["version"],
                request=request,
            )
        except ConflictError:
            messages.error(
                request,
                _("Someone else answered this pair meanwhile; see their answer and decide again."),
            )
            return redirect("analysis:pair", organization.slug, linkage_run.pk, review_pair.pk)
        return redirect(
            f"{_url('analysis:queue', organization.slug, linkage_run.pk)}?skip={review_pair.pk}"
        )
    if request.method == "POST":
        status = 422
    details = review_pair.details
    left = shown_now(organization, details["left"])
    right = shown_now(organization, details["right"])
    with transaction.atomic():
        audit(request.user, organization, "linkage.pair_view", target=review_pair, request=request)
        for side in (left, right):
            if "record" in side:  # a partner's shared person: both logs say who read it
                record = side["record"]
                audit_shared_read(request.user, record.owner, organization, record,
                                  request=request, kind=record.kind, object_id=record.object_id,
                                  linkage_run=linkage_run.pk)  # fmt: skip
    rows = [
        (LIST_LABELS[key], left.get(key, ""), right.get(key, ""))
        for key in SHOWN
        if left.get(key) or right.get(key)
    ]
    # A person no longer shared: how their values compared with ours would tell them
    # ("surname: exact" beside our surname), so the comparisons go with the values.
    gone = bool(left.get("gone") or right.get("gone"))
    context = {
        "organization": organization,
        "run": linkage_run,
        "pair": review_pair,
        "left": left,
        "right": right,
        "rows": rows,
        "evidence": [] if gone else explained(details["evidence"]),
        "gone": gone,
        "current": current,
        "form": form,
        "pending": _pending(linkage_run).count(),
    }
    return render(request, "analysis/pair.html", context, status=status)


def _url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


@organization_view(Capability.RUN_ANALYSES)
def histories(request, membership, run_id: int):
    """The run's capture histories after review (one row per person, 0/1 per list)."""
    linkage_run = access.get_run(membership, run_id)
    clusters = actions.run_clusters(linkage_run)
    if not clusters:
        return redirect("analysis:run", membership.organization.slug, linkage_run.pk)
    lists, rows = clusters["lists"], clusters["histories"]
    graph = actions.run_graph(linkage_run)
    gone = no_longer_shared(membership.organization, graph)
    if gone:  # the partners' people no longer shared: left out, as an estimate does
        lists, rows = person_histories(graph, clusters, frozenset().union(*gone.values()))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["cluster_id", *lists])
    for number, row in enumerate(rows, start=1):
        writer.writerow([number, *row])
    with transaction.atomic():
        audit(request.user, membership.organization, "linkage.histories", target=linkage_run)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="histories-{linkage_run.pk}.csv"'
    return response


# -- estimates --------------------------------------------------------------------------


@organization_view(Capability.RUN_ANALYSES)
@require_http_methods(["GET", "HEAD", "POST"])
def estimates(request, membership, run_id: int):
    """A run's estimates, and the form to start one over its reviewed clusters."""
    organization = membership.organization
    linkage_run = access.get_run(membership, run_id)
    if not linkage_run.finished:
        return redirect("analysis:run", organization.slug, linkage_run.pk)
    form = EstimateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        estimate = actions.start_estimate(
            linkage_run,
            request.user,
            form.settings(),
            _token(request.POST.get("token", "")),
            get_language(),
            request=request,
        )
        return redirect("analysis:estimate", organization.slug, estimate.pk)
    context = {
        "organization": organization,
        "run": linkage_run,
        "form": form,
        "estimates": Estimate.objects.filter(run=linkage_run).select_related("job")[:20],
        "token": uuid.uuid4().hex,
    }
    return render(request, "analysis/estimates.html", context, status=422 if form.errors else 200)


def _estimate_context(request, membership, estimate_id: int, action: str) -> dict:
    from memoria.analysis.estimate_pages import page_context

    estimate = access.get_estimate(membership, estimate_id)
    job = estimate.job
    context = {
        "organization": membership.organization,
        "estimate": estimate,
        "run": estimate.run,
        "job": job,
        "options": estimate.options,
        "refresh": job is not None and not job.finished,
        "keep_days": settings.MEMORIA_JOBS_KEEP_DAYS,  # an estimate whose job was pruned says so
    }
    if estimate.finished:
        context.update(page_context(estimate))
        with transaction.atomic():
            audit(request.user, membership.organization, action, target=estimate, request=request)
    return context


@organization_view(Capability.RUN_ANALYSES)
def estimate(request, membership, estimate_id: int):
    """An estimate: its job's progress, then the histories, figures, charts and diagnostics."""
    context = _estimate_context(request, membership, estimate_id, "estimation.view")
    context["worker"] = worker_status()
    if context["job"] is not None:
        context["progress"] = estimate_status(context["job"])
    return render(request, "analysis/estimate.html", context)


@organization_view(Capability.RUN_ANALYSES)
def estimate_report(request, membership, estimate_id: int):
    """The printable report: the figures and what they count and cannot count."""
    context = _estimate_context(request, membership, estimate_id, "estimation.report")
    if not context["estimate"].finished:
        return redirect("analysis:estimate", membership.organization.slug, estimate_id)
    return render(request, "analysis/estimate_report.html", context)
