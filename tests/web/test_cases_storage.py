"""A stolen database must not reveal who is in it: names and testimony are never stored in clear.

Known names, a CURP and a testimony are saved through the pages, then the raw
database is read: every byte of the SQLite database (serialized from the
connection, so it works for the in-memory test database too), or on
PostgreSQL the text of every row of every table.
"""

from __future__ import annotations

from django.db import connection

from memoria.cases.forms import curp_check_digit
from memoria.cases.models import Event, Person
from tests.web.test_cases import CaseFixtures, event_data, term, victim_data

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
            event_data(title=SECRETS["event title"], description=SECRETS["testimony"]),
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
        self.client.get(f"/o/{slug}/people/", {"q": SECRETS["given name"]})
        return event

    def test_it_stores_no_name_or_testimony_in_clear(self):
        event = self.record_everything_through_the_pages()
        # The pages did save everything (and can read it back).
        page = self.client.get(f"/o/{self.org.slug}/cases/{event.pk}/")
        for label in ("given name", "relative", "folio", "group", "testimony"):
            self.assertContains(page, SECRETS[label])
        self.assertEqual(Person.objects.count(), 2)

        raw = raw_database_text()
        self.assertGreater(len(raw), 10_000)
        self.assertIn(b"Chihuahua", raw)  # the reader does see plain columns
        for label, secret in SECRETS.items():
            for form in {secret, secret.lower(), secret.upper()}:
                with self.subTest(label=label, form=form):
                    self.assertNotIn(form.encode(), raw)

    def test_it_finds_the_person_even_so(self):
        self.record_everything_through_the_pages()
        response = self.client.get(
            f"/o/{self.org.slug}/people/", {"q": "xochiquetsal tlacuilotsin"}
        )
        self.assertContains(response, SECRETS["given name"])
