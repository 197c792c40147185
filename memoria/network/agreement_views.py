"""Pages of the sharing agreements: the list, a proposal, one agreement, its answer and revoke.

Forms validate, ``memoria.sharing.agreements`` writes, ``access.get_agreement``
fetches (404 to a third organization). Each page is audited in the viewer's
organization. The partner reads the shared records on the cases' own pages
(read-only, with their provenance); the counts of an aggregate agreement are
read here, and that read is audited on both sides like any shared record.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.models import Organization
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.exchange import actions as exchange
from memoria.exchange.models import Direction, Partner
from memoria.network import access
from memoria.network.access import OURS, WITH_US
from memoria.network.forms import (
    AgreementAnswerForm,
    AgreementForm,
    RemoteAgreementForm,
    StatusForm,
)
from memoria.sharing import agreements as sharing
from memoria.sharing import rules
from memoria.sharing.models import AgreementFigures, AgreementLevel, SharedRecord
from memoria.sharing.registry import shareable

READ = Capability.READ_RECORDS
MANAGE = Capability.MANAGE_ORGANIZATION
RECORD_PAGES = {"cases.event": "cases:case", "cases.person": "cases:person"}


def _url(organization, agreement) -> str:
    return reverse("network:agreement", args=[organization.slug, agreement.pk])


@organization_view(READ)
def agreement_list(request, membership):
    organization = membership.organization
    found = list(access.agreements_of(membership))
    audit(request.user, organization, AuditAction.AGREEMENT_LIST, request=request)
    context = {
        "organization": organization,
        "ours": [a for a in found if a.organization_id == organization.pk],
        "with_us": [a for a in found if a.partner_id == organization.pk],
        "remote": list(access.remote_agreements_of(membership).order_by("-created_at", "-pk")),
        "today": rules.today(),
    }
    return render(request, "network/agreement_list.html", context)


@organization_view(MANAGE)
def agreement_new(request, membership):
    organization = membership.organization
    partners = Organization.objects.exclude(pk=organization.pk).order_by("name")
    form = AgreementForm(request.POST or None, partners=partners)
    if request.method == "POST" and form.is_valid():
        agreement = sharing.propose(organization, request.user, form.cleaned_data, request=request)
        messages.success(request, _("The agreement was proposed. It starts once they accept it."))
        return redirect(_url(organization, agreement))
    context = {"organization": organization, "form": form, "title": _("Propose an agreement")}
    return render(request, "network/agreement_form.html", context)


def _known(kind: str):
    """The registry's entry for ``kind``, or None if it is no longer shareable here."""
    try:
        return shareable(kind)
    except LookupError:
        return None


def _field_rows(agreement) -> list[tuple[str, list[str]]]:
    rows = []
    for kind, names in (agreement.fields or {}).items():
        spec = _known(kind)
        if spec is None:  # shown as unknown, never as the code of a kind no longer registered
            rows.append((_("Unknown kind"), []))
            continue
        rows.append((spec.extra["label"], [str(spec.fields[n]) for n in names if n in spec.fields]))
    return rows


def _figures(request, membership, agreement):
    """The counts of an aggregate agreement, for the partner: labelled, read audited both sides.

    The cases' figures (by year and by every dimension of the statistics page) are
    read on the network figures page; this page lists the other kinds' counts."""
    stored = AgreementFigures.objects.filter(agreement=agreement).first()
    if stored is None:
        return None
    tables, statistics = [], False
    for kind, dimensions in (stored.content or {}).items():
        spec = _known(kind)
        if spec is None:
            continue
        if spec.extra.get("figures"):
            statistics = True
            continue
        labels = spec.extra.get("aggregates", {})
        for name, table in dimensions.items():
            label = labels[name][0] if name in labels else name
            tables.append({"kind": spec.extra["label"], "label": label, **table})
    readers = ((agreement.organization, AuditAction.SHARE_VIEWED),
               (membership.organization, AuditAction.SHARE_READ))  # fmt: skip
    if tables:
        with transaction.atomic():  # both sides' entries, or neither
            for organization, action in readers:
                audit(request.user, organization, action, stored, request=request,
                      agreements=[agreement.pk], figures=True)  # fmt: skip
    return {
        "tables": tables,
        "statistics": statistics,
        "computed_at": stored.computed_at,
        "k": sharing.small_count(),
    }


