"""The one way pages fetch case records: for a viewer, with what they may do.

``get_event(viewer, event_id)`` and one helper per kind of record return the
record with a ``RecordAccess`` in ``record.access`` (read, write, see
identities), or answer 404: for a record of another organization that was not
shared with the viewer's, for a child record (an act, a source…) that does not
belong to the case in the URL, and for a write to a record the viewer may only
read. Sharing between organizations is decided here and in
``memoria.sharing``, nowhere else.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from memoria.accounts.access import get_for_organization
from memoria.accounts.models import Organization
from memoria.accounts.viewer import RecordAccess, Viewer, own_access
from memoria.cases.models import (
    Act,
    Attachment,
    Attribution,
    Event,
    IndirectVictim,
    Intervention,
    Person,
    Source,
    Term,
)
from memoria.sharing.access import SharedView, shared_with


def events_of(organization: Organization) -> QuerySet[Event]:
    return Event.objects.filter(organization=organization)


def _granted(record: Model, access: RecordAccess, *, write: bool) -> Model:
    if write and not access.write:
        raise Http404("No such record")
    record.access = access
    return record


def _own_or_shared(viewer: Viewer, queryset: QuerySet, object_id, *, write: bool, shared: bool):
    record = queryset.filter(organization=viewer.organization, pk=_int(object_id)).first()
    if record is not None:
        return _granted(record, own_access(viewer), write=write)
    if shared and not write:
        view = shared_with(viewer, queryset.model, object_id)
        if view is not None:
            return view
    raise Http404("No such record")


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such record") from None


def get_event(
    viewer: Viewer, event_id, *, write: bool = False, shared: bool = False
) -> Event | SharedView:
    """The case ``event_id``: the viewer's organization's, or (``shared=True``) one shared with it.

    A shared case comes back as a ``SharedView`` holding only the granted
    fields; pages that show a whole case or change it leave ``shared`` off.
    """
    queryset = Event.objects.select_related("organization")
    return _own_or_shared(viewer, queryset, event_id, write=write, shared=shared)


def get_history_of(record: Event | Person) -> Event | Person:
    """``record`` (fetched for the viewer) if the viewer may read its history; 403 otherwise."""
    if not record.access.history:
        raise PermissionDenied("Your role does not allow reading this history")
    return record


def get_person(
    viewer: Viewer, person_id, *, write: bool = False, shared: bool = False
) -> Person | SharedView:
    queryset = Person.objects.select_related("organization")
    return _own_or_shared(viewer, queryset, person_id, write=write, shared=shared)


def _part(case: Event, queryset: QuerySet, record_id, **lookup) -> Model:
    """A part of ``event`` (fetched for the viewer first): it inherits the case's access."""
    record = get_for_organization(queryset, case.organization, pk=record_id, **lookup)
    record.access = case.access
    return record


def get_act(event: Event, act_id) -> Act:
    queryset = Act.objects.select_related("victim", "violation_type", "event")
    return _part(event, queryset, act_id, event=event)


def get_attribution(event: Event, attribution_id) -> Attribution:
    queryset = Attribution.objects.select_related("act", "act__victim", "event", "basis")
    return _part(event, queryset, attribution_id, event=event)


def get_indirect_victim(event: Event, relative_id) -> IndirectVictim:
    queryset = IndirectVictim.objects.select_related("person", "direct_victim")
    return _part(event, queryset, relative_id, event=event)


def get_source(event: Event, source_id) -> Source:
    queryset = Source.objects.select_related("event", "kind")
    return _part(event, queryset, source_id, event=event)


def get_attachment(event: Event, attachment_id) -> Attachment:
    queryset = Attachment.objects.select_related("source")
    return _part(event, queryset, attachment_id, source__event=event)


def get_intervention(event: Event, intervention_id) -> Intervention:
    queryset = Intervention.objects.select_related("event", "kind", "victim")
    return _part(event, queryset, intervention_id, event=event)


def get_victim_of(event: Event, person_id) -> Person:
    """A person of the event's organization, to record one more act of theirs in ``event``."""
    return _part(event, Person.objects.all(), person_id)


def get_own_term(viewer: Viewer, term_id) -> Term:
    """A term the viewer's organization added itself (shared terms are not theirs to edit)."""
    queryset = Term.objects.select_related("vocabulary")
    return get_for_organization(queryset, viewer.organization, pk=term_id)
