"""A person reports an abuse from a phone with JavaScript off, and adds to it later.

Chromium at phone size with JavaScript disabled and a distinctive User-Agent:
the form, the receipt and the page to add information work by plain HTML
posts; no cookie is set, nothing is requested from another host, and neither
the address nor the User-Agent is anywhere in the database afterwards.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from memoria.accounts.models import Organization, User
from memoria.reports import actions
from memoria.reports.models import Report, ReportAddition, ReportChannel
from tests.web.base import ensure_reference_data
from tests.web.conftest import PHONE
from tests.web.reports_fixtures import reset_limits
from tests.web.test_cases_storage import raw_database_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
USER_AGENT = "Mozilla/5.0 (Linux; Android 14) ZyxwvutTestPhone/1.0"
WHAT = "Quemaron la cabina de la radio comunitaria de Guachochi anoche."


def test_a_person_reports_from_a_phone_without_javascript(live_server, browser, settings):
    settings.MEMORIA_REPORTS_FORM_MIN_SECONDS = 0
    reset_limits()  # earlier tests of this process posted from 127.0.0.1 too
    ensure_reference_data()
    organization = Organization.objects.create(name="Red de Periodistas", slug="red", kind="other")
    ReportChannel.objects.create(organization=organization, is_open=True)
    context = browser.new_context(
        viewport=PHONE, java_script_enabled=False, locale="es-MX", user_agent=USER_AGENT
    )
    page = context.new_page()
    external = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else external.append(r.url),
    )
    try:
        page.goto(f"{live_server.url}/r/red/")
        page.get_by_label("¿Qué pasó?").fill(WHAT)
        page.get_by_label("Mes").select_option(label="marzo")
        page.get_by_label("Año").fill("2026")
        page.get_by_label("Estado").select_option(label="Chihuahua")
        page.get_by_label("Municipio").select_option(label="Guachochi")
        page.get_by_label("¿Qué tipo de agresión o violación fue?").select_option(index=1)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("button", name="Enviar el reporte").click()
        page.get_by_role("heading", name="Reporte recibido").wait_for()
        code = page.locator("output").inner_text()
        assert re.fullmatch(r"([A-Z0-9]{4}-){4}[A-Z0-9]{4}", code)
        assert page.url == f"{live_server.url}/r/red/"  # no redirect: the code is in no URL
        # Later, the person adds what they remembered.
        page.get_by_role("link", name="Agregar información a un reporte").click()
        page.get_by_label("Código de comprobante").fill(code.lower())
        page.get_by_label("¿Qué quieres agregar?").fill("Eran dos camionetas blancas.")
        page.get_by_role("button", name="Agregar al reporte").click()
        expect(page.get_by_role("status")).to_contain_text("ahora forma parte de tu reporte")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert context.cookies() == []
        assert external == []
    finally:
        context.close()
    report = Report.objects.get()
    assert report.what == WHAT and report.municipality.name == "Guachochi"
    assert str(report.occurred_precision) == "month"
    assert ReportAddition.objects.get().text == "Eran dos camionetas blancas."
    raw = raw_database_text()
    for secret in ("ZyxwvutTestPhone", "127.0.0.1", "Guachochi anoche", "camionetas blancas"):
        assert secret.encode() not in raw, secret


def test_a_documenter_turns_a_report_into_a_case_in_the_browser(live_server, browser):
    from memoria.core.demo import load_demo_network
    from tests.web.reports_fixtures import receive
    from tests.web.test_browser_pages import Personas

    ensure_reference_data()
    load_demo_network()
    organization = Organization.objects.get(slug="sierra-viva")
    report = receive(organization, what=WHAT).report
    actions.verify(report, User.objects.get(email="documentacion@sierra-viva.example"), 1)
    personas = Personas(browser, live_server)
    try:
        page = personas.page("documentacion@sierra-viva.example", "es-mx")
        page.goto(f"{live_server.url}/o/sierra-viva/reports/{report.pk}/")
        page.get_by_role("button", name="Convertir en caso").click()
        page.wait_for_url(re.compile(r"/o/sierra-viva/cases/\d+/$"))
        assert "Guachochi anoche" in page.content()
    finally:
        personas.close()
    report.refresh_from_db()
    assert report.event is not None
