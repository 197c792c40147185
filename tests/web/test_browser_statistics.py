"""A reader filters the statistics on a phone, without JavaScript, and reads the maps.

The browser fixtures of conftest.py set DJANGO_ALLOW_ASYNC_UNSAFE (Playwright's
sync API runs an event loop in the test's thread).
"""

from __future__ import annotations

import datetime

import pytest

from memoria.accounts.models import User
from memoria.accounts.roles import Role
from memoria.cases import actions
from memoria.geo import maps
from memoria.places.models import Municipality, State
from tests.web.base import ensure_reference_data
from tests.web.cases_fixtures import case_data, term
from tests.web.test_browser_cases import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data():
    ensure_reference_data()


def record(organization, documenter, state: str, municipality: str, year: int) -> None:
    event = actions.register_case(
        organization,
        documenter,
        case_data(
            start_date=datetime.date(year, 3, 1),
            state=State.objects.get(code=state),
            municipality=Municipality.objects.get(cvegeo=municipality),
        ),
    )
    actions.add_victim(
        event,
        documenter,
        {"given_names": "", "paternal_surname": "", "maternal_surname": "", "sex": "female",
         "visibility": "private"},
        {"violation_type": term("violation_type", "homicide"), "situation": None,
         "description": ""},
        {"kind": term("perpetrator_kind", "army"), "confidence": "medium", "basis": None},
    )  # fmt: skip


def test_a_reader_filters_the_figures_on_a_phone_and_sees_the_maps(live_server, phone_page):
    page = phone_page
    organization = signed_in(page, live_server, Role.READER)
    documenter = User.objects.get(email="doc@prueba.example")
    record(organization, documenter, "08", "08017", 2021)
    record(organization, documenter, "08", "08037", 2022)
    record(organization, documenter, "12", "12001", 2022)
    base = f"{live_server.url}/o/{organization.slug}"
    page.goto(f"{base}/cases/statistics/")
    assert page.locator(".map-svg path").count() == 32
    assert "3 casos documentados" in page.content()
    # The filter is a plain GET form: it works with scripts off (the page needs none).
    page.get_by_text("Filtrar", exact=True).click()
    page.locator("#id_state").select_option("08")
    page.locator("#id_measure").select_option("rate")
    page.get_by_role("button", name="Aplicar").click()
    page.wait_for_url("**state=08**")
    assert page.locator(".stats .stat").first.inner_text() == "2"
    coloured = page.locator(f'.map-svg path:not([fill="{maps.ZERO_COLOUR}"])')
    assert sorted(coloured.evaluate_all("els => els.map(e => e.dataset.code)")) == [
        "08017",
        "08037",
    ]
    assert page.get_by_role("img", name="Casos por cada 100 000 habitantes por municipio").count()
    # The table of the same numbers is on the page, and nothing is wider than the phone.
    assert page.get_by_role("table", name="Casos y tasas por municipio").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.external_requests == []
