"""A confidential note of an organization, encrypted field by field (tests only).

It exercises every encrypted field type: the vault, raw-database, rotation,
backup and audit tests write through it. Installed only by ``tests.settings``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from memoria.vault.fields import (
    EncryptedBinaryField,
    EncryptedBooleanField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedReferenceField,
    EncryptedTextField,
)


class ProtectedNote(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="protected_notes"
    )
    title = EncryptedCharField("title", max_length=200)
    body = EncryptedTextField("text", blank=True)
    noted_on = EncryptedDateField("date", null=True, blank=True)
    data = EncryptedJSONField("data", null=True, blank=True)
    scan = EncryptedBinaryField("scan", null=True, blank=True)
    state = EncryptedReferenceField("places.State", verbose_name="state", null=True, blank=True)
    urgent = EncryptedBooleanField("urgent", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"note {self.pk}"
