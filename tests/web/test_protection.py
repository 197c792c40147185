"""People at risk, their circle, risk assessments, requests, measures and what the state owes."""

from __future__ import annotations

import datetime

from django.test import override_settings
from django.utils import timezone

from memoria.audit.models import AuditEntry
from memoria.jobs.registry import PERIODIC
from memoria.protection import actions, overdue
from memoria.protection.models import (
    OverdueAlert,
    PersonAtRisk,
    ProtectionMeasure,
    RiskAssessment,
    SupportContact,
)
from tests.web.protection_fixtures import FILED, ProtectionFixtures, local_input

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def url(org, *parts) -> str:
    return "/".join([f"/o/{org.slug}/protection", *map(str, parts)]) + "/"


class PeoplePagesTests(ProtectionFixtures):
    def test_a_documenter_registers_a_person_at_risk(self):
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, "new"),
            {
                "display_name": "Defensora del río",
                "profile": "defender",
                "notes": "Se opone a una mina.",
                "time_zone": "America/Mexico_City",
                "status": "active",
                "member_email": self.reader.email,
            },
        )
        person = PersonAtRisk.objects.get(organization=self.org)
        self.assertRedirects(response, url(self.org, person.pk))
        self.assertEqual(person.member, self.reader)
        page = self.client.get(url(self.org, person.pk))
        self.assertContains(page, "Defensora del río")
        self.assertContains(page, "Se opone a una mina.")
        entries = AuditEntry.objects.filter(action__startswith="protection.")
        self.assertEqual(
            set(entries.values_list("action", flat=True)),
            {"protection.create", "protection.view"},
        )
        for entry in entries:
            self.assertNotIn("río", str(entry.details))

    def test_an_unknown_member_e_mail_is_refused(self):
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, "new"),
            {
                "display_name": "X",
                "profile": "defender",
                "time_zone": "UTC",
                "status": "active",
                "member_email": "nadie@example.org",
            },
        )
        self.assertContains(response, "Nadie de la red entra con este correo.", status_code=200)
        self.assertFalse(PersonAtRisk.objects.exists())

    def test_the_list_puts_the_highest_risk_first(self):
        low = self.make_person(display_name="Persona A")
        extreme = self.make_person(display_name="Persona B")
        self.make_person(display_name="Persona C")  # not assessed: last
        self.make_assessment(low, "low")
        self.make_assessment(extreme, "extreme")
        self.client.force_login(self.reader)
        page = self.client.get(url(self.org)).content.decode()
        self.assertLess(page.index("Persona B"), page.index("Persona A"))
        self.assertLess(page.index("Persona A"), page.index("Persona C"))

    def test_readers_see_but_do_not_edit(self):
        person = self.make_person()
        self.client.force_login(self.reader)
        page = self.client.get(url(self.org, person.pk))
        self.assertContains(page, person.display_name)
        self.assertNotContains(page, url(self.org, person.pk, "edit"))
        self.assertEqual(self.client.get(url(self.org, person.pk, "edit")).status_code, 403)
        self.assertEqual(
            self.client.post(url(self.org, person.pk, "contacts/new"), {}).status_code, 403
        )

    def test_analysts_see_nothing_of_it(self):
        person = self.make_person()
        self.client.force_login(self.analyst)
        for path in (url(self.org), url(self.org, person.pk), url(self.org, "owed")):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 403)
                self.assertNotContains(response, person.display_name, status_code=403)
        home = self.client.get(f"/o/{self.org.slug}/")
        self.assertNotContains(home, url(self.org))

    def test_another_organization_gets_404_even_with_real_ids(self):
        person = self.make_person()
        assessment = self.make_assessment(person)
        self.client.force_login(self.outsider)
        for path in (
            url(self.org, person.pk),
            url(self.other_org, person.pk),
            url(self.other_org, person.pk, "assessments", assessment.pk),
        ):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)

    def test_a_part_of_another_person_is_not_found(self):
        first, second = self.make_person(), self.make_person(display_name="Otra")
        measure = self.make_measure(first)
        self.client.force_login(self.documenter)
        self.assertEqual(
            self.client.get(url(self.org, second.pk, "measures", measure.pk)).status_code, 404
        )

    def test_a_stale_edit_is_refused_and_explained(self):
        person = self.make_person()
        actions.update_person(
            person, self.coordinator, {"display_name": "Nombre nuevo"}, person.version
        )
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, person.pk, "edit"),
            {
                "display_name": "Mi versión",
                "profile": "journalist",
                "time_zone": "UTC",
                "status": "active",
                "version": 1,
            },
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "Nombre nuevo", status_code=409)
        self.assertEqual(PersonAtRisk.objects.get(pk=person.pk).display_name, "Nombre nuevo")


