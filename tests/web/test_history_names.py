"""History and audit name records as members know them, in the reader's language."""

from __future__ import annotations

import re

from memoria.audit.log import audit
from memoria.cases import actions
from tests.web.cases_fixtures import CaseFixtures, term


def cells(page: str) -> list[str]:
    """The text of every table cell (cells carry data-label attributes for phones)."""
    return re.findall(r"<td[^>]*>(.*?)</td>", page)


class NamedHistoryTests(CaseFixtures):
    def setUp(self):
        self.event = self.make_case()
        self.act = self.add_victim(
            self.event, given_names="Ana", paternal_surname="Ríos", maternal_surname="Luna"
        )
        self.victim = self.act.victim
        self.relative = actions.add_indirect_victim(
            self.event,
            self.documenter,
            self.victim,
            term("relationship", "mother"),
            {"given_names": "Rosa", "paternal_surname": "Luna", "maternal_surname": "Vega",
             "sex": "female"},
        )  # fmt: skip
        # Recorded while the platform spoke Spanish: the history kept "Testimonio".
        actions.add_source(
            self.event,
            self.documenter,
            {"kind": term("source_kind", "testimony"), "reliability": "high", "reference": "",
             "summary": "Entrevista", "date": None, "acts": [self.act]},
        )  # fmt: skip
        self.url = f"/o/{self.org.slug}/cases/{self.event.pk}/history/"
        self.number = self.event.number

    def history(self, language: str) -> str:
        self.client.force_login(self.documenter)
        self.client.reauthenticate()
        self.client.cookies["memoria_language"] = language
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_names_people_and_violations_instead_of_ids_in_spanish(self):
        page = self.history("es-mx")
        self.assertIn(f"Homicidio contra Ana Ríos Luna, caso #{self.number}", page)  # acts
        self.assertIn("Ana Ríos Luna", cells(page))  # whose relative
        self.assertIn(
            f"Familiar: Rosa Luna Vega, madre de Ana Ríos Luna, caso #{self.number} · Creado", page
        )
        self.assertIn("Madre", cells(page))
        self.assertIn("Testimonio", cells(page))
        for raw_id in (self.act.pk, self.victim.pk):
            self.assertNotIn(f"{raw_id}", cells(page))

    def test_it_shows_vocabulary_terms_in_english_on_english_pages(self):
        page = self.history("en")
        self.assertIn(f"Homicide against Ana Ríos Luna, case #{self.number}", page)
        self.assertIn(
            f"Relative: Rosa Luna Vega, mother of Ana Ríos Luna, case #{self.number}", page
        )
        self.assertIn("Mother", cells(page))
        self.assertIn("Testimony", cells(page))
        self.assertNotIn("Testimonio", page)
        self.assertNotIn("Madre", page)

    def test_it_says_when_a_record_named_in_the_history_was_removed(self):
        act = self.act
        act.refresh_from_db()
        actions.remove_record(act, self.documenter, act.version, kind="act")
        page = self.history("es-mx")
        self.assertIn("Violación: ya no está en el registro", page)  # the act the source supported


class NamedAuditLogTests(CaseFixtures):
    def test_it_names_cases_and_people_in_the_audit_log(self):
        event = self.make_case()
        victim = self.add_victim(event, given_names="Ana", paternal_surname="Ríos").victim
        audit(self.documenter, self.org, "case.view", event)
        audit(self.documenter, self.org, "person.view", victim)
        self.client.force_login(self.coordinator)
        page = self.client.get(f"/o/{self.org.slug}/audit/").content.decode()
        self.assertIn(f"Caso #{event.number}", cells(page))
        self.assertIn("Ana Ríos", cells(page))
        self.assertNotIn(f"Evento {event.pk}", page)
        self.assertNotIn(f"Persona {victim.pk}", page)

        self.client.cookies["memoria_language"] = "en"
        page = self.client.get(f"/o/{self.org.slug}/audit/").content.decode()
        self.assertIn(f"Case #{event.number}", cells(page))
        self.assertIn("Viewed the audit log", page)  # a page that names people is a read too
