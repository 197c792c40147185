"""A newcomer's first minute, in a real browser on a phone-sized screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from memoria.accounts.demo import demo_totp_code
from memoria.core.demo import DEMO_PASSWORD, load_demo_network
from tests.web.base import ensure_reference_data
from tests.web.conftest import accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_demo_user_signs_in_and_reaches_the_dashboard(live_server, phone_page):
    ensure_reference_data()  # a transactional test before this one may have flushed it
    load_demo_network()
    page = phone_page
    page.goto(f"{live_server.url}/")
    page.get_by_label("Correo electrónico").fill("lectura@sierra-viva.example")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    # Second step: the code of the published demo authenticator.
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/**")
    page.get_by_label("Código").fill(demo_totp_code())
    page.get_by_role("button", name="Confirmar").click()
    page.wait_for_url(f"{live_server.url}/o/sierra-viva/")
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith("Centro de Derechos Humanos Sierra Viva")
    )
    assert "son ficticios" in page.get_by_role("note").inner_text()
    assert page.external_requests == []


def test_the_language_can_be_switched_to_english(live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_the_main_pages_pass_automated_accessibility_checks(live_server, audit_page):
    ensure_reference_data()
    load_demo_network()
    page = audit_page
    page.goto(f"{live_server.url}/accounts/login/")
    assert accessibility_violations(page) == []
    page.get_by_label("Correo electrónico").fill("coordinacion@sierra-viva.example")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    # Second step: the code of the published demo authenticator.
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/**")
    page.get_by_label("Código").fill(demo_totp_code())
    page.get_by_role("button", name="Confirmar").click()
    page.wait_for_url(f"{live_server.url}/o/sierra-viva/")
    for path in ("/o/sierra-viva/", "/o/sierra-viva/members/", "/o/sierra-viva/settings/"):
        page.goto(f"{live_server.url}{path}")
        assert accessibility_violations(page) == [], path
