"""Channels, deliveries and their attempts; urgent alerts and their recipients.

Models and key fields (*enc*: encrypted with the organization's key):

* ``Channel`` — a way to reach people: ``organization``, ``kind`` (email,
  webhook, sms, signal), ``name``, ``config`` *enc* (a dict: ``address`` (the
  default recipient), ``url`` and ``secret`` (webhook), ``gateway_url`` and
  ``token`` (SMS gateway), ``signal_url`` and ``sender`` (signal-cli REST),
  ``smtp_host``, ``smtp_port``, ``smtp_user``, ``smtp_password``,
  ``smtp_tls``, ``from_address`` (e-mail; empty: the project's settings)),
  ``enabled``, ``last_error`` (safe to show: no message content),
  ``last_error_at``, ``last_sent_at``, ``version``.
* ``Delivery`` — one message for one recipient over one channel:
  ``delivery_id`` (a UUID sent with the message; receivers de-duplicate on it),
  ``organization``, ``channel``, ``recipient`` *enc*, ``subject`` *enc*,
  ``body`` *enc*, ``location`` *enc* (only kept when the caller asked for it),
  ``idempotency_key`` (unique per organization), ``status`` (queued,
  sending, sent, failed), ``attempts``, ``max_attempts``,
  ``next_attempt_at``, ``claimed_by``, ``lease_expires_at``, ``last_error``,
  ``created_at``, ``updated_at``, ``sent_at``.
* ``DeliveryAttempt`` — the delivery log: ``delivery``, ``channel``,
  ``attempt``, ``started_at``, ``finished_at``, ``result`` (sent, failed),
  ``error`` (no message content).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.vault.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField


class Channel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Signed webhook")
        SMS = "sms", _("SMS gateway")
        SIGNAL = "signal", _("Signal")

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="alert_channels"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    config = EncryptedJSONField(_("configuration"), null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    last_error = models.TextField(blank=True)  # safe to show: no message content
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name

    def setting(self, name: str, default=""):
        return (self.config or {}).get(name, default)


class Delivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    recipient = EncryptedCharField(_("recipient"), max_length=500, blank=True)
    subject = EncryptedCharField(_("subject"), max_length=300, blank=True)
    body = EncryptedTextField(_("message"), blank=True)
    location = EncryptedTextField(_("location"), blank=True)
    # A webhook delivery to a support contact's own receiver, not the channel's.
    endpoint = EncryptedCharField(_("receiver's address"), max_length=500, blank=True)
    endpoint_secret = EncryptedCharField(_("receiver's secret"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # safe to show: no message content
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="delivery_key_per_organization"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["status", "lease_expires_at"], name="delivery_lease"),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"delivery {self.delivery_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at handing a delivery to its channel: when, and how it went."""

    class Result(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="log")
    attempt = models.PositiveIntegerField()
    worker = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=10, choices=Result.choices)
    error = models.TextField(blank=True)  # safe to show: no message content

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["channel", "-started_at"], name="attempt_channel_recent")]

    def __str__(self) -> str:
        return f"attempt {self.attempt} of {self.delivery_id}: {self.result}"


# -- urgent alerts (acción urgente) ---------------------------------------------------------


class AlertTemplate(models.Model):
    """An organization's own wording for an urgent alert, in one language; editable."""

    class Language(models.TextChoices):
        SPANISH = "es-mx", "Español (México)"
        ENGLISH = "en", "English"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.SPANISH
    )
    subject = EncryptedCharField(_("subject"), max_length=300)
    body = EncryptedTextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "language", "pk"]
        verbose_name = _("alert template")
        verbose_name_plural = _("alert templates")

    def __str__(self) -> str:
        return self.name


class UrgentAlert(models.Model):
    """An urgent action a coordinator sent to chosen contacts and organizations."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    subject = EncryptedCharField(_("subject"), max_length=300)
    body = EncryptedTextField(_("message"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("urgent alert")
        verbose_name_plural = _("urgent alerts")

    def __str__(self) -> str:
        return f"urgent alert #{self.pk}"


class AlertRecipient(models.Model):
    """One recipient of an urgent alert: their delivery and their acknowledgement."""

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("Organization of the network")
        CHANNEL = "channel", _("Channel")
        CONTACT = "contact", _("Contact")

    alert = models.ForeignKey(UrgentAlert, on_delete=models.CASCADE, related_name="recipients")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = EncryptedCharField(_("recipient"), max_length=300)
    target_organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    delivery = models.OneToOneField(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="recipient_of"
    )
    # Only a hash of the personal acknowledgement link's token is kept.
    ack_token_hash = models.CharField(max_length=64, unique=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"recipient #{self.pk} of alert #{self.alert_id}"
