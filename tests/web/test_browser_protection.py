"""A documenter records a person at risk on a phone, and sees what the state owes once a
deadline passes (the protection app's clock is moved forward: ``memoria.protection.clock``)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from memoria.protection import clock
from memoria.protection.models import OverdueAlert, PersonAtRisk, ProtectionMeasure
from memoria.protection.overdue import raise_overdue_alerts
from tests.web.base import ensure_reference_data
from tests.web.test_browser_cases import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_documenter_records_a_person_at_risk_and_sees_the_overdue_measure(
    live_server, phone_page, monkeypatch
):
    ensure_reference_data()
    page = phone_page
    organization = signed_in(page, live_server)
    base = f"{live_server.url}/o/{organization.slug}/protection"

    page.goto(f"{base}/")
    page.get_by_role("link", name="Registrar a una persona en riesgo").click()
    page.locator("#id_display_name").fill("Periodista de Culiacán")
    page.locator("#id_profile").select_option("journalist")
    page.locator("#id_time_zone").select_option("America/Mazatlan")
    page.get_by_role("button", name="Guardar").click()
    person = PersonAtRisk.objects.get(organization=organization)
    page.wait_for_url(f"{base}/{person.pk}/")

    page.get_by_role("link", name="Nueva evaluación de riesgo").click()
    page.locator("#id_level").select_option("extreme")
    page.locator("#id_summary").fill("Amenazas tras publicar sobre una fosa.")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url("**/assessments/*/")
    page.get_by_role("link", name="Agregar una amenaza").click()
    page.locator("#id_description").fill("Mensaje con amenaza de muerte")
    page.locator("#id_source").fill("Captura de pantalla")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url("**/assessments/*/")
    assert "Mensaje con amenaza de muerte" in page.content()

    page.get_by_role("link", name="Volver a la persona").click()
    page.get_by_role("link", name="Registrar una medida").click()
    page.locator("#id_category").select_option("urgent")
    page.locator("#id_kind").select_option("panic_button")
    granted = timezone.localtime(timezone.now() - datetime.timedelta(minutes=1))
    page.locator("#id_granted_at").fill(granted.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"{base}/{person.pk}/")
    assert "Extremo" in page.content()
    measure = ProtectionMeasure.objects.get(person=person)
    assert measure.implement_by - measure.granted_at == datetime.timedelta(hours=9)

    page.goto(f"{base}/owed/")
    assert "No hay nada vencido." in page.content()

    # Ten hours later the panic button is still not installed: the state owes it.
    later = timezone.now() + datetime.timedelta(hours=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert raise_overdue_alerts() == 1
    page.reload()
    owed = page.locator("main ol")
    assert "Medida no implementada a tiempo" in owed.inner_text()
    assert "Periodista de Culiacán" in owed.inner_text()
    # On a phone the menu is folded: the count is there, behind the menu button.
    assert page.locator(".nav-count").first.text_content().startswith("1")
    page.get_by_role("button", name="Marcar la alerta como vista").click()
    page.wait_for_url(f"{base}/owed/")
    assert OverdueAlert.objects.get().acknowledged_at is not None
    assert page.locator(".nav-count").count() == 0
    assert page.external_requests == []
