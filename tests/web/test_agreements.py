"""Sharing agreements: A (Centro Norte) shares records with P (a psychosocial collective).

P's members read what the agreement and the families' consent allow, read-only
and with its provenance; B (Colectivo del Sur) finds nothing. A revocation by
either side, or the last day passing, takes the copies away at once. Every
read is in A's audit log and in P's.
"""

from __future__ import annotations

import datetime
from unittest import mock

from memoria.audit.models import AuditEntry
from memoria.cases import actions as cases_actions
from memoria.cases.models import Person
from memoria.network import actions as network_actions
from memoria.sharing import agreements
from memoria.sharing.models import Agreement, AgreementFigures, AgreementStatus, SharedRecord
from tests.web.network_fixtures import NetworkFixtures

TODAY = datetime.date(2026, 6, 1)
NAMED_TITLE = "Desaparición de Zenaida en Cuauhtémoc"
HIDDEN_TITLE = "Caso reservado de la familia Quiñónez"


def on(day: datetime.date):
    """The installation's calendar day, as the agreements read it."""
    return mock.patch("memoria.sharing.rules.today", return_value=day)


def url(org, *parts) -> str:
    return "/".join([f"/o/{org.slug}/network/agreements", *map(str, parts)]) + "/"


class AgreementFixtures(NetworkFixtures):
    def setUp(self):
        super().setUp()
        clock = on(TODAY)
        clock.start()
        self.addCleanup(clock.stop)
        # Consent recorded, visible to partners: may go by name.
        self.named = self.make_case(
            title=NAMED_TITLE,
            victim={
                "given_names": "Zenaida",
                "paternal_surname": "Quiñónez",
                "visibility": "partners",
                "consent_recorded": True,
            },
        )
        self.zenaida = self.named.acts.get().victim
        # Visible to partners but no consent recorded: never by name.
        self.unnamed = self.make_case(
            title=HIDDEN_TITLE,
            victim={
                "given_names": "Xóchitl",
                "paternal_surname": "Yáñez",
                "visibility": "partners",
            },
        )
        self.xochitl = self.unnamed.acts.get().victim
        # Private: nothing travels.
        self.private = self.make_case(
            title="Caso privado de Tlalpan",
            victim={"given_names": "Wenceslao", "paternal_surname": "Ulloa"},
        )
        self.wenceslao = self.private.acts.get().victim

    def propose(self, level="named", fields=None, until=datetime.date(2026, 12, 31)):
        fields = fields or {
            "cases.event": ["title", "state"],
            "cases.person": ["given_names", "paternal_surname", "sex"],
        }
        data = {
            "partner": self.partner,
            "level": level,
            "fields": fields,
            "purpose": "Acompañamiento psicosocial de las familias.",
            "valid_until": until,
        }
        return agreements.propose(self.org, self.coordinator, data)

    def in_force(self, **kwargs) -> Agreement:
        agreement = self.propose(**kwargs)
        return agreements.answer(agreement, self.partner_coordinator, accept=True, version=1)

    def shared_ids(self, kind="cases.person") -> set[int]:
        found = SharedRecord.objects.filter(organization=self.partner, kind=kind)
        return set(found.values_list("object_id", flat=True))

    def page(self, user, record):
        kind = "people" if isinstance(record, Person) else "cases"
        self.client.force_login(user)
        return self.client.get(f"/o/{self.partner.slug}/{kind}/{record.pk}/")


class ConsentTests(AgreementFixtures):
    def test_it_shares_nothing_before_the_partner_accepts(self):
        self.propose()
        self.assertFalse(SharedRecord.objects.exists())
        self.assertEqual(self.page(self.partner_reader, self.zenaida).status_code, 404)

    def test_a_named_agreement_shares_only_the_records_with_recorded_consent(self):
        self.in_force()
        self.assertEqual(self.shared_ids(), {self.zenaida.pk})
        self.assertEqual(self.shared_ids("cases.event"), {self.named.pk})
        page = self.page(self.partner_reader, self.zenaida)
        self.assertContains(page, "Zenaida")
        self.assertContains(page, "Acuerdo #")  # its provenance
        for record in (self.xochitl, self.wenceslao, self.unnamed, self.private):
            with self.subTest(record=record.pk):
                self.assertEqual(self.page(self.partner_reader, record).status_code, 404)

    def test_a_pseudonymized_agreement_shares_no_name_and_nothing_private(self):
        self.in_force(
            level="pseudonymized", fields={"cases.person": ["sex"], "cases.event": ["state"]}
        )
        self.assertEqual(self.shared_ids(), {self.zenaida.pk, self.xochitl.pk})
        record = SharedRecord.objects.get(kind="cases.person", object_id=self.xochitl.pk)
        self.assertEqual(record.fields, ["sex"])
        page = self.page(self.partner_reader, self.xochitl)
        self.assertNotContains(page, "Xóchitl")
        self.assertNotContains(page, HIDDEN_TITLE)
        self.assertEqual(self.page(self.partner_reader, self.wenceslao).status_code, 404)

    def test_it_refuses_names_in_a_pseudonymized_agreement(self):
        with self.assertRaises(ValueError):
            self.propose(level="pseudonymized", fields={"cases.person": ["given_names"]})

    def test_a_withdrawn_consent_takes_the_record_away_in_the_same_write(self):
        self.in_force()
        person = Person.objects.get(pk=self.zenaida.pk)
        cases_actions.update_person(
            person, self.documenter, {"consent_recorded": False}, person.version
        )
        self.assertEqual(self.shared_ids(), set())
        self.assertEqual(self.shared_ids("cases.event"), set())
        self.assertEqual(self.page(self.partner_reader, self.zenaida).status_code, 404)

    def test_a_victim_without_consent_added_to_a_case_takes_the_case_away(self):
        self.in_force()
        self.add_victim(self.named, given_names="Urbano", visibility="partners")
        self.assertEqual(self.shared_ids("cases.event"), set())

    def test_a_new_record_with_consent_is_shared_at_once(self):
        self.in_force()
        event = self.make_case(
            title="Caso nuevo de Ojinaga",
            victim={"given_names": "Yolanda", "visibility": "memorial", "consent_recorded": True},
        )
        self.assertIn(event.pk, self.shared_ids("cases.event"))
        self.assertContains(self.page(self.partner_reader, event), "Caso nuevo de Ojinaga")


