"""Writes of the alerts app, each one transaction with its audit entry.

Channels (``save_channel``, ``send_test``), urgent-alert templates
(``save_template``) and urgent alerts (``send_urgent_alert``,
``acknowledge``). Audit details name no one and quote no message.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from memoria.alerts.delivery import enqueue
from memoria.alerts.models import AlertRecipient, AlertTemplate, Channel, Delivery, UrgentAlert
from memoria.alerts.recipients import Contact
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit

# Settings never shown back in a form: left blank on an edit, they keep their value.
SECRET_SETTINGS = frozenset({"secret", "token", "smtp_password"})


class ConflictError(Exception):
    """The record changed since the form was opened; nothing was written."""


def _check_version(record, version: int | None) -> None:
    if version is not None and record.version != version:
        raise ConflictError


@transaction.atomic
def save_channel(
    organization,
    data: dict,
    *,
    channel: Channel | None = None,
    version: int | None = None,
    actor=None,
    request=None,
) -> Channel:
    """Create a channel (``channel`` None) or change one; ``data`` holds name, kind,
    enabled and the settings of its kind."""
    settings = {
        key: value for key, value in data.get("config", {}).items() if value not in ("", None)
    }
    if channel is None:
        channel = Channel(organization=organization, kind=data["kind"], created_by=actor)
        action = AuditAction.CHANNEL_CREATE
    else:
        channel = Channel.objects.select_for_update(no_key=True).get(pk=channel.pk)
        _check_version(channel, version)
        kept = {k: v for k, v in (channel.config or {}).items() if k in SECRET_SETTINGS}
        settings = {**kept, **settings}
        channel.version += 1
        action = AuditAction.CHANNEL_UPDATE
    channel.name = data["name"]
    channel.enabled = data.get("enabled", True)
    channel.config = settings
    channel.save()
    audit(actor, organization, action, channel, request=request, kind=channel.kind)
    return channel


def test_key(channel: Channel) -> str:
    return f"test:{channel.pk}:{uuid.uuid4().hex}"


@transaction.atomic
def send_test(channel: Channel, recipient: str = "", *, actor=None, request=None) -> Delivery:
    """Queue a short test message on ``channel`` (to ``recipient`` or its own address)."""
    delivery = enqueue(
        channel.organization,
        channel,
        recipient=recipient,
        subject=_("Memoria: test message"),
        body=_(
            "This is a test message from Memoria. If you received it, the channel “%(name)s” "
            "works. You do not need to do anything."
        )
        % {"name": channel.name},
        key=test_key(channel),
        max_attempts=3,
    )
    audit(actor, channel.organization, AuditAction.CHANNEL_TEST, channel, request=request)
    return delivery


@transaction.atomic
def save_template(
    organization,
    data: dict,
    *,
    template: AlertTemplate | None = None,
    version: int | None = None,
    actor=None,
    request=None,
) -> AlertTemplate:
    if template is None:
        template = AlertTemplate(organization=organization)
        action = AuditAction.ALERT_TEMPLATE_CREATE
    else:
        template = AlertTemplate.objects.select_for_update(no_key=True).get(pk=template.pk)
        _check_version(template, version)
        template.version += 1
        action = AuditAction.ALERT_TEMPLATE_UPDATE
    for field in ("name", "language", "subject", "body"):
        setattr(template, field, data[field])
    template.save()
    audit(actor, organization, action, template, request=request)
    return template


# -- urgent alerts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One chosen recipient, already matched with the channel that reaches them."""

    kind: str  # AlertRecipient.Kind
    label: str
    channel: Channel
    address: str = ""
    target_organization: object = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reaching_channel(channels: list[Channel], contact: Contact) -> tuple[Channel, str] | None:
    """The organization's first enabled channel of a kind ``contact`` has an address for."""
    for kind in (Channel.Kind.EMAIL, Channel.Kind.SMS, Channel.Kind.SIGNAL):
        address = contact.address_for(kind)
        if not address:
            continue
        for channel in channels:
            if channel.kind == kind and channel.enabled:
                return channel, address
    return None


def alert_text(body: str, link: str) -> str:
    return body + "\n\n" + _("Please confirm you received this alert: %(link)s") % {"link": link}


@transaction.atomic
def send_urgent_alert(
    organization,
    *,
    subject: str,
    body: str,
    targets: list[Target],
    base_url: str,
    actor=None,
    request=None,
) -> UrgentAlert:
    """Record the alert and queue one delivery per target, each with a personal
    acknowledgement link, in one transaction."""
    if not targets:
        raise ValueError("an urgent alert needs at least one recipient")
    alert = UrgentAlert.objects.create(
        organization=organization, subject=subject, body=body, created_by=actor
    )
    for target in targets:
        token = secrets.token_urlsafe(24)
        link = base_url.rstrip("/") + reverse("alerts:acknowledge", args=[token])
        recipient = AlertRecipient.objects.create(
            alert=alert,
            organization=organization,
            kind=target.kind,
            label=target.label,
            target_organization=target.target_organization,
            ack_token_hash=hash_token(token),
        )
        recipient.delivery = enqueue(
            organization,
            target.channel,
            recipient=target.address,
            subject=subject,
            body=alert_text(body, link),
            key=f"urgent:{alert.pk}:{recipient.pk}",
        )
        recipient.save(update_fields=["delivery"])
    audit(
        actor, organization, AuditAction.URGENT_ALERT_SEND, alert, request=request,
        recipients=len(targets),
    )  # fmt: skip
    return alert


def recipient_for_token(token: str) -> AlertRecipient | None:
    return (
        AlertRecipient.objects.select_related("alert", "organization")
        .filter(ack_token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def acknowledge(recipient: AlertRecipient, request=None) -> bool:
    """Mark the alert received by ``recipient``; False if it already was."""
    marked = AlertRecipient.objects.filter(pk=recipient.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now()
    )
    if marked:
        audit(
            None, recipient.organization, AuditAction.URGENT_ALERT_ACKNOWLEDGED, recipient.alert,
            request=request, recipient=recipient.pk,
        )  # fmt: skip
    return bool(marked)