class CircleTests(ProtectionFixtures):
    def test_a_contact_is_added_with_the_channels_they_accept(self):
        person = self.make_person()
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, person.pk, "contacts/new"),
            {
                "name": "Hermana Lucía",
                "relationship": "hermana",
                "email": "lucia@example.org",
                "signal_number": "+52 55 1234 5678",
                "accepts_email": "on",
                "accepts_signal": "on",
                "is_active": "on",
                "position": "0",
            },
        )
        self.assertRedirects(response, url(self.org, person.pk))
        contact = SupportContact.objects.get(person=person)
        self.assertEqual(contact.channels, ["email", "signal"])
        self.assertContains(self.client.get(url(self.org, person.pk)), "Hermana Lucía")

    def test_a_channel_needs_its_address_and_webhooks_need_https(self):
        person = self.make_person()
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, person.pk, "contacts/new"),
            {
                "name": "Abogada",
                "accepts_sms": "on",
                "webhook_url": "http://example.org/hook",
                "position": "0",
            },
        )
        self.assertContains(response, "Da la dirección para este canal")
        self.assertContains(response, "Usa una dirección https://.")
        self.assertFalse(SupportContact.objects.exists())


class AssessmentTests(ProtectionFixtures):
    def test_the_level_sets_the_review_date(self):
        person = self.make_person()
        day = datetime.date(2026, 11, 2)
        extreme = self.make_assessment(person, "extreme", day)
        low = self.make_assessment(person, "low", day)
        self.assertEqual(extreme.review_due, day + 7 * DAY)
        self.assertEqual(low.review_due, day + 180 * DAY)

    @override_settings(MEMORIA_PROTECTION_REVIEW_DAYS={"extreme": 2})
    def test_the_review_intervals_are_settings(self):
        person = self.make_person()
        day = datetime.date(2026, 11, 2)
        self.assertEqual(self.make_assessment(person, "extreme", day).review_due, day + 2 * DAY)
        self.assertEqual(self.make_assessment(person, "high", day).review_due, day + 30 * DAY)

    def test_factors_are_itemized_with_date_and_source(self):
        person = self.make_person()
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, person.pk, "assessments/new"),
            {"assessed_on": "2026-11-02", "level": "high", "summary": "Vigilancia en casa."},
        )
        assessment = RiskAssessment.objects.get(person=person)
        self.assertRedirects(response, url(self.org, person.pk, "assessments", assessment.pk))
        self.assertEqual(assessment.assessed_by, self.documenter)
        for kind, text in (
            ("threat", "Mensaje con amenaza de muerte"),
            ("vulnerability", "Vive sola"),
            ("capacity", "Red de periodistas atenta"),
        ):
            self.client.post(
                url(self.org, person.pk, "assessments", assessment.pk, "factors/new"),
                {"kind": kind, "description": text, "date": "2026-10-30", "source": "Ella"},
            )
        page = self.client.get(url(self.org, person.pk, "assessments", assessment.pk))
        content = page.content.decode()
        self.assertLess(content.index("Mensaje con amenaza"), content.index("Vive sola"))
        self.assertLess(content.index("Vive sola"), content.index("Red de periodistas"))
        self.assertEqual(assessment.factors.count(), 3)

    def test_a_new_assessment_becomes_current_and_the_old_one_history(self):
        person = self.make_person()
        self.make_assessment(person, "medium", datetime.date(2026, 6, 1))
        actions.record_assessment(
            person,
            self.coordinator,
            {"assessed_on": datetime.date(2026, 11, 2), "level": "extreme", "summary": ""},
        )
        self.client.force_login(self.reader)
        page = self.client.get(url(self.org, person.pk))
        self.assertContains(page, "Historial de evaluaciones")
        current = page.context["current"]
        self.assertEqual(current.level, "extreme")
        self.assertContains(page, "Alicia Coordinadora")
        self.assertContains(page, "Daniel Documentador")


