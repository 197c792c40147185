"""Pages of case documentation. Short: forms validate, actions write, access fetches."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.reauth import recent_auth_required
from memoria.accounts.roles import Capability
from memoria.accounts.views import _member_counts
from memoria.audit.log import audit
from memoria.cases import access, actions, listing, statistics
from memoria.cases.forms import (
    ActForm,
    AttachmentForm,
    AttributionForm,
    CaseFilterForm,
    CaseNumberForm,
    EventForm,
    InterventionForm,
    PersonForm,
    PersonSearchForm,
    RelativeEditForm,
    RelativeForm,
    SourceForm,
    TermForm,
    VictimForm,
)
from memoria.cases.history import history_entries
from memoria.cases.models import Act, Attribution, Change, Event, Person, Term, Vocabulary
from memoria.cases.search import people_for_hits, search_people


def _case_url(event: Event) -> str:
    return reverse("cases:case", args=[event.organization.slug, event.pk])


def _audit_form_view(request, organization, action: str, target, form: str) -> None:
    """An edit form opened (GET) shows decrypted identities: record it as a view."""
    if request.method == "GET":
        audit(request.user, organization, action, target, request=request, form=form)


def _conflict_context(request, conflict: actions.ConflictError, form_class, **form_kwargs):
    """Re-show the user's values with the saved ones; a new save then starts from the current."""
    data = request.POST.copy()
    data["version"] = conflict.current.version
    form = form_class(data, request.FILES or None, **form_kwargs)
    form.is_valid()
    return {"form": form, "conflict": conflict}


# -- case list and search -------------------------------------------------------------------


@organization_view(Capability.READ_RECORDS)
def case_list(request, membership):
    organization = membership.organization
    form = CaseFilterForm(request.GET or None, organization=organization)
    events = listing.filter_events(organization, form)
    page = listing.CappedPaginator(events, listing.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(
        page.object_list.select_related("state", "municipality").prefetch_related(
            Prefetch("acts", queryset=Act.objects.select_related("violation_type"))
        )
    )
    for event in rows:
        event.violation_labels = sorted({act.violation_type.label for act in event.acts.all()})
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "organization": organization,
        "form": form,
        "page": page,
        "events": rows,
        "query": query.urlencode(),
    }
    audit(request.user, organization, "case.list", request=request, page=page.number)
    return render(request, "cases/case_list.html", context)


@organization_view(Capability.READ_RECORDS)
def person_search(request, membership):
    organization = membership.organization
    form = PersonSearchForm(request.GET or None)
    people = []
    if form.is_valid():
        hits = search_people(organization, form.cleaned_data["q"])
        people = people_for_hits(organization, hits)
        audit(request.user, organization, "person.search", request=request, results=len(people))
    context = {"organization": organization, "form": form, "people": people}
    return render(request, "cases/person_search.html", context)


# -- events ---------------------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
def case_new(request, membership):
    organization = membership.organization
    form = EventForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        event = actions.register_case(organization, request.user, form.cleaned_data)
        audit(request.user, organization, "case.create", event, request=request)
        messages.success(request, _("Case recorded. Now add the victims."))
        return redirect("cases:victim_new", organization.slug, event.pk)
    context = {"organization": organization, "form": form, "step": 1}
    return render(request, "cases/event_form.html", context)


