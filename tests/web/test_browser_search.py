"""A family adviser records a disappeared person's ante-mortem file on a phone: the file,
a tattoo as a structured mark, the designated person for news and a photo of the tattoo."""

from __future__ import annotations

import pytest

from memoria.search.models import AnteMortemFile, AnteMortemMark, FamilyContact, SearchPhoto
from tests.web.base import ensure_reference_data
from tests.web.cases_fixtures import case_data, term
from tests.web.test_browser_cases import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An 8×8 PNG, so the page can show it.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x00\x00\x08\x08\x02\x00\x00\x00"
    b"Km)\xdc\x00\x00\x00\x11IDATx\x9ccX\xe0\xe0\x80\x151\x0c-\t\x00:lH\x01\x8f\xef1o\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def test_a_family_adviser_records_an_ante_mortem_file_with_a_tattoo(live_server, phone_page):
    from memoria.cases import actions

    ensure_reference_data()
    page = phone_page
    organization = signed_in(page, live_server)
    event = actions.register_case(organization, None, case_data(title="Desaparición en Cuauhtémoc"))
    actions.add_victim(
        event,
        None,
        {"given_names": "José Luis", "paternal_surname": "Ramírez", "sex": "male"},
        {"violation_type": term("violation_type", "enforced_disappearance")},
    )
    base = f"{live_server.url}/o/{organization.slug}/search"

    page.goto(f"{live_server.url}/o/{organization.slug}/")
    page.get_by_text("Menú", exact=True).click()  # on a phone the navigation is folded
    page.get_by_role("navigation").get_by_role("link", name="Búsqueda", exact=True).click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Abrir un expediente ante mortem").click()
    page.locator("#id_person").select_option(label="José Luis Ramírez")
    page.locator("#id_last_seen_year").fill("2019")
    page.locator("#id_last_seen_month").select_option("3")
    page.locator("#id_last_seen_day").fill("14")
    page.locator("#id_state").select_option("08")
    page.locator("#id_circumstances").fill("Salió a trabajar y ya no regresó.")
    page.locator("#id_sex").select_option("male")
    page.locator("#id_age_at_disappearance").fill("24")
    page.locator("#id_stature_cm").fill("172")
    page.locator("#id_hair_color").fill("negro")
    page.get_by_role("button", name="Guardar").click()
    file = AnteMortemFile.objects.get(organization=organization)
    page.wait_for_url(f"{base}/files/{file.pk}/")

    page.get_by_role("link", name="Agregar una seña").click()
    page.locator("#id_kind").select_option("tattoo")
    page.locator("#id_region").select_option("forearm")
    page.locator("#id_side").select_option("right")
    page.locator("#id_motif").fill("una rosa")
    page.locator("#id_text").fill("MARIA")
    page.locator("#id_description").fill("Se lo hizo a los 18 años, por su mamá.")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"{base}/files/{file.pk}/")
    marks = page.locator("main .record-list").first.inner_text()
    assert "Tatuaje · Antebrazo (derecho)" in marks
    assert "MARIA" in marks
    mark = AnteMortemMark.objects.get(file=file)
    assert (mark.kind, mark.region, mark.text) == ("tattoo", "forearm", "MARIA")

    page.get_by_role("link", name="Agregar un contacto").click()
    page.locator("#id_name").fill("Rosa Ramírez")
    page.locator("#id_relationship").fill("madre")
    page.locator("#id_phone").fill("+52 625 123 4567")
    page.locator("#id_receives_news").check()
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"{base}/files/{file.pk}/")
    assert "Persona designada" in page.content()
    assert FamilyContact.objects.get(file=file).receives_news

    page.get_by_role("link", name="Agregar una foto").click()
    page.locator("#id_photo").set_input_files(
        {"name": "tatuaje.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.locator("#id_caption").fill("El tatuaje del antebrazo")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"{base}/files/{file.pk}/")
    photo = page.get_by_role("img", name="El tatuaje del antebrazo")
    photo.scroll_into_view_if_needed()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 8", arg=photo.element_handle()
    )
    assert SearchPhoto.objects.get().content_type == "image/png"

    # Nothing of the page is wider than the phone.
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert scroll <= inner
    assert page.external_requests == []
