"""The case list and the dashboard read the encrypted case index (``memoria.cases.caseindex``).

The index is derived from events, acts, attributions and people. These tests
work out, in plain Python from the records themselves (``Reference``), what
the list showed when it filtered and sorted in SQL on the clear columns (the
month, state, status, violation, perpetrator and profile, then the full date
within the month, then the number) and what the dashboard counted; and check
that the index gives exactly that, over a varied generated data set, every
filter the form offers and their combinations, every sort, after every write
path, and after writes made through another database connection.
"""

from __future__ import annotations

import datetime
import importlib
import itertools
import random
import threading
import time
from collections import Counter
from unittest import mock

from django.apps import apps
from django.db import connection, transaction
from django.test import SimpleTestCase, TransactionTestCase

from memoria.accounts.models import Organization
from memoria.cases import actions, caseindex
from memoria.cases.caseindex import PROFILE_CODES, month_of
from memoria.cases.demo import load_demo_cases
from memoria.cases.formatting import month_label
from memoria.cases.forms import CaseFilterForm
from memoria.cases.io.importer import import_table
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import read_table
from memoria.cases.listing import PAGE_SIZE, SORTS, date_key, filter_events
from memoria.cases.models import (
    PROFILE_FLAGS,
    Act,
    Attribution,
    CaseIndexBlock,
    CaseIndexClock,
    CaseIndexEntry,
    Event,
    Person,
    Term,
    Vocabulary,
)
from memoria.cases.statistics import MONTHS_SHOWN, dashboard
from memoria.places.models import Municipality, State
from tests.web.base import MemoriaTestCase, ensure_reference_data, make_member
from tests.web.cases_fixtures import case_data


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code, organization=None)


def pk_of(record):
    return record.pk if record is not None else None