class MeasureTests(ProtectionFixtures):
    def test_legal_deadlines_come_from_the_terms(self):
        person = self.make_person()
        urgent = self.make_measure(person, "urgent")
        protection = self.make_measure(person, "protection")
        self.assertEqual(urgent.implement_by, FILED + 9 * HOUR)
        self.assertEqual(protection.implement_by, FILED + 30 * DAY)
        self.assertEqual(urgent.review_on, (FILED + 180 * DAY).date())

    @override_settings(MEMORIA_PROTECTION_TERMS={"urgent_implementation": {"hours": 12}})
    def test_a_term_can_be_changed_without_code(self):
        person = self.make_person()
        self.assertEqual(self.make_measure(person).implement_by, FILED + 12 * HOUR)

    def test_a_documenter_records_a_request_and_a_measure(self):
        person = self.make_person()
        self.client.force_login(self.documenter)
        filed = timezone.now() - 2 * HOUR
        response = self.client.post(
            url(self.org, person.pk, "requests/new"),
            {
                "mechanism": "state",
                "state": "25",
                "procedure": "extraordinary",
                "filed_at": local_input(filed),
                "file_number": "CEDH/SIN/77",
                "outcome": "pending",
            },
        )
        self.assertRedirects(response, url(self.org, person.pk))
        request = person.requests.get()
        response = self.client.post(
            url(self.org, person.pk, "measures/new"),
            {
                "request": request.pk,
                "category": "urgent",
                "kind": "escort",
                "granted_at": local_input(filed + HOUR),
            },
        )
        self.assertRedirects(response, url(self.org, person.pk))
        measure = ProtectionMeasure.objects.get(person=person)
        self.assertEqual(measure.request, request)
        self.assertEqual(
            measure.implement_by, filed.replace(second=0, microsecond=0) + HOUR + 9 * HOUR
        )
        page = self.client.get(url(self.org, person.pk))
        self.assertContains(page, "CEDH/SIN/77")
        self.assertContains(page, "No implementada")

    def test_a_state_mechanism_needs_its_state(self):
        person = self.make_person()
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, person.pk, "requests/new"),
            {
                "mechanism": "state",
                "procedure": "ordinary",
                "filed_at": "2026-11-01T10:00",
                "outcome": "pending",
            },
        )
        self.assertContains(response, "Elige el estado")


class OwedTests(ProtectionFixtures):
    def test_an_extraordinary_request_is_owed_after_three_hours_without_urgent_measures(self):
        person = self.make_person()
        request = self.make_request(person, "extraordinary")
        self.assertEqual(overdue.owed_items(self.org, FILED + 2 * HOUR), [])
        [item] = overdue.owed_items(self.org, FILED + 4 * HOUR)
        self.assertEqual((item.kind, item.record), ("urgent_measures", request))
        self.assertEqual(item.due_at, FILED + 3 * HOUR)
        self.make_measure(person, "urgent", FILED + 5 * HOUR, request=request)
        kinds = [i.kind for i in overdue.owed_items(self.org, FILED + 6 * HOUR)]
        self.assertEqual(kinds, [])

    def test_an_ordinary_request_is_owed_after_thirty_days(self):
        person = self.make_person()
        self.make_request(person, "ordinary")
        self.assertEqual(overdue.owed_items(self.org, FILED + 29 * DAY), [])
        [item] = overdue.owed_items(self.org, FILED + 31 * DAY)
        self.assertEqual(item.kind, "decision")

    def test_measures_owed_until_implemented_and_past_review(self):
        person = self.make_person()
        measure = self.make_measure(person, "urgent")
        [item] = overdue.owed_items(self.org, FILED + 10 * HOUR)
        self.assertEqual(item.kind, "implementation")
        actions.update_measure(
            measure, self.documenter, {"implemented_on": FILED.date()}, measure.version
        )
        self.assertEqual(overdue.owed_items(self.org, FILED + 10 * HOUR), [])
        kinds = [i.kind for i in overdue.owed_items(self.org, FILED + 200 * DAY)]
        self.assertEqual(kinds, ["measure_review"])

    def test_only_the_latest_assessment_is_reviewed_and_closed_people_owe_nothing(self):
        person = self.make_person()
        self.make_assessment(person, "extreme", datetime.date(2026, 1, 1))
        latest = self.make_assessment(person, "low", datetime.date(2026, 11, 1))
        now = FILED + 30 * DAY
        self.assertEqual(overdue.owed_items(self.org, now), [])
        [item] = overdue.owed_items(self.org, datetime.datetime(2027, 5, 10, tzinfo=datetime.UTC))
        self.assertEqual((item.kind, item.record), ("assessment_review", latest))
        actions.update_person(person, self.documenter, {"status": "closed"}, person.version)
        self.assertEqual(
            overdue.owed_items(self.org, datetime.datetime(2027, 5, 10, tzinfo=datetime.UTC)), []
        )

    def test_the_list_is_oldest_first(self):
        person = self.make_person()
        self.make_measure(person, "protection", FILED)  # due FILED + 30 days
        self.make_request(person, "extraordinary", FILED + 10 * DAY)  # due + 3 hours
        items = overdue.owed_items(self.org, FILED + 40 * DAY)
        self.assertEqual([i.kind for i in items], ["urgent_measures", "implementation"])


