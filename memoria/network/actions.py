"""Write paths of the network, each in one transaction with its audit entries.

Edits carry the version they started from; a stale one raises
``memoria.cases.actions.ConflictError`` and writes nothing. A referral's
state changes are written in both organizations' audit logs (the acting
side's and the other's), by id only. What travels with a referral is a
``memoria.sharing`` grant per record: made when the referral is sent, taken
back as soon as no open referral (nor sharing agreement) to that organization
carries the record any more — on a decline or a close. ``referral_fields`` is
the grant source ``memoria.sharing.actions.sync_grant`` asks.
"""

from __future__ import annotations

import datetime

from django.db import models, transaction
from django.utils import timezone

from memoria.accounts.models import Organization, User
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError, Difference
from memoria.cases.models import Event, Person
from memoria.network.models import (
    OPEN,
    OrganizationProfile,
    Referral,
    ReferralReceipt,
    Status,
)
from memoria.sharing.actions import sync_grant
from memoria.sharing.registry import shareable

PROFILE_FIELDS = ("capabilities", "languages", "summary", "referral_note", "accepts_referrals")
PROFILE_PLACES = ("states", "municipalities")


def _check_version(current, version: int, differences=()) -> None:
    if current.version != version:
        raise ConflictError(current, list(differences))


# -- the directory ------------------------------------------------------------------------


@transaction.atomic
def save_profile(
    organization: Organization, actor: User | None, data: dict, version: int | None, *, request=None
) -> OrganizationProfile:
    """Create or change the organization's profile in the network (``version``: None to create)."""
    profile = OrganizationProfile.objects.select_for_update(no_key=True).filter(
        organization=organization
    )
    profile = profile.first()
    if profile is None:
        profile = OrganizationProfile(organization=organization)
        if version is not None and version != 1:
            raise ConflictError(profile, [])
    else:
        _check_version(profile, version or 0)
        profile.version += 1
    changed = []
    for field in PROFILE_FIELDS:
        if field in data and getattr(profile, field) != data[field]:
            setattr(profile, field, data[field])
            changed.append(field)
    profile.updated_at = timezone.now()
    profile.updated_by = actor
    profile.save()
    for field in PROFILE_PLACES:
        if field in data:
            before = set(getattr(profile, field).values_list("pk", flat=True))
            getattr(profile, field).set(data[field])
            if before != {place.pk for place in data[field]}:
                changed.append(field)
    audit(
        actor,
        organization,
        AuditAction.NETWORK_PROFILE_UPDATE,
        profile,
        request=request,
        fields=changed,
    )
    return profile


# -- referrals ----------------------------------------------------------------------------


def _subject_fields(model: type[models.Model]) -> str:
    return "event_fields" if model is Event else "person_fields"


def referral_fields(instance: models.Model, recipient_id: int) -> list[str]:
    """The grant source of referrals: the fields of ``instance`` its open referrals carry."""
    model = type(instance)
    if model not in (Event, Person):
        return []
    subject = "event" if model is Event else "person"
    carried: set[str] = set()
    for referral in Referral.objects.filter(
        organization_id=instance.organization_id,
        recipient_id=recipient_id,
        status__in=OPEN,
        **{subject: instance},
    ):
        carried.update(getattr(referral, _subject_fields(model)))
    return sorted(carried)


def _sync_grant(actor, instance: models.Model, recipient: Organization, *, request=None) -> None:
    """Share with ``recipient`` what its open referrals (and agreements) carry, or nothing.

    ``sync_grant`` locks the record before reading the open referrals: a close and a
    send committing at once would otherwise each read the other's referral as it was,
    and the send would grant again the closed referral's fields.
    """
    sync_grant(actor, instance, recipient.pk, request=request)


def _sync_grants(actor, referral: Referral, *, request=None) -> None:
    for instance in (referral.event, referral.person):
        if instance is not None:
            _sync_grant(actor, instance, referral.recipient, request=request)


def _audit_both(actor, referral: Referral, action: AuditAction, *, request=None, **details):
    """The same entry in the sender's and the recipient's logs."""
    for organization in (referral.organization, referral.recipient):
        audit(actor, organization, action, referral, request=request, **details)


