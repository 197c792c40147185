"""The victims' registry: who sees and records what, the writes, the owed list and the timeline."""

from __future__ import annotations

from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings

from memoria.audit.models import AuditEntry
from memoria.victims import actions, follow
from memoria.victims.models import CommissionRequest, Measure, Registration, VictimDocument
from tests.web.victims_fixtures import (
    D,
    VictimsFixtures,
    form_values,
    measure_data,
    registration_data,
    request_data,
)


class PersonaTests(VictimsFixtures):
    """Every page of the app, for every persona: outsiders 404, readers read, analysts count."""

    def read_pages(self) -> list[str]:
        return [
            self.url("list"),
            self.url("owed"),
            self.url("person", self.son.pk),
            self.url("person", self.mother.pk),
            self.url("timeline", self.mother.pk),
            self.url("document", self.document().pk),
        ]

    def edit_pages(self) -> list[str]:
        return [
            self.url("registration_new", self.son.pk),
            self.url("registration_edit", self.registration.pk),
            self.url("request_new", self.mother.pk),
            self.url("request_edit", self.request.pk),
            self.url("measure_new", self.request.pk),
            self.url("measure_edit", self.measure.pk),
            self.url("appeal_new", self.son.pk),
            self.url("appeal_edit", self.appeal.pk),
        ]

    def figure_pages(self) -> list[str]:
        return [self.url("figures"), self.url("figures_csv")]

    def document(self) -> VictimDocument:
        upload = SimpleUploadedFile("acta.pdf", b"%PDF-1.4 acta de nacimiento")
        return actions.add_document(self.registration, self.documenter, upload)

    def test_it_answers_404_to_an_outsider_on_every_page(self):
        self.client.force_login(self.outsider)
        for path in self.read_pages() + self.edit_pages() + self.figure_pages():
            for method in ("get", "post"):
                with self.subTest(path=path, method=method):
                    self.assertEqual(getattr(self.client, method)(path).status_code, 404)

    def test_it_answers_404_for_another_organizations_records_in_ones_own(self):
        self.client.force_login(self.documenter)
        for path in (
            self.url("person", self.other_mother.pk),
            self.url("timeline", self.other_mother.pk),
            self.url("request_edit", self.other_request.pk),
            self.url("measure_new", self.other_request.pk),
            self.url("registration_new", self.other_son.pk),
        ):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)

    def test_it_lets_the_reader_read_but_not_record(self):
        self.client.force_login(self.reader)
        for path in self.read_pages() + self.figure_pages():
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 200)
        for path in self.edit_pages():
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 403)
                self.assertEqual(self.client.post(path, {}).status_code, 403)
        page = self.client.get(self.url("person", self.son.pk))
        self.assertNotContains(page, self.url("registration_new", self.son.pk))

    def test_it_shows_the_analyst_the_figures_only(self):
        self.client.force_login(self.analyst)
        for path in self.figure_pages():
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 200)
        for path in self.read_pages() + self.edit_pages():
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 403)
        menu = self.client.get(self.url("figures")).content.decode()
        self.assertNotIn(f'href="{self.url("list")}"', menu)

    def test_it_lets_documenters_and_coordinators_open_every_form(self):
        for user in (self.documenter, self.coordinator):
            self.client.force_login(user)
            for path in self.edit_pages():
                with self.subTest(user=user.email, path=path):
                    self.assertEqual(self.client.get(path).status_code, 200)

    def test_it_links_the_path_from_the_menu_the_person_and_the_case(self):
        self.client.force_login(self.reader)
        person = self.client.get(f"/o/{self.org.slug}/people/{self.mother.pk}/")
        self.assertContains(person, self.url("person", self.mother.pk))
        case = self.client.get(f"/o/{self.org.slug}/cases/{self.event.pk}/")
        self.assertContains(case, self.url("person", self.son.pk))
        self.assertContains(case, self.url("person", self.mother.pk))
        self.assertContains(case, self.url("list"))  # the menu


