"""The one way pages fetch a victim's path: for a viewer, with what they may do.

Every helper answers 404 for a record of another organization (an outsider
learns nothing) and for a write to a record the viewer may only read; the
record comes back with a ``RecordAccess`` in ``record.access``. The pages
themselves ask ``Capability.FOLLOW_VICTIMS`` (readers, documenters and
coordinators; analysts see the figures only) or ``EDIT_RECORDS``.
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from memoria.accounts.access import get_for_organization
from memoria.accounts.viewer import Viewer, own_access
from memoria.cases.models import Act, Event, Person
from memoria.victims.models import (
    Appeal,
    CommissionRequest,
    Measure,
    Registration,
    VictimDocument,
)


def _granted(viewer: Viewer, record: Model, *, write: bool) -> Model:
    access = own_access(viewer)
    if write and not access.write:
        raise Http404("No such record")
    record.access = access
    return record


def victims_of(organization) -> QuerySet[Person]:
    """Everyone the organization's cases name as a victim, direct or indirect."""
    return (
        Person.objects.filter(organization=organization)
        .filter(Q(acts__isnull=False) | Q(relative_of__isnull=False))
        .distinct()
    )


def get_victim(viewer: Viewer, person_id, *, write: bool = False) -> Person:
    """A person the viewer's organization recorded as a victim in one of its cases."""
    person = get_for_organization(
        victims_of(viewer.organization), viewer.organization, pk=person_id
    )
    return _granted(viewer, person, write=write)


def _get(viewer: Viewer, queryset: QuerySet, record_id, *, write: bool) -> Model:
    record = get_for_organization(queryset, viewer.organization, pk=record_id)
    return _granted(viewer, record, write=write)


def get_registration(viewer: Viewer, registration_id, *, write: bool = False) -> Registration:
    queryset = Registration.objects.select_related("person", "event", "accompanied_by")
    return _get(viewer, queryset, registration_id, write=write)


def get_request(viewer: Viewer, request_id, *, write: bool = False) -> CommissionRequest:
    queryset = CommissionRequest.objects.select_related("person", "event", "accompanied_by")
    return _get(viewer, queryset, request_id, write=write)


def get_measure(viewer: Viewer, measure_id, *, write: bool = False) -> Measure:
    queryset = Measure.objects.select_related("request", "request__person", "request__event")
    return _get(viewer, queryset, measure_id, write=write)


def get_appeal(viewer: Viewer, appeal_id, *, write: bool = False) -> Appeal:
    queryset = Appeal.objects.select_related("person", "registration", "request")
    return _get(viewer, queryset, appeal_id, write=write)


def get_document(viewer: Viewer, document_id) -> VictimDocument:
    queryset = VictimDocument.objects.select_related("registration", "request")
    return _get(viewer, queryset, document_id, write=False)


def is_direct_victim(person: Person, event: Event) -> bool:
    """Whether ``person`` is a direct victim in ``event`` (an act names them); else indirect."""
    return Act.objects.filter(event=event, victim=person).exists()
