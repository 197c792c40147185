"""Capture on the road: the server side of the offline capture page (memoria.capture).

A draft posted from a phone becomes one case with the testimony as its source,
once: sent again (its answer was lost) it creates nothing; bad input writes
nothing; outsiders get 404, roles that cannot write get 403.
"""

from __future__ import annotations

import datetime
import json
import uuid

from django.test import Client
from django.utils import timezone

from memoria.audit.labels import AuditAction
from memoria.audit.models import AuditEntry
from memoria.capture.models import CapturedTestimony
from memoria.cases.models import Change, Event, Source
from tests.web.base import MemoriaTestCase, TwoFactorClient

WRITES = (AuditAction.CASE_CREATE, AuditAction.SOURCE_CREATE, AuditAction.CAPTURE_RECEIVED)
TESTIMONY = (
    "Mi hermano Aurelio salió a trabajar a la mina y no volvió; lo subieron a una camioneta."
)


class CaptureTests(MemoriaTestCase):
    def setUp(self):
        super().setUp()
        self.base = f"/o/{self.org.slug}/capture/"

    def draft(self, **changes) -> dict:
        data = {
            "id": str(uuid.uuid4()),
            "title": "Desaparición en la mina",
            "testimony": TESTIMONY,
            "recorded_on": timezone.localdate().isoformat(),
            "occurred_on": "2024-03-05",
            "precision": "month",
            "state": "08",
            "locality": "Ojinaga",
            "reference": "Caravana, parada 7",
        }
        data.update(changes)
        return data

    def send(self, data, client=None):
        client = client or self.client
        body = data if isinstance(data, str | bytes) else json.dumps(data)
        return client.post(self.base + "send/", body, content_type="application/json")

    def written(self) -> tuple[int, int, int, int, int]:
        return (
            Event.objects.count(),
            Source.objects.count(),
            CapturedTestimony.objects.count(),
            Change.objects.count(),
            AuditEntry.objects.filter(action__in=WRITES).count(),
        )

    def test_it_turns_a_draft_into_a_case_with_its_testimony(self):
        self.client.force_login(self.documenter)
        data = self.draft()
        response = self.send(data)
        self.assertEqual(response.status_code, 201)
        receipt = CapturedTestimony.objects.get()
        event, source = receipt.event, receipt.source
        self.assertEqual(response.json()["case"], event.number)
        self.assertEqual(event.organization, self.org)
        self.assertEqual(event.title, "Desaparición en la mina")
        self.assertEqual(event.status, Event.Status.VERIFYING)
        self.assertEqual(event.start_date, datetime.date(2024, 3, 5))
        self.assertEqual(event.start_precision, "month")
        self.assertEqual(event.state_id, "08")
        self.assertEqual(event.locality, "Ojinaga")
        self.assertEqual(source.event, event)
        self.assertEqual(source.kind.code, "testimony")
        self.assertEqual(source.summary, TESTIMONY)
        self.assertEqual(source.reference, "Caravana, parada 7")
        self.assertEqual(str(receipt.client_id), data["id"])
        self.assertEqual(receipt.sent_by, self.documenter)
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        self.assertLessEqual(
            {AuditAction.CASE_CREATE, AuditAction.SOURCE_CREATE, AuditAction.CAPTURE_RECEIVED},
            actions,
        )

    def test_it_creates_nothing_twice_when_a_draft_is_sent_again(self):
        self.client.force_login(self.documenter)
        data = self.draft()
        first = self.send(data)
        before = self.written()
        again = self.send(data)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["status"], "received_before")
        self.assertEqual(again.json()["case"], first.json()["case"])
        self.assertEqual(self.written(), before)
        # Another member of the organization re-sending it (a shared phone) changes nothing.
        self.client.force_login(self.coordinator)
        self.assertEqual(self.send(data).status_code, 200)
        self.assertEqual(self.written(), before)

    def test_it_refuses_a_known_identifier_with_another_content(self):
        self.client.force_login(self.documenter)
        data = self.draft()
        self.send(data)
        before = self.written()
        response = self.send({**data, "testimony": "Otra cosa"})
        self.assertEqual(response.status_code, 409)
        self.assertEqual(self.written(), before)
        self.assertEqual(Source.objects.get().summary, TESTIMONY)

    def test_it_keeps_identifiers_apart_between_organizations(self):
        data = self.draft()
        self.client.force_login(self.documenter)
        self.assertEqual(self.send(data).status_code, 201)
        self.client.force_login(self.outsider)
        other = self.client.post(
            f"/o/{self.other_org.slug}/capture/send/", json.dumps(data), "application/json"
        )
        self.assertEqual(other.status_code, 201)
        self.assertEqual(Event.objects.filter(organization=self.other_org).count(), 1)

    def test_it_writes_nothing_for_bad_input(self):
        self.client.force_login(self.documenter)
        tomorrow_but_one = timezone.localdate() + datetime.timedelta(days=2)
        bad = [
            self.draft(id="no-es-un-uuid"),
            self.draft(title=""),
            self.draft(testimony="   "),
            self.draft(testimony="x" * 50_001),
            self.draft(recorded_on=""),
            self.draft(recorded_on="31/02/2024"),
            self.draft(occurred_on=tomorrow_but_one.isoformat()),
            self.draft(state="99"),
            self.draft(precision="century"),
            self.draft(title="t" * 301),
            {k: v for k, v in self.draft().items() if k != "id"},
            {**self.draft(), "title": ["una", "lista"]},
            "esto no es JSON",
            "[1, 2, 3]",
            b"\xff\xfe",
        ]
        before = self.written()
        for data in bad:
            with self.subTest(data=str(data)[:60]):
                response = self.send(data)
                self.assertEqual(response.status_code, 400)
                self.assertIn("errors", response.json())
        self.assertEqual(self.written(), before)

    def test_it_answers_404_to_outsiders(self):
        self.client.force_login(self.outsider)
        for path in ("", "sw.js", "token/"):
            self.assertEqual(self.client.get(self.base + path).status_code, 404)
        before = self.written()
        self.assertEqual(self.send(self.draft()).status_code, 404)
        self.assertEqual(self.written(), before)

    def test_it_lets_no_reader_or_analyst_submit(self):
        for user in (self.reader, self.analyst):
            self.client.force_login(user)
            with self.subTest(user=user.email):
                before = self.written()
                self.assertEqual(self.send(self.draft()).status_code, 403)
                self.assertEqual(self.written(), before)
                for path in ("", "sw.js", "token/"):
                    self.assertEqual(self.client.get(self.base + path).status_code, 403)

    def test_it_sends_anonymous_visitors_to_sign_in(self):
        before = self.written()
        response = self.send(self.draft(), client=Client())
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])
        self.assertEqual(self.written(), before)

    def test_it_needs_a_fresh_csrf_token_from_the_token_endpoint(self):
        client = TwoFactorClient(enforce_csrf_checks=True)
        client.force_login(self.documenter)
        before = self.written()
        self.assertEqual(self.send(self.draft(), client=client).status_code, 403)
        self.assertEqual(self.written(), before)
        token = client.get(self.base + "token/").json()["token"]
        response = client.post(
            self.base + "send/",
            json.dumps(self.draft()),
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        self.assertEqual(response.status_code, 201)

    def test_the_page_keeps_no_token_and_names_no_one(self):
        self.client.force_login(self.documenter)
        page = self.client.get(self.base)
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        self.assertNotIn("csrfmiddlewaretoken", html)
        self.assertNotIn(self.documenter.full_name, html)
        self.assertIn("Captura", html)
        self.assertIn(f'data-scope="{self.base}"', html)

    def test_the_service_worker_is_a_script_of_the_pages_folder(self):
        self.client.force_login(self.documenter)
        response = self.client.get(self.base + "sw.js")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("text/javascript"))
        script = response.content.decode()
        self.assertIn(json.dumps(self.base), script)
        self.assertIn("/static/capture/capture.js", script)
