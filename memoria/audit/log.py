"""Append to the audit log and verify its keyed hash chain.

``audit(actor, organization, action, target=None, request=None, **details)``
records one entry. It is one INSERT in the caller's transaction: if the action
rolls back, so does its entry, and it takes no lock, so audited reads never
wait for one another.

An entry is written *pending*: no place in the chain yet (``seq`` is NULL),
and an HMAC-SHA256 of its own content under a key derived from the *audit
key* (``AuditKeys.entry``), so an edit is found even before it is chained.
``seal_pending()`` then locks the single chain-head row (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite's write lock does the same) and chains the
pending entries it can see, in insertion order: each gets the next ``seq``,
the previous entry's hash, and an HMAC of its content, ``seq`` and
``prev_hash`` under the chain key. The background worker seals every few
seconds; the audit page, ``memoria audit verify``, ``head_digest()`` and
backups seal first.

The chain order is the order of sealing, not of ids: on PostgreSQL an entry
with a lower id can commit after a higher one was sealed. It is still pending
at the next sealing, which chains it then; nothing is skipped and verification
only follows ``seq``.

The audit key is 32 random bytes stored in the chain-head row, wrapped by a
key derived from the master key, which never enters the database. Someone who
can write to the database but lacks the master key cannot compute a valid
hash, so an edited, inserted or reordered entry is found by ``verify_chain``
even if every later hash and the head were recomputed. Master-key rotation
re-wraps the audit key (``rewrap_key``), so the hashes do not change. A
pending entry deleted before it is sealed leaves no trace: see
docs/security.md for that window.

Never put names, testimonies or other identities in ``details``: the audit log
is not encrypted. Record ids, kinds, counts and field names instead.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from memoria.audit.labels import AuditAction
from memoria.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry
from memoria.vault import keys

HEAD_PK = 1
KEY_PURPOSE = "audit log"
SIGN_IN_NAME_DIGEST_CHARS = 16
NONCE_BYTES = 16
SEAL_BATCH = 1000


@dataclass(frozen=True)
class AuditKeys:
    """Keys derived from the audit key, one per use."""

    chain: bytes  # the HMAC of a sealed entry (content, seq, previous hash)
    entry: bytes  # the HMAC of a pending entry (its content only)
    sign_in_names: bytes  # the keyed digest of a name typed at a failed sign-in
    two_factor: bytes  # seals authenticator secrets and digests recovery codes


def keys_from_secret(secret: bytes) -> AuditKeys:
    return AuditKeys(
        chain=keys.derive_key(secret, "audit chain hmac"),
        entry=keys.derive_key(secret, "audit pending entry hmac"),
        sign_in_names=keys.derive_key(secret, "audit sign-in name digest"),
        two_factor=keys.derive_key(secret, "two-factor secrets"),
    )


def new_wrapped_key(master: bytes | None = None) -> str:
    """A fresh random audit key, wrapped for the chain-head row."""
    secret = secrets.token_bytes(keys.KEY_BYTES)
    return keys.wrap_secret(secret, KEY_PURPOSE, master or keys.load_master_key())


def audit_keys(wrapped: str) -> AuditKeys:
    """The keys in ``wrapped`` (the chain head's), opened with the current master key."""
    return keys_from_secret(keys.platform_secret(wrapped, KEY_PURPOSE))


def rewrap_key(old_master: bytes, new_master: bytes) -> bool:
    """Re-wrap the audit key under ``new_master`` (the caller holds the transaction).

    The audit key itself does not change, so neither do the entries' hashes.
    Returns whether there was a key to re-wrap.
    """
    head = AuditChainHead.objects.select_for_update(no_key=True).filter(pk=HEAD_PK).first()
    if head is None or not head.wrapped_key:
        return False
    secret = keys.unwrap_secret(head.wrapped_key, KEY_PURPOSE, old_master)
    head.wrapped_key = keys.wrap_secret(secret, KEY_PURPOSE, new_master)
    head.save(update_fields=["wrapped_key"])
    return True


def _locked_head() -> AuditChainHead:
    """The chain head, locked, with an audit key (created with the first entry)."""
    head, _created = AuditChainHead.objects.select_for_update(no_key=True).get_or_create(pk=HEAD_PK)
    if not head.wrapped_key:
        if head.seq or AuditEntry.objects.exists():
            # Never start a new key under existing entries: that would hide them.
            raise keys.VaultError(
                "the audit log's key is missing from audit_auditchainhead although the log "
                "has entries. Run 'memoria audit verify' and restore the log from a backup"
            )
        head.wrapped_key = new_wrapped_key()
        head.save(update_fields=["wrapped_key"])
    return head


def current_keys() -> AuditKeys:
    """The audit keys, creating the audit key if the log has none yet."""
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is None or not head.wrapped_key:
        with transaction.atomic():
            head = _locked_head()
    return audit_keys(head.wrapped_key)


def normalize_ip(value: str | None) -> str | None:
    """An address as the database stores it (IPv6 compressed), or None if it is not one.

    The hash must cover what the database will return: PostgreSQL's ``inet``
    and Django both rewrite ``2001:0db8:0:0::1`` as ``2001:db8::1``.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None
    if address.version == 6:
        if address.scope_id:  # a zone ("%eth0") is local to the server, and inet rejects it
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        return clean_ipv6_address(str(address))
    return str(address)


def client_ip(request) -> str | None:
    """The client's address as the server sees it (the proxy must set REMOTE_ADDR)."""
    if request is None:
        return None
    return normalize_ip(request.META.get("REMOTE_ADDR"))


def _content(entry: AuditEntry) -> dict:
    content = {
        "created_at": entry.created_at.astimezone(datetime.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_email": entry.actor_email,
        "organization_id": entry.organization_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "ip_address": normalize_ip(entry.ip_address),
        "details": entry.details,
    }
    # Entries written before pending entries existed have no nonce; leaving the
    # key out keeps their hashes as they were. (getattr: migration 0002's
    # historical model has no such field.)
    nonce = getattr(entry, "nonce", None)
    if nonce:
        content["nonce"] = nonce
    return content


def _encode(content: dict) -> bytes:
    return json.dumps(
        content, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


def canonical_content(entry: AuditEntry) -> bytes:
    """The bytes a sealed entry's hash covers: every column but the hash itself."""
    return _encode({**_content(entry), "seq": entry.seq, "prev_hash": entry.prev_hash})


def pending_content(entry: AuditEntry) -> bytes:
    """The bytes a pending entry's hash covers: its content, without a place in the chain."""
    return _encode(_content(entry))


def compute_hash(entry: AuditEntry, chain_key: bytes) -> str:
    """The sealed entry's HMAC-SHA256 under the chain key (64 hexadecimal digits)."""
    return hmac.new(chain_key, canonical_content(entry), hashlib.sha256).hexdigest()


def compute_pending_hash(entry: AuditEntry, entry_key: bytes) -> str:
    """The pending entry's HMAC-SHA256 under the entry key (64 hexadecimal digits)."""
    return hmac.new(entry_key, pending_content(entry), hashlib.sha256).hexdigest()


def sign_in_name_digest(name: str) -> str:
    """A keyed, shortened digest of a name typed at sign-in, never the name itself.

    People sometimes type their password in the e-mail box, so what was typed
    must not be stored. The digest still shows that several failures were for
    the same name; only someone with the master key can test a guess against it.
    """
    key = current_keys().sign_in_names
    normalized = name.strip().casefold().encode()
    return hmac.new(key, normalized, hashlib.sha256).hexdigest()[:SIGN_IN_NAME_DIGEST_CHARS]


def lockout_name(request, credentials=None) -> str | None:
    """The name django-axes counts failures for and stores: its keyed digest.

    Lockout still works per account (the digest of one name is always the
    same, whatever its capitals), but ``axes_accessattempt`` never holds what
    was typed (AXES_USERNAME_CALLABLE).
    """
    source = credentials if credentials else getattr(request, "POST", {})
    name = source.get("username") if source else None
    return sign_in_name_digest(name) if name else None


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


def registered_action(action: AuditAction | str) -> AuditAction:
    """``action`` as a member of the registry; ``ValueError`` if it is not registered."""
    try:
        return AuditAction(action)
    except ValueError:
        raise ValueError(
            f"{action!r} is not a registered audit action: add it to AuditAction in "
            "memoria/audit/labels.py"
        ) from None


def audit(
    actor, organization, action: AuditAction | str, target=None, request=None, **details
) -> AuditEntry:
    """Record that ``actor`` did ``action`` (on ``target``) in ``organization``.

    ``actor`` and ``organization`` may be None (a failed login, a platform task).
    ``action`` is an ``AuditAction`` (or its code); any other code raises
    ``ValueError``. The entry is written pending, in the caller's transaction,
    without locking anything; ``seal_pending()`` chains it later.
    """
    action = registered_action(action)
    target_type, target_id = _target(target)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        seq=None,
        created_at=timezone.now(),
        actor_id=actor.pk if is_user else None,
        actor_email=(actor.email if is_user else "")[:254],
        organization_id=organization.pk if organization is not None else None,
        action=action.value,
        target_type=target_type,
        target_id=target_id,
        ip_address=client_ip(request),
        details=_normalize_details(details),
        nonce=secrets.token_hex(NONCE_BYTES),
        prev_hash="",
    )
    entry.entry_hash = compute_pending_hash(entry, current_keys().entry)
    entry.save(force_insert=True)
    return entry


def seal_pending(batch_size: int = SEAL_BATCH) -> int:
    """Chain every pending entry this transaction can see; return how many were sealed.

    Entries are sealed in insertion (id) order, one batch per transaction, each
    holding the chain-head lock. An entry whose own hash does not match (it was
    edited while pending) is left pending, so ``verify_chain`` keeps naming it
    rather than the chain vouching for it. An entry that commits while this
    runs, even with a lower id than one just sealed, is sealed by the next call.
    """
    sealed = 0
    after_id = 0
    while True:
        with transaction.atomic():
            head = _locked_head()
            audit_key = audit_keys(head.wrapped_key)
            # Read after taking the lock: whatever an earlier sealer chained is no longer pending.
            batch = list(
                AuditEntry.objects.filter(seq__isnull=True, pk__gt=after_id).order_by("pk")[
                    :batch_size
                ]
            )
            chained = []
            for entry in batch:
                after_id = entry.pk
                if not hmac.compare_digest(
                    compute_pending_hash(entry, audit_key.entry), entry.entry_hash
                ):
                    continue
                entry.seq = head.seq + 1
                entry.prev_hash = head.last_hash
                entry.entry_hash = compute_hash(entry, audit_key.chain)
                head.seq, head.last_hash = entry.seq, entry.entry_hash
                chained.append(entry)
            if chained:
                AuditEntry.objects.bulk_update(chained, ["seq", "prev_hash", "entry_hash"])
                head.save(update_fields=["seq", "last_hash"])
                sealed += len(chained)
        if len(batch) < batch_size:
            return sealed


@dataclass(frozen=True)
class Problem:
    seq: int | None
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        if self.seq is not None:
            where = f"entry #{self.seq} (id {self.entry_id})"
        elif self.entry_id is not None:
            where = f"pending entry (id {self.entry_id})"
        else:
            where = "chain"
        return f"{where}: {self.message}"


def verify_chain(batch_size: int = 2000) -> tuple[int, list[Problem]]:
    """Re-hash every entry; return ``(entries checked, problems)``.

    Sealed entries are checked in chain order. Finds edited entries (hash
    mismatch under the audit key, also when every later hash was recomputed
    without it), deleted ones (a gap in the sequence, or a head that points
    past the last entry) and reordered or re-inserted ones (an entry whose
    ``prev_hash`` is not its predecessor's hash). Pending entries are checked
    one by one (an edited one does not match its own hash) and for copies.
    Without the right master key only the order is checked, and that is a
    problem too. It changes nothing: call ``seal_pending()`` first to check
    the newest entries as part of the chain.
    """
    problems: list[Problem] = []
    audit_key = _keys_for_verification(problems)
    chain_key = audit_key.chain if audit_key else None
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    last_seq = 0
    queryset = AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
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
        if chain_key is not None and not hmac.compare_digest(
            compute_hash(entry, chain_key), entry.entry_hash
        ):
            problems.append(
                Problem(
                    entry.seq,
                    entry.pk,
                    "its content was edited after writing (its hash does not match under "
                    "the audit key)",
                )
            )
        expected_prev = entry.entry_hash
        expected_seq = entry.seq + 1
        last_seq = entry.seq
    count += _verify_pending(audit_key, problems, batch_size)
    _find_copies(problems)
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


def _verify_pending(audit_key: AuditKeys | None, problems: list[Problem], batch_size: int) -> int:
    count = 0
    pending = AuditEntry.objects.filter(seq__isnull=True).order_by("pk")
    for entry in pending.iterator(chunk_size=batch_size):
        count += 1
        if audit_key is not None and not hmac.compare_digest(
            compute_pending_hash(entry, audit_key.entry), entry.entry_hash
        ):
            problems.append(
                Problem(
                    None,
                    entry.pk,
                    "its content was edited after writing, before it was chained (its hash "
                    "does not match under the audit key)",
                )
            )
    return count


def _find_copies(problems: list[Problem]) -> None:
    # The unique constraint refuses copies; this finds them if it was dropped.
    copied = (
        AuditEntry.objects.exclude(nonce=None)
        .values("nonce")
        .annotate(times=Count("pk"))
        .filter(times__gt=1)
    )
    for row in copied:
        ids = sorted(AuditEntry.objects.filter(nonce=row["nonce"]).values_list("pk", flat=True))
        problems.append(
            Problem(None, None, f"entries with ids {ids} are copies of one entry (inserted)")
        )


def _keys_for_verification(problems: list[Problem]) -> AuditKeys | None:
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is None or not head.wrapped_key:
        if AuditEntry.objects.exists():
            problems.append(
                Problem(
                    None,
                    None,
                    "the audit key is missing from the chain head, so no entry's content can "
                    "be checked (it was deleted, or the log was replaced)",
                )
            )
        return None
    try:
        return audit_keys(head.wrapped_key)
    except keys.VaultError as error:
        problems.append(Problem(None, None, f"{error}; no entry's content can be checked"))
        return None


def head_digest() -> str:
    """The hash of the newest entry: write it down elsewhere to anchor the log.

    Seals pending entries first, so the digest covers every entry written so far.
    """
    seal_pending()
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    return head.last_hash if head else GENESIS_HASH
