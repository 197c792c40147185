"""Check-ins in the database: the secret page, codes, the ladder with a controlled clock."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from memoria.alerts import engine, signing
from memoria.alerts.models import Delivery
from memoria.alerts.transports import message_text
from memoria.audit.models import AuditEntry
from memoria.checkins import actions, ladder
from memoria.checkins.models import Watch, token_digest
from memoria.protection import actions as protection_actions
from tests.web.alerts_receivers import HttpReceiver
from tests.web.base import MemoriaTestCase
from tests.web.checkins_fixtures import ORG_NAME_PART, PERSON_NAME, make_watch

MIN = dt.timedelta(minutes=1)


class CheckinPageTests(MemoriaTestCase):
    def setUp(self):
        self.watch, self.token, self.contacts, self.channels = make_watch(
            self.org, self.coordinator
        )
        self.url = f"/c/{self.token}/"

    def test_it_shows_a_tiny_page_that_names_no_one(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        text = response.content.decode()
        for secret in (PERSON_NAME, "Lucía", ORG_NAME_PART, self.org.slug, "Memoria"):
            self.assertNotIn(secret, text)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(response["Referrer-Policy"], "no-referrer")
        self.assertNotIn("<script", text)
        self.assertLess(len(response.content), 4000)
        self.assertNotIn("Set-Cookie", str(response.cookies.output()))

    def test_it_keeps_only_a_hash_of_the_link(self):
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.token_hash, token_digest(self.token))
        self.assertFalse(Watch.objects.filter(token_hash=self.token).exists())
        self.assertEqual(self.client.get("/c/not-the-token/").status_code, 404)

    def test_checking_in_moves_the_deadline_and_is_audited_without_a_name(self):
        response = self.client.post(self.url, {"act": "check_in"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'role="status"')
        self.watch.refresh_from_db()
        self.assertGreater(self.watch.deadline, timezone.now() + dt.timedelta(hours=5))
        entry = AuditEntry.objects.filter(action="checkin.checked_in").get()
        self.assertEqual(entry.target_id, str(self.watch.pk))
        self.assertNotIn("Lucía", str(entry.details))

    def test_a_wrong_code_is_refused_and_five_lock_the_codes(self):
        actions.set_codes(self.coordinator, self.watch, code="rio-1234", duress_code="mar-9876")
        response = self.client.post(self.url, {"act": "check_in", "code": "nope"})
        self.assertEqual(response.status_code, 403)
        for _ in range(4):
            self.client.post(self.url, {"act": "check_in", "code": "nope"})
        response = self.client.post(self.url, {"act": "check_in", "code": "rio-1234"})
        self.assertEqual(response.status_code, 403)  # locked for 15 minutes

    def test_the_duress_code_answers_exactly_like_the_check_in_code_and_escalates(self):
        actions.set_codes(self.coordinator, self.watch, code="rio-1234", duress_code="mar-9876")
        normal = self.client.post(self.url, {"act": "check_in", "code": "rio-1234"})
        page_after_normal = self.client.get(self.url).content
        forced = self.client.post(self.url, {"act": "check_in", "code": "mar-9876"})

        def shape(response):
            return re.sub(r"\d", "0", response.content.decode())

        self.assertEqual(normal.status_code, forced.status_code)
        self.assertEqual(shape(normal), shape(forced))
        self.assertEqual(sorted(normal.headers), sorted(forced.headers))
        self.assertEqual(self.client.get(self.url).content, page_after_normal)
        self.watch.refresh_from_db()
        self.assertEqual((self.watch.status, self.watch.reason), ("escalating", "duress"))
        # The worker tells the circle, never the phone.
        later = timezone.now() + 6 * MIN
        actions.escalate_due(now=later)
        keys = sorted(Delivery.objects.values_list("idempotency_key", flat=True))
        step_ids = [step.pk for step in self.watch.steps()]
        self.assertTrue(keys)
        self.assertTrue(all(f":{step_ids[1]}:" in key for key in keys), keys)
        # Checking in again answers as usual and stops nothing.
        self.client.post(self.url, {"act": "check_in", "code": "rio-1234"})
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.reason, "duress")

    def test_the_duress_code_is_refused_like_the_normal_one_where_it_would_be(self):
        """Sending "cancel" with no alarm to cancel must not tell the codes apart."""
        actions.set_codes(self.coordinator, self.watch, code="rio-1234", duress_code="mar-9876")
        normal = self.client.post(self.url, {"act": "cancel", "code": "rio-1234"})
        forced = self.client.post(self.url, {"act": "cancel", "code": "mar-9876"})
        self.assertEqual(normal.status_code, forced.status_code)
        self.assertNotEqual(forced.status_code, 200)
        self.assertEqual(
            re.sub(r"\d", "0", normal.content.decode()),
            re.sub(r"\d", "0", forced.content.decode()),
        )
        self.watch.refresh_from_db()
        self.assertEqual((self.watch.status, self.watch.reason), ("escalating", "duress"))

    def test_wrong_codes_cannot_switch_the_duress_code_off(self):
        actions.set_codes(self.coordinator, self.watch, code="rio-1234", duress_code="mar-9876")
        for _ in range(5):
            self.client.post(self.url, {"act": "check_in", "code": "0000"})
        locked = self.client.post(self.url, {"act": "check_in", "code": "rio-1234"})
        forced = self.client.post(self.url, {"act": "check_in", "code": "mar-9876"})
        self.assertEqual(locked.status_code, forced.status_code)
        self.watch.refresh_from_db()
        self.assertEqual((self.watch.status, self.watch.reason), ("escalating", "duress"))

    def test_the_danger_button_starts_the_ladder_at_once(self):
        response = self.client.post(self.url, {"act": "panic"})
        self.assertEqual(response.status_code, 200)
        self.watch.refresh_from_db()
        self.assertEqual((self.watch.status, self.watch.reason), ("escalating", "panic"))
        self.assertTrue(AuditEntry.objects.filter(action="checkin.panic").exists())

    def test_a_pause_needs_a_date_in_the_next_60_days(self):
        tomorrow = (timezone.now() + dt.timedelta(days=2)).date().isoformat()
        response = self.client.post(self.url, {"act": "pause", "until": tomorrow})
        self.assertEqual(response.status_code, 200)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.status, "paused")
        response = self.client.post(self.url, {"act": "pause", "until": "2001-01-01"})
        self.assertEqual(response.status_code, 409)

    def test_hostile_posts_get_a_plain_answer(self):
        for data in (
            {"act": "explode"},
            {"act": "check_in", "code": "\x00" * 70},
            {"act": "pause", "until": "31/02/2024"},
            {"act": "pause", "until": "9999-12-31"},
        ):
            response = self.client.post(self.url, data)
            self.assertIn(response.status_code, (200, 400, 403, 409), data)


class EscalationTests(MemoriaTestCase):
    """The worker's loop with a controlled clock: escalate_due(now=...)."""

    def setUp(self):
        self.t0 = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
        self.watch, self.token, self.contacts, (self.email, self.webhook) = make_watch(
            self.org, self.coordinator, now=self.t0
        )
        self.missed = self.t0 + dt.timedelta(hours=6, minutes=15)

    def keys(self):
        return sorted(Delivery.objects.values_list("idempotency_key", flat=True))

    def test_a_missed_check_in_reminds_then_tells_the_circle_after_the_cancel_window(self):
        self.assertEqual(actions.escalate_due(now=self.missed - MIN), 0)
        self.assertEqual(actions.escalate_due(now=self.missed), 1)  # the reminder
        self.assertEqual(len(self.keys()), 1)
        self.assertEqual(actions.escalate_due(now=self.missed + 9 * MIN), 0)
        self.assertEqual(actions.escalate_due(now=self.missed + 10 * MIN), 1)
        deliveries = Delivery.objects.filter(channel=self.email)
        self.assertEqual([d.recipient for d in deliveries], ["hermana@circulo.example"])
        self.assertIn(PERSON_NAME, deliveries[0].body)
        deadline = int((self.t0 + dt.timedelta(hours=6)).timestamp())
        self.assertTrue(
            all(k.startswith(f"checkin:{self.watch.pk}:{deadline}:") for k in self.keys())
        )
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.status, "escalated")
        actions_seen = list(AuditEntry.objects.values_list("action", flat=True))
        self.assertIn("checkin.missed", actions_seen)
        self.assertEqual(actions_seen.count("checkin.step"), 2)

    def test_a_location_given_travels_only_in_the_steps_that_include_it(self):
        sister = self.contacts[0]
        actions.set_ladder(
            self.coordinator,
            self.watch,
            [
                actions.StepInput("circle", 0, [sister.pk], [self.webhook.pk]),
                actions.StepInput("circle", 0, [sister.pk], [self.email.pk], include_location=True),
            ],
        )
        response = self.client.post(
            f"/c/{self.token}/", {"act": "panic", "location": "Terminal de autobuses, Xalapa"}
        )
        self.assertEqual(response.status_code, 200)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.last_location, "Terminal de autobuses, Xalapa")
        actions.escalate_due(now=timezone.now() + MIN)
        [told] = Delivery.objects.filter(channel=self.email)
        self.assertIn("Terminal de autobuses, Xalapa", message_text(told))
        [webhook] = Delivery.objects.filter(channel=self.webhook)
        self.assertEqual(webhook.location, "")
        self.assertNotIn("Xalapa", message_text(webhook))

    def test_a_contact_with_a_receiver_of_their_own_gets_the_alert_there_signed_for_them(self):
        with HttpReceiver() as theirs, HttpReceiver(secret="s" * 32) as ours:
            sister = protection_actions.update_contact(
                self.contacts[0],
                self.coordinator,
                {"webhook_url": theirs.url + "/circulo", "accepts_webhook": True},
                self.contacts[0].version,
            )
            self.assertGreaterEqual(len(sister.webhook_secret), 32)
            self.webhook.config = {**self.webhook.config, "url": ours.url + "/org"}
            self.webhook.save()
            actions.set_ladder(
                self.coordinator,
                self.watch,
                [actions.StepInput("circle", 0, [sister.pk], [self.webhook.pk])],
            )
            actions.person_acts(self.watch, actions.PANIC)
            actions.escalate_due(now=timezone.now() + MIN)
            self.assertEqual(engine.send_due("test-worker"), 2)
        [received] = theirs.received
        self.assertEqual(received.path, "/circulo")
        self.assertTrue(
            signing.verify(
                sister.webhook_secret,
                received.body,
                received.headers.get(signing.TIMESTAMP_HEADER),
                received.headers.get(signing.SIGNATURE_HEADER),
            )
        )
        self.assertIn(PERSON_NAME, received.json["body"])
        self.assertEqual(len(ours.received), 1)  # the organization's own system, once

    def test_a_closed_person_at_risk_is_no_longer_escalated(self):
        person = self.watch.person
        protection_actions.update_person(
            person, self.coordinator, {"status": "closed"}, person.version
        )
        self.assertEqual(actions.escalate_due(now=self.missed + 30 * MIN), 0)
        self.assertEqual(self.keys(), [])

    def test_running_the_loop_again_or_late_sends_nothing_twice(self):
        actions.escalate_due(now=self.missed + 20 * MIN)
        first = self.keys()
        actions.escalate_due(now=self.missed + 20 * MIN)
        actions.escalate_due(now=self.missed + 60 * MIN)
        self.assertEqual(self.keys(), first)
        self.assertEqual(len(first), 3)  # reminder webhook; circle webhook + e-mail

    def test_cancelling_in_the_window_keeps_the_circle_out_of_it(self):
        actions.escalate_due(now=self.missed)
        actions.person_acts(self.watch, actions.CANCEL, now=self.missed + 3 * MIN)
        actions.escalate_due(now=self.missed + 30 * MIN)
        self.assertEqual(len(self.keys()), 1)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.status, "active")

    def test_a_pause_ends_by_itself_and_check_ins_resume(self):
        until = self.t0 + dt.timedelta(days=3)
        actions.person_acts(self.watch, actions.PAUSE, until=until, now=self.t0 + MIN)
        self.assertEqual(actions.escalate_due(now=self.t0 + dt.timedelta(days=2)), 0)
        actions.escalate_due(now=until)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.status, "active")
        self.assertEqual(self.watch.deadline, until + dt.timedelta(hours=6))
        self.assertTrue(AuditEntry.objects.filter(action="checkin.resumed").exists())

    def test_a_coordinator_closes_an_escalation(self):
        actions.escalate_due(now=self.missed + 20 * MIN)
        actions.resolve(self.coordinator, self.watch, now=self.missed + 30 * MIN)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.status, ladder.ACTIVE)


