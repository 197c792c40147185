"""Escalation in ``memoria worker`` as its own process: kill -9 loses no step, two never double one.

Each test has its own data directory and database (``tests.web.test_jobs_process.Platform``),
a local webhook receiver standing for the support circle's bot, and watches whose
check-in was missed an hour ago, each with a one-step ladder to that webhook.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.web.alerts_receivers import HttpReceiver
from tests.web.test_jobs_process import Platform, postgres_server_url

SECRET = "s" * 32


@pytest.fixture
def platform(tmp_path, platform_template):
    platform = Platform(tmp_path, postgres_server_url(), template=platform_template)
    yield platform
    platform.close()


def missed_watches(platform: Platform, count: int, url: str) -> None:
    platform.django(
        f"""
        import datetime as dt
        from django.utils import timezone
        from memoria.accounts.models import Organization, User
        from memoria.alerts.models import Channel
        from memoria.checkins import actions
        from memoria.protection.models import PersonAtRisk, SupportContact
        org = Organization.objects.get(slug="centro")
        user = User.objects.get(email="d@centro.example")
        hook = Channel.objects.create(organization=org, kind="webhook", name="círculo",
                                      config={{"url": {url!r}, "secret": {SECRET!r}}})
        an_hour_ago = timezone.now() - dt.timedelta(hours=2)
        for n in range({count}):
            person = PersonAtRisk.objects.create(organization=org, display_name=f"P{{n}}")
            watch = actions.set_schedule(user, person, every_hours=1, grace_minutes=0,
                                         cancel_minutes=0, now=an_hour_ago)
            actions.set_ladder(user, watch, [actions.StepInput("circle", 0, [], [hook.pk])])
        """
    )


def steps_audited(platform: Platform) -> int:
    return platform.scalar("SELECT count(*) FROM audit_auditentry WHERE action = 'checkin.step'")


def assert_each_watch_escalated_once(platform: Platform, count: int) -> None:
    assert steps_audited(platform) == count
    assert platform.scalar("SELECT count(*) FROM alerts_delivery") == count
    keys = platform.scalar("SELECT count(DISTINCT idempotency_key) FROM alerts_delivery")
    assert keys == count
    assert (
        platform.scalar(
            "SELECT count(*) FROM checkins_watch WHERE status = 'escalated' AND next_step = 1"
        )
        == count
    )


@pytest.mark.slow
def test_kill_9_during_dispatch_loses_no_escalation_step(platform):
    count = 60
    with HttpReceiver(secret=SECRET) as receiver:
        missed_watches(platform, count, receiver.url)
        after_kills = []
        for _round in range(3):
            # A short lease: what a killed worker held is claimed again seconds later.
            worker = platform.start("worker", "--poll", "0.1", "--lease", "5", "--heartbeat", "1")
            before = steps_audited(platform)
            platform.wait_for(
                lambda before=before: steps_audited(platform) > before,
                what="the worker to escalate",
            )
            time.sleep(0.2)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            after_kills.append(steps_audited(platform))
            if after_kills[-1] == count:
                break
        assert any(0 < done < count for done in after_kills), after_kills  # killed mid-batch
        platform.start("worker", "--poll", "0.1")
        platform.wait_for(
            lambda: (
                platform.scalar("SELECT count(*) FROM alerts_delivery WHERE status = 'sent'")
                == count
            ),
            timeout=240,
            what="every step delivered",
        )
        assert_each_watch_escalated_once(platform, count)
        # At least once at the receiver, and every delivery arrived: de-duplicated by id.
        received = {r.headers.get("X-Memoria-Delivery") for r in receiver.received}
        assert len(received) == count
        assert all(r.signature_ok for r in receiver.received)


@pytest.mark.slow
def test_two_workers_on_postgresql_never_escalate_a_watch_twice(platform):
    if not platform.postgres:
        pytest.skip("several workers share the database on PostgreSQL only")
    count = 100
    with HttpReceiver(secret=SECRET) as receiver:
        missed_watches(platform, count, receiver.url)
        workers = [platform.start("worker", "--poll", "0.1") for _ in range(2)]
        platform.wait_for(
            lambda: (
                platform.scalar("SELECT count(*) FROM alerts_delivery WHERE status = 'sent'")
                == count
            ),
            timeout=240,
            what="every step delivered",
        )
        time.sleep(2)  # both loops run again over the same rows
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0
        assert_each_watch_escalated_once(platform, count)
        assert len({r.headers.get("X-Memoria-Delivery") for r in receiver.received}) == count