@organization_view(Capability.READ_RECORDS)
def case_detail(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    acts = event.acts.select_related("victim", "violation_type", "situation").prefetch_related(
        Prefetch("attributions", queryset=Attribution.objects.select_related("kind", "basis"))
    )
    context = {
        "organization": organization,
        "event": event,
        "acts": acts,
        "relatives": event.indirect_victims.select_related(
            "person", "direct_victim", "relationship"
        ),
        "sources": event.sources.select_related("kind").prefetch_related(
            "attachments", "acts__victim", "acts__violation_type"
        ),
        "interventions": event.interventions.select_related("kind", "victim"),
        "tags": event.tags.all(),
        "can_edit": membership.can(Capability.EDIT_RECORDS),
        "last_change": Change.objects.filter(organization=organization, event=event)
        .select_related("actor")
        .first(),
    }
    audit(request.user, organization, "case.view", event, request=request)
    return render(request, "cases/case_detail.html", context)


@organization_view(Capability.EDIT_RECORDS)
def case_edit(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    form_kwargs = {"organization": organization, "instance": event}
    form = EventForm(request.POST or None, **form_kwargs)
    context = {"organization": organization, "event": event}
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_event(
                event, request.user, form.cleaned_data, form.cleaned_data["version"]
            )
        except actions.ConflictError as conflict:
            context.update(_conflict_context(request, conflict, EventForm, **form_kwargs))
            return render(request, "cases/event_form.html", context, status=409)
        audit(request.user, organization, "case.update", event, request=request)
        messages.success(request, _("Case saved."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "case.view", event, "case")
    context["form"] = form
    return render(request, "cases/event_form.html", context)


@organization_view(Capability.VIEW_HISTORY)
@recent_auth_required
def case_history(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    changes = Change.objects.filter(organization=organization, event=event)
    victims = Person.objects.filter(organization=organization).filter(
        Q(acts__event=event) | Q(relative_of__event=event)
    )
    person_changes = Change.objects.filter(
        organization=organization, person__in=victims, event__isnull=True
    )
    entries = (changes | person_changes).select_related("actor").order_by("-at", "-id")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    audit(request.user, organization, "case.history", event, request=request)
    context = {
        "organization": organization,
        "event": event,
        "page": page,
        "entries": history_entries(page.object_list),
    }
    return render(request, "cases/history.html", context)


# -- victims and acts ----------------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
def victim_new(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    form = VictimForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        act = actions.add_victim(event, request.user, data, data, data)
        audit(request.user, organization, "person.create", act.victim, request=request)
        messages.success(request, _("Victim added to the case."))
        if request.POST.get("next") == "another":
            return redirect("cases:victim_new", organization.slug, event.pk)
        return redirect("cases:source_new", organization.slug, event.pk)
    context = {"organization": organization, "event": event, "form": form, "step": 2}
    return render(request, "cases/victim_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def act_new(request, membership, event_id, person_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    victim = access.get_person(organization, person_id)
    form = ActForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        act = actions.add_act(event, request.user, victim, form.cleaned_data)
        audit(request.user, organization, "act.create", act, request=request)
        messages.success(request, _("Violation added."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "person.view", victim, "act")
    context = {"organization": organization, "event": event, "victim": victim, "form": form}
    return render(request, "cases/act_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def act_edit(request, membership, event_id, act_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    act = access.get_act(event, act_id)
    form_kwargs = {"organization": organization, "instance": act}
    form = ActForm(request.POST or None, **form_kwargs)
    context = {"organization": organization, "event": event, "victim": act.victim, "act": act}
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_act(act, request.user, form.cleaned_data, form.cleaned_data["version"])
        except actions.ConflictError as conflict:
            context.update(_conflict_context(request, conflict, ActForm, **form_kwargs))
            return render(request, "cases/act_form.html", context, status=409)
        audit(request.user, organization, "act.update", act, request=request)
        messages.success(request, _("Violation saved."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "person.view", act.victim, "act")
    context["form"] = form
    return render(request, "cases/act_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def attribution_new(request, membership, event_id, act_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    act = access.get_act(event, act_id)
    form = AttributionForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        attribution = actions.add_attribution(act, request.user, form.cleaned_data)
        audit(request.user, organization, "perpetrator.create", attribution, request=request)
        messages.success(request, _("Perpetrator recorded."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "person.view", act.victim, "perpetrator")
    context = {"organization": organization, "event": event, "act": act, "form": form}
    return render(request, "cases/attribution_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def attribution_edit(request, membership, event_id, attribution_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    attribution = access.get_attribution(event, attribution_id)
    form_kwargs = {"organization": organization, "instance": attribution}
    form = AttributionForm(request.POST or None, **form_kwargs)
    context = {"organization": organization, "event": event, "act": attribution.act}
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_attribution(
                attribution, request.user, form.cleaned_data, form.cleaned_data["version"]
            )
        except actions.ConflictError as conflict:
            context.update(_conflict_context(request, conflict, AttributionForm, **form_kwargs))
            return render(request, "cases/attribution_form.html", context, status=409)
        audit(request.user, organization, "perpetrator.update", attribution, request=request)
        messages.success(request, _("Perpetrator saved."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "person.view", attribution.act.victim, "perpetrator")
    context["form"] = form
    return render(request, "cases/attribution_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def relative_new(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    victims = Person.objects.filter(organization=organization, acts__event=event).distinct()
    form = RelativeForm(request.POST or None, organization=organization, victims=victims)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        relative = actions.add_indirect_victim(
            event, request.user, data["direct_victim"], data["relationship"], data
        )
        audit(request.user, organization, "person.create", relative.person, request=request)
        messages.success(request, _("Relative added to the case."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "case.view", event, "relative")
    context = {"organization": organization, "event": event, "form": form}
    return render(request, "cases/relative_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def relative_edit(request, membership, event_id, relative_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    relative = access.get_indirect_victim(event, relative_id)
    victims = Person.objects.filter(organization=organization, acts__event=event).distinct()
    form_kwargs = {"organization": organization, "victims": victims, "instance": relative}
    form = RelativeEditForm(request.POST or None, **form_kwargs)
    context = {"organization": organization, "event": event, "relative": relative}
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_indirect_victim(
                relative, request.user, form.cleaned_data, form.cleaned_data["version"]
            )
        except actions.ConflictError as conflict:
            context.update(_conflict_context(request, conflict, RelativeEditForm, **form_kwargs))
            return render(request, "cases/relative_edit.html", context, status=409)
        audit(request.user, organization, "relative.update", relative, request=request)
        messages.success(request, _("Relative saved."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "person.view", relative.person, "relative")
    context["form"] = form
    return render(request, "cases/relative_edit.html", context)


# -- people ----------------------------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
def person_to_case(request, membership, person_id):
    """Record that a person already registered is a victim in another case too."""
    organization = membership.organization
    person = access.get_person(organization, person_id)
    form = CaseNumberForm(request.GET or None, organization=organization)
    if form.is_valid():
        return redirect("cases:act_new", organization.slug, form.event.pk, person.pk)
    context = {"organization": organization, "person": person, "form": form}
    return render(request, "cases/person_to_case.html", context)


@organization_view(Capability.READ_RECORDS)
def person_detail(request, membership, person_id):
    organization = membership.organization
    person = access.get_person(organization, person_id)
    acts = person.acts.select_related("event", "violation_type", "situation")
    relatives = person.relatives.select_related("person", "relationship", "event")
    relative_of = person.relative_of.select_related("direct_victim", "relationship", "event")
    audit(request.user, organization, "person.view", person, request=request)
    context = {
        "organization": organization,
        "person": person,
        "acts": acts,
        "relatives": relatives,
        "relative_of": relative_of,
    }
    return render(request, "cases/person_detail.html", context)


@organization_view(Capability.EDIT_RECORDS)
def person_edit(request, membership, person_id):
    organization = membership.organization
    person = access.get_person(organization, person_id)
    form = PersonForm(request.POST or None, instance=person)
    context = {"organization": organization, "person": person}
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_person(
                person, request.user, form.cleaned_data, form.cleaned_data["version"]
            )
        except actions.ConflictError as conflict:
            context.update(_conflict_context(request, conflict, PersonForm, instance=person))
            return render(request, "cases/person_form.html", context, status=409)
        audit(request.user, organization, "person.update", person, request=request)
        messages.success(request, _("Person saved."))
        return redirect("cases:person", organization.slug, person.pk)
    _audit_form_view(request, organization, "person.view", person, "person")
    context["form"] = form
    return render(request, "cases/person_form.html", context)


# -- sources and interventions ------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
def source_new(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    form = SourceForm(
        request.POST or None, request.FILES or None, organization=organization, event=event
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = actions.add_source(event, request.user, data, data.get("attachment"))
        audit(request.user, organization, "source.create", source, request=request)
        for attachment in source.attachments.defer("content"):
            audit(request.user, organization, "attachment.create", attachment, request=request)
        messages.success(request, _("Source added."))
        if request.POST.get("next") == "another":
            return redirect("cases:source_new", organization.slug, event.pk)
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "case.view", event, "source")
    context = {"organization": organization, "event": event, "form": form, "step": 3}
    return render(request, "cases/source_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def source_edit(request, membership, event_id, source_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    source = access.get_source(event, source_id)
    form_kwargs = {"organization": organization, "event": event, "instance": source}
    form = SourceForm(request.POST or None, **form_kwargs)
    context = {"organization": organization, "event": event, "source": source}
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_source(
                source, request.user, form.cleaned_data, form.cleaned_data["version"]
            )
        except actions.ConflictError as conflict:
            context.update(_conflict_context(request, conflict, SourceForm, **form_kwargs))
            return render(request, "cases/source_form.html", context, status=409)
        audit(request.user, organization, "source.update", source, request=request)
        messages.success(request, _("Source saved."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "case.view", event, "source")
    context["form"] = form
    context["attachment_form"] = AttachmentForm()
    return render(request, "cases/source_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def attachment_new(request, membership, event_id, source_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    source = access.get_source(event, source_id)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        attachment = actions.add_attachment(source, request.user, form.cleaned_data["attachment"])
        audit(request.user, organization, "attachment.create", attachment, request=request)
        messages.success(request, _("File attached."))
    else:
        messages.error(request, _("Choose a file of 10 MB at most."))
    return redirect(_case_url(event))


@organization_view(Capability.READ_RECORDS)
def attachment_download(request, membership, event_id, attachment_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    attachment = access.get_attachment(event, attachment_id)
    audit(request.user, organization, "attachment.download", attachment, request=request)
    # Always a download, never rendered here: an uploaded HTML file must not run on this origin.
    response = HttpResponse(attachment.content, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    response["Cache-Control"] = "no-store"
    return response


@organization_view(Capability.EDIT_RECORDS)
def intervention_new(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    form = InterventionForm(request.POST or None, organization=organization, event=event)
    if request.method == "POST" and form.is_valid():
        intervention = actions.add_intervention(event, request.user, form.cleaned_data)
        audit(request.user, organization, "intervention.create", intervention, request=request)
        messages.success(request, _("Intervention recorded."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "case.view", event, "intervention")
    context = {"organization": organization, "event": event, "form": form}
    return render(request, "cases/intervention_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def intervention_edit(request, membership, event_id, intervention_id):
    organization = membership.organization
    event = access.get_event(organization, event_id)
    intervention = access.get_intervention(event, intervention_id)
    form_kwargs = {"organization": organization, "event": event, "instance": intervention}
    form = InterventionForm(request.POST or None, **form_kwargs)
    context = {"organization": organization, "event": event}
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_intervention(
                intervention, request.user, form.cleaned_data, form.cleaned_data["version"]
            )
        except actions.ConflictError as conflict:
            context.update(_conflict_context(request, conflict, InterventionForm, **form_kwargs))
            return render(request, "cases/intervention_form.html", context, status=409)
        audit(request.user, organization, "intervention.update", intervention, request=request)
        messages.success(request, _("Intervention saved."))
        return redirect(_case_url(event))
    _audit_form_view(request, organization, "case.view", event, "intervention")
    context["form"] = form
    return render(request, "cases/intervention_form.html", context)


# -- removals --------------------------------------------------------------------------------

REMOVABLE = {
    "act": access.get_act,
    "perpetrator": access.get_attribution,
    "source": access.get_source,
    "intervention": access.get_intervention,
    "relative": access.get_indirect_victim,
    "attachment": access.get_attachment,
}


@organization_view(Capability.EDIT_RECORDS)
def remove(request, membership, event_id, kind, record_id):
    """Confirm, then remove a part of a case recorded by mistake (kept in the history)."""
    organization = membership.organization
    event = access.get_event(organization, event_id)
    if kind not in REMOVABLE:
        raise Http404("No such kind of record")
    record = REMOVABLE[kind](event, record_id)
    if request.method == "POST":
        try:
            actions.remove_record(record, request.user, int(request.POST.get("version", 0)))
        except (actions.ConflictError, ValueError):
            messages.error(
                request, _("Someone changed it meanwhile; look again before removing it.")
            )
            return redirect(_case_url(event))
        audit(request.user, organization, "case.remove", record, request=request, kind=kind)
        messages.success(request, _("Removed. The history keeps what it said."))
        return redirect(_case_url(event))
    context = {"organization": organization, "event": event, "record": record, "kind": kind}
    return render(request, "cases/remove.html", context)


# -- statistics ---------------------------------------------------------------------------


@organization_view(Capability.READ_RECORDS)
def case_statistics(request, membership):
    organization = membership.organization
    context = {
        # What the organization dashboard this page extends shows above the figures.
        "membership": membership,
        "states": organization.states.all(),
        "member_counts": _member_counts(organization),
        "organization": organization,
        **statistics.dashboard(organization),
    }
    return render(request, "cases/statistics.html", context)


# -- vocabularies --------------------------------------------------------------------------


@organization_view(Capability.MANAGE_ORGANIZATION)
def vocabularies(request, membership):
    organization = membership.organization
    terms = Term.objects.filter(organization__isnull=True) | Term.objects.filter(
        organization=organization
    )
    terms = list(terms.order_by("position", "label_es"))
    listing = [
        (vocabulary, [t for t in terms if t.vocabulary_id == vocabulary.pk])
        for vocabulary in Vocabulary.objects.all()
    ]
    context = {"organization": organization, "listing": listing}
    return render(request, "cases/vocabularies.html", context)


@organization_view(Capability.MANAGE_ORGANIZATION)
def term_new(request, membership, vocabulary_code):
    organization = membership.organization
    vocabulary = _get_vocabulary(vocabulary_code)
    form = TermForm(request.POST or None, vocabulary=vocabulary, organization=organization)
    if request.method == "POST" and form.is_valid():
        term = actions.add_term(organization, vocabulary, form.cleaned_data)
        audit(
            request.user,
            organization,
            "vocabulary.create",
            term,
            request=request,
            vocabulary=vocabulary.code,
            code=term.code,
        )
        messages.success(request, _("Term added."))
        return redirect("cases:vocabularies", organization.slug)
    context = {"organization": organization, "vocabulary": vocabulary, "form": form}
    return render(request, "cases/term_form.html", context)


@organization_view(Capability.MANAGE_ORGANIZATION)
def term_edit(request, membership, term_id):
    organization = membership.organization
    term = access.get_own_term(organization, term_id)
    initial = {f: getattr(term, f) for f in ("label_es", "label_en", "position", "is_active")}
    initial["state_actor"] = term.state_actor
    form = TermForm(
        request.POST or None,
        vocabulary=term.vocabulary,
        organization=organization,
        instance=term,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        actions.update_term(term, form.cleaned_data)
        audit(
            request.user,
            organization,
            "vocabulary.update",
            term,
            request=request,
            vocabulary=term.vocabulary.code,
            code=term.code,
        )
        messages.success(request, _("Term saved."))
        return redirect("cases:vocabularies", organization.slug)
    context = {"organization": organization, "vocabulary": term.vocabulary, "form": form}
    return render(request, "cases/term_form.html", context)


def _get_vocabulary(code: str) -> Vocabulary:
    # Vocabularies are shared by the whole network: they hold no organization's records.
    return get_object_or_404(Vocabulary, code=code)
