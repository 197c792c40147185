"""The public site: nothing until published, suppression on every page and download,
the consent-bound memorial, caching, and the coordinators' settings page."""

from __future__ import annotations

import csv
import io
import json

from django.core.cache import cache
from django.test import SimpleTestCase, TestCase

from memoria.accounts.models import Organization
from memoria.audit.models import AuditEntry
from memoria.cases import actions as case_actions
from memoria.cases.models import Person
from memoria.public import actions as public_actions
from memoria.public import datasets, figures
from memoria.public.models import Publication, Section
from tests.web.public_fixtures import (
    MEMORIAL_NAME,
    NO_CONSENT_NAME,
    PRIVATE_NAME,
    TESTIMONY,
    PublicFixtures,
)

HOME = "/p/centro-norte/"
DATA = "/p/centro-norte/data/"
MEMORIAL = "/p/centro-norte/memorial/"
SETTINGS = "/o/centro-norte/public/"


def public_urls() -> list[str]:
    urls = [HOME, DATA, MEMORIAL]
    for dataset in datasets.DATASETS:
        for suffix in (".csv", ".hxl.csv", ".json"):
            urls.append(f"{DATA}{dataset.slug}{suffix}")
    return urls


class PublicSiteTests(PublicFixtures):
    def setUp(self):
        super().setUp()
        cache.clear()

    def test_nothing_is_public_until_a_coordinator_publishes(self):
        for url in public_urls():
            self.assertEqual(self.client.get(url).status_code, 404, url)
        self.publish(published=False)
        self.assertEqual(self.client.get(HOME).status_code, 404)
        self.publish()
        self.assertEqual(self.client.get(HOME).status_code, 200)
        self.publish(published=False)
        self.assertEqual(self.client.get(HOME).status_code, 404)
        self.assertEqual(Publication.objects.get(organization=self.org).figures, {})

    def test_the_figures_are_suppressed_as_worked_out_by_hand(self):
        found = self.publish().figures
        self.assertEqual(found["cases"], 20)
        places = found["places"]
        self.assertEqual(places["states"], ["08", "12"])
        self.assertEqual(places["years"], [2020, 2021])
        self.assertEqual(places["cells"], [["hidden", "hidden"], ["small", "hidden"]])
        self.assertEqual(places["state_totals"], [11, 9])
        self.assertEqual(places["year_totals"], [8, 12])
        sexes = dict(zip(found["sex"]["categories"], found["sex"]["values"], strict=True))
        # 4 men is below k; with the total (20) shown, the women's 16 is withheld too.
        self.assertEqual((sexes["female"], sexes["male"]), ("hidden", "small"))
        self.assertEqual(found["sex"]["total"], 20)

    def test_no_page_or_download_reveals_a_suppressed_count_or_a_name_without_consent(self):
        self.publish()
        planted = [" ".join(PRIVATE_NAME), " ".join(NO_CONSENT_NAME), TESTIMONY]
        planted += [part for part in PRIVATE_NAME + NO_CONSENT_NAME if len(part) > 6]
        for language in ("es", "en"):
            for url in public_urls():
                response = self.client.get(url, {"lang": language})
                self.assertEqual(response.status_code, 200, url)
                text = response.content.decode()
                for name in planted:
                    self.assertNotIn(name, text, url)
                if url != MEMORIAL:
                    self.assertNotIn(MEMORIAL_NAME[1], text, url)
                if url.endswith(".csv"):
                    rows = list(csv.DictReader(io.StringIO(text)))
                    if url.endswith(".hxl.csv"):
                        self.assertTrue(rows[0]["suppression"].startswith("#"))
                        rows = rows[1:]  # the HXL hashtags
                    self._check_rows(rows, url)
                if url.endswith(".json"):
                    self._check_rows(json.loads(text)["rows"], url)
        # The state-and-year table on the page: the four cells hidden, the totals shown.
        text = self.client.get(HOME, {"lang": "es"}).content.decode()
        self.assertIn("Guerrero</th><td>menos de 5</td><td>reservado</td><td>9</td>", text)
        self.assertIn("Chihuahua</th><td>reservado</td><td>reservado</td><td>11</td>", text)
        self.assertNotRegex(text, r"Guerrero[^<]*:\s*2\b")

    def _check_rows(self, rows, url):
        for row in rows:
            count = row.get("cases", row.get("victims"))
            if row["suppression"]:
                self.assertIn(count, ("", None), (url, row))
            if row.get("state_code") in ("08", "12") and row.get("year") in ("2020", "2021"):
                self.assertIn(count, ("", None), (url, row))  # every inner cell is hidden
        if "cases-by-state-and-year" in url and not url.endswith(".hxl.csv"):
            guerrero_2020 = [r for r in rows if r["state_code"] == "12" and r["year"] == "2020"]
            self.assertEqual(guerrero_2020[0]["suppression"], "fewer_than_k")

    def test_downloads_carry_the_hxl_row_the_licence_and_the_counts_shown(self):
        self.publish(licence="Licencia de prueba CC BY 4.0")
        rows = list(
            csv.reader(
                io.StringIO(
                    self.client.get(DATA + "cases-by-state-and-year.hxl.csv").content.decode()
                )
            )
        )
        self.assertEqual(rows[0], ["state_code", "state", "year", "cases", "suppression"])
        self.assertEqual(
            rows[1], ["#adm1+code", "#adm1+name", "#date+year", "#event+num", "#meta+suppression"]
        )
        self.assertIn(["12", "Guerrero", "total", "9", ""], rows)
        self.assertIn(["total", "Todos los estados", "total", "20", ""], rows)
        body = json.loads(self.client.get(DATA + "victims-by-sex.json").content)
        self.assertEqual(body["licence"], "Licencia de prueba CC BY 4.0")
        self.assertEqual(body["threshold"], 5)
        page = self.client.get(DATA).content.decode()
        self.assertIn("#meta+suppression", page)  # the data dictionary
        self.assertIn("Licencia de prueba CC BY 4.0", page)

    def test_only_the_chosen_figures_are_published(self):
        self.publish(sections=[Section.VIOLATIONS])
        found = Publication.objects.get(organization=self.org).figures
        self.assertNotIn("places", found)
        self.assertNotIn("sex", found)
        self.assertEqual(self.client.get(DATA + "victims-by-sex.csv").status_code, 404)
        self.assertEqual(self.client.get(DATA + "cases-by-violation.csv").status_code, 200)

    def test_the_period_and_the_threshold_are_the_coordinators_choice(self):
        found = self.publish(start_year=2021, threshold=8).figures
        self.assertEqual(found["places"]["years"], [2021])
        self.assertEqual(found["places"]["cells"], [["small"], ["small"]])
        self.assertEqual(found["cases"], 12)
        text = self.client.get(HOME, {"lang": "en"}).content.decode()
        self.assertIn("fewer than 8", text)

    def test_the_memorial_names_only_with_consent_and_only_what_was_allowed(self):
        self.publish()
        text = self.client.get(MEMORIAL).content.decode()
        self.assertIn(" ".join(MEMORIAL_NAME), text)
        self.assertIn("34 años", text)
        self.assertIn("Cuauhtémoc, Chihuahua", text)
        self.assertIn("10 de enero de 2020", text)
        self.assertNotIn(TESTIMONY, text)
        self.assertNotIn("Agregada", text)  # aggregate use only: never named
        self.assertNotIn(NO_CONSENT_NAME[1], text)

    def test_the_name_disappears_when_the_consent_is_withdrawn(self):
        self.publish()
        self.assertIn(MEMORIAL_NAME[1], self.client.get(MEMORIAL).content.decode())
        person = Person.objects.get(pk=self.memorial_act.victim_id)
        case_actions.update_person(
            person, self.documenter, {"consent_recorded": False}, person.version
        )
        self.assertEqual(Person.objects.get(pk=person.pk).visibility, "private")
        self.assertNotIn(MEMORIAL_NAME[1], self.client.get(MEMORIAL).content.decode())

    def test_the_memorial_is_off_unless_chosen(self):
        self.publish(memorial=False)
        self.assertEqual(self.client.get(MEMORIAL).status_code, 404)
        self.assertNotIn(MEMORIAL, self.client.get(HOME).content.decode())

    def test_public_pages_are_cacheable_and_members_pages_are_not(self):
        self.publish()
        response = self.client.get(HOME)
        self.assertEqual(response["Cache-Control"], "public, max-age=300")
        self.assertNotIn("Set-Cookie", response.headers)
        self.assertEqual(self.client.get(MEMORIAL)["Cache-Control"], "public, max-age=60")
        self.client.force_login(self.coordinator)
        self.assertEqual(self.client.get(SETTINGS)["Cache-Control"], "no-store, private")

    def test_a_members_session_cookie_is_never_sent_with_a_cacheable_page(self):
        # A signed-in member reading the public site: the session middleware renews
        # the session cookie on every response; a shared cache keeping a "public"
        # response would keep (and hand out) that cookie too.
        self.publish()
        self.client.force_login(self.coordinator)
        for url in (HOME, MEMORIAL.replace("memorial/", "data/")):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200)
            if response.cookies:
                self.assertNotIn("public", response["Cache-Control"], url)
            else:
                self.assertIn("public", response["Cache-Control"], url)

    def test_a_cached_page_costs_one_query_and_publishing_again_replaces_it(self):
        self.publish()
        self.client.get(HOME, {"lang": "en"})
        with self.assertNumQueries(1):
            self.assertIn("fewer than 5", self.client.get(HOME, {"lang": "en"}).content.decode())
        self.assertIn("menos de 5", self.client.get(HOME, {"lang": "es"}).content.decode())
        self.publish(threshold=3)
        self.assertNotIn("fewer than 5", self.client.get(HOME, {"lang": "en"}).content.decode())

    def test_another_organizations_site_shows_nothing_of_this_one(self):
        self.publish()
        self.assertEqual(self.client.get("/p/colectivo-sur/").status_code, 404)
        theirs = self.make_case(self.other_org)
        self.add_victim(
            theirs,
            given_names="Zacarías",
            paternal_surname="Ajeno",
            visibility="memorial",
            consent_recorded=True,
        )
        publication = public_actions.publication_of(self.other_org)
        data = {"published": True, "sections": ["places"], "threshold": 5, "memorial": True}
        public_actions.save_publication(self.other_org, self.outsider, data, publication.version)
        their_memorial = self.client.get("/p/colectivo-sur/memorial/").content.decode()
        self.assertIn("Zacarías Ajeno", their_memorial)
        self.assertNotIn(MEMORIAL_NAME[1], their_memorial)
        self.assertNotIn("Ajeno", self.client.get(MEMORIAL).content.decode())
        their_cases = Publication.objects.get(organization=self.other_org).figures["cases"]
        self.assertEqual(their_cases, "small")  # their one case, not our twenty


