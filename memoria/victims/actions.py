"""Write paths of the victims' registry, each one transaction with its audit entry.

Like the cases actions: an edit carries the version it started from, and a
stale one raises ``memoria.cases.actions.ConflictError`` (with the saved and
the typed values side by side) and writes nothing. The audit entry names the
record's kind and id, never a person, a folio or an amount.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction

from memoria.accounts.models import User
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import update_if_current
from memoria.cases.models import Event, Person
from memoria.victims.models import (
    Appeal,
    CommissionRequest,
    Measure,
    Registration,
    VictimDocument,
)

VICTIM_FIELDS = ("accompanied_by", "filed_on", "folio", "deadline", "notes")
REGISTRATION_FIELDS = (
    "event",
    "registry",
    "state_code",
    "deciding_body",
    *VICTIM_FIELDS,
    "status",
    "decided_on",
    "refusal_reason",
)
REQUEST_FIELDS = (
    "event",
    "commission",
    "state_code",
    "purpose",
    *VICTIM_FIELDS,
    "status",
    "resolved_on",
    "resolution",
)
MEASURE_FIELDS = (
    "kind",
    "description",
    "amount_requested",
    "decision",
    "amount_granted",
    "due_on",
    "delivery",
    "delivered_on",
    "notes",
)
APPEAL_FIELDS = (
    "registration",
    "request",
    "kind",
    "authority",
    "filed_on",
    "folio",
    "status",
    "resolved_on",
    "notes",
)


def _fill(instance: models.Model, data: dict, fields: Iterable[str]) -> models.Model:
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])
    return instance


def _update(instance: models.Model, data: dict, fields: Iterable[str], version: int):
    """Apply ``data`` if ``version`` is still current; ``ConflictError`` otherwise."""
    return update_if_current(instance, data, fields, version, fill=_fill)


# -- registrations ---------------------------------------------------------------------


@transaction.atomic
def add_registration(
    person: Person, actor: User | None, data: dict, *, request=None
) -> Registration:
    """Record a request to enter RENAVI or a state registry, for a victim of ``data['event']``."""
    registration = _fill(
        Registration(organization=person.organization, person=person, created_by=actor),
        data,
        REGISTRATION_FIELDS,
    )
    registration.save()
    audit(
        actor, person.organization, AuditAction.REGISTRATION_CREATE, registration, request=request
    )
    return registration


@transaction.atomic
def update_registration(
    registration: Registration, actor: User | None, data: dict, version: int, *, request=None
) -> Registration:
    registration, changed = _update(registration, data, REGISTRATION_FIELDS, version)
    audit(
        actor,
        registration.organization,
        AuditAction.REGISTRATION_UPDATE,
        registration,
        request=request,
        fields=changed,
    )
    return registration


# -- requests to a commission and their measures ----------------------------------------


@transaction.atomic
def add_request(
    person: Person, actor: User | None, data: dict, *, request=None
) -> CommissionRequest:
    """Record a request to the CEAV or a state's CEEAV (help, reparation or a measure)."""
    record = _fill(
        CommissionRequest(organization=person.organization, person=person, created_by=actor),
        data,
        REQUEST_FIELDS,
    )
    record.save()
    audit(actor, person.organization, AuditAction.VICTIM_REQUEST_CREATE, record, request=request)
    return record


@transaction.atomic
def update_request(
    record: CommissionRequest, actor: User | None, data: dict, version: int, *, request=None
) -> CommissionRequest:
    record, changed = _update(record, data, REQUEST_FIELDS, version)
    audit(
        actor,
        record.organization,
        AuditAction.VICTIM_REQUEST_UPDATE,
        record,
        request=request,
        fields=changed,
    )
    return record


@transaction.atomic
def add_measure(
    record: CommissionRequest, actor: User | None, data: dict, *, request=None
) -> Measure:
    measure = _fill(
        Measure(organization=record.organization, request=record, created_by=actor),
        data,
        MEASURE_FIELDS,
    )
    measure.save()
    audit(actor, record.organization, AuditAction.MEASURE_CREATE, measure, request=request)
    return measure


@transaction.atomic
def update_measure(
    measure: Measure, actor: User | None, data: dict, version: int, *, request=None
) -> Measure:
    measure, changed = _update(measure, data, MEASURE_FIELDS, version)
    audit(
        actor,
        measure.organization,
        AuditAction.MEASURE_UPDATE,
        measure,
        request=request,
        fields=changed,
    )
    return measure


# -- appeals and amparos ---------------------------------------------------------------


@transaction.atomic
def add_appeal(person: Person, actor: User | None, data: dict, *, request=None) -> Appeal:
    appeal = _fill(
        Appeal(organization=person.organization, person=person, created_by=actor),
        data,
        APPEAL_FIELDS,
    )
    appeal.save()
    audit(actor, person.organization, AuditAction.APPEAL_CREATE, appeal, request=request)
    return appeal


@transaction.atomic
def update_appeal(
    appeal: Appeal, actor: User | None, data: dict, version: int, *, request=None
) -> Appeal:
    appeal, changed = _update(appeal, data, APPEAL_FIELDS, version)
    audit(
        actor, appeal.organization, AuditAction.APPEAL_UPDATE, appeal, request=request,
        fields=changed,
    )  # fmt: skip
    return appeal


# -- documents ----------------------------------------------------------------------------


@transaction.atomic
def add_document(
    record: Registration | CommissionRequest, actor: User | None, upload, *, request=None
) -> VictimDocument:
    """Store a document given with a registration or a request, encrypted in the database."""
    content = upload.read()
    link = {"registration": record} if isinstance(record, Registration) else {"request": record}
    document = VictimDocument.objects.create(
        organization=record.organization,
        created_by=actor,
        filename=upload.name[:255],
        content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:120],
        size=len(content),
        content=content,
        **link,
    )
    audit(
        actor,
        record.organization,
        AuditAction.VICTIM_DOCUMENT_CREATE,
        document,
        request=request,
        size=document.size,
    )
    return document


def victim_cases(person: Person) -> list[Event]:
    """The cases where ``person`` is a victim, direct or indirect (oldest case first)."""
    return list(
        Event.objects.filter(organization=person.organization)
        .filter(models.Q(acts__victim=person) | models.Q(indirect_victims__person=person))
        .distinct()
        .order_by("number")
    )
