"""The audit log: an append-only, hash-chained list of who did what, when and where."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One event, written *pending* and later *sealed* into the chain.

    A pending entry has no ``seq`` and no ``prev_hash``; its ``entry_hash`` is
    an HMAC-SHA256, under the audit key, of its own content. Sealing gives it
    the next ``seq``, the previous entry's hash, and replaces ``entry_hash``
    with an HMAC of the content, ``seq`` and ``prev_hash`` (see
    ``memoria.audit.log``). ``nonce`` makes every entry's content unique, so a
    copied entry is refused by the database and found by verification; entries
    written before pending entries existed have none.

    Foreign keys have no database constraint and are never nulled: deleting a
    user or an organization must not rewrite history (which would break the
    chain). ``details`` never holds names or other identities: only ids, kinds
    and counts.
    """

    seq = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    nonce = models.CharField(max_length=32, unique=True, null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["organization", "-seq"], name="audit_org_seq"),
            # What sealing reads: the few entries not chained yet.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="audit_pending"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}" if self.seq else f"pending {self.action}"


class AuditChainHead(models.Model):
    """The single row sealing locks: it serializes sealers so the chain never forks.

    Writing an entry does not lock it (entries are written pending), so
    audited reads run side by side.

    It also holds the audit key, wrapped by a key derived from the master key
    (``memoria.vault.keys.wrap_secret``): without the master key it is useless,
    and it survives master-key rotation (it is re-wrapped), so the chain's
    hashes, and any head hash noted elsewhere, stay the same.
    """

    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    wrapped_key = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"head #{self.seq}"
