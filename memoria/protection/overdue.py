"""What the state owes, and the alerts it raises.

``owed_items(organization, now)`` lists, oldest first, every deadline that has
passed for the organization's active people at risk:

* an extraordinary request still pending with no urgent measure after the
  law's hours (``terms.URGENT_MEASURES``);
* an ordinary request still pending after ``terms.ORDINARY_DECISION``;
* a measure not implemented by its legal deadline (``implement_by``);
* a measure in force past its review date (``review_on``);
* a person's latest risk assessment past its review date (``review_due``).

Dates are encrypted, so this reads each organization's (small) set of rows
and compares in Python. The worker's periodic task ``protection.overdue``
(``raise_overdue_alerts``) stores one ``OverdueAlert`` per item and kind —
the unique constraint makes a second run, or a second worker, raise nothing
new — and hands each new alert to ``notify_organization``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from memoria.accounts.models import Organization
from memoria.alerts.delivery import enqueue
from memoria.alerts.models import Channel
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.protection import clock, terms
from memoria.protection.models import (
    MeasureCategory,
    OverdueAlert,
    PersonAtRisk,
    Procedure,
    ProtectionMeasure,
    ProtectionRequest,
    RiskAssessment,
)

Kind = OverdueAlert.Kind
EVERY_SECONDS = 300


@dataclass
class OwedItem:
    kind: str
    person: PersonAtRisk
    record: object
    due_at: datetime.datetime
    basis: str = ""
    alert: OverdueAlert | None = None

    @property
    def item_key(self) -> str:
        return f"{type(self.record).__name__.lower()}:{self.record.pk}"

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    def late_by(self, now: datetime.datetime) -> datetime.timedelta:
        return now - self.due_at


def _end_of(day: datetime.date) -> datetime.datetime:
    """A review date passes at the end of that day (in the installation's time zone)."""
    start = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(start)


def latest_assessment(assessments: list[RiskAssessment]) -> RiskAssessment | None:
    """A person's current assessment: the latest by date (then by when it was recorded)."""
    if not assessments:
        return None
    return max(assessments, key=lambda a: (a.assessed_on, a.created_at, a.pk))


def owed_items(organization: Organization, now: datetime.datetime | None = None) -> list[OwedItem]:
    now = now or clock.now()
    people = {
        p.pk: p
        for p in PersonAtRisk.objects.filter(
            organization=organization, status=PersonAtRisk.Status.ACTIVE
        )
    }
    if not people:
        return []
    legal = terms.legal_terms()
    items: list[OwedItem] = []
    requests = list(
        ProtectionRequest.objects.filter(organization=organization, person_id__in=people)
    )
    measures = list(
        ProtectionMeasure.objects.filter(organization=organization, person_id__in=people)
    )
    urgent_for = {
        m.request_id for m in measures if m.request_id and m.category == MeasureCategory.URGENT
    }
    for record in requests:
        if record.outcome != ProtectionRequest.Outcome.PENDING or record.filed_at is None:
            continue
        person = people[record.person_id]
        if record.procedure == Procedure.EXTRAORDINARY:
            if record.pk in urgent_for:
                continue
            term = legal[terms.URGENT_MEASURES]
            kind = Kind.URGENT_MEASURES
        else:
            term = legal[terms.ORDINARY_DECISION]
            kind = Kind.DECISION
        due = record.filed_at + term.delta
        if due < now:
            items.append(OwedItem(kind, person, record, due, str(term.basis)))
    for measure in measures:
        if measure.ended_on is not None:
            continue
        person = people[measure.person_id]
        if measure.implemented_on is None and measure.implement_by and measure.implement_by < now:
            code = (
                terms.URGENT_IMPLEMENTATION
                if measure.category == MeasureCategory.URGENT
                else terms.IMPLEMENTATION
            )
            items.append(
                OwedItem(
                    Kind.IMPLEMENTATION,
                    person,
                    measure,
                    measure.implement_by,
                    str(legal[code].basis),
                )
            )
        if measure.review_on and _end_of(measure.review_on) < now:
            items.append(
                OwedItem(
                    Kind.MEASURE_REVIEW,
                    person,
                    measure,
                    _end_of(measure.review_on),
                    str(legal[terms.MEASURE_REVIEW].basis),
                )
            )
    by_person: dict[int, list[RiskAssessment]] = {}
    for assessment in RiskAssessment.objects.filter(
        organization=organization, person_id__in=people
    ).select_related("assessed_by"):
        by_person.setdefault(assessment.person_id, []).append(assessment)
    for person_id, assessments in by_person.items():
        latest = latest_assessment(assessments)
        if latest.review_due and _end_of(latest.review_due) < now:
            items.append(
                OwedItem(
                    Kind.ASSESSMENT_REVIEW, people[person_id], latest, _end_of(latest.review_due)
                )
            )
    items.sort(key=lambda item: (item.due_at, item.kind, item.record.pk))
    alerts = {
        (a.kind, a.item_key): a for a in OverdueAlert.objects.filter(organization=organization)
    }
    for item in items:
        item.alert = alerts.get((item.kind, item.item_key))
    return items


def notify_organization(alert: OverdueAlert) -> None:
    """Tell the accompanying organization about a new overdue alert.

    The stored alert row shows on its pages, with a count in the navigation.
    When the organization has a contact e-mail and an enabled e-mail channel,
    the alert is also queued there through the alerts engine, once per alert
    (the delivery key), in the transaction that raised it. The message names
    no one: what kind of deadline passed and where to look.
    """
    organization = alert.organization
    if not organization.contact_email:
        return
    channel = (
        Channel.objects.filter(organization=organization, kind=Channel.Kind.EMAIL, enabled=True)
        .order_by("pk")
        .first()
    )
    if channel is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A protection deadline has passed")
        body = _(
            "Something the state owes a person your organization accompanies is overdue: "
            "%(kind)s. See the list of what the state owes in Memoria: %(path)s"
        ) % {
            "kind": alert.get_kind_display(),
            "path": reverse("protection:owed", args=[organization.slug]),
        }
    enqueue(
        organization,
        channel,
        recipient=organization.contact_email,
        subject=subject,
        body=body,
        key=f"protection.overdue:{alert.pk}",
    )


@transaction.atomic
def raise_alerts_for(organization: Organization, now: datetime.datetime | None = None) -> int:
    """Store an alert for each newly overdue item; resolve those no longer overdue."""
    now = now or clock.now()
    items = owed_items(organization, now)
    raised = []
    for item in items:
        if item.alert is not None:
            if item.alert.resolved_at is not None:  # overdue again: open it again
                item.alert.resolved_at = None
                item.alert.save(update_fields=["resolved_at"])
            continue
        try:
            with transaction.atomic():
                alert = OverdueAlert.objects.create(
                    organization=organization,
                    person=item.person,
                    kind=item.kind,
                    item_key=item.item_key,
                    due_at=item.due_at,
                    raised_at=now,
                )
                audit(
                    None,
                    organization,
                    AuditAction.PROTECTION_ALERT_RAISED,
                    alert,
                    kind=alert.kind,
                )
        except IntegrityError:  # another worker raised it meanwhile
            continue
        raised.append(alert)
    owed = {(item.kind, item.item_key) for item in items}
    for alert in OverdueAlert.objects.filter(organization=organization, resolved_at__isnull=True):
        if (alert.kind, alert.item_key) not in owed:
            alert.resolved_at = now
            alert.save(update_fields=["resolved_at"])
    for alert in raised:
        notify_organization(alert)
    return len(raised)


def raise_overdue_alerts(now: datetime.datetime | None = None) -> int:
    """The worker's periodic task: every organization that accompanies someone."""
    organization_ids = (
        PersonAtRisk.objects.filter(status=PersonAtRisk.Status.ACTIVE)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    organizations = Organization.objects.filter(pk__in=list(organization_ids))
    return sum(raise_alerts_for(organization, now) for organization in organizations)


def open_alert_count(organization: Organization) -> int:
    """Alerts nobody has acknowledged yet and whose item is still overdue (the navigation)."""
    return OverdueAlert.objects.filter(
        organization=organization, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).count()
