"""Pages of the victims' registry. Short: forms validate, actions write, access fetches.

Readers, documenters and coordinators follow the victims (``FOLLOW_VICTIMS``);
documenters and coordinators record (``EDIT_RECORDS``); analysts see the
figures only (``READ_RECORDS``). Pages that show identities are audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError
from memoria.cases.models import IndirectVictim, Person
from memoria.places.models import State
from memoria.victims import access, actions, figures, follow
from memoria.victims.forms import (
    AppealForm,
    DocumentForm,
    MeasureForm,
    RegistrationForm,
    RequestForm,
)
from memoria.victims.models import (
    Appeal,
    CommissionRequest,
    Registration,
    RegistrationStatus,
    RequestStatus,
)


def _person_url(person: Person) -> str:
    return reverse("victims:person", args=[person.organization.slug, person.pk])


def _states() -> dict[str, str]:
    return dict(State.objects.values_list("code", "name"))


def _audit_form_view(request, viewer, person: Person, form: str) -> None:
    """An edit form opened (GET) shows a victim's details: record it as a view."""
    if request.method == "GET":
        audit(request.user, viewer.organization, AuditAction.VICTIM_PATH_VIEW, person,
              request=request, form=form)  # fmt: skip


# -- the list of victims and one victim's path ------------------------------------------------


@organization_view(Capability.FOLLOW_VICTIMS)
def victim_list(request, membership):
    organization = membership.organization
    people = list(access.victims_of(organization).order_by("pk"))
    followed = follow.people_with_records(organization)
    direct = set(
        Person.objects.filter(organization=organization, acts__isnull=False).values_list(
            "pk", flat=True
        )
    )
    rows = [{"person": p, "direct": p.pk in direct, "followed": p.pk in followed} for p in people]
    rows.sort(key=lambda row: (not row["followed"], follow.person_label(row["person"]).lower()))
    owed = follow.owed_by_the_state(organization)
    audit(request.user, organization, AuditAction.VICTIMS_LIST, request=request, count=len(rows))
    context = {
        "organization": organization,
        "rows": rows,
        "owed_count": len(owed),
        "late_count": sum(1 for item in owed if item.late),
    }
    return render(request, "victims/victim_list.html", context)


@organization_view(Capability.FOLLOW_VICTIMS)
def victim_detail(request, membership, person_id):
    organization = membership.organization
    person = access.get_victim(membership, person_id)
    states = _states()
    registrations = list(
        Registration.objects.filter(organization=organization, person=person)
        .select_related("accompanied_by")
        .prefetch_related("documents")
    )
    requests = list(
        CommissionRequest.objects.filter(organization=organization, person=person)
        .select_related("accompanied_by")
        .prefetch_related("measures", "documents")
    )
    for record in registrations:
        record.is_open = record.status == RegistrationStatus.REQUESTED
        record.state_name = states.get(record.state_code, "")
    for record in requests:
        record.is_open = record.status == RequestStatus.PENDING
        record.state_name = states.get(record.state_code, "")
    roles = []
    for case in actions.victim_cases(person):
        if access.is_direct_victim(person, case):
            roles.append(_("Direct victim in case #%(number)s") % {"number": case.number})
        for relative in IndirectVictim.objects.filter(event=case, person=person).select_related(
            "direct_victim"
        ):
            roles.append(
                _("%(relationship)s of %(name)s, case #%(number)s")
                % {
                    "relationship": relative.relationship.label,
                    "name": follow.person_label(relative.direct_victim),
                    "number": case.number,
                }
            )
    audit(request.user, organization, AuditAction.VICTIM_PATH_VIEW, person, request=request)
    context = {
        "organization": organization,
        "person": person,
        "roles": roles,
        "registrations": registrations,
        "requests": requests,
        "appeals": Appeal.objects.filter(organization=organization, person=person),
        "can_edit": person.access.write,
        "document_form": DocumentForm(),
        "today": timezone.localdate(),
    }
    return render(request, "victims/victim_detail.html", context)


# -- recording: one table of kinds, one view to add and one to edit ---------------------------


@dataclass(frozen=True)
class Kind:
    """How a page adds and edits one kind of record of a victim's path."""

    form: type
    title: str
    fetch: Callable  # (viewer, id, write=True) -> the record
    person_of: Callable  # record -> the person it follows
    add: Callable  # (parent, actor, data, request=) -> the new record
    update: Callable  # (record, actor, data, version, request=) -> the record
    added: str
    saved: str
    parent: Callable | None = None  # (viewer, id) -> what a new record hangs from


def _request_parent(viewer, request_id):
    return access.get_request(viewer, request_id, write=True)


KINDS = {
    "registration": Kind(
        form=RegistrationForm,
        title=gettext_lazy("Request to a victims' registry"),
        fetch=access.get_registration,
        person_of=lambda record: record.person,
        add=actions.add_registration,
        update=actions.update_registration,
        added=gettext_lazy("Registration request recorded."),
        saved=gettext_lazy("Registration request saved."),
    ),
    "request": Kind(
        form=RequestForm,
        title=gettext_lazy("Request to a victims' commission"),
        fetch=access.get_request,
        person_of=lambda record: record.person,
        add=actions.add_request,
        update=actions.update_request,
        added=gettext_lazy("Request recorded. Now add what it asks for."),
        saved=gettext_lazy("Request saved."),
    ),
    "measure": Kind(
        form=MeasureForm,
        title=gettext_lazy("Measure of help or reparation"),
        fetch=access.get_measure,
        person_of=lambda record: record.request.person,
        add=actions.add_measure,
        update=actions.update_measure,
        added=gettext_lazy("Measure recorded."),
        saved=gettext_lazy("Measure saved."),
        parent=_request_parent,
    ),
    "appeal": Kind(
        form=AppealForm,
        title=gettext_lazy("Appeal or amparo"),
        fetch=access.get_appeal,
        person_of=lambda record: record.person,
        add=actions.add_appeal,
        update=actions.update_appeal,
        added=gettext_lazy("Appeal recorded."),
        saved=gettext_lazy("Appeal saved."),
    ),
}


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise Http404("No such kind of record")
    return KINDS[kind]


