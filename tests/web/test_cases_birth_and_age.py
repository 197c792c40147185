"""A direct victim's birth date, age and the date of the events must agree.

Born after the events, or an age more than a year off what the birth date
gives, is refused with a message naming the field, in the victim and person
forms and in imports. Partial dates count as the range of days they may mean.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from memoria.cases import actions
from memoria.cases.ages import check_birth_and_age
from memoria.cases.io.importer import import_table
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import read_table
from memoria.cases.models import Event, Person
from tests.web.cases_fixtures import CaseFixtures, event_data, term, victim_data


def problem(birth, birth_precision, age, event, event_precision):
    with translation.override("en"):
        return check_birth_and_age(birth, birth_precision, age, event, event_precision)


class AgreementTests(CaseFixtures):
    def test_it_refuses_a_birth_after_the_events(self):
        found = problem(dt.date(2025, 1, 5), "day", None, dt.date(2024, 6, 1), "day")
        self.assertEqual(found.field, "birth_date")
        self.assertIn("(05/01/2025) is after the date of the events (01/06/2024)", found.message)

    def test_it_refuses_an_age_the_birth_date_contradicts_and_says_what_it_implies(self):
        found = problem(dt.date(1990, 1, 1), "year", 80, dt.date(2024, 1, 1), "year")
        self.assertEqual(found.field, "age")
        self.assertIn("An age of 80", found.message)
        self.assertIn("born 1990, the person was 33 or 34 years old", found.message)
        exact = problem(dt.date(1990, 5, 1), "day", 36, dt.date(2024, 3, 1), "day")
        self.assertIn("was 33 years old at the time of the events (01/03/2024)", exact.message)

    def test_it_allows_a_year_either_way_and_whatever_partial_dates_may_mean(self):
        for birth, birth_precision, age, event, event_precision in (
            (dt.date(1990, 5, 1), "day", 33, dt.date(2024, 3, 1), "day"),  # exact
            (dt.date(1990, 5, 1), "day", 34, dt.date(2024, 3, 1), "day"),  # rounded up
            (dt.date(1990, 5, 1), "day", 32, dt.date(2024, 3, 1), "day"),  # a year off
            (dt.date(1990, 1, 1), "year", 35, dt.date(2024, 1, 1), "year"),
            (dt.date(2024, 1, 1), "year", 0, dt.date(2024, 1, 1), "year"),  # same year
            (dt.date(2024, 6, 1), "month", None, dt.date(2024, 6, 20), "day"),
            (dt.date(1990, 1, 1), "year", 90, None, "unknown"),  # no event date
            (None, "unknown", 80, dt.date(2024, 1, 1), "year"),  # no birth date
        ):
            with self.subTest(birth=birth, age=age, event=event):
                self.assertIsNone(problem(birth, birth_precision, age, event, event_precision))


class FormTests(CaseFixtures):
    def setUp(self):
        super().setUp()
        self.event = self.make_case(start_date=dt.date(2019, 3, 14), start_precision="day")
        self.client.force_login(self.documenter)
        self.url = f"/o/{self.org.slug}/cases/{self.event.pk}/victims/new/"

    def test_the_victim_form_refuses_a_birth_after_the_events(self):
        response = self.client.post(
            self.url, victim_data(birth_year="2020", birth_month="1", birth_day="2")
        )
        self.assertEqual(response.status_code, 200)
        errors = response.context["form"].errors
        self.assertIn("birth_year", errors)
        self.assertIn(
            "(02/01/2020) es posterior a la fecha de los hechos (14/03/2019)", str(errors)
        )
        self.assertFalse(Person.objects.exists())

    def test_the_victim_form_refuses_an_age_the_birth_date_contradicts(self):
        response = self.client.post(self.url, victim_data(birth_year="1990", age="80"))
        errors = response.context["form"].errors
        self.assertEqual(list(errors), ["age"])
        self.assertIn("28 o 29 años", str(errors["age"]))
        self.assertFalse(Person.objects.exists())
        response = self.client.post(self.url, victim_data(birth_year="1990", age="29"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Person.objects.get().age, 29)

    def test_the_person_form_checks_against_the_first_event_of_the_victim(self):
        act = self.add_victim(self.event, given_names="Ana", paternal_surname="Zubiría")
        later = self.make_case(start_date=dt.date(2023, 1, 1), start_precision="year")
        self.add_victim(later, given_names="Otra", paternal_surname="Persona")
        person = act.victim
        url = f"/o/{self.org.slug}/people/{person.pk}/edit/"
        data = {
            "given_names": "Ana", "paternal_surname": "Zubiría", "sex": "female",
            "visibility": "private", "version": person.version,
        }  # fmt: skip
        response = self.client.post(url, {**data, "birth_year": "2021"})
        self.assertIn("birth_year", response.context["form"].errors)
        response = self.client.post(url, {**data, "birth_year": "2000", "age": "45"})
        self.assertIn("age", response.context["form"].errors)
        person.refresh_from_db()
        self.assertIsNone(person.birth_date)
        response = self.client.post(url, {**data, "birth_year": "2000", "age": "19"})
        self.assertEqual(response.status_code, 302)
        person.refresh_from_db()
        self.assertEqual((person.birth_date, person.age), (dt.date(2000, 1, 1), 19))

    def test_the_person_form_finds_the_earliest_of_several_cases_by_its_day(self):
        # The day is encrypted: ordering by it in the database would pick any case.
        act = self.add_victim(self.event, given_names="Ana", paternal_surname="Zubiría")
        person = act.victim
        for year in (2021, 2022, 2023, 2024, 2025):
            later = self.make_case(start_date=dt.date(year, 1, 1), start_precision="day")
            actions.add_victim(
                later,
                self.documenter,
                {},
                {"violation_type": term("violation_type", "threat"), "description": ""},
                person=person,
            )
        person.refresh_from_db()
        url = f"/o/{self.org.slug}/people/{person.pk}/edit/"
        data = {
            "given_names": "Ana", "paternal_surname": "Zubiría", "sex": "female",
            "visibility": "private", "version": person.version,
        }  # fmt: skip
        response = self.client.post(url, {**data, "birth_year": "2020"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("(14/03/2019)", str(response.context["form"].errors["birth_year"]))

    def test_a_relative_may_be_born_after_the_events(self):
        # A child born after a disappearance is an indirect victim of it.
        from memoria.cases import actions
        from tests.web.cases_fixtures import term

        act = self.add_victim(self.event, given_names="Ana", paternal_surname="Zubiría")
        relative = actions.add_indirect_victim(
            self.event, self.documenter, act.victim, term("relationship", "daughter"),
            {"given_names": "Luz", "paternal_surname": "Zubiría"},
        )  # fmt: skip
        person = relative.person
        response = self.client.post(
            f"/o/{self.org.slug}/people/{person.pk}/edit/",
            {
                "given_names": "Luz", "paternal_surname": "Zubiría", "sex": "female",
                "visibility": "private", "version": person.version, "birth_year": "2021",
            },
        )  # fmt: skip
        self.assertEqual(response.status_code, 302)

    def test_the_case_form_refuses_a_date_before_a_direct_victims_birth(self):
        self.add_victim(self.event, given_names="Ana", paternal_surname="Zubiría",
                        birth_date=dt.date(1990, 1, 1), birth_precision="year")  # fmt: skip
        self.add_victim(self.event, given_names="Eva", paternal_surname="Luna",
                        birth_date=dt.date(2005, 6, 1), birth_precision="month")  # fmt: skip
        url = f"/o/{self.org.slug}/cases/{self.event.pk}/edit/"
        version = self.client.get(url).context["form"]["version"].value()
        dated = {"start_year": "2005", "start_month": "5", "start_day": "31", "version": version}
        response = self.client.post(url, event_data(**dated))
        self.assertEqual(response.status_code, 200)
        errors = response.context["form"].errors
        self.assertEqual(list(errors), ["start_year"])
        self.assertEqual(
            errors["start_year"],
            [
                "Una víctima directa de este caso (nacida en 06/2005) nació después de esta "
                "fecha. Revisa esta fecha o la fecha de nacimiento de la víctima."
            ],
        )
        self.assertNotIn("Eva", str(errors))
        self.event.refresh_from_db()
        self.assertEqual(self.event.start_date, dt.date(2019, 3, 14))
        # A year may mean June 2005, when she was born: not impossible, so it is kept.
        response = self.client.post(
            url, event_data(**{**dated, "start_month": "", "start_day": ""})
        )
        self.assertEqual(response.status_code, 302)
        self.event.refresh_from_db()
        self.assertEqual((self.event.start_date, self.event.start_precision),
                         (dt.date(2005, 1, 1), "year"))  # fmt: skip

    def test_the_case_form_does_not_check_relatives_born_later(self):
        from memoria.cases import actions
        from tests.web.cases_fixtures import term

        act = self.add_victim(self.event, given_names="Ana", paternal_surname="Zubiría",
                              birth_date=dt.date(1990, 1, 1), birth_precision="year")  # fmt: skip
        actions.add_indirect_victim(
            self.event, self.documenter, act.victim, term("relationship", "daughter"),
            {"given_names": "Luz", "paternal_surname": "Zubiría",
             "birth_date": dt.date(2021, 1, 1), "birth_precision": "year"},
        )  # fmt: skip
        url = f"/o/{self.org.slug}/cases/{self.event.pk}/edit/"
        version = self.client.get(url).context["form"]["version"].value()
        response = self.client.post(url, event_data(start_year="2020", version=version))
        self.assertEqual(response.status_code, 302)


HEADER = (
    "Título,Fecha de los hechos,Municipio,Nombre(s),Apellido paterno,Edad,Fecha de nacimiento,"
    "Tipo de violación"
)


class ImportTests(CaseFixtures):
    def run_import(self, *rows: str):
        table = read_table(("\n".join([HEADER, *rows]) + "\n").encode(), "casos.csv")
        with translation.override("en"):
            return import_table(table, guess_mapping(table.headers), self.org, self.documenter)

    def test_it_refuses_impossible_rows_naming_the_field_and_writes_nothing(self):
        report = self.run_import(
            "Homicidio,14/03/2019,08037,Ana,Ruiz,,02/01/2020,homicide",
            "Homicidio,2024,08037,Eva,Luna,80,1990,homicide",
            "Homicidio,2024,08037,Rosa,Soto,34,1990,homicide",
        )
        self.assertFalse(report.committed)
        self.assertEqual(Event.objects.count(), 0)
        bad = {row: [(e.column, e.message) for e in errors] for row, errors in report.bad_rows}
        self.assertEqual(list(bad), [2, 3])
        self.assertEqual(bad[2][0][0], "birth_date")
        self.assertIn("(02/01/2020) is after the date of the events (14/03/2019)", bad[2][0][1])
        self.assertEqual(bad[3][0][0], "age")
        self.assertIn("the person was 33 or 34 years old", bad[3][0][1])

    def test_it_imports_rows_that_agree(self):
        report = self.run_import(
            "Homicidio,2024,08037,Rosa,Soto,34,1990,homicide",
            "Homicidio,14/03/2019,08037,Ana,Ruiz,,14/03/2019,homicide",
        )
        self.assertTrue(report.committed, report.errors)
        self.assertEqual(Person.objects.filter(organization=self.org).count(), 2)
