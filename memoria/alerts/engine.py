"""Claim queued deliveries, hand them to their channels, record how it went.

Claiming is one atomic step, as for jobs (``memoria.jobs.queue``): on
PostgreSQL the next due row is taken with ``SELECT … FOR UPDATE SKIP LOCKED``
and marked ``sending`` in the same transaction; on SQLite (one writer at a
time) an ``UPDATE … WHERE pk = … AND <still due>`` either changes the row or
loses the race. A claim holds a lease; a send is given at most half of it, so
a live worker always finishes (or gives up) before anyone else may take the
delivery. A delivery still ``sending`` after its lease (its worker was killed)
is due again and goes out once more with the same ``delivery_id``.

The result is written only if our claim still holds (same worker, same
attempt); every attempt is logged in ``DeliveryAttempt`` either way.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from memoria.alerts import transports
from memoria.alerts.models import Channel, Delivery, DeliveryAttempt

logger = logging.getLogger("memoria.alerts")

DEFAULT_LEASE_SECONDS = 60
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 30 * 60


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure: 10 s, 20 s, 40 s … at most 30 min."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def _due(now: dt.datetime) -> Q:
    queued = Q(status=Delivery.Status.QUEUED, next_attempt_at__lte=now)
    abandoned = Q(status=Delivery.Status.SENDING, lease_expires_at__lt=now)
    return (queued | abandoned) & Q(channel__enabled=True)


def claim(
    worker_id: str,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    now: dt.datetime | None = None,
    delivery_pk: int | None = None,
) -> Delivery | None:
    """Take the next due delivery for ``worker_id`` (or delivery ``delivery_pk``); None if none."""
    now = now or timezone.now()
    due = Delivery.objects.filter(_due(now))
    if delivery_pk is not None:
        due = due.filter(pk=delivery_pk)
    claimed = {
        "status": Delivery.Status.SENDING,
        "claimed_by": worker_id,
        "lease_expires_at": now + dt.timedelta(seconds=lease_seconds),
        "attempts": F("attempts") + 1,
        "updated_at": now,
    }
    if connection.vendor == "postgresql":
        with transaction.atomic():
            pk = (
                due.select_for_update(skip_locked=True, of=("self",))
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)
                .first()
            )
            if pk is None:
                return None
            Delivery.objects.filter(pk=pk).update(**claimed)
    else:
        pk = due.order_by("next_attempt_at", "pk").values_list("pk", flat=True).first()
        # The due condition is checked again by the UPDATE itself: whoever writes first wins.
        if pk is None or not Delivery.objects.filter(_due(now), pk=pk).update(**claimed):
            return None
    return Delivery.objects.select_related("channel").get(pk=pk)


def _mine(delivery: Delivery, worker_id: str):
    return Delivery.objects.filter(
        pk=delivery.pk,
        status=Delivery.Status.SENDING,
        claimed_by=worker_id,
        attempts=delivery.attempts,
    )


def dispatch(
    delivery: Delivery,
    worker_id: str,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    now: dt.datetime | None = None,
) -> str:
    """Send a claimed delivery and record the result; return its new status."""
    channel = delivery.channel
    started = now or timezone.now()
    error = ""
    if delivery.attempts > delivery.max_attempts:
        error = _("The worker stopped while sending this message too many times.")
        return _finish(delivery, channel, worker_id, started, error, final=True, now=now)
    try:
        transports.send(delivery, channel, timeout=max(1.0, lease_seconds / 2))
    except transports.TransportError as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - a broken channel must not stop the loop
        logger.exception("delivery %s: unexpected failure", delivery.delivery_id)
        error = _("Unexpected failure: %(error)s.") % {"error": type(exc).__name__}
    return _finish(delivery, channel, worker_id, started, error, now=now)


def _finish(
    delivery: Delivery,
    channel: Channel,
    worker_id: str,
    started: dt.datetime,
    error: str,
    final: bool = False,
    now: dt.datetime | None = None,
) -> str:
    finished = now or timezone.now()
    if not error:
        status = Delivery.Status.SENT
        changes = {"sent_at": finished, "last_error": "", "lease_expires_at": None}
    elif final or delivery.attempts >= delivery.max_attempts:
        status = Delivery.Status.FAILED
        changes = {"last_error": error[:2000], "lease_expires_at": None}
    else:
        status = Delivery.Status.QUEUED
        changes = {
            "last_error": error[:2000],
            "lease_expires_at": None,
            "next_attempt_at": finished + backoff(delivery.attempts),
        }
    with transaction.atomic():
        updated = _mine(delivery, worker_id).update(status=status, updated_at=finished, **changes)
        DeliveryAttempt.objects.create(
            delivery=delivery,
            channel=channel,
            attempt=delivery.attempts,
            worker=worker_id[:120],
            started_at=started,
            finished_at=finished,
            result=DeliveryAttempt.Result.FAILED if error else DeliveryAttempt.Result.SENT,
            error=error[:2000],
        )
        if error:
            Channel.objects.filter(pk=channel.pk).update(
                last_error=error[:2000], last_error_at=finished
            )
        else:
            Channel.objects.filter(pk=channel.pk).update(last_sent_at=finished)
    if not updated:
        logger.warning("delivery %s: claim lost before the result was saved", delivery.pk)
        delivery.refresh_from_db()
        return delivery.status
    logger.info("delivery %s: %s", delivery.pk, status)
    return status


def send_due(
    worker_id: str,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    now: dt.datetime | None = None,
    should_stop=lambda: False,
    limit: int | None = None,
) -> int:
    """Send every due delivery, one at a time, until none is due (or ``limit``); return how many."""
    sent = 0
    while not should_stop() and (limit is None or sent < limit):
        delivery = claim(worker_id, lease_seconds, now=now)
        if delivery is None:
            break
        dispatch(delivery, worker_id, lease_seconds, now=now)
        sent += 1
    return sent


def release(worker_id: str) -> int:
    """Put back what ``worker_id`` claimed and did not send (the worker is stopping)."""
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_by=worker_id).update(
        status=Delivery.Status.QUEUED,
        claimed_by="",
        lease_expires_at=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )
