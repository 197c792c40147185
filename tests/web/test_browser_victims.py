"""A documenter, on a phone, records a mother's registration and reparation request; the
overdue list then shows what the state owes, oldest first."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from memoria.accounts.models import Membership, Organization, User
from memoria.accounts.roles import Role
from memoria.places.models import State
from memoria.victims.models import CommissionRequest, Registration
from tests.web.base import PASSWORD, TwoFactorClient, ensure_reference_data
from tests.web.victims_fixtures import family_case

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


def test_a_documenter_records_a_mothers_path_on_a_phone_and_sees_what_is_owed(
    live_server, phone_page
):
    ensure_reference_data()
    organization = Organization.objects.create(
        name="Centro Norte", slug="centro-norte", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
    )
    organization.states.add(State.objects.get(code="08"))
    documenter = User.objects.create_user(
        "documentacion@norte.example", PASSWORD, full_name="Daniel Documentador"
    )
    Membership.objects.create(user=documenter, organization=organization, role=Role.DOCUMENTER)
    _event, _son, mother = family_case(organization, documenter)
    page = phone_page
    signed_in(page, live_server, documenter)
    base = f"{live_server.url}/o/{organization.slug}"

    # From the menu to the mother, an indirect victim.
    page.goto(f"{base}/")
    page.get_by_text("Menú", exact=True).click()
    page.get_by_role("navigation").get_by_role("link", name="Registro de víctimas").click()
    page.get_by_role("link", name="Rosa Ramírez").click()
    page.get_by_text("Madre de Jorge Ramírez").wait_for()
    assert fits(page)

    # Her request to the state registry of Chihuahua.
    page.get_by_role("link", name="Registrar una solicitud de inscripción").click()
    assert page.locator("#id_event option:checked").inner_text() == (
        "Caso #1, como víctima indirecta (familiar)"
    )
    page.locator("#id_registry").select_option("state")
    page.locator("#id_state_code").select_option("08")
    page.locator("#id_filed_on").fill("2024-02-01")
    page.locator("#id_folio").fill("REV-CHIH-2024-118")
    page.locator("#id_deadline").fill("2024-05-01")
    page.locator("#id_accompanied_by").select_option(label="Daniel Documentador")
    assert fits(page)
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Solicitud de inscripción registrada.").wait_for()
    registration = Registration.objects.get(person=mother)
    assert (registration.state_code, registration.folio) == ("08", "REV-CHIH-2024-118")
    assert registration.accompanied_by == documenter

    # Her request for comprehensive reparation to the federal commission, and its measure.
    page.get_by_role("link", name="Registrar una solicitud a una comisión").click()
    page.locator("#id_commission").select_option("ceav")
    page.locator("#id_purpose").select_option("reparation")
    page.locator("#id_filed_on").fill("2024-03-01")
    page.locator("#id_deadline").fill("2024-06-01")
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Ahora agrega lo que pide").wait_for()
    page.locator("#id_kind").select_option("compensation")
    page.locator("#id_amount_requested").fill("250000")
    assert fits(page)
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Medida registrada.").wait_for()
    request = CommissionRequest.objects.get(person=mother)
    assert (request.commission, request.purpose) == ("ceav", "reparation")
    assert str(request.measures.get().amount_requested) == "250000.00"
    assert page.get_by_text("se solicitaron 250,000.00 pesos").count() == 1
    assert fits(page)

    # What the state owes: both deadlines have passed, the registry's first.
    page.goto(f"{base}/victims/")
    page.get_by_role("link", name="Lo que debe el Estado: 2 pendientes").click()
    rows = page.locator("table.stack tbody tr")
    expect(rows).to_have_count(2)  # waits for the page the link opens
    assert "Registro estatal de víctimas" in rows.nth(0).inner_text()
    assert "REV-CHIH-2024-118" in rows.nth(0).inner_text()
    assert "Comisión Ejecutiva de Atención a Víctimas" in rows.nth(1).inner_text()
    assert "1 de mayo de 2024" in rows.nth(0).inner_text()
    assert fits(page)
    assert page.external_requests == []


@pytest.mark.layout
def test_the_victims_pages_pass_axe_and_fit_a_phone(live_server, browser):
    """The victims' pages of the every-page test, alone (``-k victims``): axe-core with
    every rule, no horizontal scroll, in both languages, on a phone and a desktop."""
    from tests.web.test_browser_pages import LANGUAGES, SLUG, Personas, demo_data, problems_of

    data = demo_data()
    base = f"/o/{SLUG}/victims"
    person, relative = data["person"], data["relative_person"]
    reader = "lectura@sierra-viva.example"
    documenter = "documentacion@sierra-viva.example"
    analyst = "analisis@sierra-viva.example"
    pages = [
        (reader, f"{base}/"),
        (reader, f"{base}/owed/"),
        (reader, f"{base}/people/{person.pk}/"),
        (reader, f"{base}/people/{relative.pk}/"),
        (reader, f"{base}/people/{relative.pk}/timeline/"),
        (analyst, f"{base}/figures/"),
        (documenter, f"{base}/people/{person.pk}/registrations/new/"),
        (documenter, f"{base}/registrations/{data['registration'].pk}/"),
        (documenter, f"{base}/people/{relative.pk}/requests/new/"),
        (documenter, f"{base}/requests/{data['victims_request'].pk}/"),
        (documenter, f"{base}/requests/{data['victims_request'].pk}/measures/new/"),
        (documenter, f"{base}/measures/{data['measure'].pk}/"),
        (documenter, f"{base}/people/{person.pk}/appeals/new/"),
    ]
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language in LANGUAGES:
            for email, path in pages:
                page = personas.page(email, language)
                response = page.goto(f"{live_server.url}{path}")
                if response.status != 200:
                    problems.append(f"{path}: answered {response.status}")
                problems += problems_of(page, f"{language} {path}")
        for page in personas.contexts.values():
            assert page.external_requests == []
    finally:
        personas.close()
    assert not problems, "\n".join(problems)
