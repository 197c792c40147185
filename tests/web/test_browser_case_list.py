"""A documenter on a phone finds a case by its number and by a victim's name from the case list."""

from __future__ import annotations

import datetime

import pytest

from memoria.accounts.roles import Role
from memoria.cases import actions
from tests.web.cases_fixtures import case_data, term
from tests.web.conftest import accessibility_violations
from tests.web.test_browser_cases import reference_data, signed_in  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def record_case(organization, user, title: str, day: int, given: str, surname: str):
    data = case_data(title=title, start_date=datetime.date(2024, 12, day), municipality=None)
    event = actions.register_case(organization, user, data)
    violation = term("violation_type", "disappearance_private")
    actions.add_victim(
        event,
        user,
        {"given_names": given, "paternal_surname": surname, "maternal_surname": "",
         "sex": "female", "visibility": "private"},
        {"violation_type": violation, "situation": None, "description": ""},
        None,
    )  # fmt: skip
    return event


def test_a_documenter_finds_cases_by_number_and_by_name_on_a_phone(live_server, audit_page):
    page = audit_page
    organization = signed_in(page, live_server, Role.DOCUMENTER)
    user = organization.memberships.get().user
    first = record_case(organization, user, "Desaparición en Delicias", 15, "Rosa", "Quintero")
    second = record_case(organization, user, "Desaparición en Parral", 27, "Ana", "Beltrán")
    base = f"{live_server.url}/o/{organization.slug}"

    page.goto(f"{base}/cases/")
    assert "2 casos en total." in page.content()
    rows = page.locator(".case-row strong").all_inner_texts()
    assert rows == [f"#{second.number}", f"#{first.number}"]  # 27 before 15 December
    assert accessibility_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    search = page.get_by_label("Número de caso o nombre de una persona")
    search.fill(f"#{first.number}")
    page.get_by_role("button", name="Buscar").first.click()
    page.wait_for_url(f"{base}/cases/{first.pk}/")
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == f"#{first.number} Desaparición en Delicias"
    )

    page.goto(f"{base}/cases/")
    page.get_by_label("Número de caso o nombre de una persona").fill("rosa kintero")
    page.get_by_role("button", name="Buscar").first.click()
    page.get_by_role("heading", name="Resultados de la búsqueda").wait_for()
    assert "rosa" not in page.url.lower()  # the name never enters the address (nor the logs)
    assert page.locator(".case-row strong").all_inner_texts() == [f"#{first.number}"]
    assert page.get_by_role("link", name="Rosa Quintero").count() == 1
    assert accessibility_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.external_requests == []
