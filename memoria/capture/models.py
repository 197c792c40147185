"""Testimonies captured on a phone without a connection, once they reach the server.

A documenter on a caravan or a brigade records drafts on the capture page; the
drafts stay encrypted on the phone (docs/offline.md) until the member sends
them. Each draft carries an identifier its phone drew at random (a UUID). A
``CapturedTestimony`` is the receipt of one draft: which case and which source
it became. Its uniqueness per organization is what makes sending idempotent:
a draft sent again (its answer was lost on a bad connection) finds its receipt
and creates nothing.

``digest`` is a keyed digest (the organization's blind-index key) of what the
draft said, so a second sending with the same identifier but another content
is told apart (and refused) without keeping the content in clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from memoria.accounts.models import Organization
from memoria.cases.models import Event, Source


class CapturedTestimony(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    client_id = models.UUIDField()
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "client_id"], name="one_receipt_per_draft"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.event_id}"
