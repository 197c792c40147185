"""Grant, refresh and revoke what one organization shares with another.

Each is audited in the owner's organization, in the same transaction as the
change. These are the mechanism; the network's sharing agreements (which
records, which fields, for whom) will call them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from memoria.accounts.models import Organization, User
from memoria.accounts.viewer import Viewer
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.sharing.access import SharedView
from memoria.sharing.models import SharedRecord
from memoria.sharing.registry import is_shareable, shareable


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
    instance = type(instance).objects.select_for_update().get(pk=instance.pk)
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


def refresh_shares(instance: models.Model) -> int:
    """Bring every recipient's copy of ``instance`` up to date (inside the owner's write)."""
    if not is_shareable(type(instance)):
        return 0
    spec = shareable(type(instance))
    records = SharedRecord.objects.select_for_update().filter(kind=spec.kind, object_id=instance.pk)
    count = 0
    for record in records:
        record.content = spec.project(instance, record.fields)
        record.refreshed_at = timezone.now()
        record.save(update_fields=["content", "refreshed_at"])
        count += 1
    return count


def record_shared_view(viewer: Viewer, shared: SharedView, *, request=None) -> None:
    """Tell the owner that someone of the recipient organization read what it shared."""
    audit(
        viewer.user,
        shared.owner,
        AuditAction.SHARE_VIEWED,
        shared.shared,
        request=request,
        recipient=viewer.organization_id,
        kind=shared.kind,
        object_id=shared.pk,
    )
