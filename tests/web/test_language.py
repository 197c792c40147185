"""Spanish as Mexicans write it (months in lower case, "tú" throughout), English without "a.m..".

The browser's language on the sign-in page: tests/web/test_interface.py.
"""

from __future__ import annotations

import datetime

from django.utils import formats, timezone, translation

from memoria.cases.models import Change
from tests.web.base import PASSWORD
from tests.web.cases_fixtures import CaseFixtures

USTED = ("Su contraseña", "introduzca", "Introduzca", "vuelva a", "Observe que")


class DateTests(CaseFixtures):
    def setUp(self):
        self.event = self.make_case()
        # The case's last change: 3 December 2026 at 01:50 in Mexico City.
        at = datetime.datetime(2026, 12, 3, 1, 50, tzinfo=timezone.get_current_timezone())
        Change.objects.filter(event=self.event).update(at=at)
        self.url = f"/o/{self.org.slug}/cases/{self.event.pk}/"
        self.client.force_login(self.reader)

    def test_it_writes_months_in_lower_case_in_spanish_sentences(self):
        response = self.client.get(self.url)
        self.assertContains(response, "el 3 de diciembre de 2026 a las 01:50.")
        self.assertNotContains(response, "Diciembre")
        with translation.override("es-mx"):
            self.assertEqual(
                formats.date_format(datetime.date(2024, 3, 1), "DATE_FORMAT"), "1 de marzo de 2024"
            )
            self.assertEqual(formats.date_format(datetime.date(2024, 3, 1), "N Y"), "mar. 2024")
            self.assertEqual(formats.date_format(datetime.date(2024, 3, 4), "l"), "lunes")

    def test_it_ends_an_english_sentence_with_a_time_in_one_period(self):
        self.client.cookies["memoria_language"] = "en"
        response = self.client.get(self.url)
        self.assertContains(response, "on Dec. 3, 2026, 1:50 AM.")
        self.assertNotContains(response, "a.m..")
        with translation.override("en"):
            self.assertEqual(formats.date_format(datetime.date(2024, 3, 1)), "March 1, 2024")


class PasswordSpanishTests(CaseFixtures):
    def assert_tu(self, response, *texts):
        for text in texts:
            self.assertContains(response, text)
        for text in USTED:
            self.assertNotContains(response, text)

    def test_it_explains_the_password_rules_in_tu(self):
        self.client.force_login(self.reader)
        response = self.client.get("/accounts/password/")
        self.assert_tu(
            response,
            "Tu contraseña debe tener al menos 12 caracteres.",
            "Tu contraseña no puede ser una de las más comunes.",
            "Tu contraseña no puede tener solo números.",
            "Tu contraseña no puede parecerse a tu nombre ni a tu correo electrónico.",
            "Escribe otra vez la misma contraseña nueva.",
            "Contraseña actual",
        )

    def test_it_refuses_a_bad_new_password_in_tu(self):
        self.client.force_login(self.reader)
        response = self.client.post(
            "/accounts/password/",
            {"old_password": "no es esta", "new_password1": "12345", "new_password2": "12345"},
        )
        self.assert_tu(
            response,
            "Tu contraseña actual no es correcta. Escríbela otra vez.",
            "Esta contraseña es muy corta: debe tener al menos 12 caracteres.",
            "Esta contraseña solo tiene números.",
        )
        response = self.client.post(
            "/accounts/password/",
            {"old_password": PASSWORD, "new_password1": "una frase nueva y larga",
             "new_password2": "otra frase distinta"},
        )  # fmt: skip
        self.assert_tu(response, "Las dos contraseñas no coinciden.")

    def test_it_says_what_to_check_after_a_wrong_password_in_tu(self):
        response = self.client.post(
            "/accounts/login/", {"username": self.reader.email, "password": "incorrecta"}
        )
        self.assert_tu(response, "Por favor, revisa tu correo electrónico y tu contraseña")

    def test_it_keeps_the_english_messages_in_english(self):
        self.client.force_login(self.reader)
        self.client.cookies["memoria_language"] = "en"
        response = self.client.get("/accounts/password/")
        self.assertContains(response, "Your password must have at least 12 characters.")
