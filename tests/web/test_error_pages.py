"""Error pages are Memoria pages: in the reader's language, fit for a phone, with a way back."""

from __future__ import annotations

from django.test import Client, RequestFactory, override_settings
from django.utils import translation

from memoria.core import errors
from tests.web.base import MemoriaTestCase

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


class ErrorPageTests(MemoriaTestCase):
    def in_english(self, client=None):
        (client or self.client).cookies["memoria_language"] = "en"

    def assert_memoria_page(self, response, status: int, language: str, *texts: str):
        self.assertEqual(response.status_code, status)
        self.assertContains(response, f'<html lang="{language}">', status_code=status)
        self.assertContains(response, VIEWPORT, status_code=status, html=False)
        for text in texts:
            self.assertContains(response, text, status_code=status)

    def test_it_answers_a_missing_case_in_spanish_with_the_way_to_the_cases(self):
        self.client.force_login(self.documenter)
        response = self.client.get(f"/o/{self.org.slug}/cases/999999/")
        self.assert_memoria_page(
            response,
            404,
            "es-mx",
            "Esta página no existe",
            f'href="/o/{self.org.slug}/cases/"',
            f'href="/o/{self.org.slug}/"',
        )
        self.assertNotContains(response, "Not Found", status_code=404)

    def test_it_answers_a_missing_page_in_english_when_english_was_chosen(self):
        self.client.force_login(self.documenter)
        self.in_english()
        response = self.client.get(f"/o/{self.org.slug}/cases/999999/")
        self.assert_memoria_page(
            response,
            404,
            "en",
            "This page does not exist",
            "The cases of Centro Norte de Derechos Humanos",
        )

    def test_it_offers_sign_in_to_an_anonymous_visitor(self):
        response = self.client.get("/no-such-page/")
        self.assert_memoria_page(response, 404, "es-mx", 'href="/accounts/login/"')
        response = self.client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        self.assert_memoria_page(response, 404, "en", "This page does not exist", "Sign in")

    def test_it_tells_a_reader_their_role_does_not_allow_a_page(self):
        self.client.force_login(self.reader)
        response = self.client.get(f"/o/{self.org.slug}/members/")
        self.assert_memoria_page(
            response,
            403,
            "es-mx",
            "Tu rol no permite esto",
            "pide a una coordinadora o coordinador",
            f'href="/o/{self.org.slug}/cases/"',
        )
        self.in_english()
        response = self.client.get(f"/o/{self.org.slug}/members/")
        self.assert_memoria_page(
            response, 403, "en", "Your role does not allow this", "ask a coordinator"
        )

    def test_it_explains_a_refused_form_and_says_nothing_was_saved(self):
        client = Client(enforce_csrf_checks=True)
        response = client.post("/accounts/login/", {"username": "a@b.example", "password": "x"})
        self.assert_memoria_page(
            response,
            403,
            "es-mx",
            "No se pudo enviar el formulario",
            "No se guardó nada",
            'href="/accounts/login/"',
        )
        self.in_english(client)
        response = client.post("/accounts/login/", {"username": "a@b.example", "password": "x"})
        self.assert_memoria_page(
            response, 403, "en", "The form could not be sent", "Nothing was saved"
        )

    def test_it_answers_a_bad_request_with_a_memoria_page(self):
        response = self.client.get("/", HTTP_HOST="not-this-site.example")
        self.assert_memoria_page(
            response, 400, "es-mx", "No se pudo entender la solicitud", 'href="/accounts/login/"'
        )
        response = self.client.get(
            "/", HTTP_HOST="not-this-site.example", HTTP_ACCEPT_LANGUAGE="en"
        )
        self.assert_memoria_page(response, 400, "en", "The request could not be understood")


@override_settings(ROOT_URLCONF="tests.web.error_urls")
class ServerErrorTests(MemoriaTestCase):
    def test_it_answers_a_failure_with_a_page_in_the_readers_language(self):
        self.client.raise_request_exception = False
        self.client.force_login(self.documenter)
        response = self.client.get("/fail/")
        self.assertEqual(response.status_code, 500)
        self.assertContains(response, '<html lang="es-mx">', status_code=500)
        self.assertContains(response, VIEWPORT, status_code=500)
        self.assertContains(response, "Algo falló en el servidor", status_code=500)
        self.assertContains(response, 'href="/"', status_code=500)
        self.assertNotContains(response, "a failure the visitor", status_code=500)

        self.client.cookies["memoria_language"] = "en"
        response = self.client.get("/fail/")
        self.assertContains(response, '<html lang="en">', status_code=500)
        self.assertContains(response, "Something failed on the server", status_code=500)

    def test_it_renders_without_the_database_or_the_request(self):
        request = RequestFactory().get("/fail/")  # no session, no user: nothing to rely on
        with translation.override("es-mx"), self.assertNumQueries(0):
            response = errors.server_error(request)
        self.assertEqual(response.status_code, 500)
        self.assertIn("Algo falló en el servidor", response.content.decode())
