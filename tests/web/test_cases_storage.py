"""A stolen database must not reveal who is in it: names and testimony are never stored in clear.

Known names, a CURP, a testimony and the exact coordinates of a place are
saved through the pages, then the raw database is read: every byte of the
SQLite database (serialized from the connection, so it works for the in-memory
test database too), or on PostgreSQL the text of every row of every table.
"""

from __future__ import annotations

import importlib
import struct
from decimal import Decimal
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from memoria.cases.io.bulk import bulk_create_sealed
from memoria.cases.models import Event, Person
from memoria.names.curp import curp_check_digit
from memoria.vault.cipher import is_ciphertext
from tests.web.cases_fixtures import CaseFixtures, event_data, term, victim_data

CURP_STEM = "XOTZ850612MGRCLT0"
SECRETS = {
    "given name": "Xochiquetzal",
    "paternal surname": "Tlacuilotzin",
    "maternal surname": "Quiñonesvargas",
    "alias": "La Güerita del Zócalo",
    "relative": "Huitzilihuitl",
    "curp": CURP_STEM + str(curp_check_digit(CURP_STEM)),
    "event title": "Levantón frente a la tienda Abarrotes Tlalixtac",
    "testimony": "su hermana vio la camioneta gris con vidrios polarizados",
    "act description": "le quitaron el teléfono y la subieron a la fuerza",
    "folio": "FGE-GRO-7731-2024",
    "group": "Célula Los Quetzales",
}
LATITUDE, LONGITUDE = "28.635317", "-106.088923"


def coordinate_forms(text: str) -> list[bytes]:
    """The forms a coordinate could take in a raw database.

    Its digits, also without the last ones (a column of less precision), and an
    8-byte float (SQLite's REAL is big-endian on disk; little-endian for good measure).
    """
    digits = text.lstrip("-")
    number = float(text)
    return [digits[:end].encode() for end in (None, -1, -2)] + [
        struct.pack(">d", number),
        struct.pack("<d", number),
    ]


