"""Vocabularies: seeded terms, an organization's own terms, retired terms, English."""

from __future__ import annotations

from django.test import override_settings

from memoria.cases.models import (
    Act,
    Attribution,
    Term,
    Vocabulary,
)
from tests.web.cases_fixtures import CaseFixtures, event_data, term


class VocabularyTests(CaseFixtures):
    def test_it_seeds_the_vocabularies_of_the_issue(self):
        violations = set(
            Term.objects.filter(vocabulary__code="violation_type").values_list("code", flat=True)
        )
        self.assertGreaterEqual(len(violations), 16)
        self.assertIn("femicide", violations)
        self.assertEqual(Term.objects.filter(vocabulary__code="perpetrator_kind").count(), 12)
        self.assertTrue(term("perpetrator_kind", "navy").state_actor)
        self.assertFalse(term("perpetrator_kind", "organized_crime").state_actor)

    def test_it_lets_a_coordinator_add_and_edit_a_term_of_their_own(self):
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/vocabularies/")
        self.assertContains(response, "Tipo de violación")
        self.assertContains(response, "Compartido por la red")
        response = self.client.post(
            f"/o/{self.org.slug}/vocabularies/violation_type/new/",
            {"code": "despojo", "label_es": "Despojo de tierras", "label_en": "Land dispossession",
             "position": 200, "is_active": "on"},
        )  # fmt: skip
        self.assertRedirects(response, f"/o/{self.org.slug}/vocabularies/")
        own = Term.objects.get(code="despojo")
        self.assertEqual(own.organization, self.org)
        self.client.post(
            f"/o/{self.org.slug}/vocabularies/terms/{own.pk}/",
            {"label_es": "Despojo", "label_en": "Dispossession", "position": 200},
        )
        own.refresh_from_db()
        self.assertEqual(own.label_es, "Despojo")
        self.assertFalse(own.is_active)

    def test_it_offers_an_organizations_terms_only_to_that_organization(self):
        violation = Vocabulary.objects.get(code="violation_type")
        Term.objects.create(
            vocabulary=violation, organization=self.other_org, code="x", label_es="Ajeno",
            label_en="Theirs",
        )  # fmt: skip
        event = self.make_case()
        self.client.force_login(self.documenter)
        response = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/victims/new/")
        self.assertNotContains(response, "Ajeno")

    def test_it_refuses_a_duplicate_code(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            f"/o/{self.org.slug}/vocabularies/violation_type/new/",
            {"code": "torture", "label_es": "Tortura", "label_en": "Torture", "position": 1},
        )
        self.assertContains(response, "ya tiene un término con este código")

    def test_it_keeps_editing_records_that_use_a_retired_term(self):
        event = self.make_case(
            victim={"given_names": "Ana", "violation": "torture", "perpetrator": "army"}
        )
        act = Act.objects.get(event=event)
        attribution = Attribution.objects.get(act=act)
        urgent = term("event_tag", "urgent")
        event.tags.add(urgent)
        Term.objects.filter(organization=None, code__in=["torture", "army", "urgent"]).update(
            is_active=False
        )
        self.client.force_login(self.documenter)
        base = f"/o/{self.org.slug}/cases/{event.pk}"

        self.assertContains(self.client.get(f"{base}/acts/{act.pk}/"), "Tortura (en desuso)")
        response = self.client.post(
            f"{base}/acts/{act.pk}/",
            {"violation_type": act.violation_type_id, "description": "Golpes.", "version": 1},
        )
        self.assertRedirects(response, f"{base}/")
        act.refresh_from_db()
        self.assertEqual((act.violation_type.code, act.description), ("torture", "Golpes."))

        page = self.client.get(f"{base}/perpetrators/{attribution.pk}/")
        self.assertContains(page, "Ejército (en desuso)")
        response = self.client.post(
            f"{base}/perpetrators/{attribution.pk}/",
            {"perpetrator_kind": attribution.kind_id, "confidence": "high", "version": 1},
        )
        self.assertRedirects(response, f"{base}/")

        page = self.client.get(f"{base}/edit/")
        self.assertContains(page, "Urgente (en desuso)")
        self.assertEqual(page.context["form"].initial["tags"], [urgent])
        response = self.client.post(
            f"{base}/edit/", event_data(title="Otro título", tags=[urgent.pk], version=1)
        )
        self.assertRedirects(response, f"{base}/")
        self.assertEqual(list(event.tags.all()), [urgent])

        # A retired term is not offered for new records.
        page = self.client.get(f"{base}/people/{act.victim.pk}/acts/new/")
        self.assertNotContains(page, "Tortura")

    def test_it_keeps_shared_terms_out_of_reach(self):
        self.client.force_login(self.coordinator)
        shared = term("violation_type", "torture")
        response = self.client.get(f"/o/{self.org.slug}/vocabularies/terms/{shared.pk}/")
        self.assertEqual(response.status_code, 404)


@override_settings(LANGUAGE_CODE="en")
class EnglishTests(CaseFixtures):
    def test_it_shows_vocabularies_in_english(self):
        event = self.make_case(victim={"given_names": "Ana", "violation": "femicide"})
        self.client.force_login(self.reader)
        response = self.client.get(
            f"/o/{self.org.slug}/cases/{event.pk}/", HTTP_ACCEPT_LANGUAGE="en"
        )
        self.assertContains(response, "Femicide")
