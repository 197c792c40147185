"""Pages of case documentation. Short: forms validate, actions write, access fetches."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.reauth import has_recent_auth, reauth_url
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases import access, actions, duplicates, listing, statistics
from memoria.cases.forms import (
    ActForm,
    AttachmentForm,
    AttributionForm,
    CaseFilterForm,
    CaseNumberForm,
    CaseSearchForm,
    EventForm,
    InterventionForm,
    MatchQueryForm,
    PartForm,
    PersonForm,
    PersonSearchForm,
    RelativeEditForm,
    RelativeForm,
    SourceForm,
    StatisticsFilterForm,
    TermForm,
    VictimForm,
)
from memoria.cases.history import history_entries
from memoria.cases.models import (
    Act,
    Attribution,
    Change,
    Event,
    IndirectVictim,
    Person,
    Term,
    Vocabulary,
)
from memoria.cases.search import people_for_hits, search_people
from memoria.sharing.access import SharedView
from memoria.sharing.actions import record_shared_view


def _by_date(records) -> list:
    """Records in date order, undated last: their dates are encrypted, so sorted here."""
    return sorted(records, key=lambda r: (r.date is None, r.date or datetime.date.min, r.pk))


def _case_url(event: Event) -> str:
    return reverse("cases:case", args=[event.organization.slug, event.pk])


def _audit_form_view(request, viewer, action: str, target, form: str) -> None:
    """An edit form opened (GET) shows decrypted identities: record it as a view."""
    if request.method == "GET":
        audit(request.user, viewer.organization, action, target, request=request, form=form)


def _conflict_form(request, conflict: actions.ConflictError, form_class, **form_kwargs):
    """Re-show the user's values with the saved ones; a new save then starts from the current."""
    data = request.POST.copy()
    data["version"] = conflict.current.version
    form = form_class(data, request.FILES or None, **form_kwargs)
    form.is_valid()
    return form


def _versioned_edit(request, viewer, *, record, form_class, form_kwargs, update, shows, template,
                    context, saved_message, done_url):  # fmt: skip
    """The one edit mechanism: show the form, save through an action, or explain a conflict.

    ``update(record, actor, data, version, request=...)`` is the record's
    action (it writes, keeps the history and audits in one transaction);
    ``shows`` is the (audit action, record, form name) an opened form is
    audited as, since it shows identities.
    """
    form = form_class(request.POST or None, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            update(record, request.user, data, data["version"], request=request)
        except actions.ConflictError as conflict:
            form = _conflict_form(request, conflict, form_class, **form_kwargs)
            context = {**context, "form": form, "conflict": conflict}
            return render(request, template, context, status=409)
        messages.success(request, saved_message)
        return redirect(done_url)
    _audit_form_view(request, viewer, *shows)
    return render(request, template, {**context, "form": form})


# -- case list and search -------------------------------------------------------------------


@organization_view(Capability.READ_RECORDS)
def case_list(request, membership):
    organization = membership.organization
    form = CaseFilterForm(request.GET or None, organization=organization)
    events = listing.filter_events(organization, form)
    paginator = listing.ListPaginator(events, listing.PAGE_SIZE, listing.sort_of(form))
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "organization": organization,
        "form": form,
        "search_form": CaseSearchForm(),
        "page": page,
        "events": _with_violations(list(page.object_list)),
        "query": query.urlencode(),
    }
    audit(request.user, organization, AuditAction.CASE_LIST, request=request, page=page.number)
    return render(request, "cases/case_list.html", context)


def _case_roles(person: Person) -> list[str]:
    """What a person found by a search is in the organization's cases, with the case numbers:
    a victim, or whose relative (only when recorded as one), or in no case at all."""
    numbers = sorted({act.event.number for act in person.acts.all()})
    roles = [_("Victim in case #%(number)s") % {"number": number} for number in numbers]
    for relative in person.relative_of.all():
        victim = relative.direct_victim
        roles.append(
            _("%(relationship)s of %(name)s, case #%(number)s")
            % {
                "relationship": relative.relationship.label,
                "name": victim.full_name or victim.aliases or _("a victim"),
                "number": relative.event.number,
            }
        )
    return roles or [_("In no case")]


