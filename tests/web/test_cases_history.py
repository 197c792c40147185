"""The history of a case (who changed what and when) and its statistics."""

from __future__ import annotations

import datetime

from memoria.audit.models import AuditEntry
from memoria.cases.models import (
    Change,
)
from tests.web.cases_fixtures import CaseFixtures, event_data


class HistoryTests(CaseFixtures):
    def test_it_keeps_every_change_with_who_when_and_what(self):
        event = self.make_case(title="Primer título")
        person = self.add_victim(event, given_names="Ana", paternal_surname="Ríos").victim
        self.client.force_login(self.documenter)
        self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/edit/",
            event_data(title="Segundo título", status="verifying", version=1),
        )
        self.client.post(
            f"/o/{self.org.slug}/people/{person.pk}/edit/",
            {"given_names": "Ana", "paternal_surname": "Ríos Luna", "sex": "female",
             "visibility": "private", "version": 1},
        )  # fmt: skip
        change = Change.objects.filter(kind="event", action="changed").get()
        self.assertEqual(change.actor, self.documenter)
        self.assertEqual(change.changes["title"], ["Primer título", "Segundo título"])

        self.client.force_login(self.coordinator)
        self.client.reauthenticate()
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/history/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Daniel Documentador")
        self.assertContains(page, "Primer título")
        self.assertContains(page, "Segundo título")
        self.assertContains(page, "Bajo verificación")
        self.assertContains(page, "Ríos Luna")
        self.assertContains(page, "Apellido paterno")

    def test_it_shows_a_case_history_to_those_who_may_change_the_case(self):
        event = self.make_case()
        url = f"/o/{self.org.slug}/cases/{event.pk}/history/"
        for user in (self.coordinator, self.documenter):
            with self.subTest(user=user.email):
                self.client.force_login(user)
                case_page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
                self.assertContains(case_page, f'href="{url}"')
                self.client.reauthenticate()
                page = self.client.get(url)
                self.assertContains(page, f"Historial del caso #{event.number}")

    def test_it_refuses_the_history_to_readers_and_analysts_without_asking_a_password(self):
        event = self.make_case()
        url = f"/o/{self.org.slug}/cases/{event.pk}/history/"
        for user in (self.analyst, self.reader):
            with self.subTest(user=user.email):
                self.client.force_login(user)
                case_page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
                self.assertNotContains(case_page, url)
                response = self.client.get(url)  # 403 at once, not the password page first
                self.assertContains(response, "Tu rol no permite esto", status_code=403)
                self.client.reauthenticate()
                self.assertEqual(self.client.get(url).status_code, 403)

    def test_it_shows_a_persons_history_from_their_page_to_a_documenter(self):
        person = self.add_victim(
            self.make_case(), given_names="Ana", paternal_surname="Ríos"
        ).victim
        self.client.force_login(self.documenter)
        self.client.post(
            f"/o/{self.org.slug}/people/{person.pk}/edit/",
            {"given_names": "Ana", "paternal_surname": "Ríos Luna", "sex": "female",
             "visibility": "private", "version": 1},
        )  # fmt: skip
        url = f"/o/{self.org.slug}/people/{person.pk}/history/"
        self.assertContains(self.client.get(f"/o/{self.org.slug}/people/{person.pk}/"), url)
        self.assertEqual(self.client.get(url).status_code, 302)  # confirm who you are first
        self.client.reauthenticate()
        page = self.client.get(url)
        self.assertContains(page, "Historial de Ana Ríos Luna")
        self.assertContains(page, "Ríos Luna")
        self.assertTrue(AuditEntry.objects.filter(action="person.history").exists())

        self.client.force_login(self.reader)
        self.assertNotContains(self.client.get(f"/o/{self.org.slug}/people/{person.pk}/"), url)
        self.client.reauthenticate()
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_it_asks_the_coordinator_to_confirm_who_they_are_first(self):
        event = self.make_case()
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/history/")
        self.assertEqual(response.status_code, 302)

    def test_it_records_no_change_when_nothing_changed(self):
        event = self.make_case()
        self.client.force_login(self.documenter)
        form = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/edit/").context["form"]
        data = {k: v for k, v in form.initial.items() if v not in (None, [])}
        data["version"] = 1
        data["title"] = event.title
        self.client.post(f"/o/{self.org.slug}/cases/{event.pk}/edit/", data)
        event.refresh_from_db()
        self.assertEqual(event.version, 1)
        self.assertEqual(Change.objects.filter(kind="event").count(), 1)


class StatisticsTests(CaseFixtures):
    def test_it_counts_by_month_violation_and_state_with_svg_charts(self):
        for day in (3, 20):
            self.make_case(
                start_date=datetime.date(2020, 5, day),
                victim={"given_names": "A", "paternal_surname": "Uno", "perpetrator": "army"},
            )
        self.make_case(start_date=datetime.date(2018, 1, 1), start_precision="year")
        self.client.force_login(self.reader)
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/")
        self.assertEqual(response.status_code, 200)
        context = response.context
        self.assertEqual(context["totals"]["events"], 3)
        self.assertEqual(context["totals"]["state_acts"], 2)
        months = {bar.label: bar.count for bar in context["by_month"].bars}
        self.assertEqual(months["mayo de 2020"], 2)
        self.assertEqual(context["without_month"], 1)
        violations = {bar.label: bar.count for bar in context["by_violation"].bars}
        self.assertEqual(violations, {"Homicidio": 2})
        self.assertEqual(
            [(bar.label, bar.count) for bar in context["by_state"].bars], [("Chihuahua", 3)]
        )
        self.assertContains(response, 'class="chart-svg"', count=8)
        self.assertContains(response, 'class="map-svg"', count=1)
        self.assertContains(response, "Casos por tipo de violación")
        self.assertContains(response, "no tiene mes conocido")

    def test_it_says_when_there_is_nothing_to_count(self):
        self.client.force_login(self.reader)
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/")
        self.assertContains(response, "Nada que contar todavía")
