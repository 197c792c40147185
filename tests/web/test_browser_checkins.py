"""A journalist checks in from a phone; a missed check-in reaches the circle's webhook and e-mail.

Real parts only: chromium on a phone-sized page, a local webhook receiver that
checks Memoria's signature, a local SMTP server (aiosmtpd), and the worker's
own functions (the escalation loop with a controlled clock, the delivery loop).
"""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header

import pytest

from memoria.accounts.models import Organization, User
from memoria.alerts import engine
from memoria.checkins import actions
from memoria.core.demo import load_demo_network
from tests.web.alerts_receivers import HttpReceiver, SmtpServer
from tests.web.base import ensure_reference_data
from tests.web.checkins_fixtures import PERSON_NAME, make_watch
from tests.web.test_browser_pages import Personas, problems_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "w" * 32


def test_a_journalist_checks_in_and_a_missed_check_in_reaches_the_circle(live_server, phone_page):
    ensure_reference_data()
    org = Organization.objects.create(
        name="Red de Periodistas", slug="red-periodistas", kind="other"
    )
    coordinator = User.objects.create_user("c@red.example", "x" * 20, full_name="Coordinación")
    with HttpReceiver(secret=SECRET) as hook, SmtpServer() as smtp:
        watch, token, _contacts, _channels = make_watch(
            org,
            coordinator,
            webhook_url=hook.url + "/circulo",
            webhook_secret=SECRET,
            smtp=("127.0.0.1", smtp.port),
        )
        # The journalist opens their link on the phone and checks in.
        phone_page.goto(f"{live_server.url}/c/{token}/")
        text = phone_page.content()
        assert PERSON_NAME not in text and "Lucía" not in text and "Periodistas" not in text
        phone_page.get_by_role("button", name="Estoy bien: reportarme").click()
        phone_page.get_by_role("status").wait_for()
        assert "Próximo reporte" in phone_page.get_by_role("status").inner_text()
        assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        watch.refresh_from_db()
        deadline = watch.deadline
        # Then silence. Step 1 reminds the person; step 2 tells the circle after the
        # cancel window, by webhook and by e-mail.
        missed = deadline + dt.timedelta(minutes=watch.grace_minutes)
        assert actions.escalate_due(now=missed) == 1
        assert actions.escalate_due(now=missed + dt.timedelta(minutes=10)) == 1
        while engine.send_due("browser-test", 60):
            pass
        subjects = [r.json["subject"] for r in hook.received]
        assert len(subjects) == 2 and all(r.signature_ok for r in hook.received)
        assert "Recordatorio" in subjects[0] and PERSON_NAME in subjects[1]
        assert [recipients for recipients, _ in smtp.messages] == [["hermana@circulo.example"]]
        assert PERSON_NAME in str(make_header(decode_header(smtp.messages[0][1]["Subject"])))
    assert phone_page.external_requests == []


@pytest.mark.layout
def test_the_checkin_pages_pass_axe_and_fit_a_phone(live_server, browser):
    ensure_reference_data()
    load_demo_network()
    org = Organization.objects.get(slug="sierra-viva")
    coordinator = User.objects.get(email="coordinacion@sierra-viva.example")
    watch, token, _, _ = make_watch(org, coordinator)
    base = "/o/sierra-viva/checkins"
    pages = [
        (None, f"/c/{token}/"),
        ("lectura@sierra-viva.example", f"{base}/"),
        ("lectura@sierra-viva.example", "/accounts/api-tokens/"),
        ("documentacion@sierra-viva.example", f"{base}/{watch.person_id}/"),
    ]
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language in ("es-mx", "en"):
            for email, path in pages:
                page = personas.page(email, language)
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, path
                problems += problems_of(page, f"{language} {path}")
        for page in personas.contexts.values():
            assert page.external_requests == []
    finally:
        personas.close()
    assert not problems, "\n".join(problems)
