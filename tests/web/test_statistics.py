"""Known-answer tests of the organization's statistics: counts, shares, rates, filters and maps."""

from __future__ import annotations

import datetime
import re
from unittest import mock

from django.test import SimpleTestCase

from memoria.cases import caseindex, statistics
from memoria.cases.statistics import Filters, wilson
from memoria.geo import maps
from memoria.places.models import Municipality, State
from tests.web.cases_fixtures import CaseFixtures, term

# Census 2020 (INEGI) population, as in memoria/geo/data/mx_municipalities_census2020.csv.
CHIHUAHUA = 3_741_869
CUAUHTEMOC = 180_638  # 08017
GUERRERO = 3_540_685
ACAPULCO = 779_566  # 12001


class WilsonTests(SimpleTestCase):
    def test_it_matches_the_interval_worked_out_by_hand(self):
        # p = 0.8, n = 10, z = 1.96: centre (0.8 + 0.19208) / 1.38415 = 0.71681,
        # half 1.96 * sqrt(0.016 + 0.0009604) / 1.38415 = 0.18441.
        share = wilson(8, 10)
        self.assertAlmostEqual(share.share, 0.8)
        self.assertAlmostEqual(share.low, 0.4902, places=4)
        self.assertAlmostEqual(share.high, 0.9433, places=4)

    def test_it_stays_inside_zero_and_one_and_says_nothing_of_nothing(self):
        self.assertEqual(wilson(0, 0).share, None)
        self.assertAlmostEqual(wilson(0, 3).low, 0.0)
        self.assertAlmostEqual(wilson(3, 3).high, 1.0)
        self.assertGreater(wilson(3, 3).low, 0.4)


class MapTests(SimpleTestCase):
    def test_it_colours_the_states_with_cases_by_class_and_the_rest_as_none(self):
        drawn = maps.choropleth("states", {"08": 10, "12": 1})
        colours = {area.code: area.colour for area in drawn.areas}
        self.assertEqual(len(colours), 32)
        self.assertEqual(colours["08"], maps.PALETTE[1])  # the higher class
        self.assertEqual(colours["12"], maps.PALETTE[0])
        others = {code: colour for code, colour in colours.items() if code not in ("08", "12")}
        self.assertEqual(set(others.values()), {maps.ZERO_COLOUR})
        self.assertEqual([(c.high, c.count) for c in drawn.legend], [(1, 1), (10, 1)])

    def test_it_keys_the_geometry_by_the_catalogue_codes(self):
        self.assertEqual(sorted(maps.shapes("states")), [f"{n:02d}" for n in range(1, 33)])
        municipalities = maps.shapes("municipalities")
        self.assertGreater(len(municipalities), 2400)
        self.assertIn("08017", municipalities)

    def test_a_state_map_of_its_municipalities_frames_only_them(self):
        codes = [code for code in maps.shapes("municipalities") if code.startswith("08")]
        drawn = maps.choropleth("municipalities", {"08017": 3}, codes=codes)
        self.assertEqual(len(drawn.areas), len(codes))
        width = int(drawn.view_box.split()[2])
        national = maps.choropleth("municipalities", {})
        self.assertLess(width, int(national.view_box.split()[2]) / 2)

    def test_breaks_are_rounded_and_end_at_the_maximum(self):
        self.assertEqual(maps.breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 37]), [2, 4, 6, 8, 37])
        self.assertEqual(maps.breaks([0, 0]), [])


