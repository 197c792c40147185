"""The network figures page: A (Centro Norte) adds up its own cases and P's shared counts.

P (a psychosocial collective) shares its counts with A under a counts-only
agreement. Known answer, k = 5, every case of 2024 in Chihuahua:

* A: 2 cases in Cuauhtémoc (08017), March 2024.
* P: 3 cases in Cuauhtémoc, March; 10 in Juárez (08037), June; 1 in Juárez
  whose victim is private (not counted: their consent does not allow it).

P's place series for 2024 is Cuauhtémoc 3 (fewer than 5), Juárez 10 (withheld
so that the 3 cannot be worked out from the total), total 13 (shown). So the
network reads 15 cases (exact), Cuauhtémoc "at least 3" (2 + at least 1),
Juárez "at least 5", Chihuahua "at least 8" (its parts), 2 counts withheld.
"""

from __future__ import annotations

import datetime
import json
import random
from unittest import mock

from memoria.audit.models import AuditEntry
from memoria.cases import shared_figures
from memoria.cases.models import Event
from memoria.cases.sharing import event_consent
from memoria.disclosure import suppress_series
from memoria.network import figures
from memoria.places.models import Municipality
from memoria.sharing import agreements
from memoria.sharing.models import AgreementFigures
from memoria.sharing.registry import Consent
from memoria.sharing.suppressed import HIDDEN, SMALL, hide_together, series
from tests.web.base import MemoriaTestCase
from tests.web.network_fixtures import TODAY, SharingFixtures, on

SECRET = "Caso reservado de la familia Quiñónez"


def url(org, query: str = "") -> str:
    return f"/o/{org.slug}/network/figures/{query}"


class SuppressedSeriesTests(MemoriaTestCase):
    """What leaves an organization: known answers of the series and the shared totals."""

    def test_a_small_count_is_withheld_with_its_complement(self):
        found = series({"08017": 3, "08037": 10}, 5, total=True)
        self.assertEqual(found, {"rows": [["08017", SMALL], ["08037", HIDDEN]], "total": 13})

    def test_without_a_total_only_the_small_counts_are_withheld(self):
        found = series({"a": 3, "b": 10, "c": 0}, 5, total=False)
        self.assertEqual(found, {"rows": [["a", SMALL], ["b", 10]]})  # a zero is not listed

    def test_a_count_pinned_by_the_bounds_hides_the_total(self):
        # 1 and 5 with total 6: "fewer than 5" and "at least 5" would pin both.
        found = series({"a": 1, "b": 5}, 5, total=True)
        self.assertEqual(found["total"], HIDDEN)

    def test_it_withholds_what_the_disclosure_engine_withholds(self):
        # The fast rule for one row gives the engine's answer (graph and linear programs).
        rng = random.Random(16)
        for _ in range(300):
            k = rng.choice([2, 3, 5])
            counts = [
                rng.choice([1, 1, 2, 3, 4, 5, 6, 7, 9, 12, 30]) for _ in range(rng.randint(1, 9))
            ]
            keys = [f"{i:02d}" for i in range(len(counts))]
            table = suppress_series(counts, k, total=True, positive=True)

            def label(position, count, table=table):
                if position in table.primary:
                    return SMALL
                return HIDDEN if position in table.complementary else count

            expected = {
                "rows": [
                    [key, label((0, i), n)]
                    for i, (key, n) in enumerate(zip(keys, counts, strict=True))
                ],
                "total": label((0, len(counts)), sum(counts)),
            }
            if table.exposed:  # counts that follow whatever is hidden: none are listed
                expected = {"rows": [], "total": SMALL, "withheld": True}
            with self.subTest(k=k, counts=counts):
                self.assertEqual(
                    series(dict(zip(keys, counts, strict=True)), k, total=True), expected
                )

    def test_series_with_the_same_total_hide_it_together(self):
        months = series({"3": 1, "6": 5}, 5, total=True)  # must hide its total
        places = series({"08017": 6}, 5, total=True)  # would show it: 6
        hide_together([months, places])
        self.assertEqual(months["total"], HIDDEN)
        self.assertEqual(places, {"rows": [["08017", HIDDEN]], "total": HIDDEN})


