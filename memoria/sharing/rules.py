"""What an agreement lets a partner read of one record: its level, bounded by consent.

Pure decisions over rows already fetched; ``memoria.sharing.actions`` and
``memoria.sharing.agreements`` act on them.

* ``aggregate``: no record travels; the partner reads counts (``figures``).
* ``pseudonymized``: the agreed fields minus those that identify a person, for
  records whose people allow at least that (``Consent.PSEUDONYMIZED``).
* ``named``: the agreed fields, names included, only for records whose
  people's consent is recorded (``Consent.NAMED``). A record without it is not
  shared under a named agreement at all, whatever the agreement says.

An agreement is *in force* while it is active and its ``valid_until`` day has
not passed (in the installation's time zone).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from memoria.sharing.models import Agreement, AgreementLevel, AgreementStatus
from memoria.sharing.registry import Consent, Shareable, shareable


def today() -> datetime.date:
    return timezone.localdate()


def in_force(day: datetime.date | None = None) -> QuerySet[Agreement]:
    return Agreement.objects.filter(status=AgreementStatus.ACTIVE, valid_until__gte=day or today())


def is_in_force(agreement: Agreement, day: datetime.date | None = None) -> bool:
    return agreement.status == AgreementStatus.ACTIVE and agreement.valid_until >= (day or today())


def needed_consent(level: str) -> Consent:
    return {
        AgreementLevel.AGGREGATE: Consent.AGGREGATE,
        AgreementLevel.PSEUDONYMIZED: Consent.PSEUDONYMIZED,
        AgreementLevel.NAMED: Consent.NAMED,
    }[AgreementLevel(level)]


def allowed_fields(agreement: Agreement, spec: Shareable, consent: Consent) -> list[str]:
    """The fields of a record of ``spec``'s kind that ``agreement`` shares, given its consent."""
    if agreement.level == AgreementLevel.AGGREGATE or consent < needed_consent(agreement.level):
        return []
    chosen = [name for name in (agreement.fields or {}).get(spec.kind, []) if name in spec.fields]
    if agreement.level == AgreementLevel.PSEUDONYMIZED:
        chosen = [name for name in chosen if name not in spec.identity_fields]
    return chosen


def contributions(instance: models.Model, recipient_id: int) -> dict[int, list[str]]:
    """Agreement id -> the fields of ``instance`` it shares with ``recipient_id`` now."""
    spec = shareable(type(instance))
    agreements = [
        agreement
        for agreement in in_force().filter(
            organization_id=instance.organization_id, partner_id=recipient_id
        )
        if spec.kind in (agreement.fields or {})
    ]
    if not agreements:
        return {}
    consent = spec.consent(instance)
    found = {}
    for agreement in agreements:
        fields = allowed_fields(agreement, spec, consent)
        if fields:
            found[agreement.pk] = fields
    return found