class PublicAttackTests(PublicFixtures):
    """Everything the public site publishes, attacked as a whole (``tests.disclosure_attack``):
    no hidden count but a zero can be worked out, for several thresholds and periods."""

    def test_no_hidden_count_can_be_worked_out_from_all_the_outputs_together(self):
        from tests.disclosure_attack import public_site

        for threshold, start, end in ((5, None, None), (3, None, None), (8, None, None),
                                      (10, None, None), (5, 2021, 2021)):  # fmt: skip
            found = self.publish(threshold=threshold, start_year=start, end_year=end).figures
            # Every download carries the stored figures: the attacker reads all there is.
            for dataset in datasets.available(found):
                body = json.loads(self.client.get(f"{DATA}{dataset.slug}.json").content)
                count = dataset.columns[-2].name
                sent = [(row[count], row["suppression"]) for row in body["rows"]]
                made = [(row[count], row["suppression"]) for row in dataset.rows(found)]
                self.assertEqual(sent, made, dataset.slug)
            self.assertEqual(public_site(found).exposed(), {}, (threshold, start, end, found))


class PublicationSettingsTests(PublicFixtures):
    def form(self, **changes) -> dict:
        publication = Publication.objects.filter(organization=self.org).first()
        data = {
            "published": "on",
            "sections": ["places", "victims"],
            "threshold": "5",
            "licence": "",
            "memorial": "on",
            "version": publication.version if publication else 1,
        }
        data.update(changes)
        return data

    def test_only_coordinators_change_what_is_published(self):
        self.client.force_login(self.coordinator)
        self.assertEqual(self.client.get(SETTINGS).status_code, 200)
        for persona in (self.documenter, self.analyst, self.reader):
            self.client.force_login(persona)
            self.assertEqual(self.client.get(SETTINGS).status_code, 403)
            self.assertEqual(self.client.post(SETTINGS, self.form()).status_code, 403)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(SETTINGS).status_code, 404)
        self.assertEqual(self.client.post(SETTINGS, self.form()).status_code, 404)
        self.assertFalse(Publication.objects.filter(organization=self.org, published=True).exists())

    def test_a_coordinator_publishes_and_it_is_audited(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(SETTINGS, self.form())
        self.assertRedirects(response, SETTINGS)
        publication = Publication.objects.get(organization=self.org)
        self.assertTrue(publication.published)
        self.assertEqual(publication.sections, ["places", "victims"])
        self.assertTrue(
            AuditEntry.objects.filter(organization=self.org, action="public.published").exists()
        )
        self.assertEqual(self.client.get(HOME).status_code, 200)

    def test_a_stale_form_writes_nothing(self):
        self.client.force_login(self.coordinator)
        self.client.post(SETTINGS, self.form())
        response = self.client.post(SETTINGS, self.form(threshold="9", version="1"))
        self.assertRedirects(response, SETTINGS)
        self.assertEqual(Publication.objects.get(organization=self.org).threshold, 5)

    def test_it_refuses_a_threshold_below_three_and_a_reversed_period(self):
        self.client.force_login(self.coordinator)
        self.assertEqual(self.client.post(SETTINGS, self.form(threshold="1")).status_code, 400)
        response = self.client.post(SETTINGS, self.form(start_year="2022", end_year="2020"))
        self.assertEqual(response.status_code, 400)


class ShownTests(SimpleTestCase):
    def test_counts_that_must_reach_the_number_of_cases_do_not_give_a_small_one_away(self):
        from tests.disclosure_attack import public_site

        # Ten cases, each with one violation: homicide 6 and disappearance "fewer than 5".
        # Every case has a violation, so 6 + the hidden count ≥ 10: it is 4.
        before = {"k": 5, "cases": 10, "violations": {"values": [6, "small"]}}
        self.assertEqual(public_site(before).exposed(), {"violations[1]": 4})
        values = [6, "small"]
        figures._cover(values, 5, 10)
        self.assertEqual(values, ["hidden", "small"])
        after = {"k": 5, "cases": 10, "violations": {"values": values}}
        self.assertEqual(public_site(after).exposed(), {})
        # Eight cases, two violations "fewer than 5": 4 each, and nothing shown to withhold.
        self.assertEqual(
            public_site({"k": 5, "cases": 8, "violations": {"values": ["small", "small"]}})
            .exposed(), {"violations[0]": 4, "violations[1]": 4},
        )  # fmt: skip
        self.assertTrue(figures._cover(["small", "small"], 5, 8))
        self.assertFalse(figures._cover(["small", "small"], 5, 7))

    def test_it_says_fewer_than_k_or_withheld_never_the_number(self):
        from django.utils import translation

        with translation.override("en"):
            self.assertEqual(figures.shown("small", 5), "fewer than 5")
            self.assertEqual(figures.shown("hidden", 5), "withheld")
            self.assertEqual(figures.shown(1234, 5), "1,234")


class DemoAttackTests(TestCase):
    """The demo network's public site (``memoria demo``), attacked as a whole."""

    def test_no_hidden_count_of_the_demo_site_can_be_worked_out(self):
        from memoria.core.demo import load_demo_network
        from memoria.public.demo import DEMO_PUBLIC_ORGANIZATION
        from tests.disclosure_attack import public_site
        from tests.web.base import ensure_reference_data

        ensure_reference_data()
        load_demo_network(cases=12)
        organization = Organization.objects.get(slug=DEMO_PUBLIC_ORGANIZATION)
        publication = Publication.objects.get(organization=organization)
        self.assertTrue(publication.published)
        coordinator = organization.memberships.filter(role="coordinator").first().user
        for threshold in (5, 3):
            data = {
                "published": True,
                "sections": list(Section.values),
                "start_year": None,
                "end_year": None,
                "threshold": threshold,
                "licence": "",
                "memorial": False,
            }
            version = Publication.objects.get(pk=publication.pk).version
            found = public_actions.save_publication(organization, coordinator, data, version)
            self.assertEqual(public_site(found.figures).exposed(), {}, (threshold, found.figures))
