"""An analyst, on a phone, reviews the most uncertain pair of a linkage run: the two
records side by side, why the model scored them so, and the answer that splits them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from memoria.accounts.models import Membership, Organization, User
from memoria.accounts.roles import Role
from memoria.analysis import actions
from memoria.analysis.models import LinkageRun, PairDecision
from tests.web.base import PASSWORD, ensure_reference_data
from tests.web.test_analysis import LINKS, fake_result
from tests.web.test_browser_victims import fits, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_reviews_a_pair_on_a_phone(live_server, phone_page):
    ensure_reference_data()
    organization = Organization.objects.create(
        name="Centro Norte", slug="centro-norte", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
    )
    analyst = User.objects.create_user("analisis@norte.example", PASSWORD, full_name="Ana")
    Membership.objects.create(user=analyst, organization=organization, role=Role.ANALYST)
    run = LinkageRun.objects.create(organization=organization)
    sources, result = fake_result(LINKS)
    actions.save_run_result(run, sources, result)
    signed_in(phone_page, live_server, analyst)
    page = phone_page
    page.goto(f"{live_server.url}/o/centro-norte/linkage/runs/{run.pk}/")
    page.get_by_role("link", name="Revisar los 3 pares pendientes").click()
    page.get_by_role("heading", name="¿Son la misma persona?").wait_for()
    assert "0.60" in page.locator("p.meta").inner_text()
    assert page.get_by_role("cell", name="JOSE LUIS").is_visible()
    assert "×812" in page.locator("ul.evidence").inner_text()
    assert fits(page)
    page.get_by_label("Personas distintas").check()
    page.get_by_role("button", name="Guardar e ir al siguiente par").click()
    page.get_by_role("heading", name="¿Son la misma persona?").wait_for()
    assert "0.93" in page.locator("p.meta").inner_text()  # the next most uncertain
    assert PairDecision.objects.get().decision == "different"
    run.refresh_from_db()
    assert run.summary["decided"] == 1


def test_an_estimate_over_lists_with_long_names_fits_a_phone(live_server, phone_page, tmp_path):
    """Real lists have long names: the capture histories scroll inside their own box,
    and the hidden "on the list" words in its cells do not widen the page."""
    from memoria.analysis.estimation import (
        EstimationSettings,
        capture_table,
        fingerprint,
        run_estimate,
    )
    from memoria.analysis.models import Estimate
    from tests.web.test_estimation import WESTERN, run_from_table

    ensure_reference_data()
    organization = Organization.objects.create(
        name="Centro Norte", slug="centro-norte", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
    )
    analyst = User.objects.create_user("analisis@norte.example", PASSWORD, full_name="Ana")
    Membership.objects.create(user=analyst, organization=organization, role=Role.ANALYST)
    long_names = [f"Fiscalía del estado: lista {letter} de demostración" for letter in "ABCDE"]
    lines = WESTERN.read_text().splitlines()
    table_file = tmp_path / "western.csv"
    table_file.write_text("\n".join([",".join([*long_names, "count"]), *lines[1:]]))
    run = run_from_table(organization, table_file)
    settings = EstimationSettings(methods=("loglinear",), chains=1, burn_in=0, iterations=10)
    table = capture_table(actions.run_graph(run), actions.run_clusters(run), "", {})
    estimate = Estimate.objects.create(
        organization=organization, run=run, options=settings.to_dict()
    )
    actions.save_estimate(
        estimate, table, fingerprint(table, settings), run_estimate(table, settings)
    )
    signed_in(phone_page, live_server, analyst)
    page = phone_page
    page.goto(f"{live_server.url}/o/centro-norte/linkage/estimates/{estimate.pk}/")
    page.get_by_role("heading", name="Historias de captura").wait_for()
    assert long_names[0] in page.locator("table.histories").inner_text()
    assert fits(page)
    assert page.external_requests == []


def test_deleting_a_list_asks_first_and_works_without_javascript(live_server, browser):
    """One tap on "Delete" must not lose a list: a page names it and its rows, and
    only its button (a plain form, no script) deletes it."""
    from memoria.analysis.models import LinkageList
    from memoria.audit.models import AuditEntry
    from memoria.cases.io.readers import Table
    from tests.web.conftest import PHONE

    ensure_reference_data()
    organization = Organization.objects.create(
        name="Centro Norte", slug="centro-norte", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
    )
    analyst = User.objects.create_user("analisis@norte.example", PASSWORD, full_name="Ana")
    Membership.objects.create(user=analyst, organization=organization, role=Role.ANALYST)
    rows = [(n + 2, [f"R{n}", "Ana", "López"]) for n in range(3)]
    table = Table(["folio", "nombre", "apellido"], rows)
    actions.upload_list(organization, analyst, "Fiscalía de Sonora", table)
    actions.upload_list(organization, analyst, "Colectivo", table)
    context = browser.new_context(viewport=PHONE, locale="es-MX", java_script_enabled=False)
    page = context.new_page()
    sonora = page.get_by_role("cell", name="Lista: Fiscalía de Sonora", exact=True)
    try:
        signed_in(page, live_server, analyst)
        page.goto(f"{live_server.url}/o/centro-norte/linkage/")
        page.get_by_role("link", name="Eliminar la lista «Fiscalía de Sonora»").click()
        expect(page.get_by_role("heading", name="Eliminar la lista")).to_be_visible()
        expect(page.get_by_text("¿Eliminar «Fiscalía de Sonora» y sus 3 filas?")).to_be_visible()
        assert LinkageList.objects.count() == 2  # nothing deleted by the tap
        page.get_by_role("link", name="Conservar la lista y volver").click()
        expect(sonora).to_be_visible()
        page.get_by_role("link", name="Eliminar la lista «Fiscalía de Sonora»").click()
        page.get_by_role("button", name="Eliminar «Fiscalía de Sonora»").click()
        expect(page.get_by_text("Se eliminó la lista.")).to_be_visible()
        expect(sonora).to_have_count(0)
        expect(page.get_by_role("cell", name="Lista: Colectivo", exact=True)).to_be_visible()
        assert fits(page)
    finally:
        context.close()
    assert [item.name for item in LinkageList.objects.all()] == ["Colectivo"]
    assert AuditEntry.objects.filter(action="linkage.list_delete").count() == 1