class AlertTests(ProtectionFixtures):
    def test_the_worker_task_is_registered(self):
        self.assertIs(PERIODIC["protection.overdue"].func, overdue.raise_overdue_alerts)

    def test_one_alert_per_item_and_kind_however_often_it_runs(self):
        person = self.make_person()
        self.make_request(person, "extraordinary")
        self.make_measure(person, "urgent")
        later = FILED + 10 * HOUR
        self.assertEqual(overdue.raise_overdue_alerts(later), 2)
        self.assertEqual(overdue.raise_overdue_alerts(later), 0)
        self.assertEqual(overdue.raise_overdue_alerts(later + HOUR), 0)
        self.assertEqual(
            set(OverdueAlert.objects.values_list("kind", flat=True)),
            {"urgent_measures", "implementation"},
        )
        raised = AuditEntry.objects.filter(action="protection.alert_raised")
        self.assertEqual(raised.count(), 2)
        self.assertIsNone(raised.first().actor_id)

    def test_each_new_alert_is_e_mailed_once_to_the_organization_naming_no_one(self):
        from memoria.alerts import actions as alert_actions
        from memoria.alerts.models import Delivery

        self.org.contact_email = "guardia@norte.example"
        self.org.save(update_fields=["contact_email"])
        alert_actions.save_channel(
            self.org, {"name": "Correo de guardia", "kind": "email", "config": {}}
        )
        person = self.make_person()
        self.make_measure(person, "urgent")
        overdue.raise_overdue_alerts(FILED + 10 * HOUR)
        overdue.raise_overdue_alerts(FILED + 11 * HOUR)
        [delivery] = Delivery.objects.filter(organization=self.org)
        self.assertEqual(delivery.recipient, "guardia@norte.example")
        self.assertIn(url(self.org, "owed"), delivery.body)
        self.assertNotIn(person.display_name, delivery.body + delivery.subject)

    def test_alerts_show_in_the_navigation_until_seen(self):
        person = self.make_person()
        self.make_measure(person, "urgent")
        overdue.raise_overdue_alerts(FILED + 10 * HOUR)
        self.client.force_login(self.reader)
        page = self.client.get(url(self.org))
        self.assertContains(page, '<span class="nav-count">1')
        self.assertContains(page, "alerta por plazo vencido")
        self.client.force_login(self.documenter)
        owed = self.client.get(url(self.org, "owed"))
        self.assertContains(owed, "Medida no implementada a tiempo")
        alert = OverdueAlert.objects.get()
        response = self.client.post(url(self.org, "alerts", alert.pk, "acknowledge"))
        self.assertRedirects(response, url(self.org, "owed"))
        alert.refresh_from_db()
        self.assertEqual(alert.acknowledged_by, self.documenter)
        self.assertNotContains(self.client.get(url(self.org)), "nav-count")

    def test_an_item_no_longer_overdue_resolves_its_alert(self):
        person = self.make_person()
        measure = self.make_measure(person, "urgent")
        overdue.raise_overdue_alerts(FILED + 10 * HOUR)
        actions.update_measure(
            measure, self.documenter, {"implemented_on": FILED.date()}, measure.version
        )
        overdue.raise_overdue_alerts(FILED + 11 * HOUR)
        self.assertIsNotNone(OverdueAlert.objects.get().resolved_at)
        self.assertEqual(overdue.open_alert_count(self.org), 0)

    def test_readers_cannot_acknowledge(self):
        person = self.make_person()
        self.make_measure(person, "urgent")
        overdue.raise_overdue_alerts(FILED + 10 * HOUR)
        alert = OverdueAlert.objects.get()
        self.client.force_login(self.reader)
        self.assertEqual(
            self.client.post(url(self.org, "alerts", alert.pk, "acknowledge")).status_code, 403
        )
        self.assertNotContains(
            self.client.get(url(self.org, "owed")), "Marcar la alerta como vista"
        )
