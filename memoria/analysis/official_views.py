"""Pages of the official figures: the imported files, the upload and its columns, and
the comparison of documented against official counts.

Every member who reads the cases (``READ_RECORDS``) sees the comparison, as
the statistics page; importing and deleting take ``RUN_ANALYSES`` (analysts
and coordinators). The import runs in the worker (``official_actions``). The
upload and columns pages answer GET and HEAD with their form, POST by acting,
and any other method with 405.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from memoria.accounts.access import get_for_organization, organization_view
from memoria.accounts.roles import Capability
from memoria.analysis import comparison, official, official_actions
from memoria.analysis.models import OfficialDataset
from memoria.analysis.official_forms import (
    ComparisonForm,
    OfficialMappingForm,
    OfficialUploadForm,
)
from memoria.audit.log import audit
from memoria.jobs.worker import worker_status


def get_dataset(membership, dataset_id) -> OfficialDataset:
    """A dataset of the member's organization (404 for another's)."""
    return get_for_organization(
        OfficialDataset.objects.select_related("job"), membership.organization, pk=dataset_id
    )


@organization_view(Capability.READ_RECORDS)
def datasets(request, membership):
    organization = membership.organization
    found = list(OfficialDataset.objects.filter(organization=organization))
    for dataset in found:
        dataset.source_label = official.SOURCE_LABELS.get(dataset.source, dataset.source)
    context = {
        "organization": organization,
        "datasets": found,
        "can_import": membership.can(Capability.RUN_ANALYSES),
        "worker": worker_status(),
    }
    return render(request, "analysis/official/list.html", context)


@organization_view(Capability.RUN_ANALYSES)
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request, membership):
    organization = membership.organization
    form = OfficialUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        dataset = official_actions.upload(
            organization,
            request.user,
            form.cleaned_data["source"],
            form.cleaned_data["file"].name,
            form.content,
            request=request,
        )
        return redirect("official_figures:columns", organization.slug, dataset.pk)
    context = {"organization": organization, "form": form}
    return render(request, "analysis/official/upload.html", context)


@organization_view(Capability.RUN_ANALYSES)
@require_http_methods(["GET", "HEAD", "POST"])
def columns(request, membership, dataset_id: int):
    organization = membership.organization
    dataset = get_dataset(membership, dataset_id)
    headers = official_actions.held_headers(dataset)
    if not headers:
        messages.info(request, _("This file has been imported; upload it again to change it."))
        return redirect("official_figures:list", organization.slug)
    initial = {**dataset.mapping, "version": dataset.version, "token": uuid.uuid4().hex}
    form = OfficialMappingForm(
        request.POST or None, source=dataset.source, headers=headers, initial=initial
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            official_actions.start_import(
                dataset,
                request.user,
                form.mapping,
                form.cleaned_data["version"],
                form.cleaned_data["token"],
            )
        except official_actions.ImportConflict as error:
            form.add_error(None, str(error))
            status = 409
        else:
            messages.success(request, _("The import is queued; this page shows when it ends."))
            return redirect("official_figures:list", organization.slug)
    context = {
        "organization": organization,
        "form": form,
        "dataset": dataset,
        "headers": headers,
        "source_label": official.SOURCE_LABELS.get(dataset.source, ""),
    }
    return render(request, "analysis/official/columns.html", context, status=status)


@organization_view(Capability.RUN_ANALYSES)
@require_POST
def delete(request, membership, dataset_id: int):
    dataset = get_dataset(membership, dataset_id)
    official_actions.delete(dataset, request.user, request=request)
    messages.success(request, _("The official figures were deleted."))
    return redirect("official_figures:list", membership.organization.slug)


@organization_view(Capability.READ_RECORDS)
def compare(request, membership, dataset_id: int):
    organization = membership.organization
    dataset = get_dataset(membership, dataset_id)
    if dataset.status != OfficialDataset.Status.READY:
        messages.info(request, _("These figures are not imported yet."))
        return redirect("official_figures:list", organization.slug)
    form = ComparisonForm(
        request.GET or None,
        organization=organization,
        categories=comparison.categories(dataset),
    )
    choice, chosen = comparison.Choice(), {}
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data
        violation = chosen.get("violation_type")
        choice = comparison.Choice(
            category=chosen.get("category") or "",
            violation=violation.pk if violation else None,
            start_year=chosen.get("start_year"),
            end_year=chosen.get("end_year"),
            state=chosen["state"].pk if chosen.get("state") else "",
        )
    context = {
        "organization": organization,
        "dataset": dataset,
        "source_label": official.SOURCE_LABELS.get(dataset.source, ""),
        "form": form,
        "chosen": chosen,
        "choice": choice,
        "figures": comparison.compare(organization, dataset, choice),
        "month_labels": official.MONTH_LABELS,
        "can_estimate": membership.can(Capability.RUN_ANALYSES),
    }
    if context["can_estimate"]:
        context.update(_estimates(request, membership, dataset, choice))
    return render(request, "analysis/official/compare.html", context)


def _estimates(request, membership, dataset, choice) -> dict:
    """The estimates of undocumented victims made for the page's states and years.

    Only for members who may open estimates (``run_analyses``, as the estimate's
    own page); reading a sealed report is audited as viewing the estimate."""
    rows = comparison.stratum_estimates(membership.organization, dataset, choice)
    shown = {row.estimate.pk: row.estimate for row in rows}
    with transaction.atomic():
        for estimate in shown.values():
            audit(
                request.user,
                membership.organization,
                "estimation.view",
                target=estimate,
                request=request,
                page="official_figures",
            )
    return {"estimate_rows": rows, "estimate_chart": comparison.estimate_chart(rows)}
