"""What every page promises: Spanish first, no third-party hosts, security headers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
from django.conf import settings
from django.test import override_settings

from memoria.accounts.models import Organization
from tests.web.base import PASSWORD, MemoriaTestCase
from tests.web.test_access import fill, organization_routes

URL_ATTRIBUTES = {"href", "src", "action", "srcset", "poster", "data", "formaction"}


class ExternalReferences(HTMLParser):
    """Collects every URL in a page that names a host (http:, https: or //)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value and re.match(r"^\s*(https?:)?//", value, re.I):
                self.found.append(f"<{tag} {name}={value}>")

    def handle_data(self, data):
        # Inline CSS could @import or url() a host; there must be none.
        self.found += re.findall(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)", data)


def external_references(html: str) -> list[str]:
    parser = ExternalReferences()
    parser.feed(html)
    return parser.found


class NoThirdPartyTests(MemoriaTestCase):
    def test_it_references_no_external_host_on_public_pages(self):
        for path in ("/accounts/login/", "/accounts/reset/"):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(external_references(response.content.decode()), [])

    def test_it_references_no_external_host_on_any_organization_page(self):
        """Every page under /o/<slug>/ that a coordinator can open, found by walking the URLs."""
        self.client.force_login(self.coordinator)
        checked = 0
        for name, route, _callback in organization_routes():
            response = self.client.get(fill(route, self.org.slug))
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            checked += 1
            with self.subTest(name=name):
                self.assertEqual(external_references(response.content.decode()), [])
        self.assertGreaterEqual(checked, 3)

    def test_the_checker_would_notice_a_cdn(self):
        html = '<link href="https://cdn.example.com/x.css"><script src="//cdn.example.com/x.js">'
        self.assertEqual(len(external_references(html)), 2)

    def test_static_assets_reference_no_external_host(self):
        for path in Path(settings.BASE_DIR).rglob("static/**/*"):
            if path.suffix in {".css", ".js"} and "vendor" not in path.parts:
                with self.subTest(path=path.name):
                    text = path.read_text()
                    self.assertNotRegex(text, r"url\(\s*['\"]?(https?:)?//")
                    self.assertNotRegex(text, r"@import\s+['\"]?(url\()?['\"]?(https?:)?//")

    def test_it_sends_security_headers(self):
        response = self.client.get("/accounts/login/")
        csp = response["Content-Security-Policy"]
        self.assertIn("default-src 'self'", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertNotRegex(csp, r"https?://")
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["Referrer-Policy"], "same-origin")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")


class LanguageTests(MemoriaTestCase):
    def test_it_speaks_spanish_by_default(self):
        response = self.client.get("/accounts/login/")
        self.assertContains(response, '<html lang="es-mx">')
        self.assertContains(response, "¿Olvidaste tu contraseña?")

    def test_it_switches_to_english_and_back(self):
        self.client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
        self.assertContains(self.client.get("/accounts/login/"), "Forgot your password?")
        self.client.post("/i18n/setlang/", {"language": "es-mx", "next": "/accounts/login/"})
        self.assertContains(self.client.get("/accounts/login/"), "Entrar")

    @override_settings(LANGUAGE_CODE="es-mx")
    def test_it_names_roles_in_spanish(self):
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/members/")
        self.assertContains(response, "Coordinación")
        self.assertContains(response, "Lectura")

    def test_every_catalogue_is_fully_translated_and_compiled(self):
        catalogues = sorted(Path(settings.BASE_DIR).glob("*/locale/es_MX/LC_MESSAGES/*.po"))
        self.assertGreaterEqual(len(catalogues), 3)
        for po_path in catalogues:
            with self.subTest(catalogue=str(po_path.relative_to(settings.BASE_DIR))):
                po = polib.pofile(str(po_path))
                untranslated = [e.msgid for e in po.untranslated_entries()]
                fuzzy = [e.msgid for e in po.fuzzy_entries()]
                self.assertEqual(untranslated, [], "untranslated: run bin/messages and translate")
                self.assertEqual(fuzzy, [], "fuzzy entries must be reviewed")
                mo = polib.mofile(str(po_path.with_suffix(".mo")))
                compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
                for entry in po.translated_entries():
                    self.assertEqual(
                        compiled.get((entry.msgctxt, entry.msgid)),
                        entry.msgstr,
                        f"{entry.msgid!r} is not compiled: run bin/messages",
                    )


class DemoBannerTests(MemoriaTestCase):
    def test_it_says_on_every_page_that_demo_data_is_fictional(self):
        Organization.objects.filter(pk=self.other_org.pk).update(is_demo=True)
        self.assertContains(self.client.get("/accounts/login/"), "son ficticios")
        self.client.force_login(self.reader)
        self.assertContains(self.client.get(f"/o/{self.org.slug}/"), "son ficticios")

    def test_it_shows_no_banner_without_demo_data(self):
        self.assertNotContains(self.client.get("/accounts/login/"), "son ficticios")


class BrowserLanguageTests(MemoriaTestCase):
    def test_it_shows_the_sign_in_page_in_the_browsers_language(self):
        response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        self.assertContains(response, "Forgot your password?")
        self.assertContains(response, '<html lang="en">')
        self.assertEqual(response["Content-Language"], "en")
        self.assertIn("Accept-Language", response["Vary"])
        response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
        self.assertContains(response, "¿Olvidaste tu contraseña?")

    def test_it_speaks_spanish_to_a_browser_that_names_neither_language(self):
        for header in ("fr-FR,fr;q=0.9,de;q=0.8", ""):
            with self.subTest(header=header):
                response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=header)
                self.assertContains(response, "¿Olvidaste tu contraseña?")
                self.assertEqual(response["Content-Language"], "es-mx")

    def test_it_keeps_the_language_chosen_with_the_selector_over_the_browsers(self):
        self.client.cookies["memoria_language"] = "es-mx"
        response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, "¿Olvidaste tu contraseña?")

    def test_it_goes_on_in_the_language_the_person_signed_in_with(self):
        self.client.post(
            "/accounts/login/",
            {"username": self.reader.email, "password": PASSWORD},
            HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
        )
        self.assertEqual(self.client.cookies["memoria_language"].value, "en")
        self.client.force_login(self.reader)  # past the second step
        response = self.client.get(f"/o/{self.org.slug}/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, '<html lang="en">')

    def test_it_stays_in_spanish_after_sign_in_for_a_member_who_never_chose(self):
        self.client.force_login(self.reader)
        response = self.client.get(f"/o/{self.org.slug}/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        self.assertContains(response, '<html lang="es-mx">')
