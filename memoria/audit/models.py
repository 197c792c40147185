"""The audit log: an append-only, hash-chained list of who did what, when and where."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """One event. ``entry_hash`` is an HMAC-SHA256, under the audit key, of the
    content and the previous entry's hash (see ``memoria.audit.log``).

    Foreign keys have no database constraint and are never nulled: deleting a
    user or an organization must not rewrite history (which would break the
    chain). ``details`` never holds names or other identities: only ids, kinds
    and counts.
    """

    seq = models.PositiveBigIntegerField(unique=True)
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
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["organization", "-seq"], name="audit_org_seq")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The single row every append locks: it serializes writers so the chain never forks.

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
