"""Anonymous reports: the public form, the receipt code, moderation, the public feed."""

from __future__ import annotations

import datetime as dt
import re

from django.test import override_settings
from django.utils import timezone

from memoria.audit.models import AuditEntry
from memoria.cases.models import Change, Event
from memoria.cli.serve import is_unlogged
from memoria.reports import actions, feed, guard
from memoria.reports.models import Report, ReportAddition
from memoria.reports.urls import PUBLIC_PREFIX
from tests.web.cases_fixtures import CaseFixtures
from tests.web.reports_fixtures import (
    ADDRESS,
    USER_AGENT,
    form_token,
    open_channel,
    receipt_code,
    receive,
    report_data,
    reset_limits,
    submit,
)
from tests.web.test_cases_storage import raw_database_text


@override_settings(MEMORIA_REPORTS_FORM_MIN_SECONDS=0)
class ReportTestCase(CaseFixtures):
    def setUp(self):
        super().setUp()
        reset_limits()
        open_channel(self.org)

    def path(self, rest: str = "") -> str:
        return f"/r/{self.org.slug}/{rest}"


class PublicFormTests(ReportTestCase):
    def test_it_shows_a_form_that_needs_no_javascript_and_sets_no_cookie(self):
        response = self.client.get(self.path())
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertNotIn("<script", html)
        self.assertIn('<form method="post"', html)
        self.assertNotRegex(html, r'(src|href)="(https?:)?//')  # nothing from another host
        self.assertEqual(response.cookies, {})
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(response["Referrer-Policy"], "no-referrer")

    def test_it_receives_a_report_and_shows_the_receipt_once(self):
        response = submit(self.client, self.org)
        self.assertEqual(response.status_code, 200)  # no redirect: the code is never in a URL
        code = receipt_code(response)
        self.assertEqual(len(guard.normalize_receipt_code(code)), guard.RECEIPT_LENGTH)
        self.assertEqual(response.cookies, {})
        report = Report.objects.get()
        self.assertEqual(report.status, Report.Status.NEW)
        self.assertEqual(report.municipality_id, "08017")
        self.assertEqual(str(report.occurred_precision), "month")
        self.assertEqual(report.received_on, timezone.localdate())
        self.assertNotEqual(report.receipt_digest, code)
        self.assertNotIn(guard.normalize_receipt_code(code), report.receipt_digest)
        # The reception leaves no audit entry (its time would be exact).
        self.assertFalse(AuditEntry.objects.exists())

    def test_it_keeps_no_address_no_user_agent_and_no_content_in_clear(self):
        response = submit(
            self.client,
            self.org,
            what="Se llevaron a Xochiquetzal Tlacuilotzin",
            contact="sig:+52 55 0000",
        )
        code = receipt_code(response)
        self.client.post(
            self.path("add/"),
            {
                "code": code,
                "text": "La camioneta era Huitzilihuitl",
                "form_token": form_token(self.client, self.path("add/")),
            },
            REMOTE_ADDR=ADDRESS,
            HTTP_USER_AGENT=USER_AGENT,
        )
        self.assertEqual(ReportAddition.objects.count(), 1)
        raw = raw_database_text()
        for secret in (
            ADDRESS,
            "203.0.113",
            "Zyxwvut",
            "Quetzalcoatl",
            "Xochiquetzal",
            "Tlacuilotzin",
            "sig:+52",
            "Huitzilihuitl",
            guard.normalize_receipt_code(code),
            code,
        ):
            with self.subTest(secret=secret):
                self.assertNotIn(secret.encode(), raw)

    def test_it_refuses_an_organization_that_does_not_receive_reports(self):
        for path in (
            "/r/colectivo-sur/",
            "/r/colectivo-sur/add/",
            "/r/colectivo-sur/incidents/",
            "/r/nadie/",
        ):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)

    def test_it_refuses_a_post_without_a_fresh_form_token(self):
        for token in ("", "garbage", form_token(self.client, "/r/centro-norte/") + "x"):
            response = self.client.post(self.path(), report_data(form_token=token))
            self.assertEqual(response.status_code, 400)
        token = form_token(self.client, self.path())
        self.assertEqual(
            self.client.post(self.path(), report_data(form_token=token)).status_code, 200
        )
        # A token serves once: a replayed post is refused and keeps what was typed.
        response = self.client.post(self.path(), report_data(form_token=token, what="Otra vez"))
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Otra vez", status_code=400)
        self.assertEqual(Report.objects.count(), 1)

    @override_settings(MEMORIA_REPORTS_FORM_MIN_SECONDS=60)
    def test_it_refuses_a_post_sent_faster_than_a_person_types(self):
        response = submit(self.client, self.org)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Report.objects.exists())

    def test_it_asks_again_when_the_form_is_wrong_and_saves_nothing(self):
        cases = [
            {"what": ""},
            {"state": ""},
            {"municipality": "02001"},  # Ensenada is not in Chihuahua
            {"year": "", "month": "4"},
            {"year": "2025", "month": "2", "day": "30"},
            {"year": str(timezone.localdate().year + 1)},
            {"violation_type": "999999"},
        ]
        for overrides in cases:
            with self.subTest(overrides=overrides):
                response = submit(self.client, self.org, **overrides)
                self.assertEqual(response.status_code, 400)
        self.assertFalse(Report.objects.exists())

    def test_it_speaks_spanish_to_tor_browser_and_english_when_asked(self):
        # Tor Browser announces English to every site, whatever its user reads.
        tor = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.5"}
        response = self.client.get(self.path(), **tor)
        self.assertContains(response, "Reportar de forma anónima")
        self.assertEqual(response["Content-Language"], "es-mx")
        self.assertContains(response, 'href="?lang=en"')

        english = self.client.get(self.path() + "?lang=en", **tor)
        self.assertContains(english, "Report anonymously")
        self.assertEqual(english["Content-Language"], "en")
        html = english.content.decode()
        # Every link and the form keep the reader's choice.
        self.assertIn(f'action="{self.path()}?lang=en"', html)
        self.assertIn(f'href="{self.path("incidents/")}?lang=en"', html)
        self.assertEqual(english.cookies, {})

        token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
        refused = self.client.post(
            self.path() + "?lang=en", report_data(form_token=token, what=""), **tor
        )
        self.assertEqual(refused.status_code, 400)
        self.assertContains(refused, "Nothing was saved yet", status_code=400)
        self.assertFalse(Report.objects.exists())

    @override_settings(MEMORIA_REPORTS_RATE_PER_ADDRESS=2)
    def test_it_limits_the_posts_from_one_address(self):
        self.assertEqual(submit(self.client, self.org).status_code, 200)
        self.assertEqual(submit(self.client, self.org).status_code, 200)
        response = submit(self.client, self.org)
        self.assertEqual(response.status_code, 429)
        self.assertEqual(Report.objects.count(), 2)
        # Another address may still report; the limit kept no address, only a keyed hash.
        token = form_token(self.client, self.path())
        response = self.client.post(
            self.path(), report_data(form_token=token), REMOTE_ADDR="198.51.100.9"
        )
        self.assertEqual(response.status_code, 200)

    @override_settings(MEMORIA_REPORTS_RATE_PER_ORGANIZATION=1)
    def test_it_limits_the_posts_to_one_organization_from_any_address(self):
        self.assertEqual(submit(self.client, self.org).status_code, 200)
        token = form_token(self.client, self.path())
        response = self.client.post(
            self.path(), report_data(form_token=token), REMOTE_ADDR="198.51.100.9"
        )
        self.assertEqual(response.status_code, 429)

    def test_the_rate_limit_keeps_only_a_keyed_hash_of_the_address(self):
        from django.core.cache import cache

        submit(self.client, self.org)
        keys = list(cache._cache.keys())  # the local-memory cache of the tests
        self.assertTrue(keys)
        self.assertFalse([key for key in keys if ADDRESS in key or "203.0.113" in key])

    def test_report_pages_stay_out_of_the_access_log(self):
        self.assertEqual(PUBLIC_PREFIX, "r/")
        for path in ("/r/centro-norte/", "/r/centro-norte/add/", "//r/x/incidents/"):
            self.assertTrue(is_unlogged(path))
        for path in ("/o/centro-norte/reports/", "/accounts/login/", "/robots.txt"):
            self.assertFalse(is_unlogged(path))


