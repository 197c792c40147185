"""A family's consents on the search file: the memorial's, and the per-recipient parts."""

from __future__ import annotations

from memoria.cases.models import Person
from memoria.search import actions
from memoria.search.consent import consented_parts, shared_view
from memoria.search.models import AnteMortemFile
from tests.web.public_fixtures import MEMORIAL_NAME, PublicFixtures
from tests.web.search_fixtures import SearchFixtures, file_data, mark_data

MEMORIAL = "/p/centro-norte/memorial/"


class MemorialConsentTests(PublicFixtures):
    """The cases' memorial consent and the search file's must agree to name someone."""

    def test_a_search_file_that_says_no_keeps_the_name_off_the_memorial(self):
        self.publish()
        self.assertIn(MEMORIAL_NAME[1], self.client.get(MEMORIAL).content.decode())
        person = Person.objects.get(pk=self.memorial_act.victim_id)
        file = actions.open_file(person, self.documenter, file_data(memorial_may_name=False))
        self.assertNotIn(MEMORIAL_NAME[1], self.client.get(MEMORIAL).content.decode())
        file = actions.update_file(file, self.documenter, {"memorial_may_name": True}, file.version)
        self.assertTrue(AnteMortemFile.objects.get(pk=file.pk).memorial_may_name)
        self.assertIn(MEMORIAL_NAME[1], self.client.get(MEMORIAL).content.decode())

    def test_the_search_files_yes_alone_names_nobody(self):
        self.publish()
        private = Person.objects.filter(organization=self.org, visibility="private").first()
        actions.open_file(private, self.documenter, file_data(memorial_may_name=True))
        self.assertNotIn(private.paternal_surname, self.client.get(MEMORIAL).content.decode())


class RecipientConsentTests(SearchFixtures):
    def setUp(self):
        self.file = self.make_file()
        actions.add_part(self.file, "mark", self.documenter, mark_data())
        actions.add_part(
            self.file, "contact", self.documenter,
            {"name": "Rosa Ramírez", "phone": "+52 614 000 0000", "receives_news": True},
        )  # fmt: skip
        actions.add_part(
            self.file, "consent", self.documenter,
            {"recipient": self.other_org, "parts": ["marks", "description"],
             "given_by": "Rosa Ramírez (madre)"},
        )  # fmt: skip

    def test_only_the_consented_parts_can_leave_the_organization(self):
        self.assertEqual(consented_parts(self.file, self.other_org), ["description", "marks"])
        view = shared_view(self.file, self.other_org)
        self.assertEqual(set(view), {"description", "marks"})
        self.assertEqual(view["description"]["sex"], "male")
        self.assertEqual(view["marks"][0]["text"], "MARIA")
        text = repr(view)
        for withheld in ("Rosa", "retén", "RNPDNO", "Anáhuac", "apéndice", "José"):
            self.assertNotIn(withheld, text)

    def test_without_a_consent_nothing_is_shared(self):
        from memoria.accounts.models import Organization

        third = Organization.objects.create(name="Tercera", slug="tercera")
        self.assertEqual(shared_view(self.file, third), {})
        self.assertEqual(shared_view(self.file, self.org), {})