def _detail(request, membership, agreement, *, conflict=False, status=200):
    organization = membership.organization
    context = {
        "organization": organization,
        "agreement": agreement,
        "field_rows": _field_rows(agreement),
        "in_force": rules.is_in_force(agreement),
        "answer_form": AgreementAnswerForm(version=agreement.version),
        "revoke_form": StatusForm(version=agreement.version),
        "conflict": conflict,
    }
    records = SharedRecord.objects.filter(agreements=agreement, organization=agreement.partner)
    if agreement.side == WITH_US and context["in_force"]:
        if agreement.level == AgreementLevel.AGGREGATE:
            context["figures"] = _figures(request, membership, agreement)
        else:
            context["records"] = [
                {
                    "record": record,
                    "label": shareable(record.kind).extra["label"],
                    "url": reverse(
                        RECORD_PAGES[record.kind], args=[organization.slug, record.object_id]
                    ),
                }
                for record in records.order_by("kind", "object_id")
                if record.kind in RECORD_PAGES
            ]
    elif agreement.side == OURS:
        context["shared_count"] = records.count()
    audit(request.user, organization, AuditAction.AGREEMENT_VIEW, agreement, request=request,
          side=agreement.side)  # fmt: skip
    return render(request, "network/agreement_detail.html", context, status=status)


@organization_view(READ)
def agreement_detail(request, membership, agreement_id):
    agreement = access.get_agreement(membership, agreement_id)
    return _detail(request, membership, agreement)


def _refused(request, membership, agreement_id):
    """Someone answered or revoked it meanwhile: explained (409), nothing written."""
    agreement = access.get_agreement(membership, agreement_id)
    return _detail(request, membership, agreement, conflict=True, status=409)


@organization_view(MANAGE)
@require_POST
def agreement_answer(request, membership, agreement_id):
    agreement = access.get_agreement(membership, agreement_id)
    if agreement.side != WITH_US:
        raise PermissionDenied("Only the partner answers a proposal")
    form = AgreementAnswerForm(request.POST, version=agreement.version)
    if not agreement.can.answer or not form.is_valid():
        return _refused(request, membership, agreement_id)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        sharing.answer(agreement, request.user, accept=accept,
                       version=form.cleaned_data["version"], request=request)  # fmt: skip
    except sharing.AgreementConflict:
        return _refused(request, membership, agreement_id)
    messages.success(
        request, _("The agreement is in force.") if accept else _("The agreement was declined.")
    )
    return redirect(_url(membership.organization, agreement))


@organization_view(MANAGE)
@require_POST
def agreement_revoke(request, membership, agreement_id):
    agreement = access.get_agreement(membership, agreement_id)
    form = StatusForm(request.POST, version=agreement.version)
    if not agreement.can.revoke or not form.is_valid():
        return _refused(request, membership, agreement_id)
    try:
        sharing.revoke(agreement, request.user, membership.organization,
                       version=form.cleaned_data["version"], request=request)  # fmt: skip
    except sharing.AgreementConflict:
        return _refused(request, membership, agreement_id)
    messages.success(request, _("The agreement was revoked: nothing is shared under it any more."))
    return redirect(_url(membership.organization, agreement))


