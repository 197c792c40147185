"""The delivery engine's public interface: queue a message for one recipient on one channel.

Callers (check-in ladders, urgent alerts, protection deadlines) use one function::

    from memoria.alerts.delivery import enqueue

    delivery = enqueue(
        organization,               # accounts.Organization that owns the channel
        channel,                    # alerts.Channel of that organization
        recipient="ana@example.org",  # e-mail address, phone number or Signal number;
                                    # "" = the channel's own address (a webhook needs none)
        subject="Check-in missed",
        body="…",                   # plain text; no location unless include_location=True
        key="checkin:42:step:1:contact:7",  # idempotency key, unique per organization
        include_location=False,     # True: ``location`` is stored and sent with the message
        location="",                # only kept when include_location is True
    )

``enqueue`` writes one ``Delivery`` row **in the caller's transaction** (it
opens only a savepoint), so a ladder step and its messages commit together or
not at all. The same ``key`` in the same organization gives back the same
``Delivery`` and queues nothing more, so a step retried after a crash sends
nothing twice. It raises ``ValueError`` if the channel belongs to another
organization. Recipient, subject, body and location are encrypted with the
organization's key.

What happens next (``memoria worker`` runs it, see ``memoria.alerts.worker``):
the delivery is claimed atomically with a lease, handed to its channel,
and marked ``sent``; a failure is retried with exponential backoff (10 s,
20 s, 40 s … capped at 30 minutes) up to ``max_attempts`` (8) and then
``failed``. A worker killed while sending leaves the delivery ``sending``
until its lease expires; then it is sent again with the same
``delivery_id``: **at least once**, and a receiver de-duplicates on
``Delivery.delivery_id`` (a UUID: the webhook header ``X-Memoria-Delivery``,
the e-mail header ``X-Memoria-Delivery``, the SMS and Signal payloads'
``delivery_id``). Deliveries of a disabled channel wait until it is enabled.

Read a delivery's fate from ``Delivery.status`` (queued, sending, sent,
failed), ``attempts``, ``last_error`` and ``sent_at``; every attempt is a
``DeliveryAttempt`` row (the channel's delivery log).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from memoria.alerts.models import Channel, Delivery

DEFAULT_MAX_ATTEMPTS = 8


def enqueue(
    organization,
    channel: Channel,
    *,
    recipient: str = "",
    subject: str,
    body: str,
    key: str,
    include_location: bool = False,
    location: str = "",
    endpoint: str = "",
    endpoint_secret: str = "",
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    not_before: dt.datetime | None = None,
) -> Delivery:
    """Queue ``body`` for ``recipient`` on ``channel`` once per ``key``; return the Delivery.

    Runs in the caller's transaction. The same ``key`` returns the existing
    Delivery unchanged. ``location`` is dropped unless ``include_location``.
    ``endpoint`` and ``endpoint_secret`` send a webhook to another receiver than
    the channel's own (a support contact's), signed with that receiver's secret.
    """
    if channel.organization_id != organization.pk:
        raise ValueError("the channel belongs to another organization")
    if not key or len(key) > 200:
        raise ValueError("an idempotency key of 1 to 200 characters is required")
    if endpoint and (channel.kind != Channel.Kind.WEBHOOK or not endpoint_secret):
        raise ValueError("an endpoint is for webhook channels, with its own secret")
    existing = Delivery.objects.filter(organization=organization, idempotency_key=key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                organization=organization,
                channel=channel,
                recipient=recipient or channel.setting("address"),
                subject=subject,
                body=body,
                location=location if include_location else "",
                endpoint=endpoint,
                endpoint_secret=endpoint_secret,
                idempotency_key=key,
                max_attempts=max_attempts,
                next_attempt_at=not_before or now,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        # Another transaction queued the same key first.
        return Delivery.objects.get(organization=organization, idempotency_key=key)
