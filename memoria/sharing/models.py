"""A grant: one record of one organization, some of its fields, readable by another.

The copy of the granted fields is encrypted under the *recipient's* data key
(``organization`` is the recipient, so the vault picks that key). The
recipient's pages read only this copy: they never open the owner's rows, and
the owner's data key never decrypts anything for another organization. The
owner's writes refresh the copy in the same transaction; revoking deletes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.vault.fields import EncryptedJSONField


class SharedRecord(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="shared_with_us",
        verbose_name=_("recipient"),
    )
    owner = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="shared_by_us",
        verbose_name=_("owner"),
    )
    kind = models.CharField(_("kind of record"), max_length=100)
    object_id = models.BigIntegerField()
    fields = models.JSONField(_("fields"), default=list)
    content = EncryptedJSONField(_("content"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "object_id"], name="sharing_one_grant_per_record"
            )
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="sharing_by_record")]
        verbose_name = _("shared record")
        verbose_name_plural = _("shared records")

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} → {self.organization_id}"