def _with_violations(events: list[Event]) -> list[Event]:
    # The state and municipality are encrypted references, read from a cache.
    prefetch_related_objects(
        events, Prefetch("acts", queryset=Act.objects.select_related("violation_type"))
    )
    for event in events:
        event.violation_labels = sorted({act.violation_type.label for act in event.acts.all()})
    return events


@organization_view(Capability.READ_RECORDS)
def case_search(request, membership):
    """The case list's search box. A case number opens the case; a name lists the cases
    of the people it matches. It arrives by POST, so a name never enters an address
    (server logs, browser history, Referer headers)."""
    organization = membership.organization
    if request.method != "POST":
        return redirect("cases:list", organization.slug)
    search_form = CaseSearchForm(request.POST)
    context = {
        "organization": organization,
        "form": CaseFilterForm(None, organization=organization),
        "search_form": search_form,
        "searched": True,
        "events": [],
    }
    if search_form.is_valid():
        text = search_form.cleaned_data["q"]
        number = listing.case_number(text)
        if number is not None:
            event = access.events_of(organization).filter(number=number).first()
            if event is not None:
                return redirect("cases:case", organization.slug, event.pk)
            context["missing_number"] = number
        else:
            people = people_for_hits(organization, search_people(organization, text))
            events = listing.cases_of_people(organization, [p.pk for p in people])
            for event in _with_violations(events):
                event.matched_people = _people_in(event, people)
            context.update(events=events, people=people)
            audit(
                request.user,
                organization,
                AuditAction.PERSON_SEARCH,
                request=request,
                results=len(people),
                cases=len(events),
            )
    return render(request, "cases/case_list.html", context)


def _people_in(event: Event, people: list[Person]) -> list[Person]:
    ids = set(event.acts.values_list("victim_id", flat=True))
    ids |= set(event.indirect_victims.values_list("person_id", flat=True))
    return [person for person in people if person.pk in ids]


@organization_view(Capability.READ_RECORDS)
def person_search(request, membership):
    """Find a person by name. The name travels in the body of a POST, never in the address,
    so it stays out of server and proxy logs, the browser's history and Referer headers."""
    organization = membership.organization
    form = PersonSearchForm(request.POST if request.method == "POST" else None)
    people = []
    if form.is_valid():
        hits = search_people(organization, form.cleaned_data["q"])
        people = people_for_hits(organization, hits)
        for person in people:
            person.case_roles = _case_roles(person)
        audit(
            request.user,
            organization,
            AuditAction.PERSON_SEARCH,
            request=request,
            results=len(people),
        )
    context = {"organization": organization, "form": form, "people": people}
    return render(request, "cases/person_search.html", context)


# -- events ---------------------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
def case_new(request, membership):
    organization = membership.organization
    form = EventForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        event = actions.register_case(
            organization, request.user, form.cleaned_data, request=request
        )
        messages.success(request, _("Case recorded. Now add the victims."))
        return redirect("cases:victim_new", organization.slug, event.pk)
    context = {"organization": organization, "form": form, "step": 1}
    return render(request, "cases/event_form.html", context)


