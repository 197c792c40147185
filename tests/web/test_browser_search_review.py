"""A family adviser reviews a possible match on a phone: from the person's file to the
ranked remains, the reasons, and the decision to refer it for a DNA and dental comparison."""

from __future__ import annotations

import pytest

from memoria.jobs.worker import drain
from memoria.search import actions as search
from memoria.search.models import Candidate, CandidateStatus
from tests.web.base import ensure_reference_data
from tests.web.cases_fixtures import case_data, term
from tests.web.search_fixtures import file_data, mark_data, remains_data
from tests.web.test_browser_cases import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_family_adviser_refers_a_possible_match_for_confirmation(live_server, phone_page):
    from memoria.cases import actions

    ensure_reference_data()
    page = phone_page
    organization = signed_in(page, live_server)
    event = actions.register_case(organization, None, case_data(title="Desaparición en Cuauhtémoc"))
    person = actions.add_victim(
        event,
        None,
        {"given_names": "José Luis", "paternal_surname": "Ramírez", "sex": "male"},
        {"violation_type": term("violation_type", "enforced_disappearance")},
    ).victim
    file = search.open_file(person, None, file_data())
    search.add_part(file, "mark", None, mark_data())
    remains = search.record_remains(organization, None, remains_data())
    search.add_part(remains, "pm_mark", None, mark_data(motif="flor", description="rosa"))
    drain()  # the re-matching the search actions queued
    candidate = Candidate.objects.get(file=file, remains=remains)
    base = f"{live_server.url}/o/{organization.slug}/search"

    page.goto(f"{base}/files/{file.pk}/")
    page.get_by_role("link", name="Posibles coincidencias entre los restos").click()
    page.wait_for_url(f"{base}/files/{file.pk}/candidates/")
    listing = page.locator("main table").inner_text()
    assert "SEMEFO-CUU-2021-0789" in listing
    assert "Nueva coincidencia fuerte" in listing
    page.get_by_role("link", name="SEMEFO-CUU-2021-0789").click()
    page.wait_for_url(f"{base}/candidates/{candidate.pk}/")
    evidence = page.locator("table.evidence").inner_text()
    assert "En ambos registros" in evidence
    assert "t:MARIA" in evidence

    page.get_by_label("Iniciar la revisión (en revisión)").check()
    page.get_by_role("button", name="Registrar la decisión").click()
    page.wait_for_url(f"{base}/candidates/{candidate.pk}/")
    assert "Se registró la decisión." in page.content()

    page.get_by_label("Enviarla a confirmación").check()
    page.get_by_role("button", name="Registrar la decisión").click()
    assert "Elige al menos una forma de confirmarla." in page.content()
    page.get_by_label("Enviarla a confirmación").check()
    page.get_by_label("ADN").check()
    page.get_by_label("Comparación dental").check()
    page.get_by_role("button", name="Registrar la decisión").click()
    page.wait_for_url(f"{base}/candidates/{candidate.pk}/")
    status = page.locator("dl.facts").inner_text()
    assert "Enviada a confirmación (ADN, Comparación dental)" in status
    candidate.refresh_from_db()
    assert (candidate.status, candidate.referred_to) == (
        CandidateStatus.REFERRED,
        ["dna", "dental"],
    )
    assert [d.to_status for d in candidate.decisions.all()] == ["under_review", "referred"]

    page.get_by_role("link", name="Posibles coincidencias", exact=True).click()
    page.wait_for_url(f"{base}/review/")
    assert "Enviada a confirmación" in page.locator("main table").inner_text()

    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert scroll <= inner
    assert page.external_requests == []
