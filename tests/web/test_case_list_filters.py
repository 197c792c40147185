"""The case list's filters on violation, perpetrator and victim profile read per-event facets.

The facets (``EventFacet``) are derived from acts, attributions and people.
These tests check that the list shows exactly what the former subquery
filters showed, over a varied generated data set and every filter
combination, and that each write path keeps the facets current.
"""

from __future__ import annotations

import datetime
import importlib
import itertools
import random

from django.apps import apps
from django.db import connection

from memoria.cases import actions
from memoria.cases.demo import load_demo_cases
from memoria.cases.forms import CaseFilterForm
from memoria.cases.io.importer import import_table
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import read_table
from memoria.cases.listing import (
    PROFILE_CODES,
    SORTS,
    filter_events,
    filter_events_by_subqueries,
    refine_by_date,
)
from memoria.cases.models import (
    PROFILE_FLAGS,
    Act,
    Attribution,
    Event,
    EventFacet,
    Person,
    Term,
    Vocabulary,
)
from memoria.places.models import Municipality, State
from tests.web.base import MemoriaTestCase


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code, organization=None)


def expected_facets(organization) -> set[tuple]:
    """The facets every event of ``organization`` should have, worked out in Python."""
    kinds = EventFacet.Kind
    events = {e.pk: e for e in Event.objects.filter(organization=organization)}
    rows = set()

    def add(event_id, kind, value):
        event = events[event_id]
        rows.add((event_id, kind, value, event.state_id or "", event.start_month, event.number))

    for act in Act.objects.filter(organization=organization).select_related("victim"):
        add(act.event_id, kinds.VIOLATION, act.violation_type_id)
        for flag, code in PROFILE_CODES.items():
            if getattr(act.victim, flag):
                add(act.event_id, kinds.PROFILE, code)
    for attribution in Attribution.objects.filter(organization=organization):
        add(attribution.event_id, kinds.PERPETRATOR, attribution.kind_id)
    return rows


def stored_facets(organization) -> set[tuple]:
    return set(
        EventFacet.objects.filter(organization=organization).values_list(
            "event_id", "kind", "value", "state_code", "start_month", "number"
        )
    )


class FacetAssertions:
    def assertFacetsCurrent(self, organization=None):  # noqa: N802 - unittest style
        organization = organization or self.org
        self.assertEqual(stored_facets(organization), expected_facets(organization))

    def listed(self, params: dict, organization=None) -> list[int]:
        organization = organization or self.org
        form = CaseFilterForm(params, organization=organization)
        self.assertTrue(form.is_valid(), form.errors)
        return list(filter_events(organization, form).values_list("number", flat=True))

    def listed_before(self, params: dict, organization=None) -> list[int]:
        organization = organization or self.org
        form = CaseFilterForm(params, organization=organization)
        return list(
            filter_events_by_subqueries(organization, form).values_list("number", flat=True)
        )