@transaction.atomic
def send_referral(
    organization: Organization,
    actor: User | None,
    data: dict,
    *,
    event: Event | None = None,
    person: Person | None = None,
    request=None,
) -> Referral:
    """Refer ``event`` and/or ``person`` (the sender's) to ``data["recipient"]``.

    ``data["event_fields"]`` / ``data["person_fields"]``: what travels, field by field.
    """
    if event is None and person is None:
        raise ValueError("a referral refers a case or a person")
    for instance in (event, person):
        if instance is not None and instance.organization_id != organization.pk:
            raise ValueError("an organization refers only its own records")
    recipient = data["recipient"]
    if recipient.pk == organization.pk:
        raise ValueError("an organization does not refer to itself")
    event_fields = list(data.get("event_fields") or []) if event is not None else []
    person_fields = list(data.get("person_fields") or []) if person is not None else []
    for model, fields in ((Event, event_fields), (Person, person_fields)):
        unknown = set(fields) - set(shareable(model).fields)
        if unknown:
            raise ValueError(f"fields that cannot travel: {sorted(unknown)}")
    referral = Referral.objects.create(
        organization=organization,
        created_by=actor,
        recipient=recipient,
        capability=data["capability"],
        event=event,
        person=person,
        event_fields=event_fields,
        person_fields=person_fields,
        message=data.get("message", ""),
        follow_up_on=data.get("follow_up_on"),
    )
    ReferralReceipt.objects.create(
        organization=recipient, referral=referral, message=data.get("message", "")
    )
    _sync_grants(actor, referral, request=request)
    audit(actor, organization, AuditAction.REFERRAL_SEND, referral, request=request,
          recipient=recipient.pk, capability=referral.capability,
          event_fields=event_fields, person_fields=person_fields)  # fmt: skip
    audit(actor, recipient, AuditAction.REFERRAL_RECEIVE, referral, request=request,
          sender=organization.pk, capability=referral.capability)  # fmt: skip
    return referral


def _locked(referral: Referral) -> Referral:
    # Only the referral's row is locked (PostgreSQL refuses to lock the nullable side of
    # the joins to the case and the person, and the organizations need no lock).
    current = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("organization", "recipient")
        .get(pk=referral.pk)
    )
    current.side = getattr(referral, "side", None)
    current.can = getattr(referral, "can", None)
    return current


def _status_conflict(current: Referral, version: int, wanted: str) -> None:
    if current.version != version:
        raise ConflictError(
            current,
            [
                Difference(
                    "status",
                    str(Referral._meta.get_field("status").verbose_name),
                    current.get_status_display(),
                    str(Status(wanted).label),
                )
            ],
        )


MOVED = ["status", "version", "updated_at"]


def _move(referral: Referral, version: int, status: str, allowed_from) -> Referral:
    current = _locked(referral)
    _status_conflict(current, version, status)
    if current.status not in allowed_from:
        raise ConflictError(current, [])
    current.status = status
    current.version += 1
    current.updated_at = timezone.now()
    return current


@transaction.atomic
def answer_referral(
    referral: Referral,
    actor: User | None,
    *,
    accept: bool,
    reason: str = "",
    version: int,
    request=None,
) -> Referral:
    """The recipient accepts, or declines with a reason (then nothing travels any more)."""
    status = Status.ACCEPTED if accept else Status.DECLINED
    if not accept and not reason.strip():
        raise ValueError("a declined referral says why")
    current = _move(referral, version, status, {Status.SENT})
    current.answered_at = current.updated_at
    current.answered_by = actor
    fields = [*MOVED, "answered_at", "answered_by"]
    if not accept:
        current.decline_reason = reason
        current.closed_at = current.updated_at
        fields += ["decline_reason", "closed_at"]
        receipt = current.receipt
        receipt.decline_reason = reason
        receipt.save(update_fields=["decline_reason"])
    current.save(update_fields=fields)
    if not accept:
        _sync_grants(actor, current, request=request)
    action = AuditAction.REFERRAL_ACCEPT if accept else AuditAction.REFERRAL_DECLINE
    _audit_both(actor, current, action, request=request)
    return current


@transaction.atomic
def mark_in_progress(referral: Referral, actor: User | None, *, version: int, request=None):
    current = _move(referral, version, Status.IN_PROGRESS, {Status.ACCEPTED})
    current.save(update_fields=MOVED)
    _audit_both(actor, current, AuditAction.REFERRAL_PROGRESS, request=request)
    return current


@transaction.atomic
def close_referral(referral: Referral, actor: User | None, *, version: int, request=None):
    """Either side closes an open referral; what travelled with it stops being readable."""
    current = _move(referral, version, Status.CLOSED, OPEN)
    current.closed_at = current.updated_at
    current.save(update_fields=[*MOVED, "closed_at"])
    _sync_grants(actor, current, request=request)
    _audit_both(actor, current, AuditAction.REFERRAL_CLOSE, request=request)
    return current


@transaction.atomic
def set_follow_up(
    referral: Referral,
    organization: Organization,
    actor: User | None,
    follow_up_on: datetime.date | None,
    *,
    version: int,
    request=None,
) -> Referral:
    """Set ``organization``'s side's follow-up date (each side keeps its own, under its key)."""
    current = _locked(referral)
    _check_version(current, version)
    fields = ["version", "updated_at"]
    if organization.pk == current.organization_id:
        current.follow_up_on = follow_up_on
        fields.append("follow_up_on")
    elif organization.pk == current.recipient_id:
        receipt = current.receipt
        receipt.follow_up_on = follow_up_on
        receipt.save(update_fields=["follow_up_on"])
    else:
        raise ValueError("only the two organizations of a referral follow it up")
    current.version += 1
    current.updated_at = timezone.now()
    current.save(update_fields=fields)
    audit(actor, organization, AuditAction.REFERRAL_FOLLOW_UP, current, request=request)
    return current
