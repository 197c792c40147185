"""Deadline reminders to the member who accompanies a family, sent by the worker.

Every hour the worker looks at each open deadline: a registration request
awaiting a decision, a request to a commission awaiting a resolution, a
granted measure not delivered. The accompanying member gets one e-mail a week
before the deadline (``REMIND_DAYS_BEFORE``) and one once it has passed
(the day after). Each (record, stage, deadline) is sent once: a ``Reminder``
row is written in the same transaction as the e-mail is handed to the mail
server, so a failed sending is tried again at the next run, and a deadline
moved later is reminded again.

The e-mail crosses mail servers Memoria does not control: it names the case
number and the kind of deadline, never a person, a folio or an amount.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.jobs.registry import register_periodic
from memoria.victims.follow import OPEN_DELIVERY
from memoria.victims.models import (
    CommissionRequest,
    Decision,
    Measure,
    Registration,
    RegistrationStatus,
    Reminder,
    RequestStatus,
)

logger = logging.getLogger("memoria.victims")

REMIND_DAYS_BEFORE = 7
EVERY_SECONDS = 3600


def _open_deadlines():
    """(kind, record, deadline, member, case) for every deadline still open."""
    for registration in Registration.objects.select_related(
        "accompanied_by", "event", "organization"
    ):
        if registration.status == RegistrationStatus.REQUESTED and registration.deadline:
            yield ("registration", registration, registration.deadline,
                   registration.accompanied_by, registration.event)  # fmt: skip
    for record in CommissionRequest.objects.select_related(
        "accompanied_by", "event", "organization"
    ):
        if record.status == RequestStatus.PENDING and record.deadline:
            yield "request", record, record.deadline, record.accompanied_by, record.event
    for measure in Measure.objects.select_related(
        "request__accompanied_by", "request__event", "organization"
    ):
        if (
            measure.decision == Decision.GRANTED
            and measure.delivery in OPEN_DELIVERY
            and measure.due_on
        ):
            request = measure.request
            yield "measure", measure, measure.due_on, request.accompanied_by, request.event


def _stage(deadline: datetime.date, today: datetime.date) -> str | None:
    if deadline < today:
        return Reminder.Stage.AFTER
    if (deadline - today).days <= REMIND_DAYS_BEFORE:
        return Reminder.Stage.BEFORE
    return None


def _already_sent(kind: str, record, stage: str, deadline: datetime.date) -> bool:
    sent = Reminder.objects.filter(
        organization_id=record.organization_id, kind=kind, object_id=record.pk, stage=stage
    )
    return any(reminder.deadline == deadline for reminder in sent)


def _message(kind: str, stage: str, deadline: datetime.date, event, organization):
    number = {"number": event.number}
    subjects = {
        ("registration", "before"): _("A victims' registry must decide soon (case #%(number)s)"),
        ("registration", "after"): _(
            "A victims' registry is late with its decision (case #%(number)s)"
        ),
        ("request", "before"): _("A victims' commission must answer soon (case #%(number)s)"),
        ("request", "after"): _("A victims' commission is late with its answer (case #%(number)s)"),
        ("measure", "before"): _("A granted measure must be delivered soon (case #%(number)s)"),
        ("measure", "after"): _("A granted measure was not delivered on time (case #%(number)s)"),
    }
    subject = subjects[(kind, stage)] % number
    day = formats.date_format(deadline, "DATE_FORMAT")
    if stage == Reminder.Stage.BEFORE:
        when = _("The deadline is %(day)s.") % {"day": day}
    else:
        when = _("The deadline was %(day)s and nothing is recorded since.") % {"day": day}
    path = reverse("victims:owed", args=[organization.slug])
    body = "\n\n".join(
        [
            _("You accompany this family in %(organization)s.")
            % {"organization": organization.name},
            when,
            _("Open Memoria to see what the state owes, and record the answer there: %(path)s")
            % {"path": path},
            _("This message names no one on purpose: the details are only in Memoria."),
        ]
    )
    return subject, body


def send_reminders(today: datetime.date | None = None) -> int:
    """Send the reminders due today; returns how many were sent."""
    today = today or timezone.localdate()
    sent = 0
    for kind, record, deadline, member, event in list(_open_deadlines()):
        stage = _stage(deadline, today)
        if stage is None or member is None or not member.email or not member.is_active:
            continue
        if not member.memberships.filter(organization_id=record.organization_id).exists():
            continue  # no longer a member: nobody to tell (the owed page still lists it)
        if _already_sent(kind, record, stage, deadline):
            continue
        try:
            with transaction.atomic():
                Reminder.objects.create(
                    organization_id=record.organization_id,
                    kind=kind,
                    object_id=record.pk,
                    stage=stage,
                    deadline=deadline,
                    member=member,
                )
                audit(None, record.organization, AuditAction.VICTIM_REMINDER_SENT, record,
                      stage=stage, member=member.pk)  # fmt: skip
                with translation.override(settings.LANGUAGE_CODE):  # the platform's language
                    subject, body = _message(kind, stage, deadline, event, record.organization)
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [member.email])
        except OSError:
            # The mail server did not take it: nothing was recorded, the next run tries again.
            logger.warning("could not send a %s reminder for a %s", stage, kind)
            continue
        sent += 1
    return sent


register_periodic("victims.reminders", send_reminders, every_seconds=EVERY_SECONDS)
