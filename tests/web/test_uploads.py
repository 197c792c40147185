"""Uploaded files stay in memory: no temporary file in clear, whatever their size.

Django's default handlers write an upload over 2.5 MB to a temporary file;
these tests watch the function that would create it.
"""

from __future__ import annotations

from unittest import mock

from django.core.files import temp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from memoria.cases.models import Attachment, Source
from memoria.core.uploads import OversizedUpload
from tests.web.cases_fixtures import CaseFixtures, term

MB = 1024 * 1024


def watch_temporary_files():
    return mock.patch.object(temp, "NamedTemporaryFile", wraps=temp.NamedTemporaryFile)


class UploadTests(CaseFixtures):
    def setUp(self):
        self.event = self.make_case()
        self.client.force_login(self.documenter)

    def post_source_with(self, content: bytes, name: str = "acta.pdf"):
        return self.client.post(
            f"/o/{self.org.slug}/cases/{self.event.pk}/sources/new/",
            {
                "kind": term("source_kind", "official_document").pk,
                "reliability": "high",
                "attachment": SimpleUploadedFile(name, content, "application/pdf"),
                "next": "done",
            },
        )

    def test_it_keeps_a_large_attachment_out_of_temporary_files(self):
        content = b"%PDF-1.7 acta " + b"x" * (3 * MB)
        with watch_temporary_files() as made:
            response = self.post_source_with(content)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(made.call_count, 0)
        attachment = Attachment.objects.get()
        self.assertEqual(attachment.size, len(content))
        self.assertEqual(attachment.content, content)

    def test_it_says_a_file_is_too_large_and_keeps_none_of_it(self):
        with watch_temporary_files() as made:
            response = self.post_source_with(b"x" * (11 * MB))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "10 MB")
        self.assertEqual(made.call_count, 0)
        self.assertFalse(Source.objects.exists())
        self.assertFalse(Attachment.objects.exists())

    def test_it_says_a_spreadsheet_is_too_large(self):
        with watch_temporary_files() as made:
            response = self.client.post(
                f"/o/{self.org.slug}/cases/import/",
                {"file": SimpleUploadedFile("casos.csv", b"a;b\n" * (3 * MB), "text/csv")},
            )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "10 MB")
        self.assertEqual(made.call_count, 0)

    @override_settings(MEMORIA_UPLOAD_MAX_REQUEST_BYTES=1 * MB)
    def test_it_refuses_a_request_far_past_the_limit_unread(self):
        response = self.post_source_with(b"x" * (2 * MB))
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Source.objects.exists())

    def test_it_cannot_read_the_content_of_an_oversized_file(self):
        upload = OversizedUpload("grande.pdf", "application/pdf", 11 * MB, None, None)
        self.assertEqual(upload.size, 11 * MB)
        with self.assertRaises(ValueError):
            upload.read()
