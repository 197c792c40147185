"""Finding people by name, alias or CURP, tolerant of typos and accents."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from memoria.audit.models import AuditEntry
from memoria.cases.models import (
    Person,
    PersonSearchToken,
)
from memoria.names.curp import curp_check_digit
from tests.web.cases_fixtures import CaseFixtures


class PersonSearchTests(CaseFixtures):
    def setUp(self):
        event = self.make_case()
        self.lupe = self.add_victim(
            event,
            given_names="María Guadalupe",
            paternal_surname="Hernández",
            maternal_surname="Ruiz",
        ).victim
        self.other = self.add_victim(
            event, given_names="José", paternal_surname="González", aliases="El Chato"
        ).victim
        self.client.force_login(self.reader)

    def found(self, query: str) -> list[int]:
        response = self.client.post(f"/o/{self.org.slug}/people/", {"q": query})
        self.assertEqual(response.status_code, 200)
        return [person.pk for person in response.context["people"]]

    def test_it_tolerates_accents_typos_nicknames_and_surname_order(self):
        for query in (
            "maria guadalupe hernandez ruiz",
            "Lupe Hernández",
            "guadalupe hernandes",
            "Ruiz Hernández Guadalupe",
            "Guadalupe Hernandez",
            "GUADALUPE ERNANDEZ RUIS",
        ):
            with self.subTest(query=query):
                self.assertEqual(self.found(query)[0], self.lupe.pk)

    def test_it_narrows_by_pairs_of_words_but_falls_back_to_single_words(self):
        event = self.make_case()
        for given in ("Guadalupe", "Guadalupe", "Rosa"):
            self.add_victim(event, given_names=given, paternal_surname="Hernández")
        # A misspelt given name: the two surnames together still find her.
        self.assertEqual(self.found("Gudalupe Hernandez Ruiz")[0], self.lupe.pk)
        # Given name and surname together leave out Rosa Hernández.
        found = self.found("Lupe Hernández")
        self.assertEqual(len(found), 3)
        # No two words match together: single words still find people.
        self.assertIn(self.lupe.pk, self.found("Ruiz Xalapa"))

    def test_it_finds_a_person_by_their_curp(self):
        first17 = "HERG900101MCHRZD0"
        curp = first17 + str(curp_check_digit(first17))
        self.client.force_login(self.documenter)
        data = self.person_form_data(self.lupe, curp=curp)
        self.client.post(f"/o/{self.org.slug}/people/{self.lupe.pk}/edit/", data)
        self.client.force_login(self.reader)
        self.assertEqual(self.found(curp), [self.lupe.pk])
        self.assertEqual(self.found(f" {curp.lower()} "), [self.lupe.pk])
        self.assertEqual(self.found(f"Hernández {curp}")[0], self.lupe.pk)

    def test_it_finds_a_name_with_a_dropped_or_swapped_letter(self):
        for query, person in (
            ("Hernadez", self.lupe),
            ("Hernádnez", self.lupe),
            ("Guadalpue", self.lupe),
            ("Gonzlez", self.other),
        ):
            with self.subTest(query=query):
                self.assertEqual(self.found(query), [person.pk])

    def test_it_ranks_exact_and_phonetic_matches_above_typo_matches(self):
        event = self.make_case()
        fernandez = self.add_victim(event, given_names="Ana", paternal_surname="Fernández").victim
        hernandes = self.add_victim(event, given_names="Eva", paternal_surname="Hernandes").victim
        found = self.found("Hernández")
        self.assertEqual(set(found[:2]), {self.lupe.pk, hernandes.pk})
        self.assertEqual(found[2:], [fernandez.pk])

    def test_it_rebuilds_the_index_of_people_recorded_before_the_typo_keys(self):
        import argparse

        from memoria.cli import reindex

        PersonSearchToken.objects.filter(organization=self.org).delete()
        self.assertEqual(self.found("Hernadez"), [])
        parser = argparse.ArgumentParser(prog="memoria")
        reindex.register(parser.add_subparsers())
        args = parser.parse_args(["reindex", "--organization", self.org.slug, "--batch-size", "1"])
        with redirect_stdout(io.StringIO()) as out:
            self.assertEqual(args.handler(args), 0)
        self.assertIn("2 people", out.getvalue())
        self.assertEqual(self.found("Hernadez"), [self.lupe.pk])
        self.assertEqual(self.found("José González")[0], self.other.pk)
        entry = AuditEntry.objects.get(action="cases.reindex")
        self.assertEqual(entry.details, {"people": 2, "via": "cli"})

    def test_it_finds_by_alias(self):
        self.assertEqual(self.found("chato")[0], self.other.pk)

    def test_it_ranks_the_best_match_first_and_finds_nothing_for_strangers(self):
        self.assertEqual(self.found("José González")[0], self.other.pk)
        self.assertEqual(self.found("Wenceslao Yáñez"), [])

    def test_it_never_finds_another_organizations_people(self):
        self.make_case(
            self.other_org, victim={"given_names": "Guadalupe", "paternal_surname": "Hernández"}
        )
        self.assertEqual(self.found("Guadalupe Hernández"), [self.lupe.pk])

    def test_it_finds_a_person_under_their_new_name_after_an_edit(self):
        self.client.force_login(self.documenter)
        data = self.person_form_data(self.lupe, paternal_surname="Quintero")
        response = self.client.post(f"/o/{self.org.slug}/people/{self.lupe.pk}/edit/", data)
        self.assertRedirects(response, f"/o/{self.org.slug}/people/{self.lupe.pk}/")
        self.assertEqual(self.found("Guadalupe Quintero"), [self.lupe.pk])
        self.assertNotIn(self.lupe.pk, self.found("Hernández"))

    def person_form_data(self, person: Person, **overrides) -> dict:
        data = {
            "given_names": person.given_names,
            "paternal_surname": person.paternal_surname,
            "maternal_surname": person.maternal_surname,
            "sex": person.sex,
            "visibility": person.visibility,
            "version": person.version,
        }
        data.update(overrides)
        return data
