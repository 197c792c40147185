"""On a phone, a documenter records a whole case with a direct victim already recorded
elsewhere and a relative, warned of the likely duplicate as she types the name."""

from __future__ import annotations

import datetime

import pytest

from memoria.cases import actions
from memoria.cases.models import Act, Event, IndirectVictim, Person, Term
from memoria.places.models import State
from tests.web.base import ensure_reference_data
from tests.web.conftest import accessibility_violations
from tests.web.test_browser_cases import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data():
    ensure_reference_data()


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def record_maria(organization) -> Person:
    """María, a victim of an earlier case of the organization (case #1)."""
    event = actions.register_case(
        organization,
        None,
        {
            "title": "Detención en un retén",
            "start_date": datetime.date(2018, 5, 1),
            "start_precision": "month",
            "state": State.objects.get(code="08"),
            "status": "open",
        },
    )
    person = {
        "given_names": "María Guadalupe",
        "paternal_surname": "Hernández",
        "maternal_surname": "Ramírez",
        "birth_date": datetime.date(1985, 6, 2),
        "birth_precision": "day",
        "sex": "female",
    }
    violation = Term.objects.get(vocabulary__code="violation_type", code="arbitrary_detention")
    act = {"violation_type": violation, "situation": None, "description": ""}
    return actions.add_victim(event, None, person, act).victim


def test_a_documenter_records_a_case_with_a_known_victim_and_a_relative(live_server, phone_page):
    page = phone_page
    organization = signed_in(page, live_server)
    maria = record_maria(organization)
    base = f"{live_server.url}/o/{organization.slug}"

    page.goto(f"{base}/cases/new/")
    page.locator("#id_title").fill("Desaparición a la salida del trabajo")
    page.locator("#id_start_year").fill("2023")
    page.locator("#id_state").select_option("08")
    page.get_by_role("button", name="Guardar y agregar víctimas").click()

    page.wait_for_url("**/victims/new/")
    assert fits_the_phone(page)
    page.locator("#id_violation_type").select_option(
        label="Desaparición forzada (por agentes del Estado)"
    )
    page.locator("#id_given_names").fill("Maria Guadalupe")
    page.locator("#id_paternal_surname").fill("Hernandez")
    page.locator("#id_maternal_surname").press_sequentially("Ramirez", delay=30)
    # While she types, the person already recorded is offered, with her case.
    region = page.locator("[data-matches-region]")
    region.get_by_role("heading", name="Alguien ya registrado podría ser esta persona").wait_for()
    assert "María Guadalupe Hernández Ramírez" in region.inner_text()
    assert "2 de junio de 1985" in region.inner_text()
    assert "#1" in region.inner_text()
    assert region.get_attribute("aria-live") == "polite"
    assert fits_the_phone(page)
    region.get_by_role(
        "button", name="Es la misma persona: María Guadalupe Hernández Ramírez"
    ).click()

    # Back at the victim step, which lists her: add her mother.
    page.wait_for_url("**/victims/new/")
    event = Event.objects.get(organization=organization, number=2)
    assert Act.objects.get(event=event).victim == maria
    assert Person.objects.filter(organization=organization).count() == 1
    page.get_by_role(
        "link", name="Agregar un familiar de María Guadalupe Hernández Ramírez"
    ).click()
    page.wait_for_url("**/relatives/new/?step=victims*")
    assert fits_the_phone(page)
    page.locator("#id_relationship").select_option(label="Madre")
    page.locator("#id_given_names").fill("Rosa")
    page.locator("#id_paternal_surname").fill("Ramírez")
    page.locator("#id_maternal_surname").fill("Luna")
    page.locator("#id_sex").select_option("female")
    page.get_by_label("Busca a la víctima o es el contacto de la familia").check()
    page.get_by_label("La persona dio su consentimiento y está registrado").check()
    page.get_by_role("button", name="Guardar y agregar fuentes").click()

    page.wait_for_url("**/sources/new/")
    assert fits_the_phone(page)
    page.locator("#id_kind").select_option(label="Testimonio")
    page.locator("#id_summary").fill("Testimonio de su madre.")
    page.get_by_role("button", name="Guardar y terminar").click()

    page.wait_for_url(f"{base}/cases/{event.pk}/")
    relative = IndirectVictim.objects.get(event=event)
    assert (relative.direct_victim, relative.relationship.code) == (maria, "mother")
    assert relative.person.is_searching_relative
    assert relative.person.consent_recorded_at is not None
    content = page.content()
    assert "María Guadalupe Hernández Ramírez" in content
    assert "Rosa Ramírez Luna" in content
    assert fits_the_phone(page)
    assert page.external_requests == []


