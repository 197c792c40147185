"""The case list in the order of the full date, its search box and its true total."""

from __future__ import annotations

import datetime
from unittest import mock

from memoria.audit.models import AuditEntry
from memoria.cases import actions, listing
from memoria.cases.models import Event
from memoria.places.models import State
from tests.web.cases_fixtures import CaseFixtures, term

DECEMBER = [15, 6, 16, 27]  # recorded in this order: the list sorted them so by month alone


class FullDateOrderTests(CaseFixtures):
    def setUp(self):
        for day in DECEMBER:
            self.make_case(title=f"{day} de diciembre", start_date=datetime.date(2024, 12, day))
        self.make_case(
            title="Diciembre, sin día",
            start_date=datetime.date(2024, 12, 1),
            start_precision="month",
        )
        self.make_case(
            title="Solo 2024", start_date=datetime.date(2024, 1, 1), start_precision="year"
        )
        self.make_case(title="2 de enero", start_date=datetime.date(2024, 1, 2))
        self.make_case(title="Noviembre", start_date=datetime.date(2024, 11, 30))
        self.make_case(title="Sin fecha", start_date=None, start_precision="unknown")
        self.client.force_login(self.documenter)

    def titles(self, **params) -> list[str]:
        response = self.client.get(f"/o/{self.org.slug}/cases/", params)
        self.assertEqual(response.status_code, 200)
        return [event.title for event in response.context["events"]]

    def test_it_lists_the_days_of_one_month_newest_first(self):
        self.assertEqual(
            self.titles(),
            [
                "27 de diciembre",
                "16 de diciembre",
                "15 de diciembre",
                "6 de diciembre",
                "Diciembre, sin día",
                "Noviembre",
                "2 de enero",
                "Solo 2024",
                "Sin fecha",
            ],
        )

    def test_it_lists_them_oldest_first_with_partial_dates_before_their_days(self):
        self.assertEqual(
            self.titles(sort="start"),
            [
                "Solo 2024",
                "2 de enero",
                "Noviembre",
                "Diciembre, sin día",
                "6 de diciembre",
                "15 de diciembre",
                "16 de diciembre",
                "27 de diciembre",
                "Sin fecha",
            ],
        )

    def test_the_sorts_by_state_and_status_order_each_group_by_full_date(self):
        newest_first = self.titles()
        self.make_case(title="Cerrado", start_date=datetime.date(2024, 12, 31), status="closed")
        # INEGI order of states (all these are in Chihuahua), then by full date.
        self.assertEqual(self.titles(sort="state"), ["Cerrado", *newest_first])
        # Statuses in code order ("closed" before "open"), then by full date.
        self.assertEqual(self.titles(sort="status"), ["Cerrado", *newest_first])
        self.make_case(title="En Jalisco", start_date=datetime.date(2024, 12, 20),
                       state=State.objects.get(code="14"), municipality=None)  # fmt: skip
        self.assertEqual(self.titles(sort="state")[-1], "En Jalisco")

    def test_a_month_split_between_pages_is_split_in_date_order(self):
        with mock.patch.object(listing, "PAGE_SIZE", 3):
            pages = [self.titles(page=n) for n in (1, 2, 3)]
        self.assertEqual(pages[0], ["27 de diciembre", "16 de diciembre", "15 de diciembre"])
        self.assertEqual(pages[1], ["6 de diciembre", "Diciembre, sin día", "Noviembre"])
        self.assertEqual(pages[2], ["2 de enero", "Solo 2024", "Sin fecha"])

    def test_a_filtered_list_and_a_capped_one_keep_the_date_order(self):
        homicide = self.make_case(title="28 de diciembre", start_date=datetime.date(2024, 12, 28))
        self.add_victim(homicide, violation="homicide")
        for day in (3, 20):
            case = self.make_case(title=f"{day} de dic.", start_date=datetime.date(2024, 12, day))
            self.add_victim(case, violation="homicide")
        homicide_id = term("violation_type", "homicide").pk
        self.assertEqual(
            self.titles(violation_type=homicide_id), ["28 de diciembre", "20 de dic.", "3 de dic."]
        )
        with mock.patch.object(listing, "COUNT_CAP", 4), mock.patch.object(listing, "PAGE_SIZE", 2):
            self.assertEqual(self.titles(page=2), ["20 de dic.", "16 de diciembre"])


