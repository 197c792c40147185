"""Follow-up dates, what is overdue, and the referral report of one organization.

Each side of a referral keeps its own follow-up date under its own key (the
sender on ``Referral``, the recipient on ``ReferralReceipt``). The dates are
encrypted, so this reads an organization's referrals and compares in Python.
A referral is *overdue* for a side while it is open and that side's date has
passed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from memoria.accounts.models import Organization
from memoria.network.access import RECEIVED, SENT
from memoria.network.models import OPEN, Referral, Status


def today() -> datetime.date:
    return timezone.localdate()


def follow_up_on(referral: Referral, organization_id: int) -> datetime.date | None:
    """The follow-up date of ``organization_id``'s side (decrypted with that side's key)."""
    if organization_id == referral.organization_id:
        return referral.follow_up_on
    return referral.receipt.follow_up_on


def is_overdue(referral: Referral, organization_id: int, day: datetime.date) -> bool:
    date = follow_up_on(referral, organization_id)
    return referral.status in OPEN and date is not None and date < day


@dataclass
class Report:
    """Counts per side and status, and the overdue referrals, of one organization."""

    day: datetime.date
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # side -> bucket -> count
    overdue: list[Referral] = field(default_factory=list)


def report(organization: Organization, day: datetime.date | None = None) -> Report:
    day = day or today()
    result = Report(
        day, {side: {"open": 0, "overdue": 0, "closed": 0} for side in (SENT, RECEIVED)}
    )
    referrals = Referral.objects.filter(
        Q(organization=organization) | Q(recipient=organization)
    ).select_related("organization", "recipient", "receipt")
    for referral in referrals:
        side = SENT if referral.organization_id == organization.pk else RECEIVED
        referral.side = side
        counts = result.rows[side]
        if referral.status in OPEN:
            counts["open"] += 1
            if is_overdue(referral, organization.pk, day):
                counts["overdue"] += 1
                result.overdue.append(referral)
        else:
            counts["closed"] += 1
    result.overdue.sort(key=lambda r: (follow_up_on(r, organization.pk), r.pk))
    return result


CLOSED_STATUSES = (Status.DECLINED, Status.CLOSED)