class SameResultsAsTheSubqueryFiltersTests(FacetAssertions, MemoriaTestCase):
    """Over generated cases, edited afterwards, the facets give exactly the old results."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_demo_cases(cls.org, count=240, seed=7)
        load_demo_cases(cls.other_org, count=60, seed=8)
        rng = random.Random(9)
        # Terms of the organization's own, on a few acts and attributions.
        cls.own_violation = actions.add_term(
            cls.org,
            Vocabulary.objects.get(code="violation_type"),
            {"code": "forced_displacement_local", "label_es": "Desplazamiento local",
             "label_en": "Local displacement"},
        )  # fmt: skip
        cls.own_perpetrator = actions.add_term(
            cls.org,
            Vocabulary.objects.get(code="perpetrator_kind"),
            {"code": "mining_company_guards", "label_es": "Guardias de minera",
             "label_en": "Mining company guards"},
        )  # fmt: skip
        acts = list(Act.objects.filter(organization=cls.org).select_related("event", "victim"))
        for act in rng.sample(acts, 25):
            extra = actions.add_act(
                act.event, cls.documenter, act.victim,
                {"violation_type": cls.own_violation, "situation": None, "description": ""},
            )  # fmt: skip
            if rng.random() < 0.6:
                actions.add_attribution(
                    extra,
                    cls.documenter,
                    {"kind": cls.own_perpetrator, "confidence": "low", "basis": None},
                )
        # Rare profiles on a few people; some acts removed, one case left undated.
        people = list(Person.objects.filter(organization=cls.org, acts__isnull=False).distinct())
        for person in rng.sample(people, 30):
            flag = rng.choice([f for f, _label in PROFILE_FLAGS])
            actions.update_person(person, cls.documenter, {flag: True}, person.version)
        for act in rng.sample(acts, 10):
            actions.remove_record(act, cls.documenter, Act.objects.get(pk=act.pk).version)
        event = Event.objects.filter(organization=cls.org, start_month__isnull=False).first()
        actions.update_event(
            event, cls.documenter, {"start_date": None, "start_precision": "unknown"}, 1
        )

    def compare(self, params: dict) -> list[int]:
        after = self.listed(params)
        self.assertEqual(after, self.listed_before(params), params)
        return after

    def test_it_keeps_the_facets_of_every_event_current(self):
        self.assertFacetsCurrent()
        self.assertFacetsCurrent(self.other_org)

    def test_it_lists_the_same_cases_for_every_single_filter_and_sort(self):
        form = CaseFilterForm({}, organization=self.org)
        violations = list(form.fields["violation_type"].queryset)
        perpetrators = list(form.fields["perpetrator_kind"].queryset)
        self.assertIn(self.own_violation, violations)
        params = (
            [{"violation_type": t.pk} for t in violations]
            + [{"perpetrator_kind": t.pk} for t in perpetrators]
            + [{"profile": flag} for flag, _label in PROFILE_FLAGS]
        )
        nonempty = 0
        for base, sort in itertools.product(params, SORTS):
            with self.subTest(base=base, sort=sort):
                nonempty += bool(self.compare({**base, "sort": sort}))
        self.assertGreater(nonempty, len(SORTS) * 15)

    def test_it_lists_the_same_cases_for_every_combination_of_the_three(self):
        form = CaseFilterForm({}, organization=self.org)
        violations = [None, *(t.pk for t in form.fields["violation_type"].queryset)]
        perpetrators = [None, *(t.pk for t in form.fields["perpetrator_kind"].queryset)]
        profiles = [None, *PROFILE_CODES]
        nonempty = 0
        for violation, perpetrator, profile in itertools.product(
            violations, perpetrators, profiles
        ):
            params = {
                key: value
                for key, value in (
                    ("violation_type", violation),
                    ("perpetrator_kind", perpetrator),
                    ("profile", profile),
                )
                if value is not None
            }
            with self.subTest(params=params):
                nonempty += len(self.compare(params)) > 0
        self.assertGreater(nonempty, 100)

    def test_it_lists_the_same_cases_with_places_dates_status_and_sorts(self):
        rng = random.Random(10)
        form = CaseFilterForm({}, organization=self.org)
        violations = [t.pk for t in form.fields["violation_type"].queryset]
        perpetrators = [t.pk for t in form.fields["perpetrator_kind"].queryset]
        states = list(
            Event.objects.filter(organization=self.org, state__isnull=False)
            .values_list("state_id", flat=True)
            .distinct()
        )
        municipalities = list(
            Event.objects.filter(organization=self.org, municipality__isnull=False)
            .values_list("state_id", "municipality_id")
            .distinct()
        )
        for _i in range(400):
            params = {"sort": rng.choice(list(SORTS))}
            if rng.random() < 0.6:
                params["violation_type"] = rng.choice(violations)
            if rng.random() < 0.5:
                params["perpetrator_kind"] = rng.choice(perpetrators)
            if rng.random() < 0.4:
                params["profile"] = rng.choice(list(PROFILE_CODES))
            if rng.random() < 0.4:
                params["state"] = rng.choice(states)
            elif rng.random() < 0.2:
                params["state"], params["municipality"] = rng.choice(municipalities)
            if rng.random() < 0.3:
                params["status"] = rng.choice(list(Event.Status.values))
            if rng.random() < 0.4:
                year = rng.randint(2006, 2024)
                params["date_from"] = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if rng.random() < 0.4:
                year = rng.randint(2006, 2025)
                params["date_to"] = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            with self.subTest(params=params):
                self.compare(params)

    def test_it_pages_the_same_way(self):
        disappearance = term("violation_type", "enforced_disappearance").pk
        for params in ({}, {"violation_type": disappearance}, {"profile": "is_searching_relative"}):
            with self.subTest(params=params):
                response = self.client_get_list(params)
                numbers = [event.number for event in response.context["events"]]
                # The page is in full-date order: the reference's first page, refined too.
                form = CaseFilterForm(params, organization=self.org)
                before = refine_by_date(
                    filter_events_by_subqueries(self.org, form), 0, 25, "-start"
                )
                self.assertEqual(numbers, [event.number for event in before])

    def client_get_list(self, params):
        self.client.force_login(self.analyst)
        response = self.client.get(f"/o/{self.org.slug}/cases/", params)
        self.assertEqual(response.status_code, 200)
        return response

    def test_it_never_shows_another_organizations_cases(self):
        army = term("perpetrator_kind", "army").pk
        theirs = set(Event.objects.filter(organization=self.other_org).values_list("pk", flat=True))
        form = CaseFilterForm({"perpetrator_kind": army}, organization=self.org)
        self.assertTrue(form.is_valid())
        ours = set(filter_events(self.org, form).values_list("pk", flat=True))
        self.assertTrue(ours)
        self.assertFalse(ours & theirs)

    def test_the_migration_backfill_writes_the_same_facets(self):
        migration = importlib.import_module("memoria.cases.migrations.0009_event_facets")
        EventFacet.objects.all().delete()
        migration.BATCH = 37  # several ranges, as on a big table
        migration.fill(apps, connection)
        self.assertFacetsCurrent()
        self.assertFacetsCurrent(self.other_org)


class WritesKeepTheFiltersCurrentTests(FacetAssertions, MemoriaTestCase):
    """Each write path, and what a person using the list would see after it."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.chihuahua = State.objects.get(code="08")
        cls.cuauhtemoc = Municipality.objects.get(cvegeo="08017")

    def make_case(self, start=datetime.date(2019, 3, 14), **fields) -> Event:
        data = {
            "title": "Caso de prueba",
            "description": "",
            "start_date": start,
            "start_precision": "day" if start else "unknown",
            "end_date": None,
            "end_precision": "unknown",
            "state": self.chihuahua,
            "municipality": self.cuauhtemoc,
            "status": "open",
            **fields,
        }
        return actions.register_case(self.org, self.documenter, data)

    def add_victim(self, event, violation="homicide", perpetrator=None, **person) -> Act:
        person_data = {"given_names": "Ana", "paternal_surname": "Ruiz", "maternal_surname": "",
                       "sex": "female", "visibility": "private", **person}  # fmt: skip
        act_data = {"violation_type": term("violation_type", violation), "situation": None,
                    "description": ""}  # fmt: skip
        attribution = None
        if perpetrator:
            attribution = {"kind": term("perpetrator_kind", perpetrator), "confidence": "medium",
                           "basis": None}  # fmt: skip
        return actions.add_victim(event, self.documenter, person_data, act_data, attribution)

    def by_violation(self, code: str) -> list[int]:
        return self.listed({"violation_type": term("violation_type", code).pk})

    def by_perpetrator(self, code: str) -> list[int]:
        return self.listed({"perpetrator_kind": term("perpetrator_kind", code).pk})

    def test_a_new_victim_brings_the_case_under_its_violation_perpetrator_and_profile(self):
        event = self.make_case()
        self.assertEqual(self.by_violation("torture"), [])
        self.add_victim(event, "torture", "army", is_migrant=True)
        self.assertEqual(self.by_violation("torture"), [event.number])
        self.assertEqual(self.by_perpetrator("army"), [event.number])
        self.assertEqual(self.listed({"profile": "is_migrant"}), [event.number])
        self.assertFacetsCurrent()

    def test_marking_a_person_a_journalist_brings_all_their_cases_under_the_filter(self):
        first, second, other = self.make_case(), self.make_case(), self.make_case()
        act = self.add_victim(first, "threat")
        actions.add_act(
            second, self.documenter, act.victim,
            {"violation_type": term("violation_type", "torture"), "situation": None,
             "description": ""},
        )  # fmt: skip
        self.add_victim(other, "threat")
        self.assertEqual(self.listed({"profile": "is_journalist"}), [])
        person = Person.objects.get(pk=act.victim_id)
        actions.update_person(person, self.documenter, {"is_journalist": True}, person.version)
        self.assertEqual(self.listed({"profile": "is_journalist"}), [second.number, first.number])
        person.refresh_from_db()
        actions.update_person(person, self.documenter, {"is_journalist": False}, person.version)
        self.assertEqual(self.listed({"profile": "is_journalist"}), [])
        self.assertFacetsCurrent()

    def test_a_relative_marked_as_searching_does_not_make_the_case_match(self):
        # The profile filter has always meant the direct victims' profile.
        event = self.make_case()
        act = self.add_victim(event, "enforced_disappearance")
        actions.add_indirect_victim(
            event, self.documenter, act.victim, term("relationship", "mother"),
            {"given_names": "Rosa", "paternal_surname": "Ruiz", "maternal_surname": "",
             "sex": "female", "is_searching_relative": True},
        )  # fmt: skip
        self.assertEqual(self.listed({"profile": "is_searching_relative"}), [])
        self.assertEqual(self.listed_before({"profile": "is_searching_relative"}), [])
        self.assertFacetsCurrent()

    def test_adding_and_changing_an_act_moves_the_case_between_violations(self):
        event = self.make_case()
        act = self.add_victim(event, "threat")
        self.assertEqual(self.by_violation("threat"), [event.number])
        actions.update_act(
            act, self.documenter, {"violation_type": term("violation_type", "torture")}, 1
        )
        self.assertEqual(self.by_violation("threat"), [])
        self.assertEqual(self.by_violation("torture"), [event.number])
        self.assertFacetsCurrent()

    def test_removing_the_act_removes_the_case_from_its_violation_and_perpetrator(self):
        event = self.make_case()
        act = self.add_victim(event, "torture", "army", is_defender=True)
        kept = self.add_victim(event, "threat")
        actions.remove_record(act, self.documenter, act.version)
        self.assertEqual(self.by_violation("torture"), [])
        self.assertEqual(self.by_perpetrator("army"), [])
        self.assertEqual(self.listed({"profile": "is_defender"}), [])
        self.assertEqual(self.by_violation("threat"), [event.number])
        self.assertTrue(Act.objects.filter(pk=kept.pk).exists())
        self.assertFacetsCurrent()

    def test_attributions_added_changed_and_removed_follow_the_perpetrator_filter(self):
        event = self.make_case()
        act = self.add_victim(event, "torture")
        self.assertEqual(self.by_perpetrator("navy"), [])
        attribution = actions.add_attribution(
            act, self.documenter, {"kind": term("perpetrator_kind", "navy"), "confidence": "low"}
        )
        self.assertEqual(self.by_perpetrator("navy"), [event.number])
        attribution = actions.update_attribution(
            attribution, self.documenter, {"kind": term("perpetrator_kind", "army")}, 1
        )
        self.assertEqual(self.by_perpetrator("navy"), [])
        self.assertEqual(self.by_perpetrator("army"), [event.number])
        actions.remove_record(attribution, self.documenter, attribution.version)
        self.assertEqual(self.by_perpetrator("army"), [])
        self.assertEqual(self.by_violation("torture"), [event.number])
        self.assertFacetsCurrent()

    def test_a_new_date_moves_the_case_in_a_filtered_list(self):
        older = self.make_case(datetime.date(2010, 1, 5))
        newer = self.make_case(datetime.date(2020, 1, 5))
        for event in (older, newer):
            self.add_victim(event, "torture")
        self.assertEqual(self.by_violation("torture"), [newer.number, older.number])
        actions.update_event(older, self.documenter, {"start_date": datetime.date(2024, 2, 1)}, 1)
        self.assertEqual(self.by_violation("torture"), [older.number, newer.number])
        params = {"violation_type": term("violation_type", "torture").pk, "date_to": "2021-01-01"}
        self.assertEqual(self.listed(params), [newer.number])
        older.refresh_from_db()
        actions.update_event(
            older, self.documenter, {"start_date": None, "start_precision": "unknown"}, 2
        )
        self.assertEqual(self.by_violation("torture"), [newer.number, older.number])
        self.assertEqual(
            self.listed({"violation_type": term("violation_type", "torture").pk, "sort": "start"}),
            [newer.number, older.number],
        )
        self.assertFacetsCurrent()

    def test_imported_cases_are_found_by_every_filter(self):
        rows = [
            "Referencia,Título,Fecha de los hechos,Estado,Municipio,Nombre(s),Apellido paterno,"
            "Apellido materno,Sexo,Edad,CURP,Tipo de violación,Situación,Presunto responsable",
            "C-1,Desaparición de Juan,14/03/2019,08,08017,Juan,Pérez,López,H,34,,"
            "disappearance_private,still_missing,organized_crime",
            "C-1,Desaparición de Juan,14/03/2019,08,08017,Pedro,Pérez,López,H,15,,"
            "disappearance_private,still_missing,",
            "C-2,Ejecución en Juárez,2020-07,08,08037,María,Hernández,,M,,,"
            "extrajudicial_execution,found_dead,army",
        ]
        content = ("\n".join(rows) + "\n").encode()
        table = read_table(content, "casos.csv")
        report = import_table(table, guess_mapping(table.headers), self.org, self.documenter)
        self.assertTrue(report.committed, report.errors)
        self.assertEqual(self.by_violation("disappearance_private"), [1])
        self.assertEqual(self.by_perpetrator("army"), [2])
        self.assertEqual(self.listed({"profile": "is_child"}), [1])
        self.assertFacetsCurrent()

    def test_demo_cases_are_found_by_every_filter(self):
        load_demo_cases(self.org, count=40, seed=3)
        self.assertFacetsCurrent()
        self.assertTrue(EventFacet.objects.filter(organization=self.org).exists())