class ReceiptCodeTests(ReportTestCase):
    def add(self, code: str, text: str = "Eran tres camionetas."):
        token = form_token(self.client, self.path("add/"))
        return self.client.post(
            self.path("add/"), {"code": code, "text": text, "form_token": token}
        )

    def test_it_adds_information_with_the_receipt_code(self):
        code = receipt_code(submit(self.client, self.org))
        # Typed by hand: small letters, spaces instead of dashes.
        response = self.add(code.lower().replace("-", " "))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "ahora forma parte de tu reporte")
        addition = ReportAddition.objects.get()
        self.assertEqual(addition.report, Report.objects.get())
        self.assertEqual(addition.text, "Eran tres camionetas.")

    def test_a_wrong_code_adds_nothing(self):
        code = receipt_code(submit(self.client, self.org))
        wrong = ("B" if code[0] != "B" else "C") + code[1:]
        self.assertEqual(self.add(wrong).status_code, 404)
        self.assertEqual(self.add("").status_code, 400)
        self.assertFalse(ReportAddition.objects.exists())

    def test_a_code_works_only_at_its_organization(self):
        code = receive(self.org).code
        open_channel(self.other_org)
        token = form_token(self.client, "/r/colectivo-sur/add/")
        response = self.client.post(
            "/r/colectivo-sur/add/", {"code": code, "text": "x", "form_token": token}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(ReportAddition.objects.exists())


class ModerationTests(ReportTestCase):
    def setUp(self):
        super().setUp()
        self.report = receive(
            self.org, what="Golpearon al reportero del Diario de la Sierra."
        ).report
        self.base = f"/o/{self.org.slug}/reports/"

    def test_members_who_read_see_the_queue_and_the_report(self):
        for user in (self.coordinator, self.documenter, self.reader):
            with self.subTest(user=user.email):
                self.client.force_login(user)
                self.assertContains(self.client.get(self.base), "Golpearon al reportero")
                response = self.client.get(f"{self.base}{self.report.pk}/")
                self.assertContains(response, "Diario de la Sierra")
                self.assertIn("no-store", response["Cache-Control"])
        self.client.force_login(self.analyst)
        self.assertEqual(self.client.get(self.base).status_code, 403)

    def test_an_outsider_gets_404_everywhere(self):
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.base).status_code, 404)
        self.assertEqual(self.client.get(f"{self.base}{self.report.pk}/").status_code, 404)
        response = self.client.post(f"{self.base}{self.report.pk}/verify/", {"version": 1})
        self.assertEqual(response.status_code, 404)
        # Nor from their own organization's pages.
        self.client.post(f"/o/colectivo-sur/reports/{self.report.pk}/verify/", {"version": 1})
        self.report.refresh_from_db()
        self.assertEqual(self.report.status, Report.Status.NEW)

    def test_a_reader_cannot_decide(self):
        self.client.force_login(self.reader)
        self.assertNotContains(self.client.get(f"{self.base}{self.report.pk}/"), "/verify/")
        for action, data in (
            ("verify", {"version": 1}),
            ("reject", {"version": 1, "reason": "no"}),
            ("duplicate", {"version": 1, "original": 1}),
            ("case", {"version": 1}),
        ):
            with self.subTest(action=action):
                response = self.client.post(f"{self.base}{self.report.pk}/{action}/", data)
                self.assertEqual(response.status_code, 403)
        self.report.refresh_from_db()
        self.assertEqual((self.report.status, self.report.version), (Report.Status.NEW, 1))

    def test_a_documenter_verifies_and_turns_the_report_into_an_audited_case(self):
        self.client.force_login(self.documenter)
        response = self.client.post(
            f"{self.base}{self.report.pk}/verify/",
            {"version": 1, "public_summary": "Agresión a un periodista."},
        )
        self.assertRedirects(response, f"{self.base}{self.report.pk}/")
        self.report.refresh_from_db()
        self.assertEqual(self.report.status, Report.Status.VERIFIED)
        self.assertEqual(self.report.decided_by, self.documenter)
        response = self.client.post(f"{self.base}{self.report.pk}/case/", {"version": 2})
        event = Event.objects.get(organization=self.org)
        self.assertRedirects(response, f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertIn("Golpearon al reportero", event.description)
        self.assertEqual(event.municipality_id, "08017")
        self.assertEqual(str(event.status), "verifying")
        self.report.refresh_from_db()
        self.assertEqual(self.report.event, event)
        self.assertTrue(Change.objects.filter(event=event, action="created").exists())
        actions_logged = list(AuditEntry.objects.values_list("action", "target_id"))
        self.assertIn(("report.verified", str(self.report.pk)), actions_logged)
        self.assertIn(("report.case_created", str(self.report.pk)), actions_logged)
        self.assertIn(("case.create", str(event.pk)), actions_logged)
        # Only once.
        self.client.post(f"{self.base}{self.report.pk}/case/", {"version": self.report.version})
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 1)

    def test_the_case_and_its_audit_entries_commit_together_or_not_at_all(self):
        from unittest import mock

        actions.verify(self.report, self.documenter, 1)
        with (
            mock.patch("memoria.reports.actions.audit", side_effect=RuntimeError("audit refused")),
            self.assertRaises(RuntimeError),
        ):
            actions.create_case(Report.objects.get(pk=self.report.pk), self.documenter, 2)
        self.assertFalse(Event.objects.filter(organization=self.org).exists())
        self.assertIsNone(Report.objects.get(pk=self.report.pk).event_id)

    def test_a_new_report_cannot_become_a_case(self):
        self.client.force_login(self.documenter)
        self.client.post(f"{self.base}{self.report.pk}/case/", {"version": 1})
        self.assertFalse(Event.objects.filter(organization=self.org).exists())

    def test_a_stale_decision_writes_nothing(self):
        self.client.force_login(self.documenter)
        self.client.post(f"{self.base}{self.report.pk}/verify/", {"version": 1})
        response = self.client.post(
            f"{self.base}{self.report.pk}/reject/", {"version": 1, "reason": "falso"}, follow=True
        )
        self.assertContains(response, "mientras", status_code=409)
        self.report.refresh_from_db()
        self.assertEqual(self.report.status, Report.Status.VERIFIED)

    def test_a_documenter_merges_a_duplicate_and_rejects_with_a_reason(self):
        other = receive(self.org, what="Al reportero lo golpearon en la plaza.").report
        self.client.force_login(self.documenter)
        self.client.post(
            f"{self.base}{other.pk}/duplicate/", {"version": 1, "original": self.report.pk}
        )
        other.refresh_from_db()
        self.assertEqual((other.status, other.duplicate_of), (Report.Status.DUPLICATE, self.report))
        self.assertContains(
            self.client.get(f"{self.base}{self.report.pk}/"), "lo golpearon en la plaza"
        )
        # Not a duplicate of itself, nor of another organization's report.
        theirs = receive(self.other_org).report
        for original in (self.report.pk, theirs.pk):
            self.client.post(
                f"{self.base}{self.report.pk}/duplicate/", {"version": 1, "original": original}
            )
        self.report.refresh_from_db()
        self.assertEqual(self.report.status, Report.Status.NEW)
        self.client.post(
            f"{self.base}{self.report.pk}/reject/", {"version": 1, "reason": "Broma conocida."}
        )
        self.report.refresh_from_db()
        self.assertEqual(self.report.status, Report.Status.REJECTED)
        self.assertEqual(self.report.reason, "Broma conocida.")
        self.assertTrue(AuditEntry.objects.filter(action="report.rejected").exists())
        self.assertTrue(AuditEntry.objects.filter(action="report.duplicate").exists())

    def test_a_coordinator_opens_and_closes_the_form(self):
        self.client.force_login(self.documenter)
        self.assertEqual(self.client.post(f"{self.base}form/", {}).status_code, 403)
        self.client.force_login(self.coordinator)
        self.client.post(f"{self.base}form/", {})
        self.assertEqual(self.client.get(self.path()).status_code, 404)
        self.client.post(f"{self.base}form/", {"is_open": "on"})
        self.assertEqual(self.client.get(self.path()).status_code, 200)
        self.assertEqual(
            list(
                AuditEntry.objects.filter(action__startswith="report_channel")
                .values_list("action", flat=True)
                .order_by("pk")
            ),
            ["report_channel.closed", "report_channel.opened"],
        )