def test_the_duplicate_warning_and_the_relative_form_pass_accessibility_checks(
    live_server, audit_page
):
    page = audit_page
    organization = signed_in(page, live_server)
    record_maria(organization)
    base = f"{live_server.url}/o/{organization.slug}"
    page.goto(f"{base}/cases/new/")
    page.locator("#id_title").fill("Amenazas a una buscadora")
    page.get_by_role("button", name="Guardar y agregar víctimas").click()
    page.wait_for_url("**/victims/new/")
    page.locator("#id_violation_type").select_option(label="Amenaza")
    page.locator("#id_given_names").fill("María Guadalupe")
    page.locator("#id_paternal_surname").fill("Hernández")
    page.locator("#id_maternal_surname").fill("Ramírez")
    # Saved at once, before the script answers: the page itself asks.
    page.get_by_role("button", name="Guardar y agregar fuentes").click()
    page.get_by_role("button", name="Ninguna: registrar a otra persona").wait_for()
    assert accessibility_violations(page) == []
    assert fits_the_phone(page)
    page.get_by_role("button", name="Ninguna: registrar a otra persona").click()
    page.wait_for_url("**/sources/new/")
    assert Person.objects.filter(organization=organization).count() == 2
    event = Event.objects.get(organization=organization, number=2)
    page.goto(f"{base}/cases/{event.pk}/victims/new/")
    assert accessibility_violations(page) == []
    page.get_by_role(
        "link", name="Agregar un familiar de María Guadalupe Hernández Ramírez"
    ).click()
    page.wait_for_url("**/relatives/new/?step=victims*")
    assert accessibility_violations(page) == []
    assert fits_the_phone(page)


def test_a_second_import_of_the_same_file_is_announced_on_a_phone(
    live_server, phone_page, tmp_path
):
    from memoria.jobs.worker import drain
    from tests.web.test_cases_import import GOOD_ROWS, csv_bytes

    page = phone_page
    organization = signed_in(page, live_server)
    base = f"{live_server.url}/o/{organization.slug}"
    path = tmp_path / "casos.csv"
    path.write_bytes(csv_bytes(*GOOD_ROWS))

    def upload_and_review():
        page.goto(f"{base}/cases/import/")
        page.locator("input[type=file]").set_input_files(str(path))
        page.get_by_role("button", name="Leer el archivo").click()
        page.get_by_role("button", name="Revisar las filas").click()
        page.wait_for_url("**/import/review/")

    upload_and_review()
    page.get_by_role("button", name="Importar 3 filas").click()
    page.wait_for_url("**/import/jobs/**")
    drain()
    assert Event.objects.filter(organization=organization).count() == 2

    upload_and_review()
    warning = page.locator("#imported-before")
    assert "Este archivo ya se importó antes." in warning.inner_text()
    assert "#1, #2" in warning.inner_text()
    assert fits_the_phone(page)
    page.get_by_label("Omitirlas: importar solo las demás filas").check()
    page.get_by_role("button", name="Importar 3 filas").click()
    page.wait_for_url("**/import/jobs/**")
    drain()
    page.reload()
    assert "Se omitieron 3 filas importadas antes." in page.content()
    assert Event.objects.filter(organization=organization).count() == 2
    assert page.external_requests == []
