"""Follow-up reminders of referrals, sent by the worker.

Every hour the worker looks at each open referral: the side whose follow-up
date has come (the sender's, the recipient's) gets one reminder per date. A
``ReferralReminder`` row, the audit entry and the message queued through the
alerts engine (``memoria.alerts.delivery.enqueue``, on the organization's
enabled e-mail channel, to its contact address) are written in one
transaction, so a second run, or a second worker, sends nothing twice; a date
moved later is reminded again. Without a channel the reminder is only
recorded: the referral list shows what is overdue anyway.

The message crosses mail servers Memoria does not control: it says that a
referral needs following up and where to look, never who or what.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from memoria.alerts.delivery import enqueue
from memoria.alerts.models import Channel
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.network.followup import follow_up_on, today
from memoria.network.models import OPEN, Referral, ReferralReminder

logger = logging.getLogger("memoria.network")

EVERY_SECONDS = 3600
Side = ReferralReminder.Side


def _notify(reminder: ReferralReminder) -> None:
    organization = reminder.organization
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
        subject = _("A referral needs following up")
        body = _(
            "The follow-up date your organization set for a referral has come. "
            "See it in Memoria: %(path)s"
        ) % {"path": reverse("network:referral", args=[organization.slug, reminder.referral_id])}
    enqueue(
        organization,
        channel,
        recipient=organization.contact_email,
        subject=subject,
        body=body,
        key=f"network.reminder:{reminder.pk}",
    )


def _remind(referral: Referral, side: str, date: datetime.date) -> bool:
    organization = referral.organization if side == Side.SENDER else referral.recipient
    with transaction.atomic():
        # Lock the referral: two workers do not both decide a reminder is due.
        Referral.objects.select_for_update(no_key=True).filter(pk=referral.pk).first()
        sent = ReferralReminder.objects.filter(referral=referral, side=side)
        if any(reminder.follow_up_on == date for reminder in sent):
            return False
        reminder = ReferralReminder.objects.create(
            organization=organization, referral=referral, side=side, follow_up_on=date
        )
        audit(None, organization, AuditAction.REFERRAL_REMINDER_SENT, referral, side=side)
        _notify(reminder)
    return True


def send_reminders(day: datetime.date | None = None) -> int:
    """Remind each side whose follow-up date has come; returns how many reminders."""
    day = day or today()
    count = 0
    referrals = Referral.objects.filter(status__in=OPEN).select_related(
        "organization", "recipient", "receipt"
    )
    for referral in referrals:
        for side, organization_id in (
            (Side.SENDER, referral.organization_id),
            (Side.RECIPIENT, referral.recipient_id),
        ):
            date = follow_up_on(referral, organization_id)
            if date is not None and date <= day and _remind(referral, side, date):
                count += 1
    return count
