"""The public site on a phone, in Spanish and English: a coordinator publishes, then a
visitor with no account reads the figures, the open data and the memorial. Every
request stays on the site's own host; axe-core finds no serious problem."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from memoria.accounts.models import Membership, Organization, User
from memoria.accounts.roles import Role
from memoria.cases import actions
from memoria.places.models import Municipality, State
from tests.web.base import PASSWORD, TwoFactorClient, ensure_reference_data
from tests.web.cases_fixtures import case_data, term
from tests.web.conftest import accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page, live_server, user) -> None:
    client = TwoFactorClient()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value,
          "url": live_server.url}]
    )  # fmt: skip


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def documented(organization, documenter) -> None:
    """Seven cases in Chihuahua and two in Guerrero, all for aggregate use; one named
    person in the memorial with the family's consent."""
    places = [("08", "08017")] * 7 + [("12", "12001")] * 2
    for n, (state, municipality) in enumerate(places):
        event = actions.register_case(
            organization,
            documenter,
            case_data(
                start_date=datetime.date(2021, 1 + n, 5),
                state=State.objects.get(code=state),
                municipality=Municipality.objects.get(cvegeo=municipality),
            ),
        )
        person = {
            "given_names": "Elena" if n == 0 else "",
            "paternal_surname": "Memoria" if n == 0 else "",
            "maternal_surname": "Viva" if n == 0 else "",
            "sex": "female",
            "age": 31,
            "visibility": "memorial" if n == 0 else "aggregate",
            "consent_recorded": n == 0,
        }
        act = {
            "violation_type": term("violation_type", "homicide"),
            "situation": None,
            "description": "",
        }
        actions.add_victim(event, documenter, person, act)


def test_a_coordinator_publishes_and_a_visitor_reads_it_on_a_phone(live_server, audit_page):
    ensure_reference_data()
    organization = Organization.objects.create(
        name="Centro Norte", slug="centro-norte", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
    )
    coordinator = User.objects.create_user(
        "coordinacion@norte.example", PASSWORD, full_name="Alicia Coordinadora"
    )
    Membership.objects.create(user=coordinator, organization=organization, role=Role.COORDINATOR)
    documented(organization, coordinator)
    page = audit_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    # Nothing is public yet.
    assert page.goto(f"{live_server.url}/p/centro-norte/").status == 404

    # The coordinator publishes from the menu.
    signed_in(page, live_server, coordinator)
    page.goto(f"{live_server.url}/o/centro-norte/")
    page.get_by_text("Menú", exact=True).click()
    page.get_by_role("navigation").get_by_role("link", name="Sitio público").click()
    # The settings page has loaded (measuring the old one as it unloads fails).
    expect(page.get_by_label("Publicar el sitio público")).to_be_visible()
    assert fits(page)
    page.get_by_label("Publicar el sitio público").check()
    for label in (
        "Casos por estado y año (mapa, gráfica y tabla)",
        "Víctimas directas por sexo y por grupo de edad",
        "Casos por tipo de violación",
    ):
        page.get_by_label(label).check()
    page.get_by_label("Publicar el memorial").check()
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Publicado. El sitio público muestra las cifras de hoy.").wait_for()
    page.context.clear_cookies()

    # A visitor, signed in nowhere, in Spanish, then in English.
    problems = []
    page.goto(f"{live_server.url}/p/centro-norte/")
    for language, figures, data, memorial, small in (
        ("es", "Cifras", "Datos abiertos", "Memorial", "menos de 5"),
        ("en", "Figures", "Open data", "Memorial", "fewer than 5"),
    ):
        if language == "en":
            page.get_by_role("link", name="English").click()
        nav = page.get_by_role("navigation")
        for name in (figures, data, memorial):
            nav.get_by_role("link", name=name, exact=True).click()
            page.wait_for_load_state()
            where = f"{language} {page.url}"
            if not fits(page):
                problems.append(f"{where}: wider than the phone")
            problems += [f"{where}: {v}" for v in accessibility_violations(page)]
            if name == figures:
                assert small in page.content()  # Guerrero's 2 cases
                assert "Guerrero</th><td>" in page.content()
            if name == memorial:
                assert "Elena Memoria Viva" in page.content()
        assert page.evaluate("document.documentElement.lang").startswith(language)
    assert not problems, "\n".join(problems)
    others = [url for url in requests if not url.startswith(live_server.url)]
    assert others == [], others
