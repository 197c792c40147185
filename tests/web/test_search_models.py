"""The search records: encrypted at rest, written through audited, versioned actions."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from memoria.audit.models import AuditEntry
from memoria.cases.actions import ConflictError
from memoria.search import actions
from memoria.search.dental import validate_fdi
from memoria.search.models import (
    AnteMortemMark,
    DentalFinding,
    FamilyContact,
    RecipientConsent,
    SearchPhoto,
)
from tests.web.search_fixtures import SearchFixtures, mark_data


class SearchModelTests(SearchFixtures):
    def raw(self, table: str, columns: str, pk: int) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])  # noqa: S608
            return cursor.fetchone()

    def test_it_stores_what_identifies_encrypted(self):
        file = self.make_file()
        mark = actions.add_part(file, "mark", self.documenter, mark_data())
        site = self.make_site()
        remains = self.make_remains(site=site)
        stored = self.raw(
            "search_antemortemfile",
            "circumstances, sex, stature_cm, rnpdno_folio, last_seen_date, municipality_id",
            file.pk,
        )
        stored += self.raw("search_antemortemmark", "kind, region, motif, text", mark.pk)
        stored += self.raw("search_searchsite", "name, latitude, longitude, kind", site.pk)
        stored += self.raw(
            "search_remainsrecord", "semefo_folio, sex_estimate, condition", remains.pk
        )
        for value in stored:
            self.assertTrue(str(value).startswith("mv1:"), value)
        self.assertEqual(AnteMortemMark.objects.get(pk=mark.pk).text, "MARIA")

    def test_it_audits_every_write_in_the_same_transaction(self):
        file = self.make_file()
        actions.add_part(file, "mark", self.documenter, mark_data())
        actions.update_file(file, self.documenter, {"stature_cm": Decimal(175)}, file.version)
        codes = list(AuditEntry.objects.values_list("action", flat=True))
        for code in ("search.am_create", "search.part_create", "search.am_update"):
            self.assertIn(code, codes)

    def test_it_refuses_a_stale_edit_and_writes_nothing(self):
        file = self.make_file()
        actions.update_file(file, self.documenter, {"hair_color": "castaño"}, 1)
        with self.assertRaises(ConflictError) as raised:
            actions.update_file(file, self.coordinator, {"hair_color": "güero"}, 1)
        self.assertEqual([d.field for d in raised.exception.differences], ["hair_color"])
        file.refresh_from_db()
        self.assertEqual((file.hair_color, file.version), ("castaño", 2))

    def test_it_keeps_one_designated_person_for_news(self):
        file = self.make_file()
        data = {"name": "Rosa Ramírez", "relationship": "madre", "receives_news": True}
        mother = actions.add_part(file, "contact", self.documenter, data)
        brother = actions.add_part(
            file, "contact", self.documenter, {"name": "Iván", "receives_news": True}
        )
        designated = FamilyContact.objects.filter(file=file, receives_news=True)
        self.assertEqual(list(designated), [brother])
        mother.refresh_from_db()
        self.assertEqual(mother.version, 2)
        with self.assertRaises(IntegrityError), transaction.atomic():
            FamilyContact.objects.filter(pk=mother.pk).update(receives_news=True)

    def test_it_records_consent_per_recipient_with_known_parts_only(self):
        file = self.make_file()
        consent = actions.add_part(
            file,
            "consent",
            self.documenter,
            {"recipient": self.other_org, "parts": ["marks", "description"], "given_by": "Rosa"},
        )
        self.assertEqual(
            RecipientConsent.objects.get(pk=consent.pk).parts, ["description", "marks"]
        )
        with self.assertRaises(ValueError):
            actions.add_part(
                file, "consent", self.documenter, {"recipient": self.org, "parts": ["marks"]}
            )

    def test_it_validates_fdi_tooth_numbers(self):
        for tooth in ("11", "28", "48", "55", "85"):
            validate_fdi(tooth)
        for tooth in ("10", "19", "49", "56", "91", "1", "abc"):
            with self.assertRaises(ValidationError, msg=tooth):
                validate_fdi(tooth)
        remains = self.make_remains()
        finding = actions.add_part(
            remains, "dental", self.documenter, {"tooth": "21", "finding": "missing_am"}
        )
        self.assertEqual(DentalFinding.objects.get(pk=finding.pk).tooth, "21")

    def test_it_removes_a_part_only_at_the_version_seen(self):
        remains = self.make_remains()
        mark = actions.add_part(remains, "pm_mark", self.documenter, mark_data(region="back"))
        actions.update_part(mark, "pm_mark", self.documenter, {"motif": "virgen"}, 1)
        with self.assertRaises(ConflictError):
            actions.remove_part(mark, "pm_mark", self.documenter, 1)
        actions.remove_part(mark, "pm_mark", self.documenter, 2)
        self.assertFalse(remains.marks.exists())

    def test_it_stores_photos_encrypted_for_exactly_one_record(self):
        file = self.make_file()
        upload = io.BytesIO(b"\x89PNG fake bytes")
        upload.name = "tatuaje.png"
        upload.content_type = "image/png"
        photo = actions.add_photo(file, self.documenter, upload, "El tatuaje del brazo")
        self.assertTrue(self.raw("search_searchphoto", "filename", photo.pk)[0].startswith("mv1:"))
        self.assertEqual(SearchPhoto.objects.get(pk=photo.pk).content, b"\x89PNG fake bytes")
        with self.assertRaises(IntegrityError), transaction.atomic():
            SearchPhoto.objects.create(organization=self.org, filename="x.png")

    def test_it_refuses_a_site_of_another_organization(self):
        theirs = self.make_site(self.other_org)
        with self.assertRaises(ValueError):
            self.make_remains(site=theirs)
        with self.assertRaises(ValueError):
            actions.record_brigade_day(
                self.org, self.documenter, {"date": theirs.found_on, "site": theirs}
            )