class RecordingTests(VictimsFixtures):
    def setUp(self):
        self.client.force_login(self.documenter)

    def test_it_records_a_registration_for_a_direct_victim_and_audits_it(self):
        data = registration_data(self.event, folio="RENAVI-9", accompanied_by=self.documenter)
        response = self.client.post(self.url("registration_new", self.son.pk), form_values(data))
        self.assertRedirects(response, self.url("person", self.son.pk))
        registration = Registration.objects.filter(person=self.son).latest("pk")
        self.assertEqual((registration.folio, registration.deadline), ("RENAVI-9", D(2024, 5, 1)))
        self.assertEqual(registration.accompanied_by, self.documenter)
        entry = AuditEntry.objects.get(action="registration.create", target_id=str(registration.pk))
        self.assertEqual(entry.actor_id, self.documenter.pk)
        self.assertNotIn("RENAVI-9", str(entry.details))
        page = self.client.get(self.url("person", self.son.pk))
        self.assertContains(page, "RENAVI-9")
        self.assertContains(page, "Víctima directa en el caso")

    def test_it_records_a_request_for_an_indirect_victim_then_its_measure(self):
        response = self.client.post(
            self.url("request_new", self.mother.pk), form_values(request_data(self.event))
        )
        record = CommissionRequest.objects.filter(person=self.mother).latest("pk")
        self.assertRedirects(response, self.url("measure_new", record.pk))
        response = self.client.post(
            self.url("measure_new", record.pk),
            form_values(measure_data(kind="psychological", amount_requested="15000.50")),
        )
        self.assertRedirects(response, self.url("person", self.mother.pk))
        measure = record.measures.get()
        self.assertEqual(
            (measure.kind, str(measure.amount_requested)), ("psychological", "15000.50")
        )
        page = self.client.get(self.url("person", self.mother.pk))
        self.assertContains(page, "Atención psicológica")
        self.assertContains(page, "Madre de Jorge Ramírez")

    def test_it_keeps_folios_amounts_and_dates_encrypted_at_rest(self):
        actions.add_measure(self.request, self.documenter, measure_data(amount_granted="98765.43"))
        with connection.cursor() as cursor:
            for table in ("victims_registration", "victims_commissionrequest", "victims_measure"):
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
                stored = repr(cursor.fetchall())
                for secret in ("RENAVI-2024-0042", "CEEAV-CHIH-77", "98765.43", "2024-02-01",
                               "renavi", "ceeav", "requested", "compensation"):  # fmt: skip
                    with self.subTest(table=table, secret=secret):
                        self.assertNotIn(secret, stored)

    def test_it_refuses_a_stale_edit_and_shows_both_values(self):
        path = self.url("registration_edit", self.registration.pk)
        version = self.registration.version
        actions.update_registration(
            self.registration, self.coordinator, {"status": "registered"}, version
        )
        data = form_values(registration_data(self.event, folio="OTRO-1"))
        response = self.client.post(path, {**data, "version": version})
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "Inscrita como víctima", status_code=409)  # the saved status
        registration = Registration.objects.get(pk=self.registration.pk)
        self.assertEqual(
            (registration.folio, registration.version), ("RENAVI-2024-0042", version + 1)
        )

    def test_it_saves_an_edit_with_the_current_version(self):
        path = self.url("registration_edit", self.registration.pk)
        data = form_values(
            registration_data(self.event, status="refused", decided_on=D(2024, 4, 2),
                              refusal_reason="Falta acta de nacimiento.")
        )  # fmt: skip
        response = self.client.post(path, {**data, "version": self.registration.version})
        self.assertRedirects(response, self.url("person", self.son.pk))
        registration = Registration.objects.get(pk=self.registration.pk)
        self.assertEqual(registration.status, "refused")
        self.assertEqual(registration.version, self.registration.version + 1)
        self.assertTrue(AuditEntry.objects.filter(action="registration.update").exists())

    def test_it_refuses_a_case_of_another_organization(self):
        data = form_values(registration_data(self.other_event))
        response = self.client.post(self.url("registration_new", self.son.pk), data)
        self.assertEqual(response.status_code, 200)
        self.assertIn("event", response.context["form"].errors)

    def test_it_asks_the_state_of_a_state_commission(self):
        data = form_values(request_data(self.event, state_code=""))
        response = self.client.post(self.url("request_new", self.mother.pk), data)
        self.assertIn("state_code", response.context["form"].errors)

    def test_it_links_an_amparo_to_the_request_it_challenges(self):
        response = self.client.post(
            self.url("appeal_new", self.mother.pk),
            {"against": f"request-{self.request.pk}", "kind": "amparo", "status": "pending",
             "filed_on": "2024-08-01", "authority": "Juzgado Tercero de Distrito"},
        )  # fmt: skip
        self.assertRedirects(response, self.url("person", self.mother.pk))
        appeal = self.request.appeals.get()
        self.assertEqual((appeal.kind, appeal.person), ("amparo", self.mother))

    def test_it_stores_a_document_encrypted_and_gives_it_back(self):
        upload = SimpleUploadedFile("acta.pdf", b"%PDF-1.4 acta", content_type="application/pdf")
        response = self.client.post(
            self.url("request_document_new", self.request.pk), {"document": upload}
        )
        self.assertRedirects(response, self.url("person", self.mother.pk))
        document = VictimDocument.objects.get(request=self.request)
        with connection.cursor() as cursor:
            cursor.execute("SELECT filename FROM victims_victimdocument")
            self.assertNotIn("acta", repr(cursor.fetchall()))
        download = self.client.get(self.url("document", document.pk))
        self.assertEqual(download.content, b"%PDF-1.4 acta")
        self.assertIn("attachment;", download["Content-Disposition"])
        self.assertTrue(AuditEntry.objects.filter(action="victim_document.download").exists())


