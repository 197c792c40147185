"""Write paths for protection records, each in one transaction with its audit entry.

An edit carries the version it started from; a stale one raises
``memoria.cases.actions.ConflictError`` (with the saved and the submitted
values) and writes nothing. Views call these with a form's ``cleaned_data``.
Audit entries name the record by id only, never a person or a threat.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from memoria.accounts.models import Organization, User
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import update_if_current
from memoria.protection import terms
from memoria.protection.models import (
    OverdueAlert,
    PersonAtRisk,
    ProtectionMeasure,
    ProtectionRequest,
    RiskAssessment,
    RiskFactor,
    SupportContact,
)

PERSON_FIELDS = (
    "display_name",
    "profile",
    "notes",
    "case_person",
    "member",
    "time_zone",
    "status",
)
CONTACT_FIELDS = (
    "name",
    "relationship",
    "email",
    "phone",
    "signal_number",
    "webhook_url",
    "notes",
    "accepts_email",
    "accepts_sms",
    "accepts_signal",
    "accepts_webhook",
    "is_active",
    "position",
)
ASSESSMENT_FIELDS = ("assessed_on", "level", "summary")
FACTOR_FIELDS = ("kind", "description", "date", "source")
REQUEST_FIELDS = (
    "mechanism",
    "state",
    "procedure",
    "filed_at",
    "file_number",
    "outcome",
    "decided_on",
    "notes",
)
MEASURE_FIELDS = (
    "request",
    "category",
    "kind",
    "description",
    "granted_at",
    "implement_by",
    "implemented_on",
    "review_on",
    "ended_on",
)


def _create(model, organization: Organization, actor: User | None, data: dict, fields, **extra):
    instance = model(organization=organization, created_by=actor, **extra)
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])
    return instance


def _update(instance: models.Model, data: dict, fields: Iterable[str], version: int, derive=None):
    """Apply ``data`` to the current row if ``version`` is still current."""
    return update_if_current(instance, data, fields, version, before_save=derive)


# -- people at risk and their circle ---------------------------------------------------------


def _derive_person(person: PersonAtRisk) -> None:
    if person.status == PersonAtRisk.Status.CLOSED and person.closed_at is None:
        person.closed_at = timezone.now()
    elif person.status == PersonAtRisk.Status.ACTIVE:
        person.closed_at = None


@transaction.atomic
def register_person(
    organization: Organization, actor: User | None, data: dict, *, request=None
) -> PersonAtRisk:
    person = _create(PersonAtRisk, organization, actor, data, PERSON_FIELDS)
    _derive_person(person)
    person.save()
    audit(actor, organization, AuditAction.PROTECTION_CREATE, person, request=request)
    return person


@transaction.atomic
def update_person(
    person: PersonAtRisk, actor: User | None, data: dict, version: int, *, request=None
) -> PersonAtRisk:
    person, changed = _update(person, data, PERSON_FIELDS, version, _derive_person)
    audit(
        actor,
        person.organization,
        AuditAction.PROTECTION_UPDATE,
        person,
        request=request,
        fields=changed,
    )
    return person


def _derive_contact(contact: SupportContact) -> None:
    """A contact with a webhook receiver of their own gets a signing secret for it
    (shown on the person's page to configure the receiver); kept when the address changes."""
    if contact.webhook_url and not contact.webhook_secret:
        contact.webhook_secret = secrets.token_urlsafe(32)


@transaction.atomic
def add_contact(
    person: PersonAtRisk, actor: User | None, data: dict, *, request=None
) -> SupportContact:
    contact = _create(
        SupportContact, person.organization, actor, data, CONTACT_FIELDS, person=person
    )
    _derive_contact(contact)
    contact.save()
    audit(
        actor, person.organization, AuditAction.PROTECTION_CONTACT_CREATE, contact, request=request
    )
    return contact


@transaction.atomic
def update_contact(
    contact: SupportContact, actor: User | None, data: dict, version: int, *, request=None
) -> SupportContact:
    contact, changed = _update(contact, data, CONTACT_FIELDS, version, derive=_derive_contact)
    audit(
        actor,
        contact.organization,
        AuditAction.PROTECTION_CONTACT_UPDATE,
        contact,
        request=request,
        fields=changed,
    )
    return contact


# -- risk assessments ----------------------------------------------------------------------


def _derive_assessment(assessment: RiskAssessment) -> None:
    assessment.review_due = terms.review_due(assessment.assessed_on, assessment.level)


@transaction.atomic
def record_assessment(
    person: PersonAtRisk, actor: User | None, data: dict, *, request=None
) -> RiskAssessment:
    """A new assessment: the person's current risk from now on (older ones stay as history)."""
    assessment = _create(
        RiskAssessment,
        person.organization,
        actor,
        data,
        ASSESSMENT_FIELDS,
        person=person,
        assessed_by=actor,
    )
    _derive_assessment(assessment)
    assessment.save()
    audit(
        actor,
        person.organization,
        AuditAction.PROTECTION_ASSESSMENT_CREATE,
        assessment,
        request=request,
    )
    return assessment


@transaction.atomic
def update_assessment(
    assessment: RiskAssessment, actor: User | None, data: dict, version: int, *, request=None
) -> RiskAssessment:
    assessment, changed = _update(assessment, data, ASSESSMENT_FIELDS, version, _derive_assessment)
    audit(
        actor,
        assessment.organization,
        AuditAction.PROTECTION_ASSESSMENT_UPDATE,
        assessment,
        request=request,
        fields=changed,
    )
    return assessment


@transaction.atomic
def add_factor(
    assessment: RiskAssessment, actor: User | None, data: dict, *, request=None
) -> RiskFactor:
    factor = _create(
        RiskFactor, assessment.organization, actor, data, FACTOR_FIELDS, assessment=assessment
    )
    factor.save()
    audit(
        actor,
        assessment.organization,
        AuditAction.PROTECTION_FACTOR_CREATE,
        factor,
        request=request,
        kind=factor.kind,
    )
    return factor


@transaction.atomic
def update_factor(
    factor: RiskFactor, actor: User | None, data: dict, version: int, *, request=None
) -> RiskFactor:
    factor, changed = _update(factor, data, FACTOR_FIELDS, version)
    audit(
        actor,
        factor.organization,
        AuditAction.PROTECTION_FACTOR_UPDATE,
        factor,
        request=request,
        fields=changed,
    )
    return factor


# -- requests to a mechanism and measures -------------------------------------------------


@transaction.atomic
def record_request(
    person: PersonAtRisk, actor: User | None, data: dict, *, request=None
) -> ProtectionRequest:
    record = _create(
        ProtectionRequest, person.organization, actor, data, REQUEST_FIELDS, person=person
    )
    record.save()
    audit(
        actor, person.organization, AuditAction.PROTECTION_REQUEST_CREATE, record, request=request
    )
    return record


@transaction.atomic
def update_request(
    record: ProtectionRequest, actor: User | None, data: dict, version: int, *, request=None
) -> ProtectionRequest:
    record, changed = _update(record, data, REQUEST_FIELDS, version)
    audit(
        actor,
        record.organization,
        AuditAction.PROTECTION_REQUEST_UPDATE,
        record,
        request=request,
        fields=changed,
    )
    return record


def _derive_measure(measure: ProtectionMeasure) -> None:
    """Legal deadline and review date from the law's terms, unless someone typed them."""
    if measure.implement_by is None and measure.granted_at is not None:
        measure.implement_by = terms.implementation_deadline(measure.category, measure.granted_at)
    if measure.review_on is None and measure.granted_at is not None:
        measure.review_on = terms.measure_review_date(measure.granted_at)


@transaction.atomic
def record_measure(
    person: PersonAtRisk, actor: User | None, data: dict, *, request=None
) -> ProtectionMeasure:
    measure = _create(
        ProtectionMeasure, person.organization, actor, data, MEASURE_FIELDS, person=person
    )
    _derive_measure(measure)
    measure.save()
    audit(
        actor, person.organization, AuditAction.PROTECTION_MEASURE_CREATE, measure, request=request
    )
    return measure


@transaction.atomic
def update_measure(
    measure: ProtectionMeasure, actor: User | None, data: dict, version: int, *, request=None
) -> ProtectionMeasure:
    measure, changed = _update(measure, data, MEASURE_FIELDS, version, _derive_measure)
    audit(
        actor,
        measure.organization,
        AuditAction.PROTECTION_MEASURE_UPDATE,
        measure,
        request=request,
        fields=changed,
    )
    return measure


# -- alerts -----------------------------------------------------------------------------


@transaction.atomic
def acknowledge_alert(alert: OverdueAlert, actor: User, *, request=None) -> OverdueAlert:
    alert = OverdueAlert.objects.select_for_update(no_key=True).get(pk=alert.pk)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit(
            actor,
            alert.organization,
            AuditAction.PROTECTION_ALERT_ACKNOWLEDGED,
            alert,
            request=request,
            kind=alert.kind,
        )
    return alert