@override_settings(MEMORIA_REPORTS_PUBLISH_DELAY_HOURS=72)
class FeedTests(ReportTestCase):
    def verified(self, days_ago: float, **overrides) -> Report:
        report = receive(self.org, **overrides).report
        actions.verify(report, self.documenter, 1, public_summary=overrides.get("summary", ""))
        Report.objects.filter(pk=report.pk).update(
            decided_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        return report

    def test_it_shows_only_verified_reports_older_than_the_delay(self):
        self.verified(4, summary="Publicado hace cuatro días")
        # Other places, a total of at least k: below it, places the map hides list nothing.
        self.verified(4, municipality="08019")
        for _ in range(8):
            self.verified(4, municipality="08037")
        self.verified(1, summary="Verificado ayer")
        receive(self.org, what="Nuevo sin revisar")
        rejected = receive(self.org).report
        actions.reject(rejected, self.documenter, 1, "falso")
        Report.objects.filter(pk=rejected.pk).update(
            decided_at=timezone.now() - dt.timedelta(days=9)
        )
        response = self.client.get(self.path("incidents/"))
        self.assertContains(response, "Publicado hace cuatro días")
        self.assertNotContains(response, "Verificado ayer")
        self.assertEqual(len(feed.incidents(self.org)), 10)
        with override_settings(MEMORIA_REPORTS_PUBLISH_DELAY_HOURS=12):
            self.assertEqual(len(feed.incidents(self.org)), 11)

    def test_it_never_shows_the_reporters_words_a_day_or_a_place_below_the_municipality(self):
        self.verified(
            5,
            what="En la calle Libertad 221, colonia Centro, a las 22:40",
            contact="correo-secreto@example.org",
            day="17",
        )
        for _ in range(4):  # five in Cuauhtémoc: the default k, so the place is named
            self.verified(5)
        response = self.client.get(self.path("incidents/"))
        html = response.content.decode()
        self.assertIn("Cuauhtémoc", html)  # 08017
        self.assertIn("Chihuahua", html)
        for secret in ("Libertad 221", "22:40", "correo-secreto", "17/5", "17 de"):
            self.assertNotIn(secret, html)
        self.assertIsNone(re.search(r"-?\d{1,3}\.\d{4,}", html))  # nothing like a coordinate
        self.assertIn("5/2026", html)

    def test_without_a_public_site_it_withholds_a_place_below_the_default_k(self):
        self.verified(4, summary="Uno solo, de mayo")
        self.verified(4, municipality="08019")
        for _ in range(8):  # a total of at least k: below it, hidden places list nothing
            self.verified(4, municipality="08037")
        html = self.client.get(self.path("incidents/")).content.decode()
        self.assertIn("Uno solo, de mayo", html)  # the incident is listed, not its place
        self.assertEqual(html.count("Lugar reservado"), 10)  # 1 + 1 = 10 − 8 pins both: 8 hidden
        for place in ("Cuauhtémoc", "Chihuahua, Chihuahua", ">Chihuahua"):
            self.assertNotIn(place, html)
        self.assertIn("menos de 5", html)
        self.assertEqual(feed.threshold(self.org), 5)

    def test_it_counts_incidents_by_municipality_for_the_map(self):
        self.verified(4)
        self.verified(4)
        self.verified(4, municipality="")
        self.verified(0)
        counts = feed.counts_by_municipality(self.org)
        self.assertEqual(counts, {("08", "08017"): 2, ("08", ""): 1})


class SettingsTests(ReportTestCase):
    def test_the_settings_are_read_and_checked_at_start_up(self):
        from memoria.config import ConfigError, load_config

        env = {"MEMORIA_REPORTS_PUBLISH_DELAY_HOURS": "24", "MEMORIA_REPORTS_RATE_PER_ADDRESS": "3"}
        reports = load_config(env).reports
        self.assertEqual((reports.publish_delay_hours, reports.rate_per_address), (24, 3))
        self.assertEqual(load_config({}).reports.rate_per_organization, 300)
        for name, value in (
            ("MEMORIA_REPORTS_RATE_PER_ADDRESS", "0"),
            ("MEMORIA_REPORTS_PUBLISH_DELAY_HOURS", "tres"),
            ("MEMORIA_REPORTS_FORM_MIN_SECONDS", "-1"),
        ):
            with self.subTest(name=name), self.assertRaisesMessage(ConfigError, name):
                load_config({name: value})
