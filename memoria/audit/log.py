"""Append to the audit log and verify its hash chain.

``audit(actor, organization, action, target=None, request=None, **details)``
records one entry. Appends are serialized by locking the single chain-head row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock does the same),
so concurrent writers cannot fork the chain. The entry is part of the caller's
transaction: if the action rolls back, so does its entry.

Never put names, testimonies or other identities in ``details``: the audit log
is not encrypted. Record ids, kinds, counts and field names instead.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from memoria.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry

HEAD_PK = 1


def client_ip(request) -> str | None:
    """The client's address as the server sees it (the proxy must set REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def canonical_content(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash covers: every column but the hash itself."""
    content = {
        "seq": entry.seq,
        "created_at": entry.created_at.astimezone(datetime.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_email": entry.actor_email,
        "organization_id": entry.organization_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "ip_address": entry.ip_address,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(
        content, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_content(entry)).hexdigest()


def _target(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    meta = getattr(target, "_meta", None)
    if meta is None:
        raise TypeError("audit target must be a model instance")
    return meta.label_lower, str(target.pk)


def _normalize_details(details: dict) -> dict:
    # Round-trip through JSON now, so the hash covers what the database will return.
    return json.loads(json.dumps(details, cls=DjangoJSONEncoder, sort_keys=True))


def audit(actor, organization, action: str, target=None, request=None, **details) -> AuditEntry:
    """Record that ``actor`` did ``action`` (on ``target``) in ``organization``.

    ``actor`` and ``organization`` may be None (a failed login, a platform task).
    """
    target_type, target_id = _target(target)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=HEAD_PK)
        entry = AuditEntry(
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor_id=actor.pk if is_user else None,
            actor_email=(actor.email if is_user else "")[:254],
            organization_id=organization.pk if organization is not None else None,
            action=action,
            target_type=target_type,
            target_id=target_id,
            ip_address=client_ip(request),
            details=_normalize_details(details),
            prev_hash=head.last_hash,
        )
        entry.entry_hash = compute_hash(entry)
        entry.save()
        head.seq = entry.seq
        head.last_hash = entry.entry_hash
        head.save(update_fields=["seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class Problem:
    seq: int | None
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"entry #{self.seq} (id {self.entry_id})" if self.seq is not None else "chain"
        return f"{where}: {self.message}"


def verify_chain(batch_size: int = 2000) -> tuple[int, list[Problem]]:
    """Re-hash every entry in order; return ``(entries checked, problems)``.

    Finds edited entries (hash mismatch), deleted ones (a gap in the sequence,
    or a head that points past the last entry) and reordered or re-inserted
    ones (an entry whose ``prev_hash`` is not its predecessor's hash).
    """
    problems: list[Problem] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    last_seq = 0
    queryset = AuditEntry.objects.order_by("seq")
    for entry in queryset.iterator(chunk_size=batch_size):
        count += 1
        if entry.seq != expected_seq:
            problems.append(
                Problem(
                    entry.seq,
                    entry.pk,
                    f"expected entry #{expected_seq} here: entries #{expected_seq}"
                    f"–#{entry.seq - 1} are missing (deleted)"
                    if entry.seq > expected_seq
                    else f"out of sequence after #{expected_seq - 1}",
                )
            )
        if entry.prev_hash != expected_prev:
            problems.append(
                Problem(
                    entry.seq,
                    entry.pk,
                    "does not follow the previous entry (an entry before it was deleted, "
                    "edited or moved)",
                )
            )
        actual = compute_hash(entry)
        if actual != entry.entry_hash:
            problems.append(Problem(entry.seq, entry.pk, "its content was edited after writing"))
        expected_prev = entry.entry_hash
        expected_seq = entry.seq + 1
        last_seq = entry.seq
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is not None:
        if head.seq != last_seq:
            problems.append(
                Problem(
                    None,
                    None,
                    f"the chain head says the last entry is #{head.seq}, but the last entry "
                    f"found is #{last_seq} (entries at the end were deleted)",
                )
            )
        elif head.last_hash != expected_prev:
            problems.append(
                Problem(None, None, f"the last entry #{last_seq} differs from the one recorded")
            )
    elif count:
        problems.append(Problem(None, None, "the chain head row is missing"))
    return count, problems


def head_digest() -> str:
    """The hash of the newest entry: write it down elsewhere to anchor the log."""
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    return head.last_hash if head else GENESIS_HASH
