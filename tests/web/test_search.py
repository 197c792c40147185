"""The search pages: AM files, graves and brigade days, remains; personas and audit."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from memoria.audit.models import AuditEntry
from memoria.search import actions
from memoria.search.models import (
    AnteMortemFile,
    AnteMortemMark,
    BrigadeDay,
    DentalFinding,
    FamilyContact,
    RemainsRecord,
    SearchPhoto,
    SearchSite,
)
from tests.web.search_fixtures import SearchFixtures, mark_data

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def url(org, *parts) -> str:
    return "/".join([f"/o/{org.slug}/search", *map(str, parts)]) + "/"


def file_form(**overrides) -> dict:
    data = {
        "search_status": "searching",
        "last_seen_year": "2019",
        "last_seen_month": "3",
        "last_seen_day": "14",
        "state": "08",
        "municipality": "08017",
        "locality": "Carretera a Anáhuac",
        "circumstances": "Salió a trabajar y no regresó.",
        "sex": "male",
        "age_at_disappearance": "24",
        "stature_cm": "172",
        "build": "medium",
        "skin": "medium",
        "hair_color": "negro",
        "hair_length": "corto",
        "clothing": "pantalón de mezclilla azul, playera roja",
    }
    data.update(overrides)
    return data


class FilePagesTests(SearchFixtures):
    def test_a_documenter_opens_a_file_and_adds_a_tattoo(self):
        event = self.make_case()
        act = self.add_victim(
            event, violation="enforced_disappearance", given_names="Luis", paternal_surname="Mora"
        )
        self.client.force_login(self.documenter)
        form = self.client.get(url(self.org, "files/new"))
        self.assertContains(form, "Luis Mora")
        response = self.client.post(url(self.org, "files/new"), file_form(person=act.victim.pk))
        file = AnteMortemFile.objects.get(organization=self.org)
        self.assertRedirects(response, url(self.org, "files", file.pk))
        self.assertEqual((file.person, file.last_seen_precision), (act.victim, "day"))
        self.assertEqual(file.municipality_id, "08017")
        response = self.client.post(
            url(self.org, "files", file.pk, "marks/new"),
            {
                "kind": "tattoo",
                "region": "forearm",
                "side": "right",
                "motif": "rosa",
                "text": "MARIA",
            },
        )
        self.assertRedirects(response, url(self.org, "files", file.pk))
        page = self.client.get(url(self.org, "files", file.pk))
        self.assertContains(page, "MARIA")
        self.assertContains(page, "Salió a trabajar y no regresó.")
        entries = AuditEntry.objects.filter(action__startswith="search.")
        self.assertTrue(
            {"search.am_create", "search.part_create", "search.am_view"}
            <= set(entries.values_list("action", flat=True))
        )
        for entry in entries:
            self.assertNotIn("MARIA", str(entry.details))

    def test_a_person_can_have_only_one_file(self):
        file = self.make_file()
        self.client.force_login(self.documenter)
        response = self.client.post(url(self.org, "files/new"), file_form(person=file.person.pk))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(AnteMortemFile.objects.count(), 1)

    def test_a_stale_edit_is_explained_and_nothing_is_saved(self):
        file = self.make_file()
        actions.update_file(file, self.coordinator, {"hair_color": "castaño"}, 1)
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, "files", file.pk, "edit"), file_form(hair_color="güero", version="1")
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "castaño", status_code=409)
        file.refresh_from_db()
        self.assertEqual(file.hair_color, "castaño")

    def test_the_designated_contact_and_a_consent_are_recorded(self):
        file = self.make_file()
        self.client.force_login(self.documenter)
        self.client.post(
            url(self.org, "files", file.pk, "contacts/new"),
            {"name": "Rosa Mora", "relationship": "madre", "phone": "+52 614 123 4567",
             "receives_news": "on"},
        )  # fmt: skip
        self.assertTrue(FamilyContact.objects.get(file=file).receives_news)
        response = self.client.post(
            url(self.org, "files", file.pk, "consents/new"),
            {"recipient": self.other_org.pk, "parts": ["marks", "description"], "given_by": "Rosa"},
        )
        self.assertRedirects(response, url(self.org, "files", file.pk))
        self.assertEqual(file.consents.get().parts, ["description", "marks"])
        page = self.client.get(url(self.org, "files", file.pk))
        self.assertContains(page, self.other_org.name)

    def test_a_mark_is_edited_and_removed_at_the_version_seen(self):
        file = self.make_file()
        mark = actions.add_part(file, "mark", self.documenter, mark_data())
        self.client.force_login(self.documenter)
        path = url(self.org, "files", file.pk, "marks", mark.pk)
        response = self.client.post(path, {**mark_data(motif="calavera"), "version": "1"})
        self.assertRedirects(response, url(self.org, "files", file.pk))
        self.client.post(path + "remove/", {"version": "1"})  # stale: kept
        self.assertTrue(AnteMortemMark.objects.filter(pk=mark.pk).exists())
        self.client.post(path + "remove/", {"version": "2"})
        self.assertFalse(AnteMortemMark.objects.filter(pk=mark.pk).exists())

    def test_the_photo_form_of_a_file_is_audited_as_a_read_of_it(self):
        file = self.make_file()
        self.client.force_login(self.documenter)
        page = self.client.get(url(self.org, "files", file.pk, "photos/new"))
        self.assertContains(page, file.person.full_name)
        self.assertTrue(
            AuditEntry.objects.filter(
                organization=self.org, actor=self.documenter, action="search.am_view",
                target_id=str(file.pk), details__form="PhotoForm",
            ).exists()
        )  # fmt: skip

    def test_photos_are_shown_only_when_they_are_images(self):
        file = self.make_file()
        self.client.force_login(self.documenter)
        for name, content in (("tatuaje.png", PNG), ("nota.html", b"<script>alert(1)</script>")):
            self.client.post(
                url(self.org, "files", file.pk, "photos/new"),
                {"photo": SimpleUploadedFile(name, content, "image/png"), "caption": name},
            )
        png, html = SearchPhoto.objects.order_by("id")
        response = self.client.get(url(self.org, "photos", png.pk))
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertIn("no-store", response["Cache-Control"])
        response = self.client.get(url(self.org, "photos", html.pk))
        self.assertEqual(response["Content-Type"], "application/octet-stream")
        self.assertTrue(response["Content-Disposition"].startswith("attachment"))


class SitesAndRemainsPagesTests(SearchFixtures):
    def test_a_brigade_records_a_site_a_day_and_remains(self):
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, "sites/new"),
            {"name": "Predio El Mezquite", "kind": "clandestine_grave", "found_on": "2021-06-02",
             "found_by_kind": "collective", "state": "08", "municipality": "08017",
             "latitude": "28.405123", "longitude": "-106.866321", "bodies": "3",
             "exhumation_status": "not_started"},
        )  # fmt: skip
        site = SearchSite.objects.get()
        self.assertRedirects(response, url(self.org, "sites", site.pk))
        self.assertEqual(str(site.latitude), "28.405123")
        response = self.client.post(
            url(self.org, "brigades/new") + f"?site={site.pk}",
            {"site": site.pk, "date": "2021-06-02", "participants": "Doña Lety, Juan, Marisol",
             "findings": "Tres puntos positivos con la varilla."},
        )  # fmt: skip
        self.assertRedirects(response, url(self.org, "brigades"))
        self.assertEqual(BrigadeDay.objects.get().site, site)
        response = self.client.post(
            url(self.org, "remains/new"),
            {"site": site.pk, "source": "brigade", "found_on": "2021-06-03",
             "sex_estimate": "male", "age_min": "20", "age_max": "30", "condition": "skeletonized",
             "held_at_kind": "morgue", "dna_status": "sampled",
             "identification_status": "unidentified", "state": "08"},
        )  # fmt: skip
        remains = RemainsRecord.objects.get()
        self.assertRedirects(response, url(self.org, "remains", remains.pk))
        response = self.client.post(
            url(self.org, "remains", remains.pk, "dental/new"),
            {"tooth": "21", "finding": "missing_am"},
        )
        self.assertEqual(DentalFinding.objects.get().tooth, "21")
        page = self.client.get(url(self.org, "sites", site.pk))
        self.assertContains(page, "Doña Lety, Juan, Marisol")
        self.assertContains(page, url(self.org, "remains", remains.pk))

    def test_a_wrong_tooth_number_is_refused(self):
        remains = self.make_remains()
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, "remains", remains.pk, "dental/new"), {"tooth": "19", "finding": "crown"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(DentalFinding.objects.exists())

    def test_an_age_range_must_not_be_reversed(self):
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, "remains/new"),
            {"source": "brigade", "sex_estimate": "male", "age_min": "40", "age_max": "30",
             "condition": "partial", "held_at_kind": "morgue", "dna_status": "not_taken",
             "identification_status": "unidentified"},
        )  # fmt: skip
        self.assertEqual(response.status_code, 200)
        self.assertFalse(RemainsRecord.objects.exists())


class SearchPersonasTests(SearchFixtures):
    def records(self):
        file = self.make_file()
        mark = actions.add_part(file, "mark", self.documenter, mark_data())
        site = self.make_site()
        remains = self.make_remains(site=site)
        finding = actions.add_part(
            remains, "dental", self.documenter, {"tooth": "21", "finding": "missing_am"}
        )
        day = actions.record_brigade_day(
            self.org, self.documenter, {"date": site.found_on, "site": site, "findings": "Nada"}
        )
        return file, mark, site, remains, finding, day

    def read_paths(self, file, mark, site, remains, finding, day) -> list[str]:
        return [
            url(self.org),
            url(self.org, "files", file.pk),
            url(self.org, "sites"),
            url(self.org, "sites", site.pk),
            url(self.org, "brigades"),
            url(self.org, "remains"),
            url(self.org, "remains", remains.pk),
        ]

    def write_paths(self, file, mark, site, remains, finding, day) -> list[str]:
        return [
            url(self.org, "files/new"),
            url(self.org, "files", file.pk, "edit"),
            url(self.org, "files", file.pk, "marks/new"),
            url(self.org, "files", file.pk, "marks", mark.pk),
            url(self.org, "files", file.pk, "contacts/new"),
            url(self.org, "files", file.pk, "samples/new"),
            url(self.org, "files", file.pk, "consents/new"),
            url(self.org, "files", file.pk, "photos/new"),
            url(self.org, "sites/new"),
            url(self.org, "sites", site.pk, "edit"),
            url(self.org, "brigades/new"),
            url(self.org, "brigades", day.pk),
            url(self.org, "remains/new"),
            url(self.org, "remains", remains.pk, "edit"),
            url(self.org, "remains", remains.pk, "marks/new"),
            url(self.org, "remains", remains.pk, "dental", finding.pk),
        ]

    def test_readers_see_but_cannot_write(self):
        records = self.records()
        self.client.force_login(self.reader)
        for path in self.read_paths(*records):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, "/edit/")
        for path in self.write_paths(*records):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 403)
                self.assertEqual(self.client.post(path, {}).status_code, 403)
        self.assertEqual(AnteMortemFile.objects.get().version, 1)

    def test_documenters_and_coordinators_reach_every_page(self):
        records = self.records()
        for user in (self.documenter, self.coordinator):
            self.client.force_login(user)
            for path in self.read_paths(*records) + self.write_paths(*records):
                with self.subTest(user=user.email, path=path):
                    self.assertEqual(self.client.get(path).status_code, 200)

    def test_analysts_see_nothing_of_it(self):
        records = self.records()
        self.client.force_login(self.analyst)
        for path in self.read_paths(*records):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 403)
        self.assertNotContains(self.client.get(f"/o/{self.org.slug}/"), url(self.org))

    def test_an_outsider_gets_404_even_with_real_ids(self):
        file, mark, site, remains, finding, day = records = self.records()
        photo = actions.add_photo(file, self.documenter, SimpleUploadedFile("a.png", PNG))
        self.client.force_login(self.outsider)
        own = self.other_org
        paths = [
            p.replace(f"/o/{self.org.slug}/", f"/o/{own.slug}/")
            for p in self.read_paths(*records) + self.write_paths(*records)
            if re.search(r"/[0-9]+/", p)
        ]
        paths.append(url(own, "photos", photo.pk))
        for path in paths:
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)
        for path in self.read_paths(*records):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)

    def test_a_part_of_another_file_is_not_found(self):
        file, mark, *_ = self.records()
        other = self.make_file()
        self.client.force_login(self.documenter)
        response = self.client.get(url(self.org, "files", other.pk, "marks", mark.pk))
        self.assertEqual(response.status_code, 404)
        response = self.client.get(url(self.org, "remains", 99999, "dental/new"))
        self.assertEqual(response.status_code, 404)
