"""A documenter who types a wrong address on a phone reaches a Memoria page with a way back."""

from __future__ import annotations

import pytest

from tests.web.conftest import accessibility_violations
from tests.web.test_browser_cases import reference_data, signed_in  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_documenter_typing_a_missing_case_gets_the_memoria_404_on_a_phone(
    live_server, audit_page
):
    page = audit_page
    organization = signed_in(page, live_server)
    base = f"{live_server.url}/o/{organization.slug}"

    response = page.goto(f"{base}/cases/424242/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Esta página no existe"
    assert page.locator("html").get_attribute("lang") == "es-mx"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert accessibility_violations(page) == []

    page.get_by_role("link", name="Los casos de Colectivo de Prueba").click()
    page.wait_for_url(f"{base}/cases/")
    assert page.get_by_role("heading", level=1).count() == 1

    page.get_by_text("Menú", exact=True).click()  # the phone's menu holds the language too
    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    response = page.goto(f"{base}/cases/424242/history/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "This page does not exist"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.external_requests == []
