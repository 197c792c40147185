"""The one way protection pages fetch records: for a viewer, or 404.

Protection records are never shared with other organizations: each helper
returns a record of the viewer's own organization, with ``record.access``
(``memoria.accounts.viewer.own_access``), or answers 404 — for another
organization's record, for a part (a contact, a measure…) that does not belong
to the person in the URL, and for a write the viewer's role does not allow.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404

from memoria.accounts.viewer import Viewer, own_access
from memoria.protection.models import (
    OverdueAlert,
    PersonAtRisk,
    ProtectionMeasure,
    ProtectionRequest,
    RiskAssessment,
    RiskFactor,
    SupportContact,
)


def _int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("No such record") from None
    if not 0 < number < 2**63:
        raise Http404("No such record")
    return number


def _one(viewer: Viewer, queryset: QuerySet, object_id, *, write: bool, **lookup) -> Model:
    access = own_access(viewer)
    if write and not access.write:
        raise Http404("No such record")
    record = queryset.filter(organization=viewer.organization, pk=_int(object_id), **lookup).first()
    if record is None:
        raise Http404("No such record")
    record.access = access
    return record


def people_of(viewer: Viewer) -> QuerySet[PersonAtRisk]:
    return PersonAtRisk.objects.filter(organization=viewer.organization)


def get_person(viewer: Viewer, person_id, *, write: bool = False) -> PersonAtRisk:
    queryset = PersonAtRisk.objects.select_related("organization", "case_person", "member")
    return _one(viewer, queryset, person_id, write=write)


def get_contact(person: PersonAtRisk, contact_id, *, write: bool = False) -> SupportContact:
    return _part(person, SupportContact.objects.all(), contact_id, write=write)


def get_assessment(person: PersonAtRisk, assessment_id, *, write: bool = False) -> RiskAssessment:
    queryset = RiskAssessment.objects.select_related("assessed_by")
    return _part(person, queryset, assessment_id, write=write)


def get_factor(assessment: RiskAssessment, factor_id, *, write: bool = False) -> RiskFactor:
    record = RiskFactor.objects.filter(
        organization_id=assessment.organization_id, assessment=assessment, pk=_int(factor_id)
    ).first()
    if record is None or (write and not assessment.access.write):
        raise Http404("No such record")
    record.access = assessment.access
    return record


def get_request(person: PersonAtRisk, request_id, *, write: bool = False) -> ProtectionRequest:
    return _part(person, ProtectionRequest.objects.all(), request_id, write=write)


def get_measure(person: PersonAtRisk, measure_id, *, write: bool = False) -> ProtectionMeasure:
    queryset = ProtectionMeasure.objects.select_related("request")
    return _part(person, queryset, measure_id, write=write)


def get_alert(viewer: Viewer, alert_id) -> OverdueAlert:
    record = OverdueAlert.objects.filter(
        organization=viewer.organization, pk=_int(alert_id)
    ).first()
    if record is None:
        raise Http404("No such record")
    return record


def _part(person: PersonAtRisk, queryset: QuerySet, record_id, *, write: bool) -> Model:
    """A part of ``person`` (fetched for the viewer first): it inherits the person's access."""
    if write and not person.access.write:
        raise Http404("No such record")
    record = queryset.filter(
        organization_id=person.organization_id, person=person, pk=_int(record_id)
    ).first()
    if record is None:
        raise Http404("No such record")
    record.access = person.access
    return record
