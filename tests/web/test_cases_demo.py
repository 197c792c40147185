"""The fictional demo cases: realistic, deterministic, idempotent."""

from __future__ import annotations

import random
from collections import Counter

from memoria.accounts.models import Organization
from memoria.analysis.demo import DEMO_SHARING_PARTNER
from memoria.cases.caseindex import indexed_month
from memoria.cases.demo import NameMaker, load_demo_cases, surname_share
from memoria.cases.models import Act, Attribution, Event, IndirectVictim, Person, Source
from memoria.cases.search import search_people
from memoria.core.demo import load_demo_network
from tests.web.base import MemoriaTestCase


class DemoNamesTests(MemoriaTestCase):
    def test_it_draws_surnames_with_the_real_skew(self):
        names = NameMaker()
        rng = random.Random(1)
        surnames = [names.surname(rng) for _ in range(40_000)]
        leaders = [name for name, _n in Counter(surnames).most_common(5)]
        self.assertEqual(leaders[:2], ["Hernández", "García"])
        self.assertTrue({"Martínez", "López", "González"} <= set(leaders))
        self.assertAlmostEqual(surname_share(surnames, top=140), 0.61, delta=0.05)

    def test_it_gives_women_and_men_their_own_given_names(self):
        names = NameMaker()
        rng = random.Random(2)
        women = Counter(names.given_names(rng, "female").split()[0] for _ in range(2000))
        self.assertEqual(women.most_common(1)[0][0], "María")


class DemoCasesTests(MemoriaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        load_demo_cases(cls.org, count=300, seed=11)

    def test_it_creates_events_with_victims_relatives_sources_and_perpetrators(self):
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 300)
        acts = Act.objects.filter(organization=self.org)
        self.assertGreaterEqual(acts.count(), 300)
        self.assertGreater(IndirectVictim.objects.filter(organization=self.org).count(), 50)
        self.assertGreaterEqual(Source.objects.filter(organization=self.org).count(), 300)
        attributions = Attribution.objects.filter(organization=self.org)
        state_share = sum(a.kind.state_actor for a in attributions) / attributions.count()
        self.assertGreater(state_share, 0.12)
        self.assertLess(state_share, 0.45)

    def test_it_places_most_events_in_the_organizations_states_and_dates_them_2006_to_2025(self):
        events = Event.objects.filter(organization=self.org)
        own = sum(event.state_id == "08" for event in events) / events.count()
        self.assertGreater(own, 0.7)
        months = [m for m in (indexed_month(event) for event in events) if m]
        self.assertGreaterEqual(min(months).year, 2006)
        self.assertLessEqual(max(months).year, 2025)
        self.assertGreater(len(months), 0.95 * events.count())

    def test_it_is_idempotent(self):
        counts = (Event.objects.count(), Person.objects.count())
        self.assertEqual(load_demo_cases(self.org, count=300, seed=11), 0)
        self.assertEqual((Event.objects.count(), Person.objects.count()), counts)

    def test_it_is_deterministic(self):
        first = [(e.title, e.start_date) for e in Event.objects.filter(organization=self.org)[:20]]
        Event.objects.filter(organization=self.org).delete()
        load_demo_cases(self.org, count=300, seed=11)
        again = [(e.title, e.start_date) for e in Event.objects.filter(organization=self.org)[:20]]
        self.assertEqual(first, again)

    def test_it_makes_demo_people_findable(self):
        person = Person.objects.filter(organization=self.org).exclude(maternal_surname="").first()
        hits = search_people(self.org, f"{person.given_names} {person.paternal_surname}")
        self.assertIn(person.pk, [hit.person_id for hit in hits])


class DemoNetworkCasesTests(MemoriaTestCase):
    def test_it_loads_cases_for_every_demo_organization(self):
        seen = Counter()
        load_demo_network(cases=30, progress=lambda org, done, total: seen.update([org.slug]))
        for organization in Organization.objects.filter(is_demo=True):
            # The partner that shares people for the linkage records them in one more case.
            shared = 1 if organization.slug == DEMO_SHARING_PARTNER else 0
            with self.subTest(organization=organization.slug):
                events = Event.objects.filter(organization=organization)
                self.assertEqual(events.count(), 30 + shared)
                self.assertIn(organization.slug, seen)