class OwedTests(VictimsFixtures):
    def test_it_lists_what_the_state_owes_oldest_first(self):
        # The registration's deadline (1 May) and the request's (1 June) have passed;
        # a measure granted on 10 July, due 1 August, is owed and not late yet on 15 July.
        actions.update_measure(
            self.measure,
            self.documenter,
            measure_data(decision="granted", due_on=D(2024, 8, 1)),
            self.measure.version,
        )
        owed = follow.owed_by_the_state(self.org, today=D(2024, 7, 15))
        self.assertEqual(
            [(item.kind, item.since, item.days_late, item.late) for item in owed],
            [
                ("registration", D(2024, 5, 1), 75, True),
                ("request", D(2024, 6, 1), 44, True),
                ("measure", D(2024, 8, 1), -17, False),
            ],
        )

    def test_it_stops_owing_what_was_decided_or_delivered(self):
        actions.update_registration(
            self.registration, self.documenter, {"status": "registered"}, self.registration.version
        )
        actions.update_measure(
            self.measure,
            self.documenter,
            measure_data(decision="granted", delivery="delivered", delivered_on=D(2024, 9, 1)),
            self.measure.version,
        )
        owed = follow.owed_by_the_state(self.org, today=D(2024, 7, 15))
        self.assertEqual([item.kind for item in owed], ["request"])

    def test_the_page_shows_days_late_and_the_folio(self):
        self.client.force_login(self.reader)
        response = self.client.get(self.url("owed"))
        self.assertContains(response, "RENAVI-2024-0042")
        self.assertContains(response, "Rosa Ramírez")
        self.assertTrue(AuditEntry.objects.filter(action="victims.owed").exists())


