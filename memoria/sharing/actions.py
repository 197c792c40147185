"""Grant, refresh and revoke what one organization shares with another.

Each is audited in the owner's organization, in the same transaction as the
change. ``share_record`` / ``revoke_share`` grant by hand; ``sync_grant``
makes the copy hold exactly what the grant sources (open referrals, see
``memoria.network``) and the agreements in force (``memoria.sharing.rules``)
want the recipient to read, and deletes it when that is nothing. The owner's
writes call ``refresh_shares``, which also re-applies the agreements, so a
consent withdrawn or a victim added takes effect in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from memoria.accounts.models import Organization, User
from memoria.accounts.viewer import Viewer
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.sharing import rules
from memoria.sharing.access import SharedView
from memoria.sharing.models import SharedRecord
from memoria.sharing.registry import grant_sources, is_shareable, shareable


@transaction.atomic
def share_record(
    actor: User | None,
    instance: models.Model,
    recipient: Organization,
    fields: Iterable[str],
    *,
    request=None,
) -> SharedRecord:
    """Let ``recipient`` read ``fields`` of ``instance`` (replacing an earlier grant)."""
    spec = shareable(type(instance))
    # Copy from the row as it is now, locked as the owner's edits lock it: an edit
    # committing meanwhile would otherwise miss this grant and leave the copy stale.
    instance = type(instance).objects.select_for_update(no_key=True).get(pk=instance.pk)
    fields = list(dict.fromkeys(fields))
    unknown = [field for field in fields if field not in spec.fields]
    if unknown or not fields:
        raise ValueError(f"fields that cannot be shared: {unknown or 'none given'}")
    if recipient.pk == instance.organization_id:
        raise ValueError("an organization does not share with itself")
    now = timezone.now()
    record, _created = SharedRecord.objects.update_or_create(
        organization=recipient,
        kind=spec.kind,
        object_id=instance.pk,
        defaults={
            "owner_id": instance.organization_id,
            "fields": fields,
            "content": spec.project(instance, fields),
            "granted_by": actor,
            "granted_at": now,
            "refreshed_at": now,
        },
    )
    audit(
        actor,
        instance.organization,
        AuditAction.SHARE_GRANTED,
        instance,
        request=request,
        recipient=recipient.pk,
        fields=fields,
    )
    return record


@transaction.atomic
def revoke_share(
    actor: User | None, instance: models.Model, recipient: Organization, *, request=None
) -> bool:
    """Take back a grant: the recipient's copy is deleted. Returns whether there was one."""
    spec = shareable(type(instance))
    deleted, _ = SharedRecord.objects.filter(
        organization=recipient, kind=spec.kind, object_id=instance.pk
    ).delete()
    if deleted:
        audit(
            actor,
            instance.organization,
            AuditAction.SHARE_REVOKED,
            instance,
            request=request,
            recipient=recipient.pk,
        )
    return bool(deleted)


def sync_grant(
    actor: User | None, instance: models.Model, recipient_id: int, *, request=None
) -> SharedRecord | None:
    """Make ``recipient_id``'s copy of ``instance`` hold what every source wants it to read.

    The union of the grant sources' fields and the agreements' (each bounded by
    the record's consent); no field left: the copy is deleted. A change of the
    fields is audited in the owner's log; a mere refresh is not.
    """
    model = type(instance)
    spec = shareable(model)
    # Locked as the owner's edits lock it: a consent withdrawn meanwhile waits for us,
    # then re-applies the agreements itself.
    instance = model.objects.select_for_update(no_key=True).get(pk=instance.pk)
    wanted: set[str] = set()
    for source in grant_sources():
        wanted.update(source(instance, recipient_id))
    by_agreement = rules.contributions(instance, recipient_id)
    for fields in by_agreement.values():
        wanted.update(fields)
    fields = [name for name in spec.fields if name in wanted]
    record = (
        SharedRecord.objects.select_for_update()
        .filter(organization_id=recipient_id, kind=spec.kind, object_id=instance.pk)
        .first()
    )
    owner = instance.organization
    if not fields:
        if record is not None:
            record.delete()
            audit(actor, owner, AuditAction.SHARE_REVOKED, instance, request=request,
                  recipient=recipient_id)  # fmt: skip
        return None
    now = timezone.now()
    changed = record is None or record.fields != fields
    if record is None:
        record = SharedRecord(
            organization_id=recipient_id, owner_id=owner.pk, kind=spec.kind, object_id=instance.pk
        )
    if changed:
        record.granted_by, record.granted_at = actor, now
    record.fields = fields
    record.content = spec.project(instance, fields)
    record.refreshed_at = now
    record.save()
    record.agreements.set(sorted(by_agreement))
    if changed:
        audit(actor, owner, AuditAction.SHARE_GRANTED, instance, request=request,
              recipient=recipient_id, fields=fields, agreements=sorted(by_agreement))  # fmt: skip
    return record


def _agreement_recipients(instance: models.Model) -> set[int]:
    """Organizations an agreement may concern for ``instance``: in force, or holding its copy."""
    kind = shareable(type(instance)).kind
    partners = {
        agreement.partner_id
        for agreement in rules.in_force().filter(organization_id=instance.organization_id)
        if kind in (agreement.fields or {})
    }
    partners.update(
        SharedRecord.objects.filter(kind=kind, object_id=instance.pk, agreements__isnull=False)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    return partners


def refresh_shares(instance: models.Model) -> int:
    """Bring every recipient's copy of ``instance`` up to date (inside the owner's write).

    Then re-apply the agreements to ``instance`` and to the records whose consent
    follows from it (a person's cases): a new record starts being shared, one whose
    consent was withdrawn stops, in this same transaction.
    """
    if not is_shareable(type(instance)):
        return 0
    spec = shareable(type(instance))
    records = SharedRecord.objects.select_for_update(no_key=True).filter(
        kind=spec.kind, object_id=instance.pk
    )
    count = 0
    for record in records:
        record.content = spec.project(instance, record.fields)
        record.refreshed_at = timezone.now()
        record.save(update_fields=["content", "refreshed_at"])
        count += 1
    for record in [instance, *spec.dependents(instance)]:
        if is_shareable(type(record)):
            for recipient_id in _agreement_recipients(record):
                sync_grant(None, record, recipient_id)
    return count


def audit_shared_read(
    user, owner: Organization, reader: Organization, target, *, request=None, **details
) -> None:
    """A read of what ``owner`` shares with ``reader``, in both logs: ``share.viewed``
    in the owner's, ``share.read`` in the reader's. Both entries land in one
    transaction, or neither."""
    with transaction.atomic():
        audit(user, owner, AuditAction.SHARE_VIEWED, target, request=request,
              recipient=reader.pk, **details)  # fmt: skip
        audit(user, reader, AuditAction.SHARE_READ, target, request=request,
              owner=owner.pk, **details)  # fmt: skip


def record_shared_view(viewer: Viewer, shared: SharedView, *, request=None) -> None:
    """Audit a read of a shared record on both sides: the owner's log and the reader's."""
    agreements = [agreement.pk for agreement in getattr(shared, "agreements", [])]
    audit_shared_read(
        viewer.user,
        shared.owner,
        viewer.organization,
        shared.shared,
        request=request,
        kind=shared.kind,
        object_id=shared.pk,
        agreements=agreements,
    )