class TotalTests(CaseFixtures):
    def setUp(self):
        for year in range(2001, 2006):
            self.make_case(title=f"Caso de {year}", start_date=datetime.date(year, 1, 1))
        self.client.force_login(self.reader)

    def test_it_shows_the_exact_total_and_the_number_matching_filters(self):
        self.assertContains(self.client.get(f"/o/{self.org.slug}/cases/"), "5 casos en total.")
        filtered = self.client.get(f"/o/{self.org.slug}/cases/", {"date_from": "2004-01-01"})
        self.assertContains(filtered, "2 casos coinciden con los filtros.")

    def test_past_the_cap_it_says_more_than_and_the_pages_go_on(self):
        with mock.patch.object(listing, "COUNT_CAP", 3), mock.patch.object(listing, "PAGE_SIZE", 2):
            first = self.client.get(f"/o/{self.org.slug}/cases/")
            last = self.client.get(f"/o/{self.org.slug}/cases/", {"page": 3})
        self.assertContains(first, "Más de 3 casos coinciden")
        self.assertContains(first, "puedes llegar a todas las páginas")
        self.assertNotContains(first, "acota los filtros")
        self.assertContains(first, 'rel="next"')
        self.assertEqual([e.title for e in last.context["events"]], ["Caso de 2001"])


class CaseSearchTests(CaseFixtures):
    def setUp(self):
        self.case = self.make_case(title="Desaparición en Cuauhtémoc")
        self.add_victim(
            self.case,
            violation="enforced_disappearance",
            given_names="María Guadalupe",
            paternal_surname="Hernández",
            maternal_surname="Ramírez",
        )
        self.other = self.make_case(title="Otro caso", start_date=datetime.date(2020, 5, 1))
        self.add_victim(self.other, given_names="Luis", paternal_surname="Acosta")
        self.client.force_login(self.documenter)

    def search(self, text: str):
        return self.client.post(f"/o/{self.org.slug}/cases/search/", {"q": text})

    def test_a_case_number_opens_the_case(self):
        for text in (str(self.case.number), f"#{self.case.number}", f" # {self.case.number} "):
            with self.subTest(text=text):
                response = self.search(text)
                self.assertRedirects(response, f"/o/{self.org.slug}/cases/{self.case.pk}/")

    def test_an_unknown_number_says_so(self):
        response = self.search("#9999")
        self.assertContains(response, "No hay un caso #9999 en esta organización.")

    def test_another_organizations_number_is_not_found(self):
        foreign = self.make_case(self.other_org, title="Caso ajeno")
        Event.objects.filter(pk=foreign.pk).update(number=777)
        self.assertContains(self.search("777"), "No hay un caso #777")

    def test_a_name_lists_the_cases_of_the_people_it_matches(self):
        response = self.search("guadalupe hernandes")
        self.assertEqual([e.title for e in response.context["events"]], [self.case.title])
        self.assertContains(response, "María Guadalupe Hernández Ramírez")
        self.assertContains(response, "1 caso de las personas cuyo nombre coincide.")
        entry = AuditEntry.objects.filter(action="person.search").latest("pk")
        self.assertEqual(entry.details["cases"], 1)
        self.assertNotIn("guadalupe", str(entry.details).lower())

    def test_it_finds_the_case_of_a_relative_too(self):
        relative = self.make_case(title="Caso con familiar", start_date=datetime.date(2021, 1, 1))
        act = self.add_victim(relative, given_names="Pedro", paternal_surname="Soto")
        actions.add_indirect_victim(
            relative,
            self.documenter,
            act.victim,
            term("relationship", "mother"),
            {"given_names": "Rosa", "paternal_surname": "Quintero", "sex": "female"},
        )
        response = self.search("Rosa Quintero")
        self.assertEqual([e.title for e in response.context["events"]], ["Caso con familiar"])

    def test_the_name_never_enters_an_address(self):
        page = self.client.get(f"/o/{self.org.slug}/cases/")
        self.assertContains(page, 'method="post" action="/o/centro-norte/cases/search/"')
        self.assertContains(page, "Los títulos y las descripciones están cifrados")
        self.assertRedirects(
            self.client.get(f"/o/{self.org.slug}/cases/search/", {"q": "Hernández"}),
            f"/o/{self.org.slug}/cases/",
        )

    def test_an_outsider_finds_nothing(self):
        self.client.force_login(self.outsider)
        self.assertEqual(self.search(str(self.case.number)).status_code, 404)