class OrganizationPagesTests(MemoriaTestCase):
    def setUp(self):
        self.watch, self.token, _, _ = make_watch(self.org, self.coordinator)
        self.person = self.watch.person

    def test_a_schedule_changed_without_its_version_is_refused(self):
        # (Found by tests/web/test_fuzz_checkins.py: a form without the version
        # saved over whatever had changed meanwhile.)
        self.client.force_login(self.documenter)
        url = f"/o/{self.org.slug}/checkins/{self.person.pk}/"
        data = {"every_hours": "2", "grace_minutes": "15", "cancel_minutes": "10"}
        self.assertEqual(self.client.post(url, data).status_code, 200)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.every_hours, 6)
        response = self.client.post(url, {**data, "version": self.watch.version})
        self.assertEqual(response.status_code, 302)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.every_hours, 2)

    def test_a_documenter_sets_a_schedule_at_set_times(self):
        self.client.force_login(self.documenter)
        url = f"/o/{self.org.slug}/checkins/{self.person.pk}/"
        page = self.client.get(url)
        self.assertContains(page, PERSON_NAME)
        response = self.client.post(
            url,
            {
                "times": "08:00 20:00",
                "grace_minutes": 20,
                "cancel_minutes": 5,
                "version": self.watch.version,
            },
        )
        self.assertEqual(response.status_code, 302)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.times, "08:00 20:00")
        stale = self.client.post(
            url, {"every_hours": 3, "grace_minutes": 1, "cancel_minutes": 1, "version": 1}
        )
        self.assertEqual(stale.status_code, 200)  # the form again, with the conflict
        self.assertContains(stale, 'class="errorlist nonfield"')
        self.watch.refresh_from_db()
        self.assertEqual((self.watch.times, self.watch.every_hours), ("08:00 20:00", None))

    def test_a_new_link_is_shown_once_and_replaces_the_old_one(self):
        self.client.force_login(self.coordinator)
        base = f"/o/{self.org.slug}/checkins/{self.person.pk}/"
        response = self.client.post(base + "link/", follow=True)
        link = re.search(r"/c/([-\w]+)/", response.content.decode()).group(1)
        self.assertEqual(self.client.get(f"/c/{link}/").status_code, 200)
        self.assertEqual(self.client.get(f"/c/{self.token}/").status_code, 404)
        self.assertNotContains(self.client.get(base), link)

    def test_the_list_shows_every_person_to_readers(self):
        self.client.force_login(self.reader)
        response = self.client.get(f"/o/{self.org.slug}/checkins/")
        self.assertContains(response, PERSON_NAME)
        self.assertTrue(AuditEntry.objects.filter(action="checkin.list").exists())

    def test_an_analyst_sees_no_one_at_risk(self):
        """Analysts see nothing of protection; the check-ins name the people at risk."""
        self.client.force_login(self.analyst)
        response = self.client.get(f"/o/{self.org.slug}/checkins/")
        self.assertEqual(response.status_code, 403)
        self.assertNotContains(response, PERSON_NAME, status_code=403)

    def test_an_outsider_finds_nothing(self):
        self.client.force_login(self.outsider)
        for path in ("", f"{self.person.pk}/"):
            response = self.client.get(f"/o/{self.org.slug}/checkins/{path}")
            self.assertEqual(response.status_code, 404)
        response = self.client.get(f"/o/{self.other_org.slug}/checkins/{self.person.pk}/")
        self.assertEqual(response.status_code, 404)
