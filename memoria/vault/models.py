"""Wrapped data keys: the vault's only table."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganizationKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class OrganizationKey(models.Model):
    """An organization's data key, wrapped (AES-256-GCM) by the master key.

    One key per organization is active (``retired_at`` empty): new ciphertexts
    use it. Retired keys stay, so older ciphertexts remain readable while a
    rotation re-encrypts them, and because the first key also derives the
    organization's blind-index key.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="vault_keys"
    )
    key_id = models.CharField(max_length=32, unique=True)
    wrapped_key = models.TextField()
    master_key_id = models.CharField(
        max_length=32, help_text=_("Fingerprint of the master key that wraps this key.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = OrganizationKeyQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(retired_at__isnull=True),
                name="vault_one_active_key_per_organization",
            )
        ]
        verbose_name = _("organization data key")
        verbose_name_plural = _("organization data keys")

    def __str__(self) -> str:
        state = "retired" if self.retired_at else "active"
        return f"{self.key_id} ({self.organization_id}, {state})"