def raw_database_text() -> bytes:
    """Everything the database holds, as bytes, without going through the models."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return connection.connection.serialize()
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT t::text FROM "{table}" AS t')  # noqa: S608 - names from the catalogue
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks).encode()


class StorageTests(CaseFixtures):
    def record_everything_through_the_pages(self) -> Event:
        self.client.force_login(self.documenter)
        slug = self.org.slug
        self.client.post(
            f"/o/{slug}/cases/new/",
            event_data(
                title=SECRETS["event title"],
                description=SECRETS["testimony"],
                latitude=LATITUDE,
                longitude=LONGITUDE,
            ),
        )
        event = Event.objects.get(organization=self.org)
        self.client.post(
            f"/o/{slug}/cases/{event.pk}/victims/new/",
            victim_data(
                given_names=SECRETS["given name"],
                paternal_surname=SECRETS["paternal surname"],
                maternal_surname=SECRETS["maternal surname"],
                aliases=SECRETS["alias"],
                curp=SECRETS["curp"],
                act_description=SECRETS["act description"],
                group_name=SECRETS["group"],
            ),
        )
        victim = Person.objects.get()
        self.client.post(
            f"/o/{slug}/cases/{event.pk}/relatives/new/",
            {
                "direct_victim": victim.pk,
                "relationship": term("relationship", "sister").pk,
                "given_names": SECRETS["relative"],
                "paternal_surname": SECRETS["paternal surname"],
                "sex": "female",
            },
        )
        self.client.post(
            f"/o/{slug}/cases/{event.pk}/sources/new/",
            {
                "kind": term("source_kind", "testimony").pk,
                "reliability": "high",
                "summary": SECRETS["testimony"],
                "next": "done",
            },
        )
        self.client.post(
            f"/o/{slug}/cases/{event.pk}/interventions/new/",
            {"kind": term("intervention_kind", "complaint_prosecutor").pk,
             "folio": SECRETS["folio"]},
        )  # fmt: skip
        # An edit too: the history keeps the old and new names.
        self.client.post(
            f"/o/{slug}/people/{victim.pk}/edit/",
            {
                "given_names": SECRETS["given name"] + " María",
                "paternal_surname": SECRETS["paternal surname"],
                "maternal_surname": SECRETS["maternal surname"],
                "sex": "female",
                "visibility": "private",
                "version": victim.version,
            },
        )
        # Views and searches leave audit entries: those must not hold names either.
        self.client.get(f"/o/{slug}/cases/{event.pk}/")
        self.client.post(f"/o/{slug}/people/", {"q": SECRETS["given name"]})
        return event

    def test_it_stores_no_name_or_testimony_in_clear(self):
        event = self.record_everything_through_the_pages()
        # The pages did save everything (and can read it back).
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        for label in ("given name", "relative", "folio", "group", "testimony"):
            self.assertContains(page, SECRETS[label])
        self.assertContains(page, f"({LATITUDE}, {LONGITUDE})")
        self.assertEqual(Person.objects.count(), 2)

        raw = raw_database_text()
        self.assertGreater(len(raw), 10_000)
        self.assertIn(b"Chihuahua", raw)  # the reader does see plain columns
        for label, secret in SECRETS.items():
            for form in {secret, secret.lower(), secret.upper()}:
                with self.subTest(label=label, form=form):
                    self.assertNotIn(form.encode(), raw)
        for coordinate in (LATITUDE, LONGITUDE):
            for form in coordinate_forms(coordinate):
                with self.subTest(coordinate=coordinate, form=form):
                    self.assertNotIn(form, raw)

    def test_it_finds_the_person_even_so(self):
        self.record_everything_through_the_pages()
        response = self.client.post(
            f"/o/{self.org.slug}/people/", {"q": "xochiquetsal tlacuilotsin"}
        )
        self.assertContains(response, SECRETS["given name"])


class TypedTextTests(CaseFixtures):
    """What a person types is stored as text, even when it looks like a ciphertext."""

    def add_victim_through_the_page(self, event: Event, given_names: str) -> Person:
        response = self.client.post(
            f"/o/{self.org.slug}/cases/{event.pk}/victims/new/",
            victim_data(given_names=given_names, next="done"),
        )
        self.assertEqual(response.status_code, 302)
        return Person.objects.get(organization=self.org, acts__event=event)

    def test_it_keeps_a_name_that_looks_like_a_ciphertext(self):
        self.client.force_login(self.documenter)
        event = self.make_case()
        person = self.add_victim_through_the_page(event, "mv1:abc")
        self.assertEqual(Person.objects.get(pk=person.pk).given_names, "mv1:abc")
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertContains(page, "mv1:abc")

    def leaked_name(self) -> str:
        """Another organization's victim's name, as a leaked copy of its database shows it."""
        theirs = self.make_case(self.other_org, victim={"given_names": "Citlalmina Ajena"})
        victim = Person.objects.get(organization=self.other_org, acts__event=theirs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT given_names FROM cases_person WHERE id = %s", [victim.pk])
            return cursor.fetchone()[0]

    def test_it_does_not_decrypt_another_organizations_ciphertext_typed_into_a_form(self):
        leaked = self.leaked_name()
        self.client.force_login(self.documenter)
        event = self.make_case()
        person = self.add_victim_through_the_page(event, leaked)
        self.assertEqual(Person.objects.get(pk=person.pk).given_names, leaked)
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        self.assertNotContains(page, "Citlalmina")

    def test_it_imports_a_cell_that_looks_like_a_ciphertext_as_text(self):
        leaked = self.leaked_name()
        people = [Person(organization=self.org, given_names=name) for name in (leaked, "mv1:x")]
        bulk_create_sealed(Person, people, self.org.pk)
        names = {p.given_names for p in Person.objects.filter(organization=self.org)}
        self.assertEqual(names, {leaked, "mv1:x"})


class CoordinateMigrationTests(CaseFixtures):
    """Coordinates written before they were encrypted are encrypted by migration 0006."""

    migration = importlib.import_module("memoria.cases.migrations.0006_encrypt_event_coordinates")

    def raw_coordinates(self, event: Event) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute("SELECT latitude, longitude FROM cases_event WHERE id = %s", [event.pk])
            return cursor.fetchone()

    def test_it_encrypts_coordinates_stored_in_clear_and_back(self):
        event = self.make_case()
        untouched = self.make_case()
        with connection.cursor() as cursor:  # as the column holds them once it is text
            cursor.execute(
                "UPDATE cases_event SET latitude = %s, longitude = %s WHERE id = %s",
                ["28.635317", "-106.0889", event.pk],
            )
        schema_editor = SimpleNamespace(connection=connection)

        self.migration.encrypt_coordinates(apps, schema_editor)
        latitude, longitude = self.raw_coordinates(event)
        self.assertTrue(is_ciphertext(latitude) and is_ciphertext(longitude))
        fresh = Event.objects.get(pk=event.pk)
        self.assertEqual(fresh.latitude, Decimal("28.635317"))
        self.assertEqual(fresh.longitude, Decimal("-106.088900"))
        self.assertEqual(self.raw_coordinates(untouched), (None, None))

        self.migration.decrypt_coordinates(apps, schema_editor)
        self.assertEqual(self.raw_coordinates(event), ("28.635317", "-106.088900"))
