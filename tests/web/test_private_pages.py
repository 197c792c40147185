"""Pages that show identities are never kept by the browser or a proxy."""

from __future__ import annotations

from tests.web.cases_fixtures import CaseFixtures


class PrivatePagesTests(CaseFixtures):
    def test_it_forbids_keeping_case_person_and_search_pages(self):
        event = self.make_case()
        act = self.add_victim(event, given_names="Ana", paternal_surname="Zubiría")
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