@organization_view(Capability.EDIT_RECORDS)
def record_new(request, membership, kind, person_id=None, request_id=None):
    """Add a registration, a request or an appeal for a victim, or a measure to a request."""
    spec = _kind(kind)
    organization = membership.organization
    if spec.parent is not None:
        parent = spec.parent(membership, request_id)
        person = parent.person  # the request the measure belongs to
    else:
        person = parent = access.get_victim(membership, person_id, write=True)
    form = spec.form(request.POST or None, organization=organization, person=person)
    if request.method == "POST" and form.is_valid():
        record = spec.add(parent, request.user, form.cleaned_data, request=request)
        messages.success(request, spec.added)
        if kind == "request":
            return redirect("victims:measure_new", organization.slug, record.pk)
        return redirect(_person_url(person))
    _audit_form_view(request, membership, person, kind)
    context = {
        "organization": organization,
        "person": person,
        "form": form,
        "title": spec.title,
        "parent": parent if spec.parent else None,
    }
    return render(request, "victims/record_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def record_edit(request, membership, kind, record_id):
    spec = _kind(kind)
    organization = membership.organization
    record = spec.fetch(membership, record_id, write=True)
    person = spec.person_of(record)
    form_kwargs = {"organization": organization, "person": person, "instance": record}
    form = spec.form(request.POST or None, **form_kwargs)
    context = {"organization": organization, "person": person, "title": spec.title,
               "record": record}  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            spec.update(record, request.user, data, data["version"], request=request)
        except ConflictError as conflict:
            posted = request.POST.copy()
            posted["version"] = conflict.current.version
            form = spec.form(posted, **{**form_kwargs, "instance": conflict.current})
            form.is_valid()
            context.update(form=form, conflict=conflict)
            return render(request, "victims/record_form.html", context, status=409)
        messages.success(request, spec.saved)
        return redirect(_person_url(person))
    _audit_form_view(request, membership, person, kind)
    return render(request, "victims/record_form.html", {**context, "form": form})


# -- documents -------------------------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def document_new(request, membership, kind, record_id):
    if kind not in ("registration", "request"):
        raise Http404("No such kind of record")
    record = KINDS[kind].fetch(membership, record_id, write=True)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        actions.add_document(record, request.user, form.cleaned_data["document"], request=request)
        messages.success(request, _("Document attached."))
    else:
        messages.error(request, _("Choose a file of 10 MB at most."))
    return redirect(_person_url(record.person))


@organization_view(Capability.FOLLOW_VICTIMS)
def document_download(request, membership, document_id):
    document = access.get_document(membership, document_id)
    audit(request.user, membership.organization, AuditAction.VICTIM_DOCUMENT_DOWNLOAD, document,
          request=request)  # fmt: skip
    # Always a download, never rendered here: an uploaded HTML file must not run on this origin.
    response = HttpResponse(document.content, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    response["Cache-Control"] = "no-store"
    return response


# -- follow-up -------------------------------------------------------------------------------


@organization_view(Capability.FOLLOW_VICTIMS)
def owed(request, membership):
    """What the state owes the victims the organization accompanies, oldest first."""
    organization = membership.organization
    items = follow.owed_by_the_state(organization)
    audit(request.user, organization, AuditAction.VICTIMS_OWED, request=request, count=len(items))
    context = {"organization": organization, "items": items, "states": _states()}
    return render(request, "victims/owed.html", context)


@organization_view(Capability.FOLLOW_VICTIMS)
def family_timeline(request, membership, person_id):
    """A family's whole path in date order, to print for them: in Spanish, in plain words."""
    organization = membership.organization
    person = access.get_victim(membership, person_id)
    audit(request.user, organization, AuditAction.VICTIMS_TIMELINE, person, request=request)
    with translation.override("es-mx"):
        family = follow.family_of(person)
        context = {
            "organization": organization,
            "person": person,
            "family": [follow.person_label(p) for p in family],
            "steps": follow.timeline(family),
            "today": timezone.localdate(),
        }
        return render(request, "victims/timeline.html", context)


# -- figures ---------------------------------------------------------------------------------


@organization_view(Capability.READ_RECORDS)
def figures_page(request, membership):
    organization = membership.organization
    rows, total = figures.tabulate(figures.collect(organization))
    states = _states()
    for row in rows:
        row.body_label = figures.body_label(row.body)
        row.state_label = figures.state_label(row.state_code, states)
    context = {"organization": organization, "rows": rows, "total": total}
    return render(request, "victims/figures.html", context)


@organization_view(Capability.READ_RECORDS)
def figures_csv(request, membership):
    organization = membership.organization
    rows, total = figures.tabulate(figures.collect(organization))
    audit(request.user, organization, AuditAction.VICTIMS_FIGURES_EXPORT, request=request)
    response = HttpResponse(
        figures.as_csv(rows, total, _states()), content_type="text/csv; charset=utf-8"
    )
    name = _("victims-figures") + ".csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
