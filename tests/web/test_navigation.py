"""What a member can reach: one navigation everywhere, their account, a dashboard for their role."""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django_otp.plugins.otp_static.models import StaticToken

from memoria.accounts.twofactor import replace_recovery_codes
from memoria.audit.models import AuditEntry
from memoria.cases.statistics import horizontal_chart
from tests.web.base import MemoriaTestCase, totp_device
from tests.web.cases_fixtures import CaseFixtures


def main_navigation(response) -> str:
    html = response.content.decode()
    match = re.search(r'<nav aria-label="Principal">.*?</nav>', html, re.S)
    assert match, "no main navigation"
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", match.group(0))


class NavigationTests(CaseFixtures):
    def test_every_page_has_the_same_navigation(self):
        event = self.make_case()
        self.client.force_login(self.coordinator)
        self.client.reauthenticate()  # the history asks for it
        base = f"/o/{self.org.slug}"
        pages = [
            f"{base}/",
            f"{base}/cases/",
            f"{base}/cases/{event.pk}/",
            f"{base}/cases/{event.pk}/history/",
            f"{base}/cases/statistics/",
            f"{base}/cases/import/",
            f"{base}/members/",
            f"{base}/audit/",
            f"{base}/vocabularies/",
            "/accounts/",
            "/accounts/password/",
        ]
        navigations = set()
        for path in pages:
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                # The same links, whichever one is marked as the current page.
                navigations.add(main_navigation(response).replace(' aria-current="page"', ""))
        self.assertEqual(len(navigations), 1)
        navigation = navigations.pop()
        for link in ("/cases/", "/people/", "/cases/statistics/", "/members/", "/audit/"):
            self.assertIn(f'href="{base}{link}"', navigation)
        self.assertIn('href="/accounts/"', navigation)

    def test_it_marks_the_current_section(self):
        event = self.make_case()
        self.client.force_login(self.documenter)
        response = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/edit/")
        self.assertIn(
            f'href="/o/{self.org.slug}/cases/" aria-current="page"', main_navigation(response)
        )

    def test_it_shows_the_audit_log_and_members_only_to_those_allowed(self):
        for user, allowed in (
            (self.coordinator, True),
            (self.documenter, False),
            (self.reader, False),
        ):
            with self.subTest(user=user.email):
                self.client.force_login(user)
                navigation = main_navigation(self.client.get(f"/o/{self.org.slug}/"))
                self.assertEqual(f"/o/{self.org.slug}/audit/" in navigation, allowed)
                self.assertEqual(f"/o/{self.org.slug}/members/" in navigation, allowed)

    def test_the_figures_page_is_titled_as_such(self):
        self.client.force_login(self.reader)
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/")
        self.assertContains(response, "<title>Cifras · Memoria</title>", html=False)
        self.assertContains(response, f"<h1>Cifras de {self.org.name}</h1>", html=True)


class DashboardTests(MemoriaTestCase):
    def test_it_tells_each_role_what_it_can_do(self):
        expected = {
            self.reader: "Consultas los casos, las personas y las cifras; no los modificas.",
            self.analyst: "Consultas los casos y sus cifras para analizarlos",
            self.documenter: "Registras casos y los mantienes al día",
            self.coordinator: "además administras a las personas integrantes",
        }
        for user, sentence in expected.items():
            with self.subTest(user=user.email):
                self.client.force_login(user)
                response = self.client.get(f"/o/{self.org.slug}/")
                self.assertContains(response, sentence)
                invites_to_edit = user in (self.documenter, self.coordinator)
                self.assertEqual(
                    "Registra, filtra y edita" in response.content.decode(), invites_to_edit
                )
                self.assertEqual(
                    "Consulta y filtra los casos" in response.content.decode(), not invites_to_edit
                )


class AccountPageTests(MemoriaTestCase):
    def test_it_shows_two_step_sign_in_and_recovery_codes_left(self):
        totp_device(self.reader)
        replace_recovery_codes(self.reader)
        StaticToken.objects.filter(device__user=self.reader).first().delete()
        self.client.force_login(self.reader)
        response = self.client.get("/accounts/")
        self.assertContains(response, "Activado")
        self.assertContains(response, "Te quedan 9 códigos de recuperación sin usar.")
        self.assertContains(response, 'href="/accounts/password/"')
        self.assertContains(response, 'href="/accounts/two-factor/recovery-codes/"')
        self.assertContains(response, self.org.name)
        self.assertContains(response, 'name="language"')

    def test_it_offers_set_up_to_a_member_without_an_authenticator(self):
        # A platform account outside any organization need not use a second step.
        self.reader.memberships.all().delete()
        self.client.force_login(self.reader, otp=False)
        response = self.client.get("/accounts/")
        self.assertContains(response, "Desactivado")
        self.assertContains(response, 'href="/accounts/two-factor/setup/?next=/accounts/"')

    def test_it_asks_for_password_and_code_before_new_recovery_codes(self):
        totp_device(self.reader)
        old = replace_recovery_codes(self.reader)
        self.client.force_login(self.reader)
        response = self.client.post("/accounts/two-factor/recovery-codes/")
        self.assertRedirects(
            response,
            "/accounts/confirm/?next=%2Faccounts%2Ftwo-factor%2Frecovery-codes%2F",
            fetch_redirect_response=False,
        )
        self.assertFalse(AuditEntry.objects.filter(action="two_factor.recovery_codes_replaced"))
        # Back from the confirmation (a GET), it asks once more before replacing them.
        self.client.reauthenticate()
        self.assertContains(
            self.client.get("/accounts/two-factor/recovery-codes/"), "dejarán de funcionar"
        )
        self.assertEqual(StaticToken.objects.filter(device__user=self.reader).count(), 10)
        response = self.client.post("/accounts/two-factor/recovery-codes/")
        new = re.findall(r"<code>([a-z2-7]{8})</code>", response.content.decode())
        self.assertEqual(len(new), 10)
        self.assertFalse(set(new) & set(old))
        self.assertEqual(StaticToken.objects.filter(device__user=self.reader).count(), 10)
        self.assertContains(response, 'href="/accounts/"')
        self.assertTrue(
            AuditEntry.objects.filter(
                action="two_factor.recovery_codes_replaced", actor_id=self.reader.pk
            ).exists()
        )


class ChartTests(MemoriaTestCase):
    def test_long_labels_wrap_onto_lines_and_are_never_cut(self):
        long = "Desaparición cometida por particulares"
        chart = horizontal_chart([(long, 3), ("Homicidio", 1)])
        first, second = chart.bars
        self.assertEqual(first.tick_lines, ["Desaparición cometida por", "particulares"])
        self.assertEqual(second.tick_lines, ["Homicidio"])
        self.assertEqual(" ".join(first.tick_lines), long)
        # The taller row pushes the next one down; the chart is as tall as its rows.
        self.assertGreater(second.y, first.y + first.height)
        self.assertGreaterEqual(chart.height, second.y + second.height)

    def test_the_page_draws_every_line_of_a_label(self):
        chart = horizontal_chart([("Desaparición cometida por particulares", 2)])
        html = render_to_string("cases/_chart.html", {"chart": chart, "title": "t"})
        self.assertIn(">Desaparición cometida por</tspan>", html)
        self.assertIn(">particulares</tspan>", html)
        self.assertNotIn("…", html)
