"""Pages that show identities are never kept by the browser or a proxy."""

from __future__ import annotations

import datetime

from memoria.cases import actions
from memoria.cases.models import Term
from memoria.places.models import State
from tests.web.base import MemoriaTestCase


class PrivatePagesTests(MemoriaTestCase):
    def test_it_forbids_keeping_case_person_and_search_pages(self):
        event = actions.register_case(
            self.org,
            self.documenter,
            {"title": "Caso", "start_date": datetime.date(2020, 1, 1), "start_precision": "day",
             "end_precision": "unknown", "state": State.objects.get(code="08"), "status": "open"},
        )  # fmt: skip
        act = actions.add_victim(
            event,
            self.documenter,
            {"given_names": "Ana", "paternal_surname": "Zubiría", "sex": "female"},
            {"violation_type": Term.objects.get(code="homicide", organization=None)},
        )
        self.client.force_login(self.reader)
        for path in (
            f"/o/{self.org.slug}/cases/",
            f"/o/{self.org.slug}/cases/{event.pk}/",
            f"/o/{self.org.slug}/people/{act.victim.pk}/",
        ):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                self.assertIn("no-store", response["Cache-Control"])
        results = self.client.post(f"/o/{self.org.slug}/people/", {"q": "Zubiría"})
        self.assertContains(results, "Zubiría")
        self.assertIn("no-store", results["Cache-Control"])

    def test_it_forbids_keeping_pages_before_sign_in_too(self):
        # An invitation page, for one, says who was invited to which organization.
        response = self.client.get("/accounts/login/")
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])

    def test_it_lets_static_files_be_cached(self):
        self.client.force_login(self.reader)
        response = self.client.get("/static/memoria/memoria.css")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("no-store", response.get("Cache-Control", ""))
