"""Pages of the network: the directory, profiles, referrals and their report.

Forms validate, actions write, access fetches. The directory describes
organizations, not people: its pages are not audited. Every page that shows a
referral is audited in the viewer's organization; what travelled with it, read
by the recipient, is audited in the sender's log too (``record_shared_view``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases import access as cases_access
from memoria.cases.actions import ConflictError
from memoria.cases.models import Event, Person
from memoria.network import access, actions
from memoria.network.access import RECEIVED, SENT
from memoria.network.followup import follow_up_on, is_overdue, report, today
from memoria.network.forms import (
    AnswerForm,
    DirectorySearchForm,
    FollowUpForm,
    ProfileForm,
    ReferralForm,
    StatusForm,
    field_choices,
)
from memoria.network.models import OrganizationProfile, Status
from memoria.sharing.access import shared_with
from memoria.sharing.actions import record_shared_view
from memoria.sharing.registry import shareable

READ = Capability.READ_RECORDS
EDIT = Capability.EDIT_RECORDS


def _referral_url(organization, referral) -> str:
    return reverse("network:referral", args=[organization.slug, referral.pk])


# -- the directory ------------------------------------------------------------------------


def _matches(profile: OrganizationProfile, filters: dict) -> bool:
    if filters.get("capability") and filters["capability"] not in profile.capabilities:
        return False
    if filters.get("language") and filters["language"] not in profile.languages:
        return False
    states = {state.pk for state in profile.states.all()}
    municipalities = list(profile.municipalities.all())
    municipality = filters.get("municipality")
    if municipality is not None:
        if municipality.pk in {m.pk for m in municipalities}:
            return True
        # A state with none of its municipalities chosen: the organization works in all of it.
        in_state = [m for m in municipalities if m.state_id == municipality.state_id]
        return municipality.state_id in states and not in_state
    state = filters.get("state")
    if state is not None:
        return state.pk in states or any(m.state_id == state.pk for m in municipalities)
    return True


@organization_view(READ)
def directory(request, membership):
    form = DirectorySearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    profiles = (
        OrganizationProfile.objects.select_related("organization")
        .prefetch_related("states", "municipalities__state")
        .order_by("organization__name")
    )
    found = [profile for profile in profiles if _matches(profile, filters)]
    context = {"organization": membership.organization, "form": form, "profiles": found}
    return render(request, "network/directory.html", context)


@organization_view(READ)
def partner(request, membership, partner):
    other = access.get_partner(partner)
    context = {
        "organization": membership.organization,
        "partner": other,
        "profile": access.profile_of(other),
        "is_own": other.pk == membership.organization_id,
    }
    return render(request, "network/partner.html", context)


@organization_view(Capability.MANAGE_ORGANIZATION)
def profile_edit(request, membership):
    organization = membership.organization
    profile = access.profile_of(organization)
    form = ProfileForm(request.POST or None, profile=profile)
    context = {"organization": organization, "form": form, "title": _("Profile in the network")}
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_profile(
                organization,
                request.user,
                form.cleaned_data,
                form.cleaned_data["version"] if profile.pk else None,
                request=request,
            )
        except ConflictError as conflict:
            data = request.POST.copy()
            data["version"] = conflict.current.version
            form = ProfileForm(data, profile=access.profile_of(organization))
            form.is_valid()
            context.update(form=form, conflict=conflict)
            return render(request, "network/form.html", context, status=409)
        messages.success(request, _("The profile was saved."))
        return redirect("network:partner", organization.slug, organization.slug)
    return render(request, "network/form.html", context)


# -- referrals ----------------------------------------------------------------------------


def _side_rows(membership, referrals):
    day = today()
    referrals = list(referrals)
    numbers = access.case_numbers(membership, referrals)
    rows = []
    for referral in referrals:
        side = SENT if referral.organization_id == membership.organization_id else RECEIVED
        referral.side = side
        rows.append(
            {
                "referral": referral,
                "follow_up_on": follow_up_on(referral, membership.organization_id),
                "overdue": is_overdue(referral, membership.organization_id, day),
                "case_number": numbers.get(referral.event_id) if side == SENT else None,
            }
        )
    return rows


@organization_view(READ)
def referral_list(request, membership):
    organization = membership.organization
    status = request.GET.get("status", "")
    referrals = access.referrals_of(membership)
    if status in Status.values:
        referrals = referrals.filter(status=status)
    rows = _side_rows(membership, referrals)
    audit(request.user, organization, AuditAction.REFERRAL_LIST, request=request)
    context = {
        "organization": organization,
        "received": [row for row in rows if row["referral"].side == RECEIVED],
        "sent": [row for row in rows if row["referral"].side == SENT],
        "statuses": Status.choices,
        "status": status,
    }
    return render(request, "network/referral_list.html", context)


@organization_view(READ)
def referral_report(request, membership):
    organization = membership.organization
    result = report(organization)
    audit(request.user, organization, AuditAction.REFERRAL_LIST, request=request, report=True)
    context = {
        "organization": organization,
        "report": result,
        "overdue": _side_rows(membership, result.overdue),
    }
    return render(request, "network/report.html", context)


def _referral_new(request, membership, *, event=None, person=None):
    organization = membership.organization
    form = ReferralForm(
        request.POST or None,
        recipients=access.recipients_for(membership),
        event=event,
        person=person,
    )
    if request.method == "POST" and form.is_valid():
        referral = actions.send_referral(
            organization, request.user, form.cleaned_data, event=event, person=person,
            request=request,
        )  # fmt: skip
        messages.success(request, _("The referral was sent."))
        return redirect(_referral_url(organization, referral))
    if request.method == "GET":  # the page names the case or the person referred
        audit(request.user, organization, AuditAction.REFERRAL_VIEW, event or person,
              request=request, form="ReferralForm")  # fmt: skip
    context = {"organization": organization, "form": form, "event": event, "person": person,
               "title": _("Refer to another organization")}  # fmt: skip
    return render(request, "network/referral_form.html", context)


@organization_view(EDIT)
def referral_new_case(request, membership, event_id):
    event = cases_access.get_event(membership, event_id, write=True)
    return _referral_new(request, membership, event=event)


@organization_view(EDIT)
def referral_new_person(request, membership, person_id):
    person = cases_access.get_person(membership, person_id, write=True)
    return _referral_new(request, membership, person=person)


def _travelled(membership, referral):
    """What travelled with a referral, as the recipient reads it: only while it is open."""
    shown = []
    if not referral.is_open:
        return shown
    chosen_of = ((Event, referral.event_id, referral.event_fields),
                 (Person, referral.person_id, referral.person_fields))  # fmt: skip
    for model, instance_id, chosen in chosen_of:
        if instance_id is None:
            continue
        view = shared_with(membership, model, instance_id)
        if view is None:
            continue
        # The copy holds the fields of every open referral of the record to this
        # organization: this referral's page shows only the fields chosen for it.
        fields = [name for name in view.shared.fields if name in set(chosen or [])]
        if not fields:
            continue
        labels = shareable(model).fields
        view.values = {name: view.values.get(name) for name in fields}
        view.rows = [(labels[name], view.values[name]) for name in fields if name in labels]
        shown.append(view)
    return shown


def _labels(model, names) -> list[str]:
    labels = dict(field_choices(model))
    return [str(labels[name]) for name in names if name in labels]


def _detail(request, membership, referral, *, conflict=None, answer_form=None, status=200):
    organization = membership.organization
    context = {
        "organization": organization,
        "referral": referral,
        "event_labels": _labels(Event, referral.event_fields),
        "person_labels": _labels(Person, referral.person_fields),
        "follow_up_on": follow_up_on(referral, organization.pk),
        "overdue": is_overdue(referral, organization.pk, today()),
        "answer_form": answer_form or AnswerForm(version=referral.version),
        "status_form": StatusForm(version=referral.version),
        "follow_up_form": FollowUpForm(
            version=referral.version,
            initial={"follow_up_on": follow_up_on(referral, organization.pk)},
        ),
        "conflict": conflict,
    }
    if referral.side == RECEIVED:
        travelled = _travelled(membership, referral)
        for view in travelled:
            record_shared_view(membership, view, request=request)  # in the sender's log
        context["travelled"] = travelled
        context["message"] = referral.receipt.message
        context["decline_reason"] = referral.receipt.decline_reason
    else:
        context["message"] = referral.message
        context["decline_reason"] = referral.decline_reason
        context["case_number"] = access.case_numbers(membership, [referral]).get(referral.event_id)
    audit(request.user, organization, AuditAction.REFERRAL_VIEW, referral, request=request,
          side=referral.side)  # fmt: skip
    return render(request, "network/referral_detail.html", context, status=status)


@organization_view(READ)
def referral_detail(request, membership, referral_id):
    referral = access.get_referral(membership, referral_id)
    return _detail(request, membership, referral)


def _not_now(request, membership, referral, action: str):
    """A change the referral's state no longer allows: explained (409) to the side that could
    have made it a moment ago (someone answered or closed it meanwhile), 404 to the other."""
    side_may = action in ("close", "follow_up") or referral.side == RECEIVED
    if not side_may:
        raise Http404("No such record")
    return _detail(request, membership, referral, conflict=True, status=409)


def _conflict_page(request, membership, referral_id, conflict):
    referral = access.get_referral(membership, referral_id)
    return _detail(request, membership, referral, conflict=conflict, status=409)


@organization_view(EDIT)
@require_POST
def referral_answer(request, membership, referral_id):
    referral = access.get_referral(membership, referral_id)
    if not referral.can.answer:
        return _not_now(request, membership, referral, "answer")
    form = AnswerForm(request.POST, version=referral.version)
    if not form.is_valid():
        return _detail(request, membership, referral, answer_form=form, status=422)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        actions.answer_referral(
            referral, request.user, accept=accept, reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"], request=request,
        )  # fmt: skip
    except ConflictError as conflict:
        return _conflict_page(request, membership, referral_id, conflict)
    messages.success(
        request, _("The referral was accepted.") if accept else _("The referral was declined.")
    )
    return redirect(_referral_url(membership.organization, referral))


def _status_change(request, membership, referral_id, allowed, action, message):
    referral = access.get_referral(membership, referral_id)
    if not getattr(referral.can, allowed):
        return _not_now(request, membership, referral, allowed)
    form = StatusForm(request.POST, version=referral.version)
    if not form.is_valid():
        return _detail(request, membership, referral, status=422)
    try:
        action(referral, request.user, version=form.cleaned_data["version"], request=request)
    except ConflictError as conflict:
        return _conflict_page(request, membership, referral_id, conflict)
    messages.success(request, message)
    return redirect(_referral_url(membership.organization, referral))


@organization_view(EDIT)
@require_POST
def referral_progress(request, membership, referral_id):
    return _status_change(request, membership, referral_id, "progress",
                          actions.mark_in_progress, _("The referral is in progress."))  # fmt: skip


@organization_view(EDIT)
@require_POST
def referral_close(request, membership, referral_id):
    return _status_change(request, membership, referral_id, "close",
                          actions.close_referral, _("The referral was closed."))  # fmt: skip


@organization_view(EDIT)
@require_POST
def referral_follow_up(request, membership, referral_id):
    referral = access.get_referral(membership, referral_id)
    if not referral.can.follow_up:
        return _not_now(request, membership, referral, "follow_up")
    form = FollowUpForm(request.POST, version=referral.version)
    if not form.is_valid():
        return _detail(request, membership, referral, status=422)
    try:
        actions.set_follow_up(
            referral, membership.organization, request.user, form.cleaned_data["follow_up_on"],
            version=form.cleaned_data["version"], request=request,
        )  # fmt: skip
    except ConflictError as conflict:
        return _conflict_page(request, membership, referral_id, conflict)
    messages.success(request, _("The follow-up date was saved."))
    return redirect(_referral_url(membership.organization, referral))