def _received_rows(agreement) -> list[dict]:
    """The copies received under ``agreement``, labelled as the registry labels their fields."""
    rows = []
    for record in agreement.records.order_by("kind", "source_id"):
        spec = _known(record.kind)
        if spec is None:  # no longer shareable here: no labels for its fields, so no values
            rows.append({"record": record, "label": _("Unknown kind"), "values": []})
            continue
        values = record.content or {}
        rows.append(
            {
                "record": record,
                "label": spec.extra["label"],
                "values": [(spec.fields[name], values.get(name)) for name in record.fields
                           if name in spec.fields],
            }
        )  # fmt: skip
    return rows


def _remote_detail(request, membership, agreement, *, conflict=False, status=200):
    organization = membership.organization
    receiving = agreement.direction == Direction.INCOMING
    rows = _received_rows(agreement) if receiving else []
    audit(request.user, organization, AuditAction.EXCHANGE_AGREEMENT_VIEW, agreement,
          request=request, records=[row["record"].pk for row in rows])  # fmt: skip
    context = {
        "organization": organization,
        "agreement": agreement,
        "receiving": receiving,
        "field_rows": _field_rows(agreement),
        "rows": rows,
        "bundles": agreement.bundles.order_by("-received_at")[:10] if receiving else [],
        "conflict": conflict,
    }
    return render(request, "network/remote_agreement_detail.html", context, status=status)


@organization_view(MANAGE)
def remote_agreement_new(request, membership):
    """A coordinator registers terms with an organization of another installation."""
    organization = membership.organization
    form = RemoteAgreementForm(request.POST or None, partners=Partner.objects.all())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = exchange.add_agreement(
                organization,
                data["partner"],
                direction=data["direction"],
                partner_organization=data["partner_organization"],
                level=data["level"],
                fields=data["fields"],
                purpose=data["purpose"],
                valid_until=data["valid_until"],
                uuid=str(data["uuid"]) if data.get("uuid") else None,
                actor=request.user,
                request=request,
            )
        except exchange.ExchangeError as error:
            if error.code == "other_direction":
                text = _(
                    "This code is already registered here for the other direction. An "
                    "installation either shares or receives under one code, never both: "
                    "register a new agreement with its own code."
                )
            else:
                text = _("An agreement with this code is already registered here.")
            form.add_error("uuid", text)
        else:
            if agreement.direction == Direction.OUTGOING:
                text = _(
                    "Registered. Give the other installation its code, %(code)s: they "
                    "register the terms they accept with it."
                ) % {"code": agreement.uuid}
            else:
                text = _("Registered: files sent under it can now be imported, and only what "
                         "these terms allow is kept.")  # fmt: skip
            messages.success(request, text)
            return redirect("network:remote_agreement", organization.slug, agreement.pk)
    context = {
        "organization": organization,
        "form": form,
        "has_partners": Partner.objects.exists(),
    }
    return render(request, "network/remote_agreement_form.html", context)


@organization_view(READ)
def remote_agreement_detail(request, membership, agreement_id):
    """An agreement with another installation: its terms and, when we receive, what arrived."""
    return _remote_detail(
        request, membership, access.get_remote_agreement(membership, agreement_id)
    )


@organization_view(MANAGE)
@require_POST
def remote_agreement_revoke(request, membership, agreement_id):
    """A coordinator ends it now: what we received goes; what we share stops with the next file."""
    agreement = access.get_remote_agreement(membership, agreement_id)
    try:
        exchange.revoke_agreement(agreement, request.user, request=request)
    except exchange.ExchangeError:  # already ended (by another coordinator, or its last day)
        agreement.refresh_from_db()
        return _remote_detail(request, membership, agreement, conflict=True, status=409)
    if agreement.direction == Direction.INCOMING:
        text = _("The agreement was revoked: what it brought was deleted. Tell the other "
                 "installation, so that it stops sending.")  # fmt: skip
    else:
        text = _("The agreement was revoked. The next file exported under it tells the other "
                 "installation, which then deletes its copies: ask the server's operator to "
                 "export it and send it.")  # fmt: skip
    messages.success(request, text)
    return redirect("network:remote_agreement", membership.organization.slug, agreement.pk)
