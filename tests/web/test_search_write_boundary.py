"""Every write of the search app and its audit entry commit together or not at all."""

from __future__ import annotations

from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.audit.models import AuditEntry
from memoria.search import actions
from memoria.search.models import (
    AnteMortemFile,
    AnteMortemMark,
    BrigadeDay,
    DentalFinding,
    FamilyContact,
    PostMortemMark,
    RecipientConsent,
    ReferenceSample,
    RemainsRecord,
    SearchPhoto,
    SearchSite,
)
from tests.web.search_fixtures import SearchFixtures, mark_data

MODELS = (
    AnteMortemFile,
    AnteMortemMark,
    FamilyContact,
    ReferenceSample,
    RecipientConsent,
    SearchPhoto,
    SearchSite,
    BrigadeDay,
    RemainsRecord,
    PostMortemMark,
    DentalFinding,
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


class AuditRefused(Exception):
    pass


class SearchWriteBoundaryTests(SearchFixtures):
    def setUp(self):
        super().setUp()
        self.file = self.make_file()
        self.mark = actions.add_part(self.file, "mark", self.documenter, mark_data())
        self.contact = actions.add_part(
            self.file, "contact", self.documenter, {"name": "Rosa", "receives_news": True}
        )
        self.site = self.make_site()
        self.day = actions.record_brigade_day(
            self.org, self.documenter, {"date": self.site.found_on, "site": self.site}
        )
        self.remains = self.make_remains()
        self.dental = actions.add_part(
            self.remains, "dental", self.documenter, {"tooth": "21", "finding": "missing_am"}
        )
        self.free = self.add_victim(
            self.make_case(), violation="enforced_disappearance", given_names="Luis"
        ).victim
        self.client.force_login(self.documenter)

    def state(self) -> dict:
        return {
            "audit": AuditEntry.objects.count(),
            **{m.__name__: sorted(m.objects.values_list("pk", "version")) for m in MODELS},
            "news": sorted(FamilyContact.objects.values_list("pk", "receives_news")),
        }

    def writes(self):
        base = f"/o/{self.org.slug}/search"
        file = f"{base}/files/{self.file.pk}"
        remains = f"{base}/remains/{self.remains.pk}"
        remains_form = {
            "source": "brigade", "sex_estimate": "male", "condition": "partial",
            "held_at_kind": "morgue", "dna_status": "not_taken",
            "identification_status": "unidentified",
        }  # fmt: skip
        yield "file", f"{base}/files/new/", {"person": self.free.pk, "search_status": "searching"}
        yield "file edit", f"{file}/edit/", {"search_status": "found_alive", "version": 1}
        yield "mark", f"{file}/marks/new/", {"kind": "scar", "region": "abdomen"}
        yield "mark edit", f"{file}/marks/{self.mark.pk}/", {**mark_data(motif="ancla"),
                                                             "version": 1}  # fmt: skip
        # Evaluated when reached: after the edit above, in the test that lets it save.
        version = AnteMortemMark.objects.get(pk=self.mark.pk).version
        yield "mark removal", f"{file}/marks/{self.mark.pk}/remove/", {"version": version}
        yield "contact (the new designated one)", f"{file}/contacts/new/", {
            "name": "Iván", "receives_news": "on",
        }  # fmt: skip
        yield "sample", f"{file}/samples/new/", {
            "donor": "Rosa", "sample_kind": "buccal", "held_by": "Fiscalía",
        }  # fmt: skip
        yield "consent", f"{file}/consents/new/", {
            "recipient": self.other_org.pk, "parts": ["marks"], "given_by": "Rosa",
        }  # fmt: skip
        yield "photo", f"{file}/photos/new/", {"photo": SimpleUploadedFile("a.png", PNG)}
        yield "site", f"{base}/sites/new/", {
            "name": "Pozo", "kind": "well", "found_by_kind": "press",
            "exhumation_status": "not_started",
        }  # fmt: skip
        yield "site edit", f"{base}/sites/{self.site.pk}/edit/", {
            "name": "Pozo", "kind": "well", "found_by_kind": "press",
            "exhumation_status": "done", "version": 1,
        }  # fmt: skip
        yield "brigade day", f"{base}/brigades/new/", {"date": "2024-05-01"}
        yield "brigade day edit", f"{base}/brigades/{self.day.pk}/", {
            "date": "2021-06-03", "findings": "Nada", "version": 1,
        }  # fmt: skip
        yield "remains", f"{base}/remains/new/", remains_form
        yield "remains edit", f"{remains}/edit/", {**remains_form, "version": 1}
        yield "pm mark", f"{remains}/marks/new/", {"kind": "fracture", "region": "leg"}
        yield "dental edit", f"{remains}/dental/{self.dental.pk}/", {
            "tooth": "11", "finding": "crown", "version": 1,
        }  # fmt: skip

    def test_it_writes_nothing_when_the_audit_entry_cannot_be_written(self):
        for what, path, data in self.writes():
            with self.subTest(write=what):
                before = self.state()
                with (
                    mock.patch("memoria.search.actions.audit", side_effect=AuditRefused),
                    self.assertRaises(AuditRefused),
                ):
                    self.client.post(path, data)
                self.assertEqual(self.state(), before)

    def test_it_writes_and_audits_together_when_the_log_accepts(self):
        for what, path, data in self.writes():
            with self.subTest(write=what):
                before = self.state()
                response = self.client.post(path, data)
                self.assertEqual(response.status_code, 302, what)
                after = self.state()
                self.assertGreater(after["audit"], before["audit"], what)
                self.assertNotEqual({**after, "audit": 0}, {**before, "audit": 0}, what)
