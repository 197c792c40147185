"""What the state owes each victim, and a family's whole path in date order.

Both are computed in Python after decryption: deadlines, statuses and dates
are encrypted (docs/security.md), and an organization's records are few.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from memoria.cases.models import IndirectVictim, Person
from memoria.victims.models import (
    Appeal,
    AppealStatus,
    CommissionRequest,
    Decision,
    Delivery,
    Measure,
    Registration,
    RegistrationStatus,
    RequestStatus,
)

OPEN_DELIVERY = (Delivery.PENDING, Delivery.PARTLY, Delivery.NOT_DELIVERED)


def person_label(person: Person) -> str:
    return person.full_name or person.aliases or _("a person without a recorded name")


# -- what the state owes -----------------------------------------------------------------------


@dataclass
class Owed:
    """One thing the state owes a victim: a decision past its deadline, or a measure."""

    kind: str  # registration, request, measure
    record: object
    person: Person
    since: datetime.date | None  # since when it is owed (its deadline), if known
    today: datetime.date

    @property
    def days_late(self) -> int | None:
        if self.since is None:
            return None
        return (self.today - self.since).days

    @property
    def late(self) -> bool:
        return self.since is not None and self.since < self.today


def owed_by_the_state(organization, today: datetime.date | None = None) -> list[Owed]:
    """Requests past their deadline and granted measures not delivered, oldest first.

    A registration or a request is owed once its legal deadline has passed with
    no decision. A granted measure is owed until it is delivered in full: since
    the date it was due, else since the resolution that granted it, else since
    the request was filed; one not due yet is listed too, as not late.
    Undated ones come last.
    """
    today = today or timezone.localdate()
    owed = []
    for registration in Registration.objects.filter(organization=organization).select_related(
        "person", "event"
    ):
        if (
            registration.status == RegistrationStatus.REQUESTED
            and registration.deadline is not None
            and registration.deadline < today
        ):
            owed.append(
                Owed(
                    "registration", registration, registration.person, registration.deadline, today
                )
            )
    requests = CommissionRequest.objects.filter(organization=organization).select_related(
        "person", "event"
    )
    for record in requests:
        if (
            record.status == RequestStatus.PENDING
            and record.deadline is not None
            and record.deadline < today
        ):
            owed.append(Owed("request", record, record.person, record.deadline, today))
    measures = Measure.objects.filter(organization=organization).select_related(
        "request", "request__person", "request__event"
    )
    for measure in measures:
        if measure.decision == Decision.GRANTED and measure.delivery in OPEN_DELIVERY:
            request = measure.request
            since = measure.due_on or request.resolved_on or request.filed_on
            owed.append(Owed("measure", measure, request.person, since, today))
    return sorted(owed, key=lambda o: (o.since is None, o.since or today, o.kind, o.record.pk))


# -- a family's timeline ------------------------------------------------------------------------


def family_of(person: Person) -> list[Person]:
    """The person, the direct victims they are a relative of, and those victims' relatives.

    A family is gathered around each direct victim: starting from a mother
    (an indirect victim), it holds her disappeared son and his other relatives.
    """
    organization = person.organization
    direct = {person.pk} if person.acts.exists() else set()
    direct |= set(
        IndirectVictim.objects.filter(organization=organization, person=person).values_list(
            "direct_victim_id", flat=True
        )
    )
    relatives = set(
        IndirectVictim.objects.filter(
            organization=organization, direct_victim_id__in=direct
        ).values_list("person_id", flat=True)
    )
    ids = direct | relatives | {person.pk}
    members = Person.objects.filter(organization=organization, pk__in=ids)
    return sorted(members, key=lambda p: (p.pk not in direct, p.pk))


@dataclass
class Step:
    date: datetime.date | None
    person: str
    text: str


def _day(date: datetime.date | None) -> str:
    return formats.date_format(date, "DATE_FORMAT") if date else ""


def timeline(people: list[Person]) -> list[Step]:
    """Every step of the people's path, in date order (undated steps last), in plain words.

    The sentences name institutions and outcomes as a family says them, never
    an internal code or record number; an official folio is given, since the
    family needs it at the window.
    """
    names = {p.pk: person_label(p) for p in people}
    ids = list(names)
    steps: list[Step] = []

    def add(date, person_id, text):
        steps.append(Step(date, names[person_id], text))

    for r in Registration.objects.filter(person_id__in=ids).order_by("pk"):
        registry = r.get_registry_display()
        if r.folio:
            text = _("Asked to be entered in the %(registry)s (folio %(folio)s).")
        else:
            text = _("Asked to be entered in the %(registry)s.")
        add(r.filed_on, r.person_id, text % {"registry": registry, "folio": r.folio})
        if r.deadline and r.status == RegistrationStatus.REQUESTED:
            add(r.deadline, r.person_id, _("Legal deadline for the %(registry)s to decide.")
                % {"registry": registry})  # fmt: skip
        if r.status == RegistrationStatus.REGISTERED:
            add(r.decided_on, r.person_id, _("Was entered in the %(registry)s.")
                % {"registry": registry})  # fmt: skip
        elif r.status in (RegistrationStatus.REFUSED, RegistrationStatus.APPEALED):
            reason = r.refusal_reason.strip()
            text = (
                _("The %(registry)s refused the registration. Reason given: %(reason)s")
                % {"registry": registry, "reason": reason}
                if reason
                else _("The %(registry)s refused the registration.") % {"registry": registry}
            )
            add(r.decided_on, r.person_id, text)
    requests = CommissionRequest.objects.filter(person_id__in=ids).prefetch_related("measures")
    for q in requests.order_by("pk"):
        commission = q.get_commission_display()
        if q.folio:
            text = _("Asked the %(commission)s for %(purpose)s (folio %(folio)s).")
        else:
            text = _("Asked the %(commission)s for %(purpose)s.")
        purpose = q.get_purpose_display().lower()
        add(q.filed_on, q.person_id,
            text % {"commission": commission, "purpose": purpose, "folio": q.folio})  # fmt: skip
        if q.deadline and q.status == RequestStatus.PENDING:
            add(q.deadline, q.person_id, _("Legal deadline for the commission to answer."))
        if q.status != RequestStatus.PENDING:
            text = _("The commission resolved: %(status)s.") % {
                "status": q.get_status_display().lower()
            }
            if q.resolution.strip():
                text += " " + q.resolution.strip()
            add(q.resolved_on, q.person_id, text)
        for m in q.measures.all():
            add_measure_steps(add, q, m)
    for a in Appeal.objects.filter(person_id__in=ids).order_by("pk"):
        kind = a.get_kind_display()
        add(a.filed_on, a.person_id, _("Filed: %(kind)s.") % {"kind": kind})
        if a.status != AppealStatus.PENDING:
            add(a.resolved_on, a.person_id, _("%(kind)s: %(status)s.")
                % {"kind": kind, "status": a.get_status_display().lower()})  # fmt: skip
    return sorted(steps, key=lambda s: (s.date is None, s.date or datetime.date.min))


def add_measure_steps(add, request: CommissionRequest, measure: Measure) -> None:
    kind = measure.get_kind_display().lower()
    if measure.decision == Decision.GRANTED:
        if measure.amount_granted is not None:
            amount = formats.number_format(measure.amount_granted, 2, force_grouping=True)
            text = _("Granted: %(kind)s, for %(amount)s pesos.") % {"kind": kind, "amount": amount}
        else:
            text = _("Granted: %(kind)s.") % {"kind": kind}
        add(request.resolved_on, request.person_id, text)
        if measure.delivery in (Delivery.PENDING, Delivery.PARTLY) and measure.due_on:
            text = _("Date by which the state must deliver: %(kind)s.") % {"kind": kind}
            add(measure.due_on, request.person_id, text)
    elif measure.decision == Decision.REFUSED:
        add(request.resolved_on, request.person_id, _("Refused: %(kind)s.") % {"kind": kind})
    if measure.delivery == Delivery.DELIVERED:
        add(measure.delivered_on, request.person_id, _("Delivered: %(kind)s.") % {"kind": kind})
    elif measure.delivery == Delivery.PARTLY:
        add(measure.delivered_on, request.person_id, _("Delivered only in part: %(kind)s.")
            % {"kind": kind})  # fmt: skip
    elif measure.delivery == Delivery.NOT_DELIVERED:
        add(measure.delivered_on or measure.due_on, request.person_id,
            _("The state did not deliver: %(kind)s.") % {"kind": kind})  # fmt: skip


def people_with_records(organization) -> set[int]:
    """Ids of the people with at least one registration, request or appeal."""
    ids = set(
        Registration.objects.filter(organization=organization).values_list("person_id", flat=True)
    )
    ids |= set(
        CommissionRequest.objects.filter(organization=organization).values_list(
            "person_id", flat=True
        )
    )
    ids |= set(Appeal.objects.filter(organization=organization).values_list("person_id", flat=True))
    return ids