class Reference:
    """What the list and the dashboard showed, from the records, as the SQL did it."""

    def __init__(self, organization) -> None:
        self.cases: dict[int, dict] = {}
        for event in Event.objects.filter(organization=organization):
            month = month_of(event.start_date, event.start_precision)
            self.cases[event.pk] = {
                "number": event.number,
                "month": month,
                "date": date_key(event.start_date, event.start_precision)
                if month
                else (datetime.date.min, -1),
                "precision": event.start_precision,
                "state": pk_of(event.state),
                "municipality": pk_of(event.municipality),
                "status": event.status,
                "violations": set(),
                "perpetrators": set(),
                "profiles": set(),
                "state_acts": set(),
            }
        for act in Act.objects.filter(organization=organization).select_related("victim"):
            case = self.cases[act.event_id]
            case["violations"].add(act.violation_type.pk)
            case["profiles"] |= {flag for flag in PROFILE_CODES if getattr(act.victim, flag)}
        for attribution in Attribution.objects.filter(organization=organization):
            case = self.cases[attribution.event_id]
            case["perpetrators"].add(attribution.kind.pk)
            if attribution.kind.state_actor:
                case["state_acts"].add(attribution.act_id)

    def matches(self, case: dict, data: dict) -> bool:
        month = case["month"]
        return all(
            (
                not data.get("date_from")
                or (month is not None and month >= data["date_from"].replace(day=1)),
                not data.get("date_to") or (month is not None and month <= data["date_to"]),
                not data.get("state") or case["state"] == data["state"].pk,
                not data.get("municipality") or case["municipality"] == data["municipality"].pk,
                not data.get("status") or case["status"] == data["status"],
                not data.get("violation_type") or data["violation_type"].pk in case["violations"],
                not data.get("perpetrator_kind")
                or data["perpetrator_kind"].pk in case["perpetrators"],
                not data.get("profile") or data["profile"] in case["profiles"],
            )
        )

    @staticmethod
    def sort_key(case: dict, sort: str) -> tuple:
        month, (day, rank), number = case["month"], case["date"], case["number"]
        undated = month is None
        month_number = month.toordinal() if month else 0
        if sort == "number":
            return (number,)
        if sort == "-number":
            return (-number,)
        if sort == "start":
            return (undated, month_number, day.toordinal(), rank, number)
        newest = (undated, -month_number, -day.toordinal(), -rank, -number)
        if sort == "state":
            return (case["state"] is None, case["state"] or "", *newest)
        if sort == "status":
            return (case["status"], *newest)
        return newest

    def listed(self, data: dict) -> list[int]:
        sort = data.get("sort") or "-start"
        chosen = [case for case in self.cases.values() if self.matches(case, data)]
        return [case["number"] for case in sorted(chosen, key=lambda c: self.sort_key(c, sort))]

    def figures(self) -> dict:
        cases = list(self.cases.values())
        dated = [c["month"] for c in cases if c["precision"] in ("day", "month")]
        by_month = []
        if dated:
            latest = max(dated)
            months = []
            year, month = latest.year, latest.month
            for _i in range(MONTHS_SHOWN):
                months.append(datetime.date(year, month, 1))
                year, month = (year, month - 1) if month > 1 else (year - 1, 12)
            counts = Counter(dated)
            by_month = [(month_label(m), counts[m]) for m in reversed(months)]
        years = Counter(c["month"].year for c in cases if c["month"] is not None)
        states = Counter(c["state"] for c in cases if c["state"] is not None)
        # Ties in the database's order of the names, as ORDER BY -n, name did.
        names = list(State.objects.order_by("name").values_list("code", "name"))
        by_state = sorted(
            [(name, states[code]) for code, name in names if code in states],
            key=lambda row: -row[1],
        )
        return {
            "by_month": by_month,
            "without_month": len(cases) - len(dated),
            "by_year": [(str(year), n) for year, n in sorted(years.items())],
            "by_state": by_state,
            "state_acts": sum(len(c["state_acts"]) for c in cases),
        }

    def entries(self) -> dict[int, tuple]:
        return {
            pk: (
                c["number"],
                c["month"],
                c["state"] or None,
                c["municipality"] or None,
                c["status"],
                frozenset(c["violations"]),
                frozenset(c["perpetrators"]),
                frozenset(c["profiles"]),
                len(c["state_acts"]),
            )
            for pk, c in self.cases.items()
        }


def indexed_entries(organization) -> dict[int, tuple]:
    """The organization's index as this process holds it, in the Reference's terms."""
    index = caseindex.snapshot(organization)
    violation_bits, perpetrator_bits = index.violations[0], index.perpetrators[0]
    status = caseindex.STATUS_ORDER
    entries = {}
    for i, pk in enumerate(index.ids.tolist()):
        month = int(index.months[i])
        entries[pk] = (
            int(index.numbers[i]),
            caseindex.month_from_ordinal(month) if month >= 0 else None,
            f"{index.states[i]:02d}" if index.states[i] >= 0 else None,
            f"{index.municipalities[i]:05d}" if index.municipalities[i] >= 0 else None,
            status[index.statuses[i]],
            frozenset(t for t in violation_bits if index.has(index.violations, t)[i]),
            frozenset(t for t in perpetrator_bits if index.has(index.perpetrators, t)[i]),
            frozenset(f for f, code in PROFILE_CODES.items() if index.profiles[i] & (1 << code)),
            int(index.state_acts[i]),
        )
    return entries


class IndexAssertions:
    def assertIndexCurrent(self, organization=None):  # noqa: N802 - unittest style
        organization = organization or self.org
        self.assertEqual(indexed_entries(organization), Reference(organization).entries())

    def form(self, params: dict, organization=None) -> CaseFilterForm:
        form = CaseFilterForm(params, organization=organization or self.org)
        self.assertTrue(form.is_valid(), form.errors)
        return form

    def listed(self, params: dict, organization=None) -> list[int]:
        organization = organization or self.org
        ids = filter_events(organization, self.form(params, organization)).ids.tolist()
        numbers = dict(Event.objects.filter(pk__in=ids).values_list("pk", "number"))
        return [numbers[pk] for pk in ids]

    def reference(self, params: dict, organization=None, known: Reference | None = None):
        organization = organization or self.org
        data = self.form(params, organization).cleaned_data
        return (known or Reference(organization)).listed(data)