class TimelineTests(VictimsFixtures):
    def test_it_tells_the_familys_path_in_date_order_in_plain_spanish(self):
        actions.update_request(
            self.request,
            self.documenter,
            {"status": "partly_granted", "resolved_on": D(2024, 9, 10)},
            self.request.version,
        )
        actions.update_measure(
            self.measure,
            self.documenter,
            measure_data(decision="granted", amount_granted="50000", delivery="partly",
                         delivered_on=D(2024, 11, 5)),
            self.measure.version,
        )  # fmt: skip
        self.client.force_login(self.reader)
        for person in (self.son, self.mother):  # from either, the whole family
            with self.subTest(person=person.given_names):
                response = self.client.get(
                    self.url("timeline", person.pk), HTTP_ACCEPT_LANGUAGE="en"
                )
                steps = [(s.date, s.person, s.text) for s in response.context["steps"]]
                self.assertEqual(
                    steps[:2],
                    [
                        (D(2024, 2, 1), "Jorge Ramírez",
                         "Solicitó su inscripción en el Registro Nacional de Víctimas (RENAVI) "
                         "(folio RENAVI-2024-0042)."),
                        (D(2024, 3, 1), "Rosa Ramírez",
                         "Solicitó a la Comisión estatal de atención a víctimas (CEEAV) "
                         "reparación integral (folio CEEAV-CHIH-77)."),
                    ],
                )  # fmt: skip
                texts = [text for _date, _person, text in steps]
                self.assertIn("Otorgado: compensación, por 50,000.00 pesos.", texts)
                self.assertIn("Entregado solo en parte: compensación.", texts)
                content = response.content.decode()
                for code in ("renavi", "ceeav", "partly", "#", "compensation"):
                    self.assertNotIn(f">{code}", content)
                self.assertNotIn(f"Caso #{self.event.number}", content)
        self.assertEqual(AuditEntry.objects.filter(action="victims.timeline").count(), 2)


@override_settings(LANGUAGE_CODE="es-mx")
class ListTests(VictimsFixtures):
    def test_it_lists_direct_and_indirect_victims_and_what_is_owed(self):
        self.client.force_login(self.reader)
        response = self.client.get(self.url("list"))
        self.assertContains(response, "Jorge Ramírez")
        self.assertContains(response, "Rosa Ramírez")
        self.assertContains(response, "indirecta (familiar)")
        self.assertTrue(AuditEntry.objects.filter(action="victims.list").exists())


class WriteBoundaryTests(VictimsFixtures):
    """A change and its audit entry commit together or not at all."""

    def setUp(self):
        self.client.force_login(self.documenter)
        refuse = mock.patch("memoria.victims.actions.audit", side_effect=AuditRefused("audit"))
        refuse.start()
        self.addCleanup(refuse.stop)

    def test_nothing_is_written_when_the_audit_log_refuses(self):
        before = (
            Registration.objects.count(),
            CommissionRequest.objects.count(),
            Measure.objects.count(),
            VictimDocument.objects.count(),
        )
        posts = [
            (self.url("registration_new", self.son.pk), form_values(registration_data(self.event))),
            (self.url("request_new", self.mother.pk), form_values(request_data(self.event))),
            (self.url("measure_new", self.request.pk), form_values(measure_data())),
            (
                self.url("request_edit", self.request.pk),
                {**form_values(request_data(self.event, folio="NUEVO")), "version": 1},
            ),
            (
                self.url("registration_document_new", self.registration.pk),
                {"document": SimpleUploadedFile("acta.pdf", b"%PDF")},
            ),
        ]
        for path, data in posts:
            with self.subTest(path=path), self.assertRaises(AuditRefused):
                self.client.post(path, data)
        after = (
            Registration.objects.count(),
            CommissionRequest.objects.count(),
            Measure.objects.count(),
            VictimDocument.objects.count(),
        )
        self.assertEqual(after, before)
        request = CommissionRequest.objects.get(pk=self.request.pk)
        self.assertEqual((request.folio, request.version), ("CEEAV-CHIH-77", 1))


class AuditRefused(Exception):
    pass