class RevocationTests(AgreementFixtures):
    def test_either_side_revokes_and_the_copies_go_at_once(self):
        for side, user, org in (
            ("owner", self.coordinator, self.org),
            ("partner", self.partner_coordinator, self.partner),
        ):
            with self.subTest(side=side):
                agreement = self.in_force()
                self.assertEqual(self.page(self.partner_reader, self.zenaida).status_code, 200)
                self.client.force_login(user)
                response = self.client.post(url(org, agreement.pk, "revoke"), {"version": 2})
                self.assertEqual(response.status_code, 302)
                self.assertEqual(self.shared_ids(), set())
                self.assertEqual(self.page(self.partner_reader, self.zenaida).status_code, 404)
                agreement.refresh_from_db()
                self.assertEqual(agreement.status, AgreementStatus.REVOKED)
                for organization in (self.org, self.partner):
                    self.assertTrue(
                        AuditEntry.objects.filter(
                            action="agreement.revoke",
                            organization=organization,
                            target_id=str(agreement.pk),
                        ).exists()
                    )

    def test_what_a_referral_carries_stays_after_a_revocation(self):
        agreement = self.in_force()
        network_actions.send_referral(
            self.org,
            self.documenter,
            {"recipient": self.partner, "capability": "psychosocial", "person_fields": ["sex"]},
            person=self.zenaida,
        )
        agreements.revoke(agreement, self.coordinator, self.org, version=agreement.version)
        record = SharedRecord.objects.get(kind="cases.person")
        self.assertEqual(record.fields, ["sex"])
        self.assertEqual(list(record.agreements.all()), [])
        self.assertNotContains(self.page(self.partner_reader, self.zenaida), "Zenaida")

    def test_a_stale_answer_or_revocation_writes_nothing(self):
        agreement = self.propose()
        agreements.revoke(agreement, self.coordinator, self.org, version=1)  # withdrawn
        self.client.force_login(self.partner_coordinator)
        response = self.client.post(
            url(self.partner, agreement.pk, "answer"), {"decision": "accept", "version": 1}
        )
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "mientras tanto", status_code=409)
        self.assertFalse(SharedRecord.objects.exists())
        agreement = self.in_force()
        with self.assertRaises(agreements.AgreementConflict):
            agreements.revoke(agreement, self.partner_coordinator, self.partner, version=1)
        self.assertEqual(self.shared_ids(), {self.zenaida.pk})


class ExpiryTests(AgreementFixtures):
    def test_a_read_after_the_last_day_finds_nothing_and_ends_the_agreement(self):
        agreement = self.in_force(until=TODAY)
        self.assertEqual(self.page(self.partner_reader, self.zenaida).status_code, 200)
        with on(TODAY + datetime.timedelta(days=1)):
            self.assertEqual(self.page(self.partner_reader, self.zenaida).status_code, 404)
        agreement.refresh_from_db()
        self.assertEqual(agreement.status, AgreementStatus.EXPIRED)
        self.assertFalse(SharedRecord.objects.exists())
        self.assertEqual(
            AuditEntry.objects.filter(action="agreement.expire").count(), 2
        )  # both sides

    def test_the_worker_ends_expired_agreements(self):
        agreement = self.in_force(until=TODAY)
        self.assertEqual(agreements.refresh_all(), 1)  # in force: re-applied
        with on(TODAY + datetime.timedelta(days=1)):
            agreements.refresh_all()
        agreement.refresh_from_db()
        self.assertEqual(agreement.status, AgreementStatus.EXPIRED)
        self.assertFalse(SharedRecord.objects.exists())