class SameResultsAsTheSQLListTests(IndexAssertions, MemoriaTestCase):
    """Over generated cases, edited afterwards, the index gives exactly the old results."""

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
             "label_en": "Mining company guards", "state_actor": False},
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
        # Rare profiles on a few people; some acts removed; cases undated, or dated
        # by the year only, or the month only; statuses changed.
        people = list(Person.objects.filter(organization=cls.org, acts__isnull=False).distinct())
        for person in rng.sample(people, 30):
            flag = rng.choice([f for f, _label in PROFILE_FLAGS])
            actions.update_person(person, cls.documenter, {flag: True}, person.version)
        for act in rng.sample(acts, 10):
            actions.remove_record(act, cls.documenter, Act.objects.get(pk=act.pk).version)
        events = list(Event.objects.filter(organization=cls.org).order_by("number"))
        changes = [
            {"start_date": None, "start_precision": "unknown"},
            {"start_date": datetime.date(2019, 1, 1), "start_precision": "year"},
            {"start_date": datetime.date(2019, 1, 1), "start_precision": "month"},
            {"start_date": datetime.date(2019, 1, 1), "start_precision": "day"},
            {"start_date": datetime.date(2019, 1, 31), "start_precision": "day"},
            {"start_date": None, "start_precision": "unknown", "state": None,
             "municipality": None},
            {"status": "closed"},
            {"status": "verifying"},
        ]  # fmt: skip
        for event, change in zip(rng.sample(events, len(changes)), changes, strict=True):
            actions.update_event(event, cls.documenter, change, event.version)

    def setUp(self):
        super().setUp()
        self.known = Reference(self.org)  # the records do not change within these tests
        # The cases were written in setUpTestData, in a transaction that stays open
        # (and is rolled back) only after the class: let this process cache them, so
        # that the thousands of lists below are served from memory, as on a server.
        for organization in (self.org, self.other_org):
            caseindex.settled(organization.pk)

    def compare(self, params: dict) -> list[int]:
        after = self.listed(params)
        self.assertEqual(after, self.reference(params, known=self.known), params)
        return after

    def test_it_keeps_the_index_of_every_event_current(self):
        self.assertIndexCurrent()
        self.assertIndexCurrent(self.other_org)
        self.assertEqual(
            CaseIndexEntry.objects.filter(organization=self.org).count(),
            Event.objects.filter(organization=self.org).count(),
        )

    def test_it_lists_the_same_cases_for_every_single_filter_and_sort(self):
        form = CaseFilterForm({}, organization=self.org)
        states = sorted({c["state"] for c in self.known.cases.values()} - {None})
        params = (
            [{}]
            + [{"violation_type": t.pk} for t in form.fields["violation_type"].queryset]
            + [{"perpetrator_kind": t.pk} for t in form.fields["perpetrator_kind"].queryset]
            + [{"profile": flag} for flag, _label in PROFILE_FLAGS]
            + [{"status": status} for status in Event.Status.values]
            + [{"state": code} for code in states]
            + [{"date_from": "2019-01-15"}, {"date_to": "2019-01-15"}]
            + [{"date_from": "2015-06-30", "date_to": "2015-06-01"}]
        )
        nonempty = 0
        for base, sort in itertools.product(params, SORTS):
            with self.subTest(base=base, sort=sort):
                nonempty += bool(self.compare({**base, "sort": sort}))
        self.assertGreater(nonempty, len(SORTS) * 25)

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
        cases = self.known.cases.values()
        states = sorted({c["state"] for c in cases} - {None})
        municipalities = sorted(
            {(c["state"], c["municipality"]) for c in cases if c["municipality"]}
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

    def test_every_page_shows_the_reference_slice(self):
        disappearance = term("violation_type", "enforced_disappearance").pk
        self.client.force_login(self.analyst)
        for params in (
            {},
            {"violation_type": disappearance},
            {"profile": "is_searching_relative"},
            {"sort": "state"},
            {"sort": "status"},
            {"sort": "start"},
        ):
            expected = self.reference(params, known=self.known)
            pages = (len(expected) + PAGE_SIZE - 1) // PAGE_SIZE
            for page in sorted({1, min(2, pages), pages} - {0}):
                with self.subTest(params=params, page=page):
                    response = self.client.get(
                        f"/o/{self.org.slug}/cases/", {**params, "page": page}
                    )
                    self.assertEqual(response.status_code, 200)
                    numbers = [event.number for event in response.context["events"]]
                    top = page * PAGE_SIZE
                    self.assertEqual(numbers, expected[top - PAGE_SIZE : top])
                    self.assertEqual(response.context["page"].paginator.count, len(expected))

    def test_the_dashboard_counts_what_the_sql_counted(self):
        for organization in (self.org, self.other_org):
            with self.subTest(organization=organization.slug):
                shown = dashboard(organization)
                expected = Reference(organization).figures()
                charts = ("by_month", "by_year", "by_state")
                self.assertEqual(
                    {name: [(b.label, b.count) for b in shown[name].bars] for name in charts},
                    {name: expected[name] for name in charts},
                )
                self.assertEqual(shown["without_month"], expected["without_month"])
                self.assertEqual(shown["totals"]["state_acts"], expected["state_acts"])
                self.assertGreater(expected["state_acts"], 0)

    def test_a_perpetrator_kind_that_becomes_a_state_agent_counts_its_acts(self):
        before = dashboard(self.org)["totals"]["state_acts"]
        actions.update_term(self.own_perpetrator, {"state_actor": True})
        after = Reference(self.org).figures()["state_acts"]
        self.assertGreater(after, before)
        self.assertEqual(dashboard(self.org)["totals"]["state_acts"], after)
        self.assertIndexCurrent()

    def test_it_never_shows_another_organizations_cases(self):
        army = term("perpetrator_kind", "army").pk
        theirs = set(Event.objects.filter(organization=self.other_org).values_list("pk", flat=True))
        ours = set(filter_events(self.org, self.form({"perpetrator_kind": army})).ids.tolist())
        self.assertTrue(ours)
        self.assertFalse(ours & theirs)

    def test_the_migration_builds_the_same_index(self):
        migration = importlib.import_module("memoria.cases.migrations.0014_case_index")
        CaseIndexEntry.objects.all().delete()
        CaseIndexClock.objects.all().delete()
        migration.BATCH = 37  # several batches, as on a big table
        migration.build(apps, None)
        self.assertIndexCurrent()
        self.assertIndexCurrent(self.other_org)

    def test_the_block_migration_packs_every_entry_and_unpacks_them_again(self):
        one_by_one = importlib.import_module("memoria.cases.migrations.0016_case_index_victims")
        packing = importlib.import_module("memoria.cases.migrations.0017_case_index_blocks")
        CaseIndexBlock.objects.all().delete()
        one_by_one.build(apps, None)  # one ciphertext per entry, as before blocks
        dashboards = [dashboard(org) for org in (self.org, self.other_org)]
        with (
            mock.patch.object(caseindex, "BLOCK_SIZE", 16),  # many blocks, as on a big table
            mock.patch.object(packing, "BATCH", 37),
        ):
            packing.pack(apps, None)
            self.assertFalse(CaseIndexEntry.objects.filter(data__isnull=False).exists())
            self.assertGreater(CaseIndexBlock.objects.filter(organization=self.org).count(), 3)
            caseindex.clear()  # a process starting now reads the blocks only
            with mock.patch.object(caseindex, "decrypt_text", side_effect=AssertionError):
                self.assertIndexCurrent()
                self.assertIndexCurrent(self.other_org)
                self.assertEqual([dashboard(org) for org in (self.org, self.other_org)], dashboards)
            packing.unpack(apps, None)
        self.assertFalse(CaseIndexEntry.objects.filter(data__isnull=True).exists())
        CaseIndexBlock.objects.all().delete()  # the table goes with the migration
        caseindex.clear()
        self.assertIndexCurrent()
        self.assertIndexCurrent(self.other_org)


class WritesKeepTheFiltersCurrentTests(IndexAssertions, MemoriaTestCase):
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
        self.assertIndexCurrent()

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
        self.assertIndexCurrent()

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
        self.assertEqual(self.reference({"profile": "is_searching_relative"}), [])
        self.assertIndexCurrent()

    def test_adding_and_changing_an_act_moves_the_case_between_violations(self):
        event = self.make_case()
        act = self.add_victim(event, "threat")
        self.assertEqual(self.by_violation("threat"), [event.number])
        actions.update_act(
            act, self.documenter, {"violation_type": term("violation_type", "torture")}, 1
        )
        self.assertEqual(self.by_violation("threat"), [])
        self.assertEqual(self.by_violation("torture"), [event.number])
        self.assertIndexCurrent()

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
        self.assertIndexCurrent()

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
        self.assertIndexCurrent()

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
        self.assertIndexCurrent()

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
        self.assertIndexCurrent()

    def test_demo_cases_are_found_by_every_filter(self):
        load_demo_cases(self.org, count=40, seed=3)
        self.assertIndexCurrent()
        self.assertEqual(len(caseindex.snapshot(self.org)), 40)


class CacheAcrossConnectionsTests(IndexAssertions, TransactionTestCase):
    """Each process keeps the index in memory. Writes committed through another
    database connection (a thread here, as another server process would) reach a
    reader at its next read, deletions too; a transaction that rolls back never
    leaves its entries in the cache."""

    def setUp(self):
        super().setUp()
        ensure_reference_data()
        caseindex.clear()
        self.org = Organization.objects.create(
            name="Centro", slug="centro", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
        )
        self.documenter = make_member(self.org, "d@centro.example", "documenter", "Daniela")

    def elsewhere(self, *works) -> None:
        """Run each ``work`` in a thread of its own (its own connection, committing on its
        own), all at once on PostgreSQL, one after the other on SQLite (one writer)."""
        errors = []

        def run(work):
            try:
                work()
            except Exception as error:  # noqa: BLE001 - re-raised below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(work,)) for work in works]
        together = connection.vendor == "postgresql"
        for thread in threads:
            thread.start()
            if not together:
                thread.join()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def new_case(self, **fields) -> Event:
        event = actions.register_case(self.org, self.documenter, case_data(**fields))
        act_data = {"violation_type": term("violation_type", "torture"), "situation": None,
                    "description": ""}  # fmt: skip
        actions.add_victim(
            event, self.documenter, {"given_names": "Ana", "sex": "female"}, act_data,
            {"kind": term("perpetrator_kind", "army"), "confidence": "low", "basis": None},
        )  # fmt: skip
        return event

    def cached_seq(self) -> int:
        return caseindex._cache[self.org.pk].seq

    def test_a_case_registered_while_another_writer_commits_never_deadlocks(self):
        """A writer that added a record of the organization and holds the index's clock
        commits while a documenter registering a case holds the organization's number
        lock and waits for that clock. On PostgreSQL the commit checks the record's
        foreign key (a key-share lock on the organization's row): a full row lock on
        the organization made the two wait for each other ("deadlock detected")."""
        if connection.vendor != "postgresql":
            self.skipTest("one writer at a time on SQLite")
        self.new_case()
        registered, errors, backend = [], [], []

        def register():
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backend.append(cursor.fetchone()[0])
                registered.append(actions.register_case(self.org, self.documenter, case_data()))
            except Exception as error:  # noqa: BLE001 - asserted below
                errors.append(error)
            finally:
                connection.close()

        with transaction.atomic():
            Person.objects.create(organization=self.org, given_names="Ana")
            caseindex._advance(self.org.pk)  # holds the clock until this commit
            thread = threading.Thread(target=register)
            thread.start()
            waiting = False
            for _attempt in range(200):  # until the registration waits for the clock
                with connection.cursor() as cursor:
                    # The activity view is read once a transaction unless cleared.
                    cursor.execute("SELECT pg_stat_clear_snapshot()")
                    cursor.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                        backend or [0],
                    )
                    row = cursor.fetchone()
                if row and row[0] == "Lock":
                    waiting = True
                    break
                time.sleep(0.02)
            self.assertTrue(waiting, f"the registration never waited for the clock: {errors}")
        thread.join(timeout=30)
        self.assertEqual(errors, [])
        self.assertEqual([event.number for event in registered], [2])

    def test_cases_written_elsewhere_appear_at_the_next_read(self):
        first = self.new_case()
        self.assertEqual(self.listed({}), [first.number])  # loaded, and now cached
        loaded = self.cached_seq()
        self.elsewhere(lambda: self.new_case(title="Otro"), lambda: self.new_case(title="Más"))
        torture = term("violation_type", "torture").pk
        self.assertEqual(self.listed({"violation_type": torture}), [3, 2, 1])
        self.assertGreater(self.cached_seq(), loaded)
        self.assertEqual(self.cached_seq(), CaseIndexClock.objects.get(organization=self.org).seq)
        self.assertIndexCurrent()

    def test_an_edit_elsewhere_moves_the_case_and_a_deletion_removes_it(self):
        kept, moved, deleted = self.new_case(), self.new_case(), self.new_case()
        self.assertEqual(self.listed({"state": "08"}), [3, 2, 1])
        jalisco = State.objects.get(code="14")
        guadalajara = Municipality.objects.get(cvegeo="14039")

        def edit():
            event = Event.objects.get(pk=moved.pk)
            changes = {"state": jalisco, "municipality": guadalajara, "status": "closed"}
            actions.update_event(event, self.documenter, changes, event.version)

        self.elsewhere(edit)
        self.assertEqual(self.listed({"state": "08"}), [3, 1])
        self.assertEqual(self.listed({"state": "14", "status": "closed"}), [2])
        self.assertEqual(dashboard(self.org)["by_state"].bars[0].count, 2)
        self.elsewhere(lambda: Event.objects.get(pk=deleted.pk).delete())
        self.assertEqual(self.listed({}), [2, 1])
        self.assertEqual(self.listed({"state": "08"}), [kept.number])
        self.assertEqual(dashboard(self.org)["totals"]["state_acts"], 2)
        self.assertIndexCurrent()

    def test_after_a_deletion_only_what_changed_is_decrypted_again(self):
        first, gone, edited = self.new_case(), self.new_case(), self.new_case()
        self.assertEqual(self.listed({}), [3, 2, 1])  # loaded, and now cached

        def delete_and_edit():
            Event.objects.get(pk=gone.pk).delete()
            event = Event.objects.get(pk=edited.pk)
            actions.update_event(event, self.documenter, {"status": "closed"}, event.version)

        self.elsewhere(delete_and_edit)
        loads = []
        real_load = caseindex._load

        def counting_load(organization_id, after):
            entries, last = real_load(organization_id, after)
            loads.append((after, sorted(entries)))
            return entries, last

        with mock.patch.object(caseindex, "_load", counting_load):
            self.assertEqual(self.listed({}), [3, 1])
            self.assertEqual(self.listed({"status": "closed"}), [3])
        # One load of the entries written since the cached state: the edited case only.
        self.assertEqual(loads, [(loads[0][0], [edited.pk])])
        self.assertIsNotNone(loads[0][0])
        self.assertEqual(first.number, 1)
        self.assertIndexCurrent()

    def test_a_new_process_leaves_out_a_case_deleted_since_its_block_was_sealed(self):
        kept, gone = self.new_case(), self.new_case()
        self.elsewhere(lambda: Event.objects.get(pk=gone.pk).delete())
        block = CaseIndexBlock.objects.get(
            organization=self.org, number=gone.pk // caseindex.BLOCK_SIZE
        )
        self.assertTrue(block.stale)
        caseindex.clear()  # as a process starting now
        self.assertEqual(self.listed({}), [kept.number])
        self.assertEqual(dashboard(self.org)["totals"]["state_acts"], 1)
        latest = self.new_case(title="Otro")  # seals the block again, without the deleted case
        block.refresh_from_db()
        self.assertFalse(block.stale)
        caseindex.clear()
        self.assertEqual(self.listed({}), [latest.number, kept.number])
        self.assertIndexCurrent()

    def test_cases_in_many_blocks_stay_current(self):
        with mock.patch.object(caseindex, "BLOCK_SIZE", 2):
            first, second, third = self.new_case(), self.new_case(), self.new_case()
            self.assertEqual(self.listed({}), [3, 2, 1])
            self.elsewhere(
                lambda: Event.objects.get(pk=second.pk).delete(),
                lambda: self.new_case(title="Otro"),
            )
            event = Event.objects.get(pk=third.pk)
            actions.update_event(event, self.documenter, {"status": "closed"}, event.version)
            self.assertEqual(self.listed({}), [4, 3, 1])
            self.assertEqual(self.listed({"status": "closed"}), [3])
            caseindex.clear()
            self.assertEqual(self.listed({}), [4, 3, 1])
            self.assertEqual(self.listed({"status": "closed"}), [3])
            self.assertIndexCurrent()
        self.assertEqual(first.number, 1)

    def test_a_server_process_loads_the_largest_indexes_at_start(self):
        other = Organization.objects.create(
            name="Otra", slug="otra", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
        )
        self.new_case(), self.new_case()
        actions.register_case(other, self.documenter, case_data())
        caseindex.clear()
        self.assertEqual(caseindex.warm(limit=2), [self.org.pk])  # the other does not fit
        with mock.patch.object(caseindex, "_load_all", side_effect=AssertionError):
            self.assertEqual(self.listed({}), [2, 1])  # no request decrypts it
        caseindex.clear()
        caseindex.warm_in_background().join(timeout=30)
        self.assertEqual(sorted(caseindex._cache), sorted([self.org.pk, other.pk]))

    def test_a_rolled_back_write_never_reaches_the_cache(self):
        self.new_case()
        self.assertEqual(self.listed({}), [1])

        class Abandoned(Exception):
            pass

        try:
            with transaction.atomic():
                self.new_case(title="A medias")
                self.assertEqual(self.listed({}), [2, 1])  # the writer sees its own case
                raise Abandoned
        except Abandoned:
            pass
        self.assertEqual(self.listed({}), [1])
        self.assertEqual(len(caseindex._cache[self.org.pk].snapshot), 1)
        self.new_case(title="Otro")
        self.assertEqual(self.listed({}), [2, 1])
        self.assertIndexCurrent()

    def test_memory_is_bounded_by_dropping_the_least_recently_read(self):
        other = Organization.objects.create(
            name="Otra", slug="otra", kind=Organization.Kind.HUMAN_RIGHTS_CENTRE
        )
        self.new_case()
        actions.register_case(other, self.documenter, case_data())
        limit = caseindex.MAX_CACHED_ENTRIES
        caseindex.MAX_CACHED_ENTRIES = 1
        try:
            self.listed({})
            self.listed({}, organization=other)
            self.assertEqual(list(caseindex._cache), [other.pk])
            self.assertEqual(self.listed({}), [1])  # loaded again when asked
        finally:
            caseindex.MAX_CACHED_ENTRIES = limit


