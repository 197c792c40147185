"""The registry absence report's record-linkage path (Splink), run on ~1,000 generated records.

Below ``absence.LINKAGE_MIN_RECORDS`` the report links by the name rule; at
or above it, by ``memoria.linkage`` (Splink on DuckDB). This runs that path
on 520 families' files and 530 registry records, made up with a seed (no
database: unsaved rows carry what the comparison reads), where 40 of the
files' people are in no registry record, and checks that the report finds
them absent and links the others.
"""

from __future__ import annotations

import datetime
import random
import time
import unicodedata
from decimal import Decimal

from django.test import SimpleTestCase

from memoria.cases.models import Person
from memoria.search import absence
from memoria.search.models import AnteMortemFile, FileSource

GIVEN = (
    "José Luis", "María", "Juan Carlos", "Ana Lilia", "Pedro", "Guadalupe", "Francisco",
    "Rosa Elena", "Miguel Ángel", "Verónica", "Jesús", "Alejandra", "Raúl", "Claudia",
    "Jorge", "Patricia", "Ricardo", "Lucía", "Fernando", "Teresa", "Arturo", "Adriana",
    "Sergio", "Gabriela", "Héctor", "Leticia", "Armando", "Norma", "Rubén", "Silvia",
    "Óscar", "Marisol", "Édgar", "Araceli", "Iván", "Yolanda", "Rogelio", "Beatriz",
)  # fmt: skip
SURNAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo",
    "Romero", "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez", "Ramos", "Domínguez",
    "Herrera", "Medina", "Castro", "Vargas", "Guzmán", "Velázquez", "Rojas", "Contreras",
    "Salazar", "Luna", "Ortega", "Santiago", "Guerrero", "Bautista", "Estrada", "Cortés",
    "Soto", "Núñez", "Xolalpa", "Tapia", "Carrillo", "Ibarra", "Valdez", "Mejía", "Cano",
)  # fmt: skip
MUNICIPALITIES = ("08017", "08019", "08037", "08021", "08032")
FILES, ABSENT, REGISTRY_ONLY = 520, 40, 50


def plain_upper(text: str) -> str:
    """The registry's spelling: capitals, no accents."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).upper()


def person_fields(rng: random.Random) -> dict:
    return {
        "given": rng.choice(GIVEN),
        "paternal": rng.choice(SURNAMES),
        "maternal": rng.choice(SURNAMES),
        "sex": rng.choice(["male", "male", "female"]),
        "age": rng.randint(15, 60),
        "date": datetime.date(2010, 1, 1) + datetime.timedelta(days=rng.randint(0, 5000)),
        "municipality": rng.choice(MUNICIPALITIES),
    }


def family_file(pk: int, p: dict) -> AnteMortemFile:
    person = Person(
        given_names=p["given"], paternal_surname=p["paternal"], maternal_surname=p["maternal"]
    )
    return AnteMortemFile(
        pk=pk,
        person=person,
        source=FileSource.FAMILY,
        sex=p["sex"],
        age_at_disappearance=Decimal(p["age"]),
        last_seen_date=p["date"],
        last_seen_precision="day",
        state_id="08",
        municipality_id=p["municipality"],
    )


def registry_record(pk: int, p: dict, rng: random.Random) -> AnteMortemFile:
    """The registry's version: surname first in capitals, sometimes a gap or a slip."""
    maternal = "" if rng.random() < 0.05 else p["maternal"]
    name = plain_upper(" ".join(part for part in (p["paternal"], maternal, p["given"]) if part))
    date, precision = p["date"], "day"
    if rng.random() < 0.2:
        date, precision = date.replace(day=1), "month"
    age = p["age"] + rng.choice([0, 0, 0, 1, -1])
    return AnteMortemFile(
        pk=pk,
        source=FileSource.RNPDNO,
        rnpdno_folio=f"RNP-{pk}",
        official_name=name,
        sex=p["sex"] if rng.random() > 0.05 else "",
        age_at_disappearance=Decimal(age),
        last_seen_date=date,
        last_seen_precision=precision,
        state_id="08",
        municipality_id=p["municipality"] if rng.random() > 0.1 else None,
    )


def generated(seed: int = 12):
    rng = random.Random(seed)
    people = [person_fields(rng) for _ in range(FILES)]
    files = [family_file(i + 1, p) for i, p in enumerate(people)]
    absent = {f.pk for f in files[:ABSENT]}  # the first ones have no registry record
    records = [
        registry_record(10_000 + i, p, rng) for i, p in enumerate(people) if i + 1 not in absent
    ]
    others = [person_fields(rng) for _ in range(REGISTRY_ONLY)]
    records += [registry_record(20_000 + i, p, rng) for i, p in enumerate(others)]
    truth = {f.pk: 10_000 + i for i, f in enumerate(files) if f.pk not in absent}
    return files, records, absent, truth


class SplinkPathTests(SimpleTestCase):
    def test_the_linkage_path_finds_the_people_absent_from_the_registry(self):
        files, records, absent, truth = generated()
        self.assertGreaterEqual(len(files) + len(records), absence.LINKAGE_MIN_RECORDS)
        started = time.monotonic()
        links = absence._by_linkage(files, records, lambda *_: None)
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 60, f"the linkage took {elapsed:.1f} s")
        self.assertTrue(links)
        self.assertEqual({link.method for link in links}, {absence.LINKAGE})
        comparison = absence.Comparison(
            files=[f.pk for f in files],
            records=[r.pk for r in records],
            links=links,
            method=absence.LINKAGE,
        )
        result = absence.classify(comparison, {})
        found_absent = set(result.absent)
        in_review = {link.file for link in result.uncertain}
        # Every known absent person is reported absent, or at most left for review:
        # never linked to someone else's registry record.
        linked = {link.file for link in links if link.probability >= absence.THRESHOLD}
        self.assertFalse(absent & linked, sorted(absent & linked))
        self.assertGreaterEqual(len(absent & found_absent), 0.9 * len(absent))
        self.assertEqual(absent - found_absent - in_review, set())
        # And the people in the registry are found there: few reported absent by mistake.
        wrongly_absent = found_absent - absent
        self.assertLessEqual(len(wrongly_absent), 0.05 * len(truth), sorted(wrongly_absent))
        right = {
            link.file
            for link in links
            if link.probability >= absence.THRESHOLD and truth.get(link.file) == link.record
        }
        self.assertGreaterEqual(len(right), 0.9 * len(truth))
        print(
            f"\nSplink absence path: {len(files) + len(records)} records in {elapsed:.1f} s; "
            f"absent found {len(absent & found_absent)}/{len(absent)}, "
            f"linked right {len(right)}/{len(truth)}, wrongly absent {len(wrongly_absent)}"
        )


class RegistryNameOrderTests(SimpleTestCase):
    def test_a_given_first_list_keeps_its_order_even_with_an_uncommon_last_surname(self):
        names = [
            "JOSE LUIS HERNANDEZ GARCIA",
            "MARIA LOPEZ PEREZ",
            "PEDRO SANCHEZ XOLALPA",  # Xolalpa is no common surname: read alone, it flips
            "ANA LILIA TLATELPA VILLALOBOS",
        ]
        self.assertEqual(absence.registry_names(names), names)

    def test_a_surnames_first_list_gets_its_commas(self):
        names = ["HERNANDEZ GARCIA JOSE LUIS", "XOLALPA TAPIA PEDRO", "LOPEZ ANA"]
        self.assertEqual(
            absence.registry_names(names),
            ["HERNANDEZ GARCIA, JOSE LUIS", "XOLALPA TAPIA, PEDRO", "LOPEZ, ANA"],
        )
