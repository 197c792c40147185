"""A documenter records a case on a phone and finds the victim by a misspelt name.

The browser fixtures of conftest.py set DJANGO_ALLOW_ASYNC_UNSAFE (Playwright's
sync API runs an event loop in the test's thread).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.cases.models import Act, Event, Term
from tests.web.base import TwoFactorClient, ensure_reference_data, make_member
from tests.web.conftest import accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data():
    """The INEGI places and the vocabularies come from data migrations, which an
    earlier transactional test may have flushed: load them again if so."""
    ensure_reference_data()


def signed_in(page, live_server, role=Role.DOCUMENTER) -> Organization:
    """Sign a member in by handing the browser the session of a client that passed 2FA."""
    organization = Organization.objects.create(
        name="Colectivo de Prueba", slug="prueba", kind=Organization.Kind.SEARCH_COLLECTIVE
    )
    user = make_member(organization, "doc@prueba.example", role, "Dora Documentadora")
    client = TwoFactorClient()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return organization


def test_a_documenter_records_a_case_on_a_phone_and_finds_the_victim(live_server, phone_page):
    page = phone_page
    organization = signed_in(page, live_server)
    base = f"{live_server.url}/o/{organization.slug}"

    page.goto(f"{base}/cases/")
    page.get_by_role("link", name="Nuevo caso").click()
    page.locator("#id_title").fill("Desaparición en la colonia Centro")
    page.locator("#id_description").fill("Salió de trabajar y no volvió a casa.")
    page.locator("#id_start_year").fill("2021")
    page.locator("#id_start_month").select_option("7")
    page.locator("#id_state").select_option("08")
    page.get_by_role("button", name="Guardar y agregar víctimas").click()

    page.wait_for_url("**/victims/new/")
    page.locator("#id_violation_type").select_option(label="Desaparición cometida por particulares")
    page.locator("#id_situation").select_option(label="Sigue desaparecida")
    page.locator("#id_given_names").fill("Guadalupe")
    page.locator("#id_paternal_surname").fill("Hernández")
    # The live server shares one SQLite connection between its threads: let the page's
    # look-up of similar people answer before the form is sent.
    with page.expect_response(lambda response: "/people/matches/" in response.url):
        page.locator("#id_maternal_surname").fill("Ruiz")
    page.locator("#id_sex").select_option("female")
    page.locator("#id_perpetrator_kind").select_option(label="Grupo del crimen organizado")
    page.get_by_role("button", name="Guardar y agregar fuentes").click()

    page.wait_for_url("**/sources/new/")
    page.locator("#id_kind").select_option(label="Testimonio")
    page.locator("#id_summary").fill("Testimonio de su madre.")
    page.get_by_role("button", name="Guardar y terminar").click()

    event = Event.objects.get(organization=organization)
    page.wait_for_url(f"{base}/cases/{event.pk}/")
    assert "Guadalupe Hernández Ruiz" in page.content()
    assert "julio de 2021" in page.content()
    assert Act.objects.get(event=event).violation_type.code == "disappearance_private"

    # On a phone the navigation folds behind the menu button.
    page.get_by_text("Menú", exact=True).click()
    page.get_by_role("navigation").get_by_role("link", name="Buscar a una persona").click()
    page.locator("#id_q").fill("lupe ernandes")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("heading", name="Resultados").wait_for()
    assert "lupe" not in page.url  # the name never enters the address (nor the logs)
    result = page.get_by_role("link", name="Guadalupe Hernández Ruiz")
    assert result.count() == 1
    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Guadalupe Hernández Ruiz")
    # The pages fit the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.external_requests == []


def test_the_case_pages_pass_automated_accessibility_checks(live_server, audit_page):
    page = audit_page
    organization = signed_in(page, live_server)
    base = f"{live_server.url}/o/{organization.slug}"
    page.goto(f"{base}/cases/new/")
    assert accessibility_violations(page) == []
    page.locator("#id_title").fill("Amenazas a un periodista")
    page.get_by_role("button", name="Guardar y agregar víctimas").click()
    page.wait_for_url("**/victims/new/")
    assert page.locator(".messages[role=status]").count() == 1  # checked with its flash message
    assert accessibility_violations(page) == []
    threat = Term.objects.get(vocabulary__code="violation_type", code="threat", organization=None)
    page.locator("#id_violation_type").select_option(str(threat.pk))
    # The live server shares one SQLite connection between its threads: let the page's
    # look-up of similar people answer before the form is sent.
    with page.expect_response(lambda response: "/people/matches/" in response.url):
        page.locator("#id_given_names").fill("Ramón")
    page.get_by_role("button", name="Guardar y agregar fuentes").click()
    page.wait_for_url("**/sources/new/")
    assert accessibility_violations(page) == []
    event = Event.objects.get(organization=organization)
    for path in (
        f"/cases/{event.pk}/",
        "/cases/?state=08",
        "/people/",
        "/cases/statistics/",
    ):
        page.goto(f"{base}{path}")
        assert accessibility_violations(page) == [], path
    # The results of a search, as a person reaches them: through the form.
    page.goto(f"{base}/people/")
    page.locator("#id_q").fill("ramon")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_role("heading", name="Resultados").wait_for()
    assert accessibility_violations(page) == [], "search results"
