"""Delivery by ``memoria worker`` as its own process: kill -9, SIGTERM, two workers at once.

The worker sends to a real local webhook receiver that verifies signatures;
each test has its own data directory and database (SQLite, or PostgreSQL when
the suite runs on it), as in ``test_jobs_process``.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter

import pytest

from tests.web.alerts_receivers import HttpReceiver
from tests.web.test_jobs_process import platform  # noqa: F401  (the fixture)

SECRET = "secreto del receptor de prueba"  # noqa: S105


def queue_webhooks(platform, url: str, count: int) -> None:  # noqa: F811
    platform.django(
        f"""
        from django.db import transaction
        from memoria.accounts.models import Organization
        from memoria.alerts.delivery import enqueue
        from memoria.alerts.models import Channel
        org = Organization.objects.get(slug="centro")
        channel = Channel.objects.create(
            organization=org, kind="webhook", name="guardia",
            config={{"url": {url!r}, "secret": {SECRET!r}}},
        )
        with transaction.atomic():
            for n in range({count}):
                enqueue(org, channel, subject="Aviso", body=f"mensaje {{n}}", key=f"k{{n}}")
        """
    )


def statuses(platform) -> Counter:  # noqa: F811
    return Counter(
        dict(platform.query("SELECT status, COUNT(*) FROM alerts_delivery GROUP BY status"))
    )


@pytest.mark.slow
def test_a_worker_killed_while_sending_loses_nothing_and_the_receiver_sees_the_same_id(
    platform,  # noqa: F811
):
    block = threading.Event()
    with HttpReceiver(secret=SECRET, block=block) as receiver:
        queue_webhooks(platform, receiver.url, 1)
        worker = platform.start("worker", "--lease", "10", "--heartbeat", "1")
        assert receiver.arrived.wait(60), "the worker never sent"
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert platform.query("SELECT status, attempts FROM alerts_delivery") == [("sending", 1)]
        receiver.block = None  # the next try is answered at once
        block.set()
        platform.start("worker", "--lease", "10", "--heartbeat", "1")
        platform.wait_for(lambda: statuses(platform) == {"sent": 1}, what="the second send")
    first, second = receiver.received
    assert first.signature_ok and second.signature_ok
    assert first.json["delivery_id"] == second.json["delivery_id"]  # the receiver de-duplicates
    assert platform.query("SELECT attempts FROM alerts_delivery") == [(2,)]


@pytest.mark.slow
def test_sigterm_lets_the_send_under_way_finish_and_claims_nothing_more(platform):  # noqa: F811
    block = threading.Event()
    with HttpReceiver(secret=SECRET, block=block) as receiver:
        queue_webhooks(platform, receiver.url, 5)
        worker = platform.start("worker", "--lease", "20", "--heartbeat", "1")
        assert receiver.arrived.wait(60)
        worker.send_signal(signal.SIGTERM)
        threading.Timer(1.0, block.set).start()  # the receiver answers a second later
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert "stopped" in output
    assert len(receiver.received) == 1
    assert statuses(platform) == {"sent": 1, "queued": 4}
    assert platform.scalar("SELECT SUM(attempts) FROM alerts_delivery") == 1


@pytest.mark.slow
def test_two_workers_never_send_the_same_delivery_twice(platform):  # noqa: F811
    count = 120
    with HttpReceiver(secret=SECRET) as receiver:
        queue_webhooks(platform, receiver.url, count)
        platform.start("worker", "--lease", "30", "--heartbeat", "1")
        platform.start("worker", "--lease", "30", "--heartbeat", "1")
        platform.wait_for(lambda: statuses(platform) == {"sent": count}, what="all sent")
    ids = Counter(request.json["delivery_id"] for request in receiver.received)
    assert len(ids) == count
    assert max(ids.values()) == 1
    assert all(request.signature_ok for request in receiver.received)
    workers = platform.query("SELECT COUNT(DISTINCT worker) FROM alerts_deliveryattempt")[0][0]
    if platform.postgres:
        assert workers == 2  # both really worked, side by side
