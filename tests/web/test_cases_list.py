"""The case list: filters, order, pagination and the counting cap."""

from __future__ import annotations

import datetime
from unittest import mock

from memoria.places.models import Municipality, State
from tests.web.cases_fixtures import CaseFixtures, term


class CaseListTests(CaseFixtures):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()

    def setUp(self):
        self.disappearance = self.make_case(
            title="Desaparición en Cuauhtémoc",
            start_date=datetime.date(2019, 3, 14),
            status="verified",
        )
        self.add_victim(
            self.disappearance,
            violation="enforced_disappearance",
            perpetrator="municipal_police",
            given_names="Pedro",
            is_journalist=True,
        )
        self.killing = self.make_case(
            title="Homicidio en Guadalajara",
            start_date=datetime.date(2012, 6, 2),
            state=State.objects.get(code="14"),
            municipality=Municipality.objects.get(cvegeo="14039"),
        )
        self.add_victim(self.killing, perpetrator="organized_crime", given_names="Luis")
        self.client.force_login(self.analyst)

    def titles(self, **params) -> list[str]:
        response = self.client.get(f"/o/{self.org.slug}/cases/", params)
        self.assertEqual(response.status_code, 200)
        return [event.title for event in response.context["events"]]

    def test_it_lists_the_organizations_cases_newest_first(self):
        self.make_case(self.other_org, title="Caso ajeno")
        self.assertEqual(self.titles(), ["Desaparición en Cuauhtémoc", "Homicidio en Guadalajara"])

    def test_it_filters_by_each_criterion(self):
        both = ["Desaparición en Cuauhtémoc", "Homicidio en Guadalajara"]
        cases = [
            ({"state": "14"}, ["Homicidio en Guadalajara"]),
            ({"state": "08", "municipality": "08017"}, ["Desaparición en Cuauhtémoc"]),
            ({"status": "verified"}, ["Desaparición en Cuauhtémoc"]),
            (
                {"violation_type": term("violation_type", "homicide").pk},
                ["Homicidio en Guadalajara"],
            ),
            (
                {"perpetrator_kind": term("perpetrator_kind", "municipal_police").pk},
                ["Desaparición en Cuauhtémoc"],
            ),
            ({"profile": "is_journalist"}, ["Desaparición en Cuauhtémoc"]),
            ({"date_from": "2019-01-01"}, ["Desaparición en Cuauhtémoc"]),
            ({"date_to": "2015-12-31"}, ["Homicidio en Guadalajara"]),
            ({"date_from": "2019-03-20", "date_to": "2019-03-31"}, ["Desaparición en Cuauhtémoc"]),
            ({"sort": "start"}, both[::-1]),
            ({"sort": "-number"}, both[::-1]),
        ]
        for params, expected in cases:
            with self.subTest(params=params):
                self.assertEqual(self.titles(**params), expected)

    def test_it_paginates(self):
        for _i in range(30):
            self.make_case(start_date=datetime.date(2000, 1, 1))
        first = self.client.get(f"/o/{self.org.slug}/cases/")
        self.assertContains(first, "32 casos")
        self.assertContains(first, "Página 1 de 2")
        self.assertEqual(len(first.context["events"]), 25)
        second = self.client.get(f"/o/{self.org.slug}/cases/", {"page": 2, "state": "08"})
        self.assertEqual(len(second.context["events"]), 6)

    def test_it_stops_counting_at_the_cap(self):
        from memoria.cases import listing

        for _i in range(4):
            self.make_case()
        with mock.patch.object(listing, "COUNT_CAP", 3):
            response = self.client.get(f"/o/{self.org.slug}/cases/")
        self.assertContains(response, "Más de 3 casos coinciden")

    def test_it_lists_undated_cases_last_whichever_the_order(self):
        self.make_case(title="Sin fecha", start_date=None, start_precision="unknown")
        self.assertEqual(self.titles()[-1], "Sin fecha")
        self.assertEqual(self.titles(sort="start")[-1], "Sin fecha")

    def test_it_sorts_by_state_in_inegi_order(self):
        self.make_case(title="En Zacatecas", state=State.objects.get(code="32"), municipality=None)
        self.make_case(title="En Coahuila", state=State.objects.get(code="05"), municipality=None)
        self.make_case(title="En Chiapas", state=State.objects.get(code="07"), municipality=None)
        self.make_case(title="Sin estado", state=None, municipality=None)
        titles = [title for title in self.titles(sort="state") if title.startswith(("En", "Sin"))]
        self.assertEqual(titles, ["En Coahuila", "En Chiapas", "En Zacatecas", "Sin estado"])

    def test_it_reaches_every_page_past_the_counting_cap(self):
        from memoria.cases import listing

        for year in range(2001, 2006):
            self.make_case(title=f"Caso de {year}", start_date=datetime.date(year, 1, 1))
        with mock.patch.object(listing, "COUNT_CAP", 3), mock.patch.object(listing, "PAGE_SIZE", 2):
            third = self.client.get(f"/o/{self.org.slug}/cases/", {"page": 3})
            last = self.client.get(f"/o/{self.org.slug}/cases/", {"page": 4})
        self.assertContains(third, "Más de 3 casos coinciden")
        self.assertContains(third, "Página 3")
        self.assertContains(third, 'rel="next"')
        self.assertEqual([e.title for e in last.context["events"]], ["Caso de 2001"])
        self.assertContains(last, "Página 4")
        self.assertNotContains(last, 'rel="next"')

    def test_it_answers_a_page_past_the_end_of_a_capped_list_with_the_first(self):
        from memoria.cases import listing

        for year in range(2001, 2006):
            self.make_case(title=f"Caso de {year}", start_date=datetime.date(year, 1, 1))
        with mock.patch.object(listing, "COUNT_CAP", 3), mock.patch.object(listing, "PAGE_SIZE", 2):
            for page in ("300", "x", "0", "-1"):
                with self.subTest(page=page):
                    response = self.client.get(f"/o/{self.org.slug}/cases/", {"page": page})
                    self.assertEqual(response.status_code, 200)
                    if page in ("300", "x"):  # past the unknown end, or not a number
                        self.assertContains(response, "Página 1")

    def test_it_shows_the_violations_on_the_list(self):
        response = self.client.get(f"/o/{self.org.slug}/cases/")
        self.assertContains(response, "Desaparición forzada (por agentes del Estado)")
        self.assertContains(response, "Guadalajara, Jalisco")