class AuditTests(AgreementFixtures):
    def test_every_read_is_in_both_organizations_logs(self):
        agreement = self.in_force()
        self.page(self.partner_reader, self.zenaida)
        owner = AuditEntry.objects.get(action="share.viewed")
        reader = AuditEntry.objects.get(action="share.read")
        self.assertEqual(owner.organization_id, self.org.pk)
        self.assertEqual(reader.organization_id, self.partner.pk)
        for entry in (owner, reader):
            self.assertEqual(entry.actor_id, self.partner_reader.pk)
            self.assertEqual(entry.details["object_id"], self.zenaida.pk)
            self.assertEqual(entry.details["agreements"], [agreement.pk])
            self.assertNotIn("Zenaida", str(entry.details))

    def test_an_aggregate_agreement_shows_counts_and_audits_their_reading(self):
        agreement = self.in_force(level="aggregate", fields={"cases.person": []})
        self.assertFalse(SharedRecord.objects.exists())
        stored = AgreementFigures.objects.get(agreement=agreement)
        self.assertEqual(stored.organization, self.partner)  # under the partner's key
        self.client.force_login(self.partner_reader)
        page = self.client.get(url(self.partner, agreement.pk))
        self.assertContains(page, "menos de 5")
        self.assertNotContains(page, "Zenaida")
        self.assertTrue(AuditEntry.objects.filter(action="share.viewed", organization=self.org))
        self.assertTrue(AuditEntry.objects.filter(action="share.read", organization=self.partner))

    def test_counts_withheld_for_their_number_are_said_to_be_withheld(self):
        # Four categories "fewer than 5" and a total "fewer than 5" would be one each:
        # such a table leaves with no rows (memoria.sharing.suppressed.series).
        agreement = self.in_force(level="aggregate", fields={"cases.person": []})
        stored = AgreementFigures.objects.get(agreement=agreement)
        stored.content = {"cases.person": {"age_band": {"rows": [], "total": "small",
                                                        "withheld": True}}}  # fmt: skip
        stored.save()
        self.client.force_login(self.partner_reader)
        page = self.client.get(url(self.partner, agreement.pk))
        self.assertContains(page, "Todas las categorías se reservan")


class PageTests(AgreementFixtures):
    def test_personas_on_every_page(self):
        agreement = self.propose()
        expected = {
            # user: (list, new, detail, answer POST, revoke POST)
            "coordinator": (self.coordinator, self.org, (200, 200, 200, 403, None)),
            "documenter": (self.documenter, self.org, (200, 403, 200, 403, 403)),
            "reader": (self.reader, self.org, (200, 403, 200, 403, 403)),
            "partner reader": (self.partner_reader, self.partner, (200, 403, 200, 403, 403)),
            "unrelated": (self.outsider, self.other_org, (200, 200, 404, 404, 404)),
        }
        for name, (user, org, codes) in expected.items():
            with self.subTest(persona=name):
                self.client.force_login(user)
                got = (
                    self.client.get(url(org)).status_code,
                    self.client.get(url(org, "new")).status_code,
                    self.client.get(url(org, agreement.pk)).status_code,
                    self.client.post(
                        url(org, agreement.pk, "answer"), {"decision": "accept", "version": 1}
                    ).status_code,
                    None
                    if codes[4] is None
                    else self.client.post(
                        url(org, agreement.pk, "revoke"), {"version": 1}
                    ).status_code,
                )
                self.assertEqual(got, codes)
        self.assertEqual(Agreement.objects.get().status, AgreementStatus.PROPOSED)
        self.client.force_login(self.outsider)
        self.assertNotContains(self.client.get(url(self.other_org)), "Acompañamiento psicosocial")

    def test_a_coordinator_proposes_and_the_partner_accepts_through_the_pages(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            url(self.org, "new"),
            {
                "partner": self.partner.pk,
                "level": "named",
                "kinds": ["cases.person"],
                "person_fields": ["given_names", "sex"],
                "purpose": "Acompañamiento.",
                "valid_until": "2026-12-31",
            },
        )
        agreement = Agreement.objects.get()
        self.assertRedirects(response, url(self.org, agreement.pk))
        self.assertEqual(agreement.fields, {"cases.person": ["given_names", "sex"]})
        self.client.force_login(self.partner_coordinator)
        page = self.client.get(url(self.partner))
        self.assertContains(page, self.org.name)
        self.assertContains(page, "<title>Acuerdos para compartir · Memoria</title>", html=False)
        self.assertContains(page, "Con otras instalaciones</h2>", count=1)
        response = self.client.post(
            url(self.partner, agreement.pk, "answer"), {"decision": "accept", "version": 1}
        )
        self.assertEqual(response.status_code, 302)
        self.client.force_login(self.partner_reader)
        page = self.client.get(url(self.partner, agreement.pk))
        self.assertContains(page, f"/o/{self.partner.slug}/people/{self.zenaida.pk}/")
        self.assertNotContains(page, f"/people/{self.xochitl.pk}/")

    def test_the_form_refuses_names_without_names_and_a_past_day(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            url(self.org, "new"),
            {
                "partner": self.partner.pk,
                "level": "pseudonymized",
                "kinds": ["cases.person"],
                "person_fields": ["given_names"],
                "purpose": "x",
                "valid_until": "2026-01-01",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "ningún campo que identifique")
        self.assertContains(response, "Elija hoy o un día posterior")
        self.assertFalse(Agreement.objects.exists())
