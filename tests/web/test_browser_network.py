"""On a phone, a documenter finds a psychosocial collective in the directory, refers a
case to it with two fields, and a documenter of that collective reads them and accepts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.cases import actions as case_actions
from memoria.network import actions
from memoria.network.models import Referral, Status
from memoria.places.models import State
from memoria.sharing.models import SharedRecord
from tests.web.base import TwoFactorClient, ensure_reference_data, make_member
from tests.web.cases_fixtures import case_data
from tests.web.conftest import PHONE
from tests.web.test_browser_cases import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def partner_page(browser, live_server, user):
    context = browser.new_context(viewport=PHONE, locale="es-MX")
    client = TwoFactorClient()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.external_requests = []
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else page.external_requests.append(r.url)
        ),
    )
    return page


def test_a_case_is_referred_and_accepted_on_phones(live_server, phone_page, browser):
    ensure_reference_data()
    page = phone_page
    organization = signed_in(page, live_server)
    documenter = organization.memberships.get().user
    event = case_actions.register_case(
        organization,
        documenter,
        case_data(title="Desaparición de Zenaida", description="Testimonio reservado."),
    )
    partner = Organization.objects.create(
        name="Acompañamiento Psicosocial del Norte",
        slug="psicosocial-norte",
        kind=Organization.Kind.VICTIMS_COLLECTIVE,
    )
    receiver = make_member(partner, "doc@psico.example", Role.DOCUMENTER, "Pedro Documentador")
    actions.save_profile(
        partner,
        None,
        {"capabilities": ["psychosocial"], "languages": ["es"],
         "states": [State.objects.get(code="08")], "municipalities": []},
        None,
    )  # fmt: skip
    base = f"{live_server.url}/o/{organization.slug}"

    # The directory, by capability and place, without JavaScript's help.
    page.goto(f"{base}/network/")
    page.locator("#id_capability").select_option("psychosocial")
    page.locator("#id_state").select_option("08")
    page.get_by_role("button", name="Buscar").click()
    page.wait_for_url("**/network/?*")
    assert "Acompañamiento Psicosocial del Norte" in page.locator("main").inner_text()

    # From the case: refer it, with its title and its state only.
    page.goto(f"{base}/cases/{event.pk}/")
    page.get_by_role("link", name="Canalizar a otra organización").click()
    page.locator("#id_recipient").select_option(str(partner.pk))
    page.locator("#id_capability").select_option("psychosocial")
    page.locator("#id_message").fill("La madre pide acompañamiento psicosocial.")
    # By value: the registry's "State" and "Status" are both "Estado" in Spanish.
    page.locator("input[name=event_fields][value=title]").check()
    page.locator("input[name=event_fields][value=state]").check()
    page.get_by_role("button", name="Enviar la canalización").click()
    referral = Referral.objects.get()
    page.wait_for_url(f"{base}/network/referrals/{referral.pk}/")
    assert "Enviada" in page.locator("main").inner_text()
    assert SharedRecord.objects.get().fields == ["title", "state"]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]

    # The collective's documenter reads what travelled, and accepts.
    other = partner_page(browser, live_server, receiver)
    try:
        other.goto(f"{live_server.url}/o/{partner.slug}/network/referrals/")
        other.get_by_role("link", name=f"Canalización #{referral.pk}").click()
        expect(other.locator("main")).to_contain_text("Desaparición de Zenaida")
        main = other.locator("main").inner_text()
        assert "Desaparición de Zenaida" in main
        assert "La madre pide acompañamiento psicosocial." in main
        assert "Testimonio reservado." not in main
        other.get_by_label("Aceptar").check()
        other.get_by_role("button", name="Enviar la respuesta").click()
        other.wait_for_url(f"**/network/referrals/{referral.pk}/")
        assert "Aceptada" in other.locator("main").inner_text()
        assert other.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert other.external_requests == []
    finally:
        other.context.close()
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED

    # The sender sees the answer.
    page.reload()
    assert "Aceptada" in page.locator("main").inner_text()
    assert page.external_requests == []
