"""Shared fixtures of the search tests: AM files, sites and remains made through the actions."""

from __future__ import annotations

import datetime
from decimal import Decimal

from memoria.places.models import Municipality, State
from memoria.search import actions
from memoria.search.models import AnteMortemFile, RemainsRecord, SearchSite
from tests.web.cases_fixtures import CaseFixtures


def file_data(**overrides) -> dict:
    """What ``actions.open_file`` takes: a young man last seen in Cuauhtémoc in March 2019."""
    data = {
        "last_seen_date": datetime.date(2019, 3, 14),
        "last_seen_precision": "day",
        "state": State.objects.get(code="08"),
        "municipality": Municipality.objects.get(cvegeo="08017"),
        "locality": "Carretera a Anáhuac, km 12",
        "circumstances": "Lo subieron a una camioneta gris en un retén.",
        "search_status": "searching",
        "sex": "male",
        "age_at_disappearance": Decimal(24),
        "stature_cm": Decimal(172),
        "build": "medium",
        "skin": "medium",
        "hair_color": "negro",
        "hair_length": "corto",
        "eye_color": "café oscuro",
        "dental_notes": "le falta un diente de enfrente; corona de oro",
        "clothing": "pantalón de mezclilla azul, playera roja, tenis blancos Nike",
        "belongings": "",
        "medical_conditions": "Operado del apéndice en 2015.",
        "rnpdno_folio": "RNPDNO-2019-08-001234",
        "prosecutor_file": "CI-FGE-CUU-2019-0456",
        "commission_file": "",
        "memorial_may_name": False,
        "memorial_consent_note": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def mark_data(**overrides) -> dict:
    data = {
        "kind": "tattoo",
        "region": "forearm",
        "side": "right",
        "motif": "rosa",
        "text": "MARIA",
        "description": "Una rosa con el nombre de su mamá.",
    }
    data.update(overrides)
    return data


def site_data(**overrides) -> dict:
    data = {
        "name": "Predio La Gallera",
        "kind": "clandestine_grave",
        "found_on": datetime.date(2021, 6, 2),
        "state": State.objects.get(code="08"),
        "municipality": Municipality.objects.get(cvegeo="08017"),
        "locality": "Ejido San Antonio",
        "latitude": Decimal("28.405123"),
        "longitude": Decimal("-106.866321"),
        "found_by_kind": "collective",
        "found_by": "Colectivo Buscadoras del Norte",
        "bodies": Decimal(3),
        "fragments": Decimal(12),
        "exhumation_status": "in_progress",
        "authority": "Fiscalía General del Estado",
        "description": "Tres fosas a 200 m del camino.",
    }
    data.update(overrides)
    return data


def remains_data(**overrides) -> dict:
    data = {
        "site": None,
        "source": "brigade",
        "semefo_folio": "SEMEFO-CUU-2021-0789",
        "found_on": datetime.date(2021, 6, 2),
        "state": State.objects.get(code="08"),
        "municipality": Municipality.objects.get(cvegeo="08017"),
        "locality": "",
        "latitude": None,
        "longitude": None,
        "sex_estimate": "male",
        "age_min": Decimal(20),
        "age_max": Decimal(30),
        "stature_min_cm": Decimal(168),
        "stature_max_cm": Decimal(176),
        "clothing": "pantalón de mezclilla azul; playera color rojo; calzado deportivo blanco",
        "belongings": "",
        "condition": "partial",
        "held_at_kind": "morgue",
        "held_at": "SEMEFO Chihuahua",
        "dna_status": "sampled",
        "identification_status": "unidentified",
        "notes": "cabello negro corto",
    }
    data.update(overrides)
    return data


class SearchFixtures(CaseFixtures):
    def make_file(self, organization=None, **overrides) -> AnteMortemFile:
        organization = organization or self.org
        event = self.make_case(organization)
        act = self.add_victim(
            event,
            violation="enforced_disappearance",
            given_names="José Luis",
            paternal_surname="Ramírez",
            sex="male",
        )
        return actions.open_file(act.victim, self.documenter, file_data(**overrides))

    def make_site(self, organization=None, **overrides) -> SearchSite:
        return actions.record_site(
            organization or self.org, self.documenter, site_data(**overrides)
        )

    def make_remains(self, organization=None, **overrides) -> RemainsRecord:
        return actions.record_remains(
            organization or self.org, self.documenter, remains_data(**overrides)
        )
