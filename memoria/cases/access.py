"""The one way views fetch case records: always within the member's organization.

Each helper answers 404 for a record of another organization, or for a child
record (an act, a source…) that does not belong to the case in the URL.
"""

from __future__ import annotations

from django.db.models import QuerySet

from memoria.accounts.access import get_for_organization
from memoria.accounts.models import Organization
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


def events_of(organization: Organization) -> QuerySet[Event]:
    return Event.objects.filter(organization=organization)


def get_event(organization: Organization, event_id: int) -> Event:
    queryset = Event.objects.select_related("state", "municipality")
    return get_for_organization(queryset, organization, pk=event_id)


def get_person(organization: Organization, person_id: int) -> Person:
    return get_for_organization(Person.objects.all(), organization, pk=person_id)


def get_act(event: Event, act_id: int) -> Act:
    queryset = Act.objects.select_related("victim", "violation_type", "situation", "event")
    return get_for_organization(queryset, event.organization, pk=act_id, event=event)


def get_attribution(event: Event, attribution_id: int) -> Attribution:
    queryset = Attribution.objects.select_related("act", "event", "kind", "basis")
    return get_for_organization(queryset, event.organization, pk=attribution_id, event=event)


def get_indirect_victim(event: Event, relative_id: int) -> IndirectVictim:
    queryset = IndirectVictim.objects.select_related("person", "direct_victim", "relationship")
    return get_for_organization(queryset, event.organization, pk=relative_id, event=event)


def get_source(event: Event, source_id: int) -> Source:
    queryset = Source.objects.select_related("event", "kind")
    return get_for_organization(queryset, event.organization, pk=source_id, event=event)


def get_attachment(event: Event, attachment_id: int) -> Attachment:
    queryset = Attachment.objects.select_related("source")
    return get_for_organization(queryset, event.organization, pk=attachment_id, source__event=event)


def get_intervention(event: Event, intervention_id: int) -> Intervention:
    queryset = Intervention.objects.select_related("event", "kind", "victim")
    return get_for_organization(queryset, event.organization, pk=intervention_id, event=event)


def get_own_term(organization: Organization, term_id: int) -> Term:
    """A term the organization added itself (shared terms are not theirs to edit)."""
    return get_for_organization(Term.objects.select_related("vocabulary"), organization, pk=term_id)