class StatisticsTests(CaseFixtures):
    """Four cases worked out by hand (organization A) and one of organization B."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make = cls.make_case.__get__(cls)
        add = cls.add_victim.__get__(cls)
        # Cuauhtémoc, Chihuahua, May 2020: a journalist (woman, 18-29) killed by the army,
        # and a man (30-44) killed by organized crime in the same month.
        first = make(start_date=datetime.date(2020, 5, 3))
        add(first, "homicide", "army", sex="female", age=25, is_journalist=True)
        second = make(start_date=datetime.date(2020, 5, 20))
        add(second, "homicide", "organized_crime", sex="male", age=35)
        # Acapulco, Guerrero, February 2021: two people disappeared, no perpetrator recorded.
        third = make(
            start_date=datetime.date(2021, 2, 1),
            state=State.objects.get(code="12"),
            municipality=Municipality.objects.get(cvegeo="12001"),
        )
        add(third, "enforced_disappearance", sex="male", age=15, is_child=True)
        add(third, "enforced_disappearance", sex="unknown")
        # Known only by its year, and with no place.
        make(
            start_date=datetime.date(2018, 1, 1),
            start_precision="year",
            state=None,
            municipality=None,
        )
        # Another organization's case never counts here.
        other = make(cls.other_org, start_date=datetime.date(2020, 5, 5))
        add(other, "torture", "navy", sex="female")

    def page(self, query: str = "", user=None):
        self.client.force_login(user or self.reader)
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/{query}")
        self.assertEqual(response.status_code, 200)
        return response

    @staticmethod
    def bars(chart) -> dict:
        return {bar.label: bar.count for bar in chart.bars}

    def test_it_counts_cases_victims_and_acts(self):
        context = self.page().context
        self.assertEqual(
            context["totals"],
            {"events": 4, "acts": 4, "victims": 4, "state_acts": 1, "indexed": 4},
        )
        self.assertEqual(self.bars(context["by_year"]), {"2018": 1, "2020": 2, "2021": 1})
        self.assertEqual(
            self.bars(context["by_violation"]),
            {"Homicidio": 2, "Desaparición forzada (por agentes del Estado)": 1},
        )
        self.assertEqual(
            self.bars(context["by_perpetrator"]),
            {"Ejército": 1, "Grupo del crimen organizado": 1},
        )

    def test_it_counts_the_victims_profile(self):
        context = self.page().context
        self.assertEqual(
            self.bars(context["by_sex"]),
            {"Mujer": 1, "Hombre": 2, "Intersexual": 0, "Sin registrar": 1},
        )
        ages = self.bars(context["by_age"])
        self.assertEqual(ages["18 a 29 años"], 1)
        self.assertEqual(ages["30 a 44 años"], 1)
        self.assertEqual(ages["12 a 17 años"], 1)
        self.assertEqual(ages["Edad desconocida"], 1)
        profiles = self.bars(context["by_profile"])
        self.assertEqual(profiles["Periodista"], 1)
        self.assertEqual(profiles["Niña, niño o adolescente"], 1)
        self.assertEqual(profiles["Persona defensora de derechos humanos"], 0)

    def test_the_share_of_state_agents_is_over_cases_with_a_perpetrator(self):
        response = self.page()
        share = response.context["state_share"]
        self.assertEqual((share.part, share.whole), (1, 2))
        expected = wilson(1, 2)
        self.assertAlmostEqual(share.low, expected.low)
        self.assertAlmostEqual(share.low, 0.0945, places=4)
        self.assertAlmostEqual(share.high, 0.9055, places=4)
        self.assertContains(response, "Wilson")

    def test_rates_per_100000_inhabitants_from_the_census(self):
        context = self.page().context
        states = {row.code: (row.count, row.population, row.rate) for row in context["state_rows"]}
        # 2 cases in Chihuahua: 2 × 100,000 / 3,741,869 = 0.05345 per 100,000.
        self.assertEqual(states["08"][:2], (2, CHIHUAHUA))
        self.assertAlmostEqual(states["08"][2], 0.053449, places=6)
        self.assertAlmostEqual(states["12"][2], 100_000 / GUERRERO)
        municipalities = {row.code: row.rate for row in context["municipality_rows"]}
        # 2 cases in Cuauhtémoc: 200,000 / 180,638 = 1.10719.
        self.assertAlmostEqual(municipalities["08017"], 1.107187, places=6)
        self.assertAlmostEqual(municipalities["12001"], 100_000 / ACAPULCO)

    def test_members_see_every_count_even_of_one_case(self):
        # Suppression is for the public site: members see their own small counts as they are.
        response = self.page()
        self.assertContains(response, "<td>Acapulco de Juárez</td>", count=0)
        self.assertContains(
            response, '<th scope="row">Acapulco de Juárez</th><td>Guerrero</td><td>1</td>'
        )
        self.assertNotContains(response, "menos de 5")

    def test_filters_by_period_state_and_violation(self):
        context = self.page("?date_from=2020-05-15&date_to=2020-05-31").context
        # Whole months: both May 2020 cases; the year-only case is left out.
        self.assertEqual(context["totals"]["events"], 2)
        self.assertEqual(context["totals"]["victims"], 2)
        context = self.page("?state=12").context
        self.assertEqual(context["totals"]["events"], 1)
        self.assertEqual(context["totals"]["victims"], 2)
        self.assertEqual(context["totals"]["acts"], 2)
        violation = term("violation_type", "homicide").pk
        context = self.page(f"?violation_type={violation}").context
        self.assertEqual(context["totals"]["events"], 2)
        self.assertEqual(
            self.bars(context["by_perpetrator"]), {"Ejército": 1, "Grupo del crimen organizado": 1}
        )
        self.assertEqual(context["state_share"].whole, 2)

    def test_a_period_the_wrong_way_round_is_refused_and_nothing_filtered(self):
        response = self.page("?date_from=2021-01-01&date_to=2020-01-01")
        self.assertFalse(response.context["form"].is_valid())
        self.assertEqual(response.context["totals"]["events"], 4)

    def test_the_state_map_colours_the_states_with_cases(self):
        response = self.page()
        html = response.content.decode()
        fills = {
            code: colour
            for colour, code in re.findall(
                r'fill="(#[0-9a-f]{6})" class="map-area" data-code="(\d+)"', html
            )
        }
        self.assertEqual(len(fills), 32)
        self.assertNotEqual(fills["08"], maps.ZERO_COLOUR)
        self.assertNotEqual(fills["12"], maps.ZERO_COLOUR)
        self.assertEqual(fills["14"], maps.ZERO_COLOUR)  # Jalisco: none
        self.assertNotEqual(fills["08"], fills["12"])  # 2 cases against 1

    def test_the_rate_map_and_the_municipalities_of_a_state(self):
        response = self.page("?state=08&measure=rate")
        drawn = response.context["place_map"]["map"]
        chihuahua = Municipality.objects.filter(state_id="08").count()
        self.assertEqual(len(drawn.areas) + len(drawn.missing_codes), chihuahua)
        coloured = [area.code for area in drawn.areas if area.colour != maps.ZERO_COLOUR]
        self.assertEqual(coloured, ["08017"])
        self.assertContains(response, "<title>Cuauhtémoc, Chihuahua: 1.11</title>")
        response = self.page("?map=municipalities")
        self.assertGreater(len(response.context["place_map"]["map"].areas), 2400)

    def test_every_figure_says_what_it_counts(self):
        response = self.page("?state=12")
        self.assertContains(response, "en Guerrero")
        self.assertContains(response, "No son una estimación")
        self.assertContains(response, "Censo 2020")

    def test_outsiders_get_404_and_every_member_may_read(self):
        self.client.force_login(self.outsider)
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/?state=08")
        self.assertEqual(response.status_code, 404)
        for user in self.personas().values():
            with self.subTest(user=user.email):
                self.page(user=user)

    def test_another_organizations_cases_never_count(self):
        context = self.page().context
        self.assertNotIn("Tortura", self.bars(context["by_violation"]))
        self.assertNotIn("Marina", self.bars(context["by_perpetrator"]))
        self.client.force_login(self.outsider)
        response = self.client.get(f"/o/{self.other_org.slug}/cases/statistics/")
        self.assertEqual(response.context["totals"]["events"], 1)


class FiltersTests(SimpleTestCase):
    def test_dates_become_whole_months(self):
        filters = Filters.from_dates(datetime.date(2020, 5, 15), datetime.date(2020, 6, 2))
        self.assertEqual((filters.start, filters.end), (2020 * 12 + 4, 2020 * 12 + 5))
        self.assertTrue(filters.period)
        self.assertFalse(Filters().period)


class KeptFiguresTests(CaseFixtures):
    """The rendered figures are kept per index version, filters and language."""

    def setUp(self):
        super().setUp()
        statistics.forget_rendered()
        self.addCleanup(statistics.forget_rendered)

    def get(self, query=""):
        response = self.client.get(f"/o/{self.org.slug}/cases/statistics/{query}")
        self.assertEqual(response.status_code, 200)
        return response

    def test_a_repeated_request_is_not_counted_again_until_the_index_changes(self):
        self.make_case(start_date=datetime.date(2020, 5, 3))
        caseindex.settled(self.org.pk)  # the class's data stays in an open transaction
        self.client.force_login(self.reader)
        with mock.patch.object(statistics, "figures", wraps=statistics.figures) as counted:
            self.assertContains(self.get(), '<span class="stat">1</span>')
            self.get()
            self.assertEqual(counted.call_count, 1)
            self.get("?state=08")
            self.assertEqual(counted.call_count, 2)
            self.make_case(start_date=datetime.date(2021, 1, 3))
            caseindex.settled(self.org.pk)
            self.assertContains(self.get(), '<span class="stat">2</span>')
            self.assertEqual(counted.call_count, 3)

    def test_a_relabelled_term_shows_at_once(self):
        self.make_case(victim={"given_names": "A"})
        caseindex.settled(self.org.pk)
        self.client.force_login(self.reader)
        self.assertContains(self.get(), "Homicidio")
        term("violation_type", "homicide").__class__.objects.filter(
            vocabulary__code="violation_type", code="homicide"
        ).update(label_es="Homicidio doloso")
        self.assertContains(self.get(), "Homicidio doloso")
