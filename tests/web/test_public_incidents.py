"""The public map of verified incidents (/p/<slug>/incidents/): delayed, by municipality,
and suppressed so that no hidden count shows or can be worked out from the total."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from memoria.public import actions as public_actions
from memoria.public.figures import SUPPRESSED_COLOUR
from memoria.public.models import Publication
from memoria.reports import actions
from memoria.reports.models import Report, ReportChannel
from tests.web.cases_fixtures import CaseFixtures
from tests.web.reports_fixtures import open_channel, receive

# Verified incidents, older than the delay, by place (k = 5):
#   Cuauhtémoc 08017: 7 (shown); Chihuahua 08019: 2; Juárez 08037: 1; Chihuahua with
#   no municipality: 1; total 11. The three small ones are hidden; the total shows.
PLACES = [("08", "08017")] * 7 + [("08", "08019")] * 2 + [("08", "08037"), ("08", "")]


class IncidentFixtures(CaseFixtures):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        open_channel(cls.org)
        for state, municipality in PLACES:
            cls.verified(4, state=state, municipality=municipality)
        cls.verified(0, state="08", municipality="08019")  # verified today: not yet public
        receive(cls.org, state="08", municipality="08019")  # not verified
        publication = public_actions.publication_of(cls.org)
        public_actions.save_publication(
            cls.org,
            cls.coordinator,
            {
                "published": True,
                "sections": [],
                "start_year": None,
                "end_year": None,
                "threshold": 5,
                "licence": "",
                "memorial": False,
            },
            publication.version,
        )

    @classmethod
    def verified(cls, days_ago: float, **overrides) -> Report:
        report = receive(cls.org, **overrides).report
        actions.verify(report, cls.documenter, 1)
        Report.objects.filter(pk=report.pk).update(
            decided_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        return report

    def page(self, lang="en"):
        return self.client.get(f"/p/{self.org.slug}/incidents/", {"lang": lang})

    def rows(self, html: str) -> dict[str, str]:
        found = re.findall(
            r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td><td>([^<]+)</td>', html
        )
        return {f"{name}, {state}": count for name, state, count in found}


class PublicIncidentMapTests(IncidentFixtures):
    def test_it_shows_the_counts_with_the_small_ones_hidden(self):
        response = self.page()
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertEqual(
            self.rows(html),
            {
                "Cuauhtémoc, Chihuahua": "7",
                "Chihuahua, Chihuahua": "fewer than 5",
                "Juárez, Chihuahua": "fewer than 5",
                "Municipality not stated, Chihuahua": "fewer than 5",
                "Total, ": "11",
            },
        )
        self.assertIn("Incidents published: 11.", html)
        self.assertIn("fewer than 5, or withheld", html)

    def test_the_map_reveals_no_suppressed_count(self):
        html = self.page().content.decode()
        areas = {
            code: (colour, title)
            for colour, code, title in re.findall(
                r'<path d="[^"]*" fill="([^"]+)" class="map-area" data-code="(\d{5})">'
                r"<title>([^<]*)</title>",
                html,
            )
        }
        self.assertEqual(areas["08017"][1], "Cuauhtémoc, Chihuahua: 7")
        for code in ("08019", "08037"):
            self.assertEqual(areas[code][0], SUPPRESSED_COLOUR)
            self.assertTrue(areas[code][1].endswith(": fewer than 5"), areas[code])
        # Nowhere on the page a hidden count, nor the total of the hidden ones (11 - 7).
        # (The legend's classes are ranges, "1–7", not counts.)
        text = re.sub(
            r"<[^>]+>", " ", re.sub(r'<ul class="map-legend".*?</ul>', "", html, flags=re.S)
        )
        for hidden in ("2", "1", "4"):
            self.assertNotRegex(text, rf"(?<![\d.,]){hidden}(?![\d.,])")
        self.assertNotIn('data-code="08019" class', html)

    def test_it_waits_for_the_delay_and_counts_only_verified_reports(self):
        html = self.page().content.decode()
        self.assertNotIn(">3<", html)
        self.assertIn("Incidents published: 11.", html)

    def test_it_is_public_cached_in_spanish_and_has_no_script(self):
        response = self.page(lang="es")
        self.assertEqual(response["Cache-Control"], "public, max-age=300")
        self.assertNotIn("Set-Cookie", response)
        html = response.content.decode()
        self.assertIn("Incidentes reportados", html)
        self.assertNotIn("<script", html)

    def test_it_is_404_without_a_publication_or_an_open_form(self):
        ReportChannel.objects.filter(organization=self.org).update(is_open=False)
        self.assertEqual(self.page().status_code, 404)
        self.assertEqual(self.client.get(f"/p/{self.other_org.slug}/incidents/").status_code, 404)


WHERE = re.compile(r'<p class="where">([^·]*?)\s*·')


def feed_places(html: str) -> list[str]:
    """The place of every incident the feed lists, as shown."""
    return [place.strip() for place in WHERE.findall(html)]


class FeedAgreesWithTheMapTests(IncidentFixtures):
    """The feed (/r/<slug>/incidents/) names a place only where the map shows its count."""

    def feed(self, lang="en"):
        return self.client.get(f"/r/{self.org.slug}/incidents/", {"lang": lang})

    def assert_agrees(self, published: int = 11):
        """No place in the feed whose cell the map hides; every named one counts as the map says."""
        rows = self.rows(self.page().content.decode())
        places = feed_places(self.feed().content.decode())
        self.assertEqual(len(places), published)
        for place in set(places) - {"Place withheld"}:
            self.assertIn(place, rows)
            self.assertEqual(rows[place], str(places.count(place)), place)
        hidden = [place for place, count in rows.items() if not count.isdigit()]
        for place in hidden:
            self.assertNotIn(place, places)
        return places

    def test_the_feed_withholds_the_places_the_map_hides(self):
        places = self.assert_agrees()
        self.assertEqual(places.count("Cuauhtémoc, Chihuahua"), 7)
        self.assertEqual(places.count("Place withheld"), 4)  # Chihuahua 2, Juárez 1, state 1
        html = self.feed().content.decode()
        self.assertNotIn("Juárez", html)
        self.assertIn("the place is withheld where the map of incidents", html)

    def test_it_speaks_spanish(self):
        html = self.feed(lang="es").content.decode()
        self.assertEqual(feed_places(html).count("Lugar reservado"), 4)
        self.assertIn("menos de 5", html)

    def test_a_place_the_map_withholds_to_protect_another_is_withheld_too(self):
        # Chihuahua 08019 reaches 5, but the two hidden ones (Juárez and the state alone,
        # each 1 to 4) and a withheld place (at least 5: it is listed and not "fewer
        # than 5") would add up to 14 − 7 = 7: 1 + 1 + 5, all three known. The map
        # withholds Cuauhtémoc as well, and the feed names no place.
        for _ in range(3):
            self.verified(4, state="08", municipality="08019")
        rows = self.rows(self.page().content.decode())
        self.assertEqual(rows["Chihuahua, Chihuahua"], "withheld")
        self.assertEqual(rows["Cuauhtémoc, Chihuahua"], "withheld")
        self.assertEqual(rows["Total, "], "14")
        places = self.assert_agrees(published=14)
        self.assertEqual(places, ["Place withheld"] * 14)

    def test_the_feed_uses_the_k_of_the_publication(self):
        Publication.objects.filter(organization=self.org).update(threshold=8)
        places = self.assert_agrees()
        self.assertEqual(places, ["Place withheld"] * 11)

    def test_a_place_alone_on_the_map_is_not_given_away_by_the_feed(self):
        # Only Chihuahua's 2 are left: the map shows it as "fewer than 5", the only place
        # it hides, so a "place withheld" incident in the feed could only be there.
        Report.objects.filter(organization=self.org).delete()
        for _ in range(2):
            self.verified(4, state="08", municipality="08019")
        rows = self.rows(self.page().content.decode())
        self.assertEqual(rows["Chihuahua, Chihuahua"], "fewer than 5")
        places = feed_places(self.feed().content.decode())
        self.assertEqual(places, [])

    def test_a_total_the_map_hides_is_not_given_by_the_feed(self):
        # One incident in each of two places: the map says "fewer than 5" for both and
        # hides the total; a feed listing 2 withheld incidents would pin both counts at 1.
        Report.objects.filter(organization=self.org).delete()
        self.verified(4, state="08", municipality="08019")
        self.verified(4, state="08", municipality="08037")
        rows = self.rows(self.page().content.decode())
        self.assertEqual(rows["Chihuahua, Chihuahua"], "fewer than 5")
        self.assertEqual(rows["Total, "], "fewer than 5")
        self.assertEqual(feed_places(self.feed().content.decode()), [])

    def test_four_places_with_one_each_are_not_shown_by_place(self):
        # Four places listed (each has an incident), each "fewer than 5", and the total
        # "fewer than 5": a reader knows each is exactly 1. Only the total is published.
        Report.objects.filter(organization=self.org).delete()
        for municipality in ("08019", "08037", "08017", "08032"):
            self.verified(4, state="08", municipality=municipality)
        html = self.page().content.decode()
        self.assertIn("Incidents published: fewer than 5.", html)
        self.assertIn("The incidents are not shown by place", html)
        self.assertEqual(self.rows(html), {})
        self.assertEqual(feed_places(self.feed().content.decode()), [])
