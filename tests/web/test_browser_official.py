"""A documenter imports the registry on a phone and sees who of the cases is absent from it."""

from __future__ import annotations

import pytest

from memoria.jobs.worker import drain
from memoria.search import actions as search_actions
from memoria.search.models import AnteMortemFile
from tests.web.base import ensure_reference_data
from tests.web.cases_fixtures import case_data, term
from tests.web.search_fixtures import file_data
from tests.web.test_browser_cases import signed_in
from tests.web.test_search_official import REGISTRY_ROWS, registry_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Usual Spanish headers, which the column page guesses.
HEADERS = "folio;nombre completo;sexo;edad;fecha de desaparicion;entidad;municipio;estatus"


def test_a_documenter_imports_the_registry_and_sees_who_is_absent(live_server, phone_page):
    from memoria.cases import actions

    ensure_reference_data()
    page = phone_page
    organization = signed_in(page, live_server)
    for given, paternal, maternal in (
        ("José Luis", "Hernández", "García"),
        ("María", "Xolalpa", "Ruiz"),
    ):
        event = actions.register_case(organization, None, case_data(title="Desaparición"))
        act = actions.add_victim(
            event,
            None,
            {"given_names": given, "paternal_surname": paternal, "maternal_surname": maternal},
            {"violation_type": term("violation_type", "enforced_disappearance")},
        )
        search_actions.open_file(act.victim, None, file_data(rnpdno_folio=""))
    base = f"{live_server.url}/o/{organization.slug}/search/official"

    page.goto(f"{base}/")
    page.get_by_role("link", name="Importar una lista oficial").click()
    page.get_by_label(
        "Registro Nacional de Personas Desaparecidas y No Localizadas (RNPDNO)"
    ).check()
    content = registry_csv(*REGISTRY_ROWS).replace(registry_csv().splitlines()[0], HEADERS.encode())
    page.locator("#id_file").set_input_files(
        {"name": "rnpdno.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Siguiente: elegir las columnas").click()
    page.wait_for_url(f"{base}/columns/")
    assert page.locator("#id_folio").input_value() == "folio"
    page.get_by_role("button", name="Importar la lista").click()
    page.wait_for_url(f"{base}/jobs/**")
    drain()
    page.reload()
    assert "4 registros nuevos" in page.content()
    assert AnteMortemFile.objects.filter(source="rnpdno").count() == 4

    page.goto(f"{base}/absent/")
    page.get_by_role("button", name="Comparar con el registro").click()
    drain()
    page.goto(f"{base}/absent/")
    absent = page.locator("main table").first.inner_text()
    assert "María Xolalpa Ruiz" in absent
    assert "José Luis" not in absent

    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert scroll <= inner
    assert page.external_requests == []
