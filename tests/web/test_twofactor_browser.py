"""Two-step sign-in in a real browser: enrolment with the QR page, recovery codes, audit log."""

from __future__ import annotations

import base64
import os

import pytest
from django_otp.oath import TOTP

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from tests.web.base import PASSWORD, make_member
from tests.web.conftest import accessibility_violations

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_coordinator_sets_up_two_step_sign_in(live_server, audit_page):
    organization = Organization.objects.create(
        name="Centro de Prueba", slug="prueba", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
    )
    make_member(organization, "coord@prueba.example", Role.COORDINATOR, "Clara Coordinadora")
    page = audit_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Correo electrónico").fill("coord@prueba.example")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/setup/**")
    assert accessibility_violations(page) == []
    qr = page.get_by_role(
        "img", name="Código QR para agregar Memoria a tu aplicación de autenticación"
    )
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    secret = page.locator("main code").inner_text().replace(" ", "")
    code = f"{TOTP(base64.b32decode(secret)).token():06d}"
    page.get_by_label("Código de tu aplicación").fill(code)
    page.get_by_role("button", name="Confirmar y continuar").click()
    page.get_by_role("heading", name="Tus códigos de recuperación").wait_for()
    assert page.locator(".recovery-codes li").count() == 10
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Ya los anoté, continuar").click()
    page.wait_for_url(f"{live_server.url}/o/prueba/")
    page.goto(f"{live_server.url}/o/prueba/audit/")
    assert "Activó el acceso en dos pasos" not in page.content()
    assert page.get_by_role("heading", level=1).inner_text() == "Bitácora de auditoría"
    assert accessibility_violations(page) == []
    assert page.external_requests == []


def test_the_code_and_confirmation_pages_are_accessible(live_server, audit_page):
    from tests.web.base import totp_code

    organization = Organization.objects.create(
        name="Centro de Prueba", slug="prueba", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
    )
    user = make_member(organization, "lee@prueba.example", Role.READER, "Lea Lectora")
    code = totp_code(user)
    page = audit_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Correo electrónico").fill("lee@prueba.example")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{live_server.url}/accounts/two-factor/?**")
    assert accessibility_violations(page) == []
    page.get_by_label("Código").fill(code)
    page.get_by_role("button", name="Confirmar").click()
    page.wait_for_url(f"{live_server.url}/o/prueba/")
    page.goto(f"{live_server.url}/accounts/confirm/?next=/o/prueba/")
    assert accessibility_violations(page) == []
