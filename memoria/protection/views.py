"""Pages of protection: forms validate, actions write, access fetches.

Every page that shows a person at risk is audited (their name, their circle,
the threats against them are identities). Analysts reach none of it: the
pages ask for ``Capability.READ_PROTECTION``, which their role lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError
from memoria.protection import access, actions, clock, terms
from memoria.protection.forms import (
    PersonAtRiskForm,
    ProtectionMeasureForm,
    ProtectionRequestForm,
    RecordForm,
    RiskAssessmentForm,
    RiskFactorForm,
    SupportContactForm,
)
from memoria.protection.models import LEVEL_RANK, Level, PersonAtRisk, RiskFactor
from memoria.protection.overdue import latest_assessment, owed_items

READ = Capability.READ_PROTECTION
EDIT = Capability.EDIT_RECORDS


def _person_url(person: PersonAtRisk) -> str:
    return reverse("protection:person", args=[person.organization.slug, person.pk])


def _form_page(request, membership, *, form, template_context, save, done_url, message, shows):
    """Show ``form``; on a valid POST call ``save(data)`` (an action) or explain a conflict."""
    context = {"organization": membership.organization, "form": form, **template_context}
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ConflictError as conflict:
            data = request.POST.copy()
            data["version"] = conflict.current.version
            form = type(form)(
                data,
                organization=form.organization,
                person=form.person,
                instance=form.instance,
            )
            form.is_valid()
            context.update(form=form, conflict=conflict)
            return render(request, "protection/form.html", context, status=409)
        messages.success(request, message)
        return redirect(done_url)
    if request.method == "GET" and shows is not None:
        audit(
            request.user,
            membership.organization,
            AuditAction.PROTECTION_VIEW,
            shows,
            request=request,
            form=type(form).__name__,
        )
    return render(request, "protection/form.html", context)


# -- people at risk --------------------------------------------------------------------------


def _current(person: PersonAtRisk):
    return latest_assessment(list(person.assessments.all()))


@organization_view(READ)
def person_list(request, membership):
    organization = membership.organization
    people = list(access.people_of(membership).prefetch_related("assessments"))
    rows = []
    for person in people:
        current = _current(person)
        rows.append((person, current))
    # The level is encrypted: sort here, active first, highest risk first, then by name.
    rows.sort(
        key=lambda row: (
            not row[0].is_active,
            -(LEVEL_RANK.get(row[1].level, -1) if row[1] else -1),
            row[0].display_name.lower(),
        )
    )
    audit(request.user, organization, AuditAction.PROTECTION_LIST, request=request)
    context = {"organization": organization, "rows": rows}
    return render(request, "protection/person_list.html", context)


@organization_view(EDIT)
def person_new(request, membership):
    organization = membership.organization
    form = PersonAtRiskForm(request.POST or None, organization=organization)
    created = {}

    def save(data):
        created["person"] = actions.register_person(
            organization, request.user, data, request=request
        )

    context = {"organization": organization, "form": form, "title": _("New person at risk")}
    if request.method == "POST" and form.is_valid():
        save(form.cleaned_data)
        messages.success(request, _("The person at risk was registered."))
        return redirect(_person_url(created["person"]))
    if request.method == "GET":  # the form lists people of the case records by name
        audit(
            request.user,
            organization,
            AuditAction.PROTECTION_VIEW,
            request=request,
            form=PersonAtRiskForm.__name__,
        )
    return render(request, "protection/form.html", context)


@organization_view(READ)
def person_detail(request, membership, at_risk_id):
    person = access.get_person(membership, at_risk_id)
    assessments = sorted(
        person.assessments.select_related("assessed_by").prefetch_related("factors"),
        key=lambda a: (a.assessed_on, a.created_at, a.pk),
        reverse=True,
    )
    current = assessments[0] if assessments else None
    measures = sorted(
        person.measures.select_related("request"), key=lambda m: m.granted_at, reverse=True
    )
    requests = sorted(person.requests.all(), key=lambda r: r.filed_at, reverse=True)
    now = clock.now()
    owed = [item for item in owed_items(person.organization, now) if item.person.pk == person.pk]
    audit(request.user, person.organization, AuditAction.PROTECTION_VIEW, person, request=request)
    context = {
        "organization": membership.organization,
        "person": person,
        "contacts": list(person.contacts.all()),
        "current": current,
        "factors": _factor_groups(current),
        "assessments": assessments,
        "requests": requests,
        "measures": measures,
        "owed": owed,
        "now": now,
    }
    return render(request, "protection/person_detail.html", context)


def _factor_groups(assessment):
    if assessment is None:
        return []
    factors = list(assessment.factors.all())
    return [
        (label, sorted((f for f in factors if f.kind == kind), key=lambda f: f.pk))
        for kind, label in RiskFactor.Kind.choices
    ]


@organization_view(EDIT)
def person_edit(request, membership, at_risk_id):
    person = access.get_person(membership, at_risk_id, write=True)
    form = PersonAtRiskForm(
        request.POST or None, organization=membership.organization, instance=person
    )
    return _form_page(
        request,
        membership,
        form=form,
        template_context={"title": _("Edit the person at risk"), "person": person},
        save=lambda data: actions.update_person(
            person, request.user, data, data["version"], request=request
        ),
        done_url=_person_url(person),
        message=_("Saved."),
        shows=person,
    )


# -- the parts of a person's record: one view to add and one to edit each kind --------------


@dataclass(frozen=True)
class Part:
    form: type[RecordForm]
    get: object  # access helper: (person, id, write=...) -> record
    add: object  # action: (person, actor, data, request=) -> record
    update: object  # action: (record, actor, data, version, request=) -> record
    new_title: str
    edit_title: str
    added: str


PARTS = {
    "contact": Part(
        SupportContactForm,
        access.get_contact,
        actions.add_contact,
        actions.update_contact,
        gettext_lazy("New support contact"),
        gettext_lazy("Edit a support contact"),
        gettext_lazy("The contact was added to the support circle."),
    ),
    "assessment": Part(
        RiskAssessmentForm,
        access.get_assessment,
        actions.record_assessment,
        actions.update_assessment,
        gettext_lazy("New risk assessment"),
        gettext_lazy("Edit a risk assessment"),
        gettext_lazy(
            "The assessment was recorded. Add its threats, vulnerabilities and capacities."
        ),
    ),
    "request": Part(
        ProtectionRequestForm,
        access.get_request,
        actions.record_request,
        actions.update_request,
        gettext_lazy("New request to a protection mechanism"),
        gettext_lazy("Edit a request to a protection mechanism"),
        gettext_lazy("The request was recorded."),
    ),
    "measure": Part(
        ProtectionMeasureForm,
        access.get_measure,
        actions.record_measure,
        actions.update_measure,
        gettext_lazy("New protection measure"),
        gettext_lazy("Edit a protection measure"),
        gettext_lazy("The measure was recorded."),
    ),
}


def _part(kind: str) -> Part:
    if kind not in PARTS:
        raise Http404("No such kind of record")
    return PARTS[kind]


@organization_view(EDIT)
def part_new(request, membership, at_risk_id, kind):
    part = _part(kind)
    person = access.get_person(membership, at_risk_id, write=True)
    form = part.form(request.POST or None, organization=membership.organization, person=person)
    created = {}

    def save(data):
        created["record"] = part.add(person, request.user, data, request=request)

    if request.method == "POST" and form.is_valid():
        save(form.cleaned_data)
        messages.success(request, str(part.added))
        record = created["record"]
        if kind == "assessment":
            return redirect(
                reverse(
                    "protection:assessment",
                    args=[membership.organization.slug, person.pk, record.pk],
                )
            )
        return redirect(_person_url(person))
    context = {
        "organization": membership.organization,
        "form": form,
        "person": person,
        "title": part.new_title,
    }
    if kind == "assessment":
        context["review_days"] = _review_days()
    if kind == "measure":
        context["legal_terms"] = terms.legal_terms().values()
    if request.method == "GET":
        audit(
            request.user,
            membership.organization,
            AuditAction.PROTECTION_VIEW,
            person,
            request=request,
            form=part.form.__name__,
        )
    return render(request, "protection/form.html", context)


@organization_view(EDIT)
def part_edit(request, membership, at_risk_id, record_id, kind):
    part = _part(kind)
    person = access.get_person(membership, at_risk_id, write=True)
    record = part.get(person, record_id, write=True)
    form = part.form(
        request.POST or None, organization=membership.organization, person=person, instance=record
    )
    context = {"title": part.edit_title, "person": person}
    if kind == "assessment":
        context["review_days"] = _review_days()
    if kind == "measure":
        context["legal_terms"] = terms.legal_terms().values()
    return _form_page(
        request,
        membership,
        form=form,
        template_context=context,
        save=lambda data: part.update(record, request.user, data, data["version"], request=request),
        done_url=_person_url(person),
        message=_("Saved."),
        shows=record,
    )


def _review_days() -> list[tuple[str, int]]:
    return [(label, terms.review_days(level)) for level, label in Level.choices]


# -- an assessment and its itemized factors --------------------------------------------------


@organization_view(READ)
def assessment_detail(request, membership, at_risk_id, assessment_id):
    person = access.get_person(membership, at_risk_id)
    assessment = access.get_assessment(person, assessment_id)
    audit(
        request.user, person.organization, AuditAction.PROTECTION_VIEW, assessment, request=request
    )
    context = {
        "organization": membership.organization,
        "person": person,
        "assessment": assessment,
        "factors": _factor_groups(assessment),
    }
    return render(request, "protection/assessment_detail.html", context)


def _assessment_url(assessment) -> str:
    return reverse(
        "protection:assessment",
        args=[assessment.organization.slug, assessment.person_id, assessment.pk],
    )


@organization_view(EDIT)
def factor_new(request, membership, at_risk_id, assessment_id):
    person = access.get_person(membership, at_risk_id, write=True)
    assessment = access.get_assessment(person, assessment_id, write=True)
    initial = {}
    if request.GET.get("kind") in RiskFactor.Kind.values:
        initial["kind"] = request.GET["kind"]
    form = RiskFactorForm(
        request.POST or None, organization=membership.organization, person=person, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        actions.add_factor(assessment, request.user, form.cleaned_data, request=request)
        messages.success(request, _("Added to the assessment."))
        return redirect(_assessment_url(assessment))
    context = {
        "organization": membership.organization,
        "form": form,
        "person": person,
        "assessment": assessment,
        "title": _("New threat, vulnerability or capacity"),
    }
    return render(request, "protection/form.html", context)


@organization_view(EDIT)
def factor_edit(request, membership, at_risk_id, assessment_id, factor_id):
    person = access.get_person(membership, at_risk_id, write=True)
    assessment = access.get_assessment(person, assessment_id, write=True)
    factor = access.get_factor(assessment, factor_id, write=True)
    form = RiskFactorForm(
        request.POST or None, organization=membership.organization, person=person, instance=factor
    )
    return _form_page(
        request,
        membership,
        form=form,
        template_context={
            "title": _("Edit a threat, vulnerability or capacity"),
            "person": person,
            "assessment": assessment,
        },
        save=lambda data: actions.update_factor(
            factor, request.user, data, data["version"], request=request
        ),
        done_url=_assessment_url(assessment),
        message=_("Saved."),
        shows=factor,
    )


# -- what the state owes, and the alerts -----------------------------------------------------


@organization_view(READ)
def owed(request, membership):
    organization = membership.organization
    now = clock.now()
    items = owed_items(organization, now)
    audit(request.user, organization, AuditAction.PROTECTION_OWED_VIEW, request=request)
    context = {
        "organization": organization,
        "items": [(item, item.late_by(now)) for item in items],
        "now": now,
        "legal_terms": terms.legal_terms().values(),
        "review_days": _review_days(),
    }
    return render(request, "protection/owed.html", context)


@organization_view(EDIT)
@require_POST
def alert_acknowledge(request, membership, alert_id):
    alert = access.get_alert(membership, alert_id)
    actions.acknowledge_alert(alert, request.user, request=request)
    messages.success(request, _("The alert was marked as seen."))
    return redirect(reverse("protection:owed", args=[membership.organization.slug]))