class NetworkFiguresFixtures(SharingFixtures):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        march = {"start_date": datetime.date(2024, 3, 10)}
        june = {
            "start_date": datetime.date(2024, 6, 2),
            "municipality": Municipality.objects.get(cvegeo="08037"),
        }
        shared = {"visibility": "aggregate", "sex": "female"}
        make = cls.__new__(cls).make_case  # the fixtures' helper, on the class's data
        with on(TODAY):
            for _ in range(2):
                make(victim={"visibility": "private"}, **march)
            for _ in range(3):
                make(cls.partner, victim=shared, **march)
            for _ in range(10):
                make(cls.partner, victim={**shared, "perpetrator": "army"}, title=SECRET, **june)
            make(cls.partner, victim={"visibility": "private"}, **june)
            cls.agreement = cls.partner_shares(
                "aggregate", {"cases.event": []}, "Cifras de la red."
            )

    def page(self, user=None, query=""):
        self.client.force_login(user or self.reader)
        return self.client.get(url(self.org, query))


class KnownAnswerTests(NetworkFiguresFixtures):
    def test_it_adds_exact_counts_and_bounds_the_withheld_ones(self):
        found = figures.network_figures(self.org)
        self.assertEqual((found["cases"].low, found["cases"].exact), (15, True))
        places = {row["code"]: row["sum"] for row in found["municipality_rows"]}
        self.assertEqual((places["08017"].low, places["08017"].withheld), (3, 1))
        self.assertEqual((places["08037"].low, places["08037"].withheld), (5, 1))
        state = found["state_rows"][0]
        self.assertEqual((state["code"], state["sum"].low, state["sum"].withheld), ("08", 8, 2))
        # The rate of a bound is a bound: at least 5 × 100,000 / 1,512,450 (Juárez).
        self.assertEqual(str(found["victims"]), "15")
        # Victims by sex: P's 13 are female (none withheld), A's 2 unknown.
        sexes = {bar.label: bar.count for bar in found["by_sex"].bars}
        self.assertEqual(sexes["Mujer"], "13")
        # The share of state agents: 10 of P's cases name the army, but the 10 went out
        # as one count: nothing withheld there, so the share is exact.
        self.assertEqual((found["state_share"].part, found["state_share"].whole), (10, 10))

    def test_the_page_says_at_least_and_how_many_counts_are_withheld(self):
        page = self.page()
        self.assertContains(page, "al menos 3")
        self.assertContains(page, "al menos 8")
        self.assertContains(page, "cuenta dos veces")  # no deduplication across organizations
        self.assertContains(page, "no son todos los casos")
        self.assertContains(page, "Acompañamiento Psicosocial del Norte")
        self.assertContains(page, 'class="chart-svg"')
        # Chihuahua is "at least 8": coloured by the 8, and the map says so.
        self.assertContains(page, "coloreado por lo que se sabe con certeza")
        self.assertContains(page, "ninguno conocido")

    def test_only_counts_leave_the_organization(self):
        stored = AgreementFigures.objects.get(agreement=self.agreement)
        self.assertEqual(stored.organization, self.org)  # under the recipient's key
        content = stored.content["cases.event"]
        text = json.dumps(content)
        self.assertNotIn(SECRET, text)

        def leaves(value):
            if isinstance(value, dict):
                for inner in value.values():
                    yield from leaves(inner)
            elif isinstance(value, list):
                for inner in value:
                    yield from leaves(inner)
            else:
                yield value

        for value in leaves(content["years"]):
            allowed = {SMALL, HIDDEN, "", "state", "other", "female", "unknown"}
            self.assertTrue(isinstance(value, int) or value in allowed or value.isdigit(), value)
        place = content["years"]["2024"]["place"]
        self.assertEqual(place, {"rows": [["08017", SMALL], ["08037", HIDDEN]], "total": 13})
        # One year, the series of the statistics page, nothing else.
        self.assertEqual(set(content["years"]), {"2024"})
        self.assertEqual(
            set(content["years"]["2024"]),
            {"month", "place", "violation", "perpetrator", "profile", "state_agent", "sex", "age"},
        )

    def test_the_consent_rule_matches_the_one_record_by_record(self):
        eligible = shared_figures.aggregate_events(self.partner.pk)
        for event in Event.objects.filter(organization=self.partner):
            self.assertEqual(event.pk in eligible, event_consent(event) >= Consent.AGGREGATE)

    def test_a_year_shows_its_months_and_a_bad_year_is_ignored(self):
        page = self.page(query="?year=2024")
        self.assertContains(page, "marzo de 2024")
        self.assertEqual(page.context["year"], 2024)
        for bad in ("1999", "abc", "2024' OR 1=1", "\x00"):
            with self.subTest(year=bad):
                page = self.page(query=f"?year={bad}")
                self.assertEqual(page.status_code, 200)
                self.assertIsNone(page.context["year"])