@organization_view(Capability.READ_RECORDS)
def case_detail(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(membership, event_id, shared=True)
    if isinstance(event, SharedView):
        record_shared_view(membership, event, request=request)
        context = {"organization": organization, "shared": event}
        return render(request, "cases/shared_record.html", context)
    acts = event.acts.select_related("victim", "violation_type").prefetch_related(
        Prefetch("attributions", queryset=Attribution.objects.select_related("basis"))
    )
    context = {
        "organization": organization,
        "event": event,
        "acts": acts,
        "relatives": event.indirect_victims.select_related("person", "direct_victim"),
        "sources": event.sources.select_related("kind").prefetch_related(
            "attachments", "acts__victim", "acts__violation_type"
        ),
        "interventions": _by_date(event.interventions.select_related("kind", "victim")),
        "tags": event.tags.all(),
        "can_edit": event.access.write,
        "last_change": Change.objects.filter(organization=organization, event=event)
        .select_related("actor")
        .first(),
    }
    audit(request.user, organization, AuditAction.CASE_VIEW, event, request=request)
    return render(request, "cases/case_detail.html", context)


@organization_view(Capability.EDIT_RECORDS)
def case_edit(request, membership, event_id):
    event = access.get_event(membership, event_id, write=True)
    return _versioned_edit(
        request,
        membership,
        record=event,
        form_class=EventForm,
        form_kwargs={"organization": membership.organization, "instance": event},
        update=actions.update_event,
        shows=(AuditAction.CASE_VIEW, event, "case"),
        template="cases/event_form.html",
        context={"organization": membership.organization, "event": event},
        saved_message=_("Case saved."),
        done_url=_case_url(event),
    )


def _history_page(request, viewer, record, changes, template_context: dict):
    """The history of ``record`` (a case or a person): who changed what and when.

    A history shows identities as they were, so it asks for a fresh password
    and code first; a role that may not read it gets 403 before that.
    """
    if not has_recent_auth(request):
        return redirect(reauth_url(request.get_full_path()))
    organization = viewer.organization
    entries = changes.select_related("actor").order_by("-at", "-id")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    action = AuditAction.CASE_HISTORY if isinstance(record, Event) else AuditAction.PERSON_HISTORY
    audit(request.user, organization, action, record, request=request)
    context = {
        "organization": organization,
        "page": page,
        "entries": history_entries(page.object_list, viewer),
        **template_context,
    }
    return render(request, "cases/history.html", context)


@organization_view(Capability.READ_RECORDS)
def case_history(request, membership, event_id):
    organization = membership.organization
    event = access.get_history_of(access.get_event(membership, event_id))
    changes = Change.objects.filter(organization=organization, event=event)
    victims = Person.objects.filter(organization=organization).filter(
        Q(acts__event=event) | Q(relative_of__event=event)
    )
    person_changes = Change.objects.filter(
        organization=organization, person__in=victims, event__isnull=True
    )
    return _history_page(request, membership, event, changes | person_changes, {"event": event})


@organization_view(Capability.READ_RECORDS)
def person_history(request, membership, person_id):
    organization = membership.organization
    person = access.get_history_of(access.get_person(membership, person_id))
    changes = Change.objects.filter(organization=organization, person=person)
    return _history_page(request, membership, person, changes, {"person": person})


# -- people already recorded -----------------------------------------------------------------


def _show_matches(request, membership, data: dict, *, exclude=None) -> list:
    """The likely matches of a person being entered; showing them is audited like a search."""
    candidates = duplicates.likely_matches(membership.organization, data, exclude=exclude)
    if candidates:
        audit(
            request.user,
            membership.organization,
            AuditAction.PERSON_MATCHES,
            request=request,
            results=len(candidates),
        )
    return candidates


def _who_is_it(request, membership, data: dict, *, exclude=None):
    """Before registering someone new: (the person already recorded the documenter says
    it is, or None; the likely matches to show instead of saving, if any).

    Nothing is asked once the documenter has said it is a different person.
    ``exclude`` (a relative's direct victim) is never offered as a match.
    """
    chosen = request.POST.get("same_person")
    if chosen:
        return access.get_person(membership, chosen, write=True), []
    if request.POST.get("different_person"):
        return None, []
    return None, _show_matches(request, membership, data, exclude=exclude)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def person_matches(request, membership):
    """The people already recorded a half-typed name may be (for matches.js).

    The name travels in the body of a POST, like a search, never in the address.
    """
    form = MatchQueryForm(request.POST)
    form.is_valid()  # a half-typed date is no reason not to look the name up
    data = form.cleaned_data
    candidates = _show_matches(request, membership, data, exclude=data.get("exclude"))
    context = {
        "organization": membership.organization,
        "candidates": candidates,
        "choose": data.get("choose", False),
        "live": True,
    }
    return render(request, "cases/_matches.html", context)


# -- the wizard's steps ---------------------------------------------------------------------


def _wizard_people(event: Event):
    """The direct victims recorded so far, each with their relatives in this case."""
    relatives = event.indirect_victims.select_related("person")
    victims = victims_in(event)
    for victim in victims:
        victim.case_relatives = [r for r in relatives if r.direct_victim_id == victim.pk]
    return victims


def victims_in(event: Event) -> list[Person]:
    return list(
        Person.objects.filter(organization=event.organization, acts__event=event)
        .distinct()
        .order_by("pk")
    )


def _relative_url(event: Event, victim_id: int) -> str:
    url = reverse("cases:relative_new", args=[event.organization.slug, event.pk])
    return f"{url}?step=victims&victim={victim_id}"


@organization_view(Capability.EDIT_RECORDS)
def victim_new(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(membership, event_id, write=True)
    form = VictimForm(request.POST or None, organization=organization, event=event)
    candidates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person, candidates = _who_is_it(request, membership, data)
        if not candidates:
            act = actions.add_victim(
                event, request.user, data, data, data, person=person, request=request
            )
            if person is None:
                messages.success(request, _("Victim added to the case."))
            else:
                messages.success(
                    request, _("The person already recorded was added to this case as a victim.")
                )
            following = request.POST.get("next")
            if following == "another" or (person is not None and not following):
                # Back to the step after linking someone: it lists them, to add relatives.
                return redirect("cases:victim_new", organization.slug, event.pk)
            if following == "relative":
                return redirect(_relative_url(event, act.victim_id))
            return redirect("cases:source_new", organization.slug, event.pk)
    elif form.is_bound:
        # The name may be fine while another field is not: offer the matches already.
        candidates = _show_matches(request, membership, form.cleaned_data)
    people = _wizard_people(event)
    if people or candidates:
        _audit_form_view(request, membership, AuditAction.CASE_VIEW, event, "victim")
    context = {
        "organization": organization,
        "event": event,
        "form": form,
        "step": 2,
        "people": people,
        "candidates": candidates,
        "choose": True,
    }
    return render(request, "cases/victim_form.html", context)


@organization_view(Capability.EDIT_RECORDS)
def source_new(request, membership, event_id):
    organization = membership.organization
    event = access.get_event(membership, event_id, write=True)
    form = SourceForm(
        request.POST or None, request.FILES or None, organization=organization, event=event
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.add_source(event, request.user, data, data.get("attachment"), request=request)
        messages.success(request, _("Source added."))
        if request.POST.get("next") == "another":
            return redirect("cases:source_new", organization.slug, event.pk)
        return redirect(_case_url(event))
    _audit_form_view(request, membership, AuditAction.CASE_VIEW, event, "source")
    context = {"organization": organization, "event": event, "form": form, "step": 3}
    return render(request, "cases/source_form.html", context)


# -- the other parts of a case: one table, one view to add and one to edit ---------------------


@dataclass(frozen=True)
class Part:
    """How a page adds and edits one kind of part of a case.

    ``parent`` fetches what a new part hangs from (the victim of a new act,
    the act of a new attribution); ``shows`` names the record whose
    identities the form displays, for the audit of an opened form.
    """

    form: type[PartForm]
    template: str
    fetch: Callable  # (event, record id) -> the record, for the viewer (cases.access)
    add: Callable | None  # (event, parent, actor, data, request) -> the new record
    update: Callable  # actions.update_x(record, actor, data, version, request=...)
    added: str
    saved: str
    shows: Callable  # (event, record or parent) -> (audit action, record)
    context: Callable = lambda record: {}  # noqa: E731 - extra template context
    parent: Callable | None = None  # (event, parent id) -> the parent record


def _shows_case(event, _record):
    return AuditAction.CASE_VIEW, event


def _shows_victim(_event, record):
    """The victim an act or attribution form shows (for a new act: the person it is for)."""
    if isinstance(record, Attribution):
        record = record.act
    return AuditAction.PERSON_VIEW, record.victim if isinstance(record, Act) else record


PARTS = {
    "act": Part(
        form=ActForm,
        template="cases/act_form.html",
        fetch=access.get_act,
        parent=access.get_victim_of,
        add=lambda event, victim, actor, data, request: actions.add_act(
            event, actor, victim, data, request=request
        ),
        update=actions.update_act,
        added=gettext_lazy("Violation added."),
        saved=gettext_lazy("Violation saved."),
        shows=_shows_victim,
        context=lambda record: (
            {"victim": record.victim, "act": record}
            if isinstance(record, Act)
            else {"victim": record}
        ),
    ),
    "perpetrator": Part(
        form=AttributionForm,
        template="cases/attribution_form.html",
        fetch=access.get_attribution,
        parent=access.get_act,
        add=lambda event, act, actor, data, request: actions.add_attribution(
            act, actor, data, request=request
        ),
        update=actions.update_attribution,
        added=gettext_lazy("Perpetrator recorded."),
        saved=gettext_lazy("Perpetrator saved."),
        shows=_shows_victim,
        context=lambda record: {"act": getattr(record, "act", record)},
    ),
    "relative": Part(
        form=RelativeEditForm,
        template="cases/relative_edit.html",
        fetch=access.get_indirect_victim,
        add=None,  # a new relative is a person too: RelativeForm, below
        update=actions.update_indirect_victim,
        added="",
        saved=gettext_lazy("Relative saved."),
        shows=lambda event, record: (AuditAction.PERSON_VIEW, record.person),
        context=lambda record: {"relative": record},
    ),
    "source": Part(
        form=SourceForm,
        template="cases/source_form.html",
        fetch=access.get_source,
        add=None,  # a wizard step with its own page: source_new
        update=actions.update_source,
        added="",
        saved=gettext_lazy("Source saved."),
        shows=_shows_case,
        context=lambda record: {"source": record, "attachment_form": AttachmentForm()},
    ),
    "intervention": Part(
        form=InterventionForm,
        template="cases/intervention_form.html",
        fetch=access.get_intervention,
        add=lambda event, _parent, actor, data, request: actions.add_intervention(
            event, actor, data, request=request
        ),
        update=actions.update_intervention,
        added=gettext_lazy("Intervention recorded."),
        saved=gettext_lazy("Intervention saved."),
        shows=_shows_case,
    ),
}


def _only_id(ids: dict) -> int:
    (value,) = ids.values()
    return value


def _part(kind: str) -> Part:
    if kind not in PARTS:
        raise Http404("No such kind of record")
    return PARTS[kind]


@organization_view(Capability.EDIT_RECORDS)
def part_new(request, membership, event_id, kind, **parent):
    """Add an act, a perpetrator or an intervention to a case.

    The route's one other id, if any, names the parent (``person_id``, ``act_id``).
    """
    part = _part(kind)
    parent_id = _only_id(parent) if parent else None
    if part.add is None:
        raise Http404("Added on its own page")
    organization = membership.organization
    event = access.get_event(membership, event_id, write=True)
    parent = part.parent(event, parent_id) if part.parent else None
    form = part.form(request.POST or None, organization=organization, event=event)
    if request.method == "POST" and form.is_valid():
        part.add(event, parent, request.user, form.cleaned_data, request)
        messages.success(request, part.added)
        return redirect(_case_url(event))
    _audit_form_view(request, membership, *part.shows(event, parent), kind)
    context = {"organization": organization, "event": event, "form": form}
    if parent is not None:
        context.update(part.context(parent))
    return render(request, part.template, context)


@organization_view(Capability.EDIT_RECORDS)
def part_edit(request, membership, event_id, kind, **record):
    """Edit an act, a perpetrator, a relative, a source or an intervention of a case.

    The route's one other id names the record (``act_id``, ``source_id``…).
    """
    part = _part(kind)
    record_id = _only_id(record)
    organization = membership.organization
    event = access.get_event(membership, event_id, write=True)
    record = part.fetch(event, record_id)
    return _versioned_edit(
        request,
        membership,
        record=record,
        form_class=part.form,
        form_kwargs={"organization": organization, "event": event, "instance": record},
        update=part.update,
        shows=(*part.shows(event, record), kind),
        template=part.template,
        context={"organization": organization, "event": event, **part.context(record)},
        saved_message=part.saved,
        done_url=_case_url(event),
    )


@organization_view(Capability.EDIT_RECORDS)
def relative_new(request, membership, event_id):
    """A relative is a person too: the form registers them and their relationship.

    Reached from the case, or from the wizard's victim step (``?step=victims``,
    with ``victim`` the direct victim they are a relative of), where saving
    leads on to another relative, another victim or the sources.
    """
    organization = membership.organization
    event = access.get_event(membership, event_id, write=True)
    in_wizard = request.GET.get("step") == "victims"
    initial = {"direct_victim": request.GET.get("victim")} if request.GET.get("victim") else {}
    form = RelativeForm(
        request.POST or None, organization=organization, event=event, initial=initial
    )
    candidates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        victim = data["direct_victim"]
        person, candidates = _who_is_it(request, membership, data, exclude=victim.pk)
        problem = _relative_problem(event, victim, person)
        if problem:
            form.add_error(None, problem)
        elif not candidates:
            actions.add_indirect_victim(
                event, request.user, victim, data["relationship"], data, person=person,
                request=request,
            )  # fmt: skip
            messages.success(request, _("Relative added to the case."))
            return redirect(_after_relative(event, request.POST.get("next"), victim, in_wizard))
    elif form.is_bound:  # (an empty POST leaves the form unbound: nothing to match)
        victim = form.cleaned_data.get("direct_victim")
        exclude = victim.pk if victim else None
        candidates = _show_matches(request, membership, form.cleaned_data, exclude=exclude)
    _audit_form_view(request, membership, AuditAction.CASE_VIEW, event, "relative")
    context = {
        "organization": organization,
        "event": event,
        "form": form,
        "candidates": candidates,
        "choose": True,
        "step": 2 if in_wizard else None,
    }
    return render(request, "cases/relative_form.html", context)


def _relative_problem(event: Event, victim: Person, person: Person | None) -> str | None:
    """Why a person already recorded cannot be linked as this victim's relative, if so."""
    if person is None:
        return None
    if person.pk == victim.pk:
        return _("A victim cannot be recorded as their own relative: choose another person.")
    if IndirectVictim.objects.filter(event=event, direct_victim=victim, person=person).exists():
        return _("This person is already recorded as this victim's relative in this case.")
    return None


def _after_relative(event: Event, following: str | None, victim: Person, in_wizard: bool) -> str:
    if not in_wizard:
        return _case_url(event)
    slug = event.organization.slug
    if following == "relative":
        return _relative_url(event, victim.pk)
    if following == "victim":
        return reverse("cases:victim_new", args=[slug, event.pk])
    return reverse("cases:source_new", args=[slug, event.pk])


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def attachment_new(request, membership, event_id, source_id):
    event = access.get_event(membership, event_id, write=True)
    source = access.get_source(event, source_id)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        actions.add_attachment(
            source, request.user, form.cleaned_data["attachment"], request=request
        )
        messages.success(request, _("File attached."))
    else:
        messages.error(request, _("Choose a file of 10 MB at most."))
    return redirect(_case_url(event))


@organization_view(Capability.READ_RECORDS)
def attachment_download(request, membership, event_id, attachment_id):
    organization = membership.organization
    event = access.get_event(membership, event_id)
    attachment = access.get_attachment(event, attachment_id)
    audit(request.user, organization, AuditAction.ATTACHMENT_DOWNLOAD, attachment, request=request)
    # Always a download, never rendered here: an uploaded HTML file must not run on this origin.
    response = HttpResponse(attachment.content, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    response["Cache-Control"] = "no-store"
    return response


# -- people ----------------------------------------------------------------------------------


@organization_view(Capability.EDIT_RECORDS)
def person_to_case(request, membership, person_id):
    """Record that a person already registered is a victim in another case too."""
    organization = membership.organization
    person = access.get_person(membership, person_id, write=True)
    form = CaseNumberForm(request.GET or None, organization=organization)
    if form.is_valid():
        return redirect("cases:act_new", organization.slug, form.event.pk, person.pk)
    context = {"organization": organization, "person": person, "form": form}
    return render(request, "cases/person_to_case.html", context)


@organization_view(Capability.READ_RECORDS)
def person_detail(request, membership, person_id):
    organization = membership.organization
    person = access.get_person(membership, person_id, shared=True)
    if isinstance(person, SharedView):
        record_shared_view(membership, person, request=request)
        context = {"organization": organization, "shared": person}
        return render(request, "cases/shared_record.html", context)
    acts = person.acts.select_related("event", "violation_type")
    relatives = person.relatives.select_related("person", "event")
    relative_of = person.relative_of.select_related("direct_victim", "event")
    audit(request.user, organization, AuditAction.PERSON_VIEW, person, request=request)
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
    person = access.get_person(membership, person_id, write=True)
    return _versioned_edit(
        request,
        membership,
        record=person,
        form_class=PersonForm,
        form_kwargs={"instance": person},
        update=actions.update_person,
        shows=(AuditAction.PERSON_VIEW, person, "person"),
        template="cases/person_form.html",
        context={"organization": organization, "person": person},
        saved_message=_("Person saved."),
        done_url=reverse("cases:person", args=[organization.slug, person.pk]),
    )


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
    event = access.get_event(membership, event_id, write=True)
    if kind not in REMOVABLE:
        raise Http404("No such kind of record")
    record = REMOVABLE[kind](event, record_id)
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", 0))
            actions.remove_record(record, request.user, version, kind=kind, request=request)
        except (actions.ConflictError, ValueError):
            messages.error(
                request, _("Someone changed it meanwhile; look again before removing it.")
            )
            return redirect(_case_url(event))
        messages.success(request, _("Removed. The history keeps what it said."))
        return redirect(_case_url(event))
    _audit_form_view(request, membership, AuditAction.CASE_VIEW, event, "remove")
    context = {"organization": organization, "event": event, "record": record, "kind": kind}
    return render(request, "cases/remove.html", context)


# -- statistics ---------------------------------------------------------------------------


@organization_view(Capability.READ_RECORDS)
def case_statistics(request, membership):
    organization = membership.organization
    form = StatisticsFilterForm(request.GET or None, organization=organization)
    filters, measure, municipal_map = None, "count", False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        violation = data.get("violation_type")
        filters = statistics.Filters.from_dates(
            data.get("date_from"),
            data.get("date_to"),
            data["state"].pk if data.get("state") else None,
            violation.pk if violation else None,
        )
        measure = data.get("measure") or "count"
        municipal_map = data.get("map") == "municipalities"
    filtered = filters is not None and filters != statistics.Filters()
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}

    def render_figures(figures: dict) -> str:
        context = {"organization": organization, "filtered": filtered, "chosen": chosen}
        return render_to_string("cases/_figures.html", {**context, **figures})

    # From the index only (no SQL count), and kept for the same index version and
    # filters: see docs/benchmarks.md.
    figures_html = statistics.rendered(
        organization, filters, render_figures, measure=measure, municipal_map=municipal_map
    )
    context = {"organization": organization, "form": form, "figures_html": figures_html}
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
        actions.add_term(
            organization, vocabulary, form.cleaned_data, actor=request.user, request=request
        )
        messages.success(request, _("Term added."))
        return redirect("cases:vocabularies", organization.slug)
    context = {"organization": organization, "vocabulary": vocabulary, "form": form}
    return render(request, "cases/term_form.html", context)


@organization_view(Capability.MANAGE_ORGANIZATION)
def term_edit(request, membership, term_id):
    organization = membership.organization
    term = access.get_own_term(membership, term_id)
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
        actions.update_term(term, form.cleaned_data, actor=request.user, request=request)
        messages.success(request, _("Term saved."))
        return redirect("cases:vocabularies", organization.slug)
    context = {"organization": organization, "vocabulary": term.vocabulary, "form": form}
    return render(request, "cases/term_form.html", context)


def _get_vocabulary(code: str) -> Vocabulary:
    # Vocabularies are shared by the whole network: they hold no organization's records.
    return get_object_or_404(Vocabulary, code=code)
