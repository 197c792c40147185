"""``memoria privacy-report``: what the raw tables say about victims, without any key."""

from __future__ import annotations

import datetime
import io
from contextlib import redirect_stdout

from memoria.cases import actions, privacy, search
from memoria.cases.models import PersonSearchToken
from memoria.cli import main
from memoria.places.models import State
from tests.web.cases_fixtures import CaseFixtures, term


class PrivacyReportTests(CaseFixtures):
    def three_victims_one_unique(self):
        """Two people killed in one case, and a third tortured in it: the third alone is unique."""
        event = self.make_case()
        self.add_victim(event, given_names="Ana", paternal_surname="Ruiz", sex="female")
        self.add_victim(event, given_names="Eva", paternal_surname="Ruiz", sex="female")
        self.add_victim(
            event, violation="torture", given_names="Luis", paternal_surname="Soto", sex="male"
        )
        return event

    def test_it_counts_the_victims_alone_in_their_group(self):
        self.three_victims_one_unique()
        report = privacy.measure()
        for layer in report.layers[1:]:  # those with the violation type
            self.assertEqual((layer.victims, layer.unique), (3, 1), layer.label)
            self.assertEqual(layer.smallest_group, 1)
            self.assertAlmostEqual(layer.unique_share, 1 / 3)
            self.assertEqual((layer.direct_victims, layer.direct_unique), (3, 1))
        self.assertEqual(report.layers[0].unique, 0)  # place and month alone: all alike

    def test_sex_is_encrypted_so_a_man_and_a_woman_otherwise_alike_are_not_told_apart(self):
        event = self.make_case()
        self.add_victim(event, given_names="Ana", sex="female", birth_date=None)
        self.add_victim(event, given_names="Luis", sex="male", birth_date=None)
        layer = privacy.measure().layers[-1]
        self.assertEqual((layer.victims, layer.unique, layer.smallest_group), (2, 0, 2))

    def test_a_victim_in_a_group_of_two_is_not_unique(self):
        event = self.three_victims_one_unique()
        self.add_victim(event, violation="torture", given_names="Raúl", sex="male")
        layer = privacy.measure().layers[-1]
        self.assertEqual((layer.victims, layer.unique, layer.smallest_group), (4, 0, 2))

    def test_the_place_and_month_no_longer_tell_victims_apart(self):
        """The month is only in the encrypted case index, the place is encrypted."""
        event = self.three_victims_one_unique()
        other = self.make_case(
            start_date=event.start_date.replace(year=2010),
            state=State.objects.get(code="32"),
            municipality=None,
        )
        self.add_victim(other, given_names="Ana", paternal_surname="Ruiz", sex="female")
        layer = privacy.measure().layers[0]
        self.assertEqual((layer.victims, layer.unique), (4, 0))

    def test_an_indirect_victim_is_measured_with_the_case_of_their_relative(self):
        event = self.three_victims_one_unique()
        luis = event.acts.get(violation_type=term("violation_type", "torture")).victim
        mother = term("relationship", "mother")
        for given in ("Rosa", "Irma"):
            actions.add_indirect_victim(
                event, self.documenter, luis, mother, {"given_names": given, "sex": "female"}
            )
        report = privacy.measure()
        layer = report.layers[-1]
        # The two mothers look alike; the tortured man is still alone.
        self.assertEqual((layer.victims, layer.unique, layer.direct_unique), (5, 1, 1))

    def test_what_a_perpetrator_knows_tells_victims_apart_only_by_what_stays_in_clear(self):
        """Place, dates, sex, profile, situation and perpetrator are encrypted; the violation
        and the number of people in the case are not."""
        first = self.make_case()
        self.add_victim(first, sex="female", is_defender=True, perpetrator="army")
        self.add_victim(first, sex="male", perpetrator="municipal_police")
        second = self.make_case(
            start_date=datetime.date(2019, 3, 30),
            start_precision="month",
            state=State.objects.get(code="32"),
            municipality=None,
            status="closed",
        )
        self.add_victim(second, sex="male", is_child=True, is_journalist=True, perpetrator="navy")
        self.add_victim(second, violation="torture", perpetrator="army")  # the only torture
        third = self.make_case()
        self.add_victim(third, sex="female", perpetrator="army")  # the only case of one victim
        layer = next(lay for lay in privacy.measure().layers if lay.label == privacy.QI_LABEL)
        self.assertEqual((layer.direct_victims, layer.direct_unique), (5, 2))
        self.assertAlmostEqual(layer.direct_share, 2 / 5)
        self.assertEqual(layer.smallest_group, 1)

    def test_the_index_report_counts_rows_per_person_and_shared_values(self):
        self.three_victims_one_unique()
        index = privacy.measure().index
        self.assertEqual(index.people, 3)
        rows = PersonSearchToken.objects.values_list("person_id", flat=True)
        self.assertEqual(sorted(index.rows_per_person), sorted(_counts(rows)))
        tokens = PersonSearchToken.objects.values_list("token", flat=True)
        counts = _counts(tokens)
        self.assertEqual(index.keys, len(counts))
        self.assertEqual(index.shared_keys, sum(1 for n in counts if n > 1))
        self.assertGreater(index.shared_keys, 0)  # the two Ruiz share their surname's keys

    def test_every_person_has_as_many_index_rows_whatever_the_length_of_their_name(self):
        event = self.make_case()
        self.add_victim(event, given_names="Eva", paternal_surname="Paz", sex="female")
        self.add_victim(
            event,
            given_names="María Guadalupe",
            paternal_surname="Hernández",
            maternal_surname="Castañeda",
            sex="female",
        )
        index = privacy.measure().index
        self.assertEqual(index.rows_per_person, [search.PADDED_KEYS, search.PADDED_KEYS])
        self.add_victim(
            event,
            given_names="María de los Ángeles Guadalupe",
            paternal_surname="Hernández Villaseñor",
            maternal_surname="Castañeda",
            sex="female",
        )
        longest = max(privacy.measure().index.rows_per_person)
        self.assertEqual(longest % search.PADDING_STEP, 0)
        hits = search.search_people(self.org, "eva paz")
        self.assertEqual(len(hits), 1)

    def test_an_encrypted_date_tells_only_that_it_is_set(self):
        testimony = term("source_kind", "testimony")
        for day in (2, 27):
            event = self.make_case()
            self.add_victim(event, sex="female")
            source = {"kind": testimony, "reliability": "high", "date": event.start_date}
            actions.add_source(
                event, self.documenter, {**source, "date": source["date"].replace(day=day)}
            )
        layer = privacy.measure().layers[-1]
        self.assertEqual((layer.victims, layer.unique, layer.smallest_group), (2, 0, 2))

    def test_every_clear_column_of_the_case_tables_is_measured_or_explained(self):
        self.assertEqual(privacy.unclassified_columns(), [])

    def test_the_command_prints_the_report(self):
        self.three_victims_one_unique()
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(main(["privacy-report"]), 0)
        self.assertIn("every column in clear: 3 victims, 1 unique (33.3%", out.getvalue())
        self.assertIn("search index: 3 people", out.getvalue())


def _counts(values) -> list[int]:
    seen: dict = {}
    for value in values:
        seen[value] = seen.get(value, 0) + 1
    return list(seen.values())