class BlockFormatTests(SimpleTestCase):
    """A block holds its entries column by column; unpacked, they are the same entries."""

    def test_entries_survive_packing(self):
        rng = random.Random(5)
        for size in (0, 1, 17, 300):
            entries = {}
            for pk in rng.sample(range(1, 5000), size):
                entry = MergeTests.entry(rng, rng.randint(1, 9999))
                victims = [
                    [rng.randint(0, 3), rng.randint(0, 6)] for _v in range(rng.randint(0, 4))
                ]
                entries[pk] = [*entry, victims, rng.randint(0, 6)]
            columns = caseindex.unpack_block(caseindex.pack_block(caseindex._columns_of(entries)))
            self.assertEqual(caseindex._entries_of(columns), entries)
            some = set(rng.sample(sorted(entries), size // 3))
            self.assertEqual(
                caseindex._entries_of(caseindex._only(columns, some)),
                {pk: entries[pk] for pk in some},
            )

    def test_the_arrays_count_victims_and_acts(self):
        entries = {
            7: [1, "08", "08017", 730000, 3, 1, [5], [], 0, 2, 0, [[0, 2], [1, 2], [0, 6]], 3],
            3: [2, "", "", 0, 0, 0, [], [9], 1, 0, 1, [], 1],
        }
        index = caseindex._arrays(entries)
        self.assertEqual(index.ids.tolist(), [3, 7])
        self.assertEqual(index.sexes.tolist(), [[0, 0, 0, 0], [2, 1, 0, 0]])
        self.assertEqual(index.ages.tolist(), [[0] * 7, [0, 0, 2, 0, 0, 0, 1]])
        self.assertEqual(index.acts.tolist(), [1, 3])
        self.assertEqual(index.states.tolist(), [-1, 8])
        self.assertEqual(index.has(index.perpetrators, 9).tolist(), [True, False])


class MergeTests(SimpleTestCase):
    """A process refreshes its arrays with the entries that changed: the result is the
    same as decrypting everything again."""

    @staticmethod
    def entry(rng: random.Random, number: int) -> list:
        day = datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randint(0, 9000))
        return [
            number,
            rng.choice(["", "08", "14", "32"]),
            rng.choice(["", "08017", "14039"]),
            day.toordinal() if rng.random() < 0.9 else 0,
            rng.randint(0, 3),
            rng.randint(0, 3),
            sorted(rng.sample(range(1, 200), rng.randint(0, 3))),
            sorted(rng.sample(range(300, 380), rng.randint(0, 2))),
            rng.randint(0, 1),
            rng.randint(0, 255) & ~1,
            rng.randint(0, 3),
        ]

    def test_merged_arrays_equal_a_full_load(self):
        rng = random.Random(11)
        for _round in range(30):
            ids = rng.sample(range(1, 5000), rng.randint(0, 300))
            before = {pk: self.entry(rng, n) for n, pk in enumerate(ids)}
            changed = {
                pk: self.entry(rng, rng.randint(1, 999)) for pk in rng.sample(ids, len(ids) // 5)
            }
            changed |= {pk: self.entry(rng, 5000 + pk) for pk in rng.sample(range(5000, 9000), 20)}
            merged = caseindex._merge(caseindex._arrays(before), changed)
            full = caseindex._arrays({**before, **changed})
            self.assertEqual(merged.ids.tolist(), full.ids.tolist())
            for name in caseindex.ARRAYS:
                self.assertEqual(getattr(merged, name).tolist(), getattr(full, name).tolist(), name)
            for name in ("violations", "perpetrators"):
                for term in getattr(full, name)[0]:
                    self.assertEqual(
                        merged.has(getattr(merged, name), term).tolist(),
                        full.has(getattr(full, name), term).tolist(),
                    )
                # Terms no entry has any more keep their bit, set nowhere.
                for term in set(getattr(merged, name)[0]) - set(getattr(full, name)[0]):
                    self.assertFalse(merged.has(getattr(merged, name), term).any())
            for sort in SORTS:
                self.assertEqual(
                    merged.ids[merged.order(sort)].tolist(), full.ids[full.order(sort)].tolist()
                )