class FreshnessAndAccessTests(NetworkFiguresFixtures):
    def test_a_new_shared_case_appears_after_the_refresh(self):
        self.make_case(self.partner, victim={"visibility": "aggregate"},
                       start_date=datetime.date(2024, 6, 20),
                       municipality=Municipality.objects.get(cvegeo="08037"))  # fmt: skip
        self.assertEqual(figures.network_figures(self.org)["cases"].low, 15)
        agreements.refresh_all(TODAY)
        self.assertEqual(figures.network_figures(self.org)["cases"].low, 16)

    def test_a_withdrawn_consent_leaves_the_partners_counts_without_waiting(self):
        from memoria.cases.actions import update_person
        from memoria.cases.models import Person
        from memoria.jobs.models import Job
        from memoria.jobs.queue import run_here

        people = Person.objects.filter(organization=self.partner, visibility="aggregate")
        # An edit that keeps the consent queues nothing.
        kept = people.first()
        with self.captureOnCommitCallbacks(execute=True):
            update_person(kept, None, {"occupation": "Docente"}, kept.version)
        self.assertFalse(Job.objects.filter(kind=agreements.RECOUNT).exists())

        family = people.last()
        with self.captureOnCommitCallbacks(execute=True):
            update_person(family, None, {"visibility": "private"}, family.version)
        job = Job.objects.get(kind=agreements.RECOUNT, organization=self.partner)
        self.assertEqual(figures.network_figures(self.org)["cases"].low, 15)  # not yet
        self.assertEqual(run_here(job, "test").status, Job.Status.DONE)
        self.assertEqual(figures.network_figures(self.org)["cases"].low, 14)

    def test_a_private_victim_added_to_a_case_leaves_the_partners_counts_without_waiting(self):
        from memoria.cases.models import Event
        from memoria.jobs.models import Job
        from memoria.jobs.queue import run_here

        # A private person added to a counted case: the case goes no further than them.
        # Two such cases in one transaction (as an import adds them) need one recount.
        cases = Event.objects.filter(organization=self.partner).order_by("pk")[:2]
        with self.captureOnCommitCallbacks(execute=True):
            for case in cases:
                self.add_victim(case, given_names="Ramona", visibility="private")
        job = Job.objects.get(kind=agreements.RECOUNT, organization=self.partner)
        self.assertEqual(figures.network_figures(self.org)["cases"].low, 15)  # not yet
        self.assertEqual(run_here(job, "test").status, Job.Status.DONE)
        self.assertEqual(figures.network_figures(self.org)["cases"].low, 13)

    def test_k_comes_from_the_settings(self):
        with self.settings(MEMORIA_NETWORK_SMALL_COUNT=3):
            agreements.save_figures(self.agreement)
        stored = AgreementFigures.objects.get(agreement=self.agreement).content["cases.event"]
        self.assertEqual(stored["k"], 3)
        place = stored["years"]["2024"]["place"]
        self.assertEqual(place, {"rows": [["08017", 3], ["08037", 10]], "total": 13})
        self.assertEqual(str(figures.network_figures(self.org)["municipality_rows"][1]["sum"]), "5")

    def test_a_revocation_removes_the_partner_part(self):
        agreements.revoke(self.agreement, self.partner_coordinator, self.partner, version=2)
        found = figures.network_figures(self.org)
        self.assertEqual((found["cases"].low, found["cases"].exact), (2, True))
        self.assertEqual(len(found["sources"]), 1)
        self.assertNotContains(self.page(), "Acompañamiento Psicosocial del Norte")

    def test_an_expired_agreement_shares_nothing(self):
        with on(datetime.date(2027, 1, 1)):
            found = figures.network_figures(self.org)
        self.assertEqual(found["cases"].low, 2)
        self.assertFalse(AgreementFigures.objects.exists())

    # Access (same data).

    def test_every_member_reads_it_and_an_outsider_gets_404(self):
        for role, user in self.personas().items():
            with self.subTest(role=role):
                self.assertEqual(self.page(user).status_code, 200)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(url(self.org)).status_code, 404)

    def test_reading_the_partner_counts_is_audited_on_both_sides(self):
        self.page()
        owner = AuditEntry.objects.get(action="share.viewed", organization=self.partner)
        reader = AuditEntry.objects.get(action="share.read", organization=self.org)
        for entry in (owner, reader):
            self.assertEqual(entry.actor_id, self.reader.pk)
            self.assertEqual(entry.details["agreements"], [self.agreement.pk])

    def test_a_read_audited_on_one_side_only_leaves_no_entry(self):
        """If the reader's own entry cannot be written, the partner's log does not
        keep an entry of a read that was never shown."""
        from memoria.audit.labels import AuditAction
        from memoria.audit.log import audit as real_audit

        def failing(user, organization, action, *args, **kwargs):
            if action == AuditAction.SHARE_READ:
                raise RuntimeError("the reader's log is unavailable")
            return real_audit(user, organization, action, *args, **kwargs)

        with (
            mock.patch("memoria.sharing.actions.audit", failing),
            self.assertRaises(RuntimeError),
        ):
            self.page()
        self.assertFalse(AuditEntry.objects.filter(action="share.viewed").exists())
        self.page()
        self.assertEqual(AuditEntry.objects.filter(action="share.viewed").count(), 1)


