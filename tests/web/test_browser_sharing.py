"""A member of another organization reads a shared case on a phone and on a desktop."""

from __future__ import annotations

import pytest

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.cases import actions
from memoria.places.models import State
from memoria.sharing.actions import share_record
from tests.web.base import make_member
from tests.web.cases_fixtures import term
from tests.web.conftest import accessibility_violations
from tests.web.test_browser_cases import reference_data, signed_in  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_shared_case_reads_well_in_both_languages_and_sizes(live_server, audit_page):
    page = audit_page
    recipient = signed_in(page, live_server, Role.READER)
    owner = Organization.objects.create(
        name="Centro Norte", slug="centro-norte", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
    )
    coordinator = make_member(owner, "c@norte.example", Role.COORDINATOR, "Coordinación")
    event = actions.register_case(
        owner,
        coordinator,
        {"title": "Desaparición en Cuauhtémoc", "description": "Testimonio reservado.",
         "start_precision": "unknown", "end_precision": "unknown",
         "state": State.objects.get(code="08"), "status": "open"},
    )  # fmt: skip
    actions.add_victim(
        event,
        coordinator,
        {"given_names": "Ana", "paternal_surname": "Zubiría", "sex": "female"},
        {"violation_type": term("violation_type", "enforced_disappearance")},
    )
    share_record(coordinator, event, recipient, ["title", "state", "status"])
    url = f"{live_server.url}/o/{recipient.slug}/cases/{event.pk}/"

    page.goto(url)
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Registro compartido"
    assert "Desaparición en Cuauhtémoc" in page.content()
    assert "Testimonio reservado" not in page.content()
    assert "Zubiría" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert accessibility_violations(page) == []

    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    assert accessibility_violations(page) == []

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text() == "Shared record"
    assert accessibility_violations(page) == []
    assert page.external_requests == []
