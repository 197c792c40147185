from __future__ import annotations

from django import forms as django_forms
from django.test import TestCase

from memoria.places.forms import PlaceSearchForm
from memoria.places.models import Municipality, State
from tests.web.base import MemoriaTestCase


class CatalogueTests(TestCase):
    def test_it_loads_the_whole_inegi_catalogue(self):
        self.assertEqual(State.objects.count(), 32)
        self.assertEqual(Municipality.objects.count(), 2478)
        total = sum(State.objects.values_list("population_total", flat=True))
        self.assertEqual(total, 126_014_024)

    def test_it_keys_states_by_inegi_and_iso_codes(self):
        chihuahua = State.objects.get(code="08")
        self.assertEqual(chihuahua.name, "Chihuahua")
        self.assertEqual(chihuahua.iso_code, "MX-CHH")
        self.assertEqual(Municipality.objects.get(cvegeo="14098").name, "San Pedro Tlaquepaque")


class MunicipalityLookupTests(MemoriaTestCase):
    def test_it_finds_municipalities_without_accents(self):
        self.client.force_login(self.reader)
        data = self.client.get("/places/municipalities/search.json", {"q": "leon"}).json()
        names = [(m["name"], m["state"]) for m in data["municipalities"]]
        self.assertIn(("León", "Guanajuato"), names)

    def test_it_lists_a_states_municipalities(self):
        self.client.force_login(self.reader)
        data = self.client.get("/places/states/08/municipalities.json").json()
        self.assertEqual(len(data["municipalities"]), 67)
        self.assertIn("Juárez", [m["name"] for m in data["municipalities"]])

    def test_it_needs_a_login(self):
        response = self.client.get("/places/municipalities/search.json", {"q": "leon"})
        self.assertEqual(response.status_code, 302)


class PlaceFormTests(TestCase):
    @staticmethod
    def place_form():
        from memoria.places.forms import PlaceFormMixin

        class Form(PlaceFormMixin, django_forms.Form):
            state = django_forms.ModelChoiceField(State.objects.all(), required=False)
            municipality = django_forms.ModelChoiceField(Municipality.objects.all(), required=False)
            latitude = django_forms.DecimalField(required=False)
            longitude = django_forms.DecimalField(required=False)

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.instance = None
                self.setup_place_fields()

        return Form

    def test_it_rejects_a_municipality_from_another_state(self):
        Form = self.place_form()
        form = Form({"state": "08", "municipality": "14098"})
        self.assertFalse(form.is_valid())
        form = Form({"municipality": "14098"})
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["state"].code, "14")

    def test_a_form_sent_back_without_a_state_lists_only_the_chosen_municipality(self):
        """Any municipality is accepted without a state, but the page sent back with an
        error does not carry all 2,478 of them."""
        Form = self.place_form()
        form = Form({"municipality": "14098", "latitude": "20"})  # longitude missing
        self.assertFalse(form.is_valid())
        html = str(form["municipality"])
        self.assertEqual(html.count("<option"), 2)  # the empty choice and the chosen one
        self.assertIn('<option value="14098" selected>San Pedro Tlaquepaque</option>', html)
        form = Form({"municipality": "nonsense", "latitude": "20"})
        self.assertFalse(form.is_valid())
        self.assertEqual(str(form["municipality"]).count("<option"), 1)
        form = Form({"state": "08", "latitude": "20"})
        self.assertEqual(str(form["municipality"]).count("<option"), 68)  # Chihuahua's 67

    def test_search_form_offers_every_state(self):
        self.assertEqual(PlaceSearchForm().fields["state"].queryset.count(), 32)