class WhatAReaderWorksOutTests(MemoriaTestCase):
    """Hostile reading of what leaves: no small count follows from the labels and sums."""

    def test_small_counts_that_their_number_gives_away_are_not_listed(self):
        # Four months "fewer than 5" and a year "fewer than 5": each is 1. The engine
        # calls such counts exposed; they leave only as the year's total.
        counts = {"1": 1, "3": 1, "7": 1, "11": 1}
        self.assertTrue(suppress_series([1, 1, 1, 1], 5, total=True, positive=True).exposed)
        found = series(counts, 5, total=True)
        self.assertEqual(found, {"rows": [], "total": SMALL, "withheld": True})
        # Three of them leave as they are: each is 1 or 2.
        self.assertEqual(series({"1": 1, "3": 2, "7": 1}, 5, total=True)["rows"][0][1], SMALL)

    def year(self, **overrides):
        counts = {
            "month": {"3": 10},
            "place": {"08037": 10},
            "violation": {"1": 6, "2": 4},
            "perpetrator": {},
            "profile": {},
            "state_agent": {},
            "sex": {"female": 10},
            "age": {"": 10},
            **overrides,
        }
        return shared_figures.suppress_year(counts, 5, state_terms=set())

    def test_violations_do_not_give_a_small_count_away_with_the_cases(self):
        # Every case has a violation: 10 cases, homicide 6, disappearance "fewer than 5"
        # would make it 4. One more is withheld.
        found = self.year()
        self.assertEqual(found["month"]["total"], 10)
        self.assertEqual(found["violation"]["rows"], [["1", HIDDEN], ["2", SMALL]])
        # With room to spare nothing more is withheld: 6 + at most 4 > 9.
        found = self.year(month={"3": 9}, place={"08037": 9})
        self.assertEqual(found["violation"]["rows"], [["1", 6], ["2", SMALL]])

    def test_perpetrators_do_not_give_a_small_count_away_with_the_state_agents(self):
        # 10 cases with a perpetrator, all naming a state agent: army 6, police "fewer
        # than 5" would make the police 4.
        counts = {"state_agent": {"state": 10}, "perpetrator": {"7": 6, "8": 4}}
        found = shared_figures.suppress_year(
            {**self.year_counts(), **counts}, 5, state_terms={"7", "8"}
        )
        self.assertEqual(found["perpetrator"]["rows"], [["7", HIDDEN], ["8", SMALL]])

    def year_counts(self):
        return {
            "month": {"3": 12},
            "place": {"08037": 12},
            "violation": {"1": 12},
            "perpetrator": {},
            "profile": {},
            "state_agent": {},
            "sex": {"female": 12},
            "age": {"": 12},
        }

    def test_a_withheld_series_makes_every_sum_of_its_chart_a_bound(self):
        content = {"format": shared_figures.FORMAT, "k": 5, "years": {
            "2024": shared_figures.suppress_year(
                {**self.year_counts(), "month": {"1": 1, "3": 1, "7": 1, "11": 1},
                 "place": {"08037": 4}, "violation": {"1": 4}, "sex": {"female": 4},
                 "age": {"": 4}}, 5, state_terms=set())}}  # fmt: skip
        self.assertEqual(content["years"]["2024"]["month"]["rows"], [])
        source = figures.Source(
            "P", False, datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), content, 5, 1
        )
        found = figures.summarize([source], [], 2024)
        months = {bar.label: bar.count for bar in found["when_chart"].bars}
        self.assertEqual(months["enero de 2024"], "al menos 0")
        self.assertFalse(found["cases"].exact)
