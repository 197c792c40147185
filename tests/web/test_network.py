"""The network: a directory of organizations, and referrals of families and cases.

Organization A (Centro Norte) refers a case to P (a psychosocial collective);
B (Colectivo del Sur) has nothing to do with it. P's members read the fields A
chose while the referral is open, and nothing else of A; B's members find
nothing. Every read is in the reader's log and in A's.
"""

from __future__ import annotations

import datetime

from memoria.alerts.models import Channel, Delivery
from memoria.audit.models import AuditEntry
from memoria.cases.actions import ConflictError
from memoria.network import actions, reminders
from memoria.network.followup import report
from memoria.network.models import (
    OrganizationProfile,
    Referral,
    ReferralReceipt,
    ReferralReminder,
    Status,
)
from memoria.sharing.models import SharedRecord
from memoria.vault.cipher import decrypt_text
from memoria.vault.keys import VaultError
from tests.web.network_fixtures import MESSAGE, SECRET_DESCRIPTION, SECRET_TITLE, NetworkFixtures


def url(org, *parts) -> str:
    return "/".join([f"/o/{org.slug}/network", *map(str, parts)]) + "/"


def referral_url(org, referral, *parts) -> str:
    return url(org, "referrals", referral.pk, *parts)


class DirectoryTests(NetworkFixtures):
    def test_every_member_of_any_organization_finds_the_partner_by_capability_and_place(self):
        for user in (self.reader, self.analyst, self.outsider, self.partner_reader):
            org = user.memberships.get().organization
            with self.subTest(user=user.email):
                self.client.force_login(user)
                page = self.client.get(
                    url(org), {"capability": "psychosocial", "state": "08", "municipality": "08017"}
                )
                self.assertContains(page, self.partner.name)
                self.assertContains(page, "Rarámuri")

    def test_a_search_elsewhere_or_for_another_capability_finds_nothing(self):
        self.client.force_login(self.documenter)
        for query in (
            {"capability": "forensic"},
            {"state": "24"},
            {"state": "08", "municipality": "08019"},  # Chihuahua city: not theirs
            {"language": "maya"},
        ):
            with self.subTest(query=query):
                self.assertNotContains(self.client.get(url(self.org), query), self.partner.name)

    def test_a_state_without_municipalities_chosen_covers_all_of_it(self):
        profile = OrganizationProfile.objects.get(organization=self.partner)
        profile.municipalities.clear()
        self.client.force_login(self.documenter)
        page = self.client.get(url(self.org), {"state": "08", "municipality": "08019"})
        self.assertContains(page, self.partner.name)

    def test_the_profile_page_shows_how_to_reach_them_without_a_phone(self):
        self.partner.contact_phone = "+52 614 000 0000"
        self.partner.save()
        self.client.force_login(self.reader)
        page = self.client.get(url(self.org, "organizations", self.partner.slug))
        self.assertContains(page, "Envíen el municipio y la necesidad.")
        self.assertNotContains(page, "614 000 0000")
        self.assertEqual(
            self.client.get(url(self.org, "organizations", "no-existe")).status_code, 404
        )

    def test_a_coordinator_edits_their_own_profile_and_nobody_else_can(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            url(self.org, "profile"),
            {
                "capabilities": ["legal", "forensic"],
                "languages": ["es", "nahuatl"],
                "states": ["08"],
                "summary": "Litigio estratégico.",
                "accepts_referrals": "on",
                "version": 1,
            },
        )
        self.assertRedirects(response, url(self.org, "organizations", self.org.slug))
        profile = OrganizationProfile.objects.get(organization=self.org)
        self.assertEqual(profile.capabilities, ["legal", "forensic"])
        self.assertTrue(
            AuditEntry.objects.filter(
                organization=self.org, action="network.profile_update"
            ).exists()
        )
        for user in (self.documenter, self.reader, self.analyst):
            self.client.force_login(user)
            self.assertEqual(self.client.get(url(self.org, "profile")).status_code, 403)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(url(self.org, "profile")).status_code, 404)

    def test_a_stale_profile_edit_is_refused(self):
        profile = OrganizationProfile.objects.get(organization=self.partner)
        actions.save_profile(
            self.partner, self.partner_coordinator, {"summary": "Otra cosa"}, profile.version
        )
        self.client.force_login(self.partner_coordinator)
        response = self.client.post(
            url(self.partner, "profile"), {"summary": "La mía", "version": profile.version}
        )
        self.assertEqual(response.status_code, 409)
        self.assertEqual(
            OrganizationProfile.objects.get(organization=self.partner).summary, "Otra cosa"
        )

    def test_the_municipalities_offered_are_those_of_the_states_sent(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            url(self.org, "profile"),
            {"states": ["24"], "municipalities": ["08017"], "version": 1},
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(OrganizationProfile.objects.filter(organization=self.org).exists())


class ReferralTests(NetworkFixtures):
    def test_a_documenter_refers_a_case_with_the_fields_they_choose(self):
        event = self.make_case(title=SECRET_TITLE, description=SECRET_DESCRIPTION)
        self.client.force_login(self.documenter)
        form = self.client.get(url(self.org, "referrals/new/case", event.pk))
        self.assertContains(form, self.partner.name)
        self.assertNotContains(form, f'value="{self.org.pk}"')  # not to itself
        response = self.client.post(
            url(self.org, "referrals/new/case", event.pk),
            {
                "recipient": self.partner.pk,
                "capability": "psychosocial",
                "message": MESSAGE,
                "event_fields": ["title", "state"],
                "follow_up_on": "2026-01-15",
            },
        )
        referral = Referral.objects.get()
        self.assertRedirects(response, referral_url(self.org, referral))
        self.assertEqual(referral.status, Status.SENT)
        self.assertEqual(referral.event_fields, ["title", "state"])
        shared = SharedRecord.objects.get(organization=self.partner)
        self.assertEqual(shared.fields, ["title", "state"])
        actions_logged = set(AuditEntry.objects.values_list("organization_id", "action"))
        self.assertIn((self.org.pk, "referral.send"), actions_logged)
        self.assertIn((self.partner.pk, "referral.receive"), actions_logged)
        self.assertIn((self.org.pk, "share.granted"), actions_logged)

    def test_the_message_is_kept_under_each_sides_key(self):
        referral = self.make_referral()
        sender_row = Referral.objects.filter(pk=referral.pk).values_list("message", flat=True)[0]
        receipt_row = ReferralReceipt.objects.filter(referral=referral).values_list(
            "message", flat=True
        )[0]
        self.assertNotIn("psicosocial", sender_row)
        self.assertNotIn("psicosocial", receipt_row)
        context = "network.referralreceipt.message"
        self.assertEqual(
            decrypt_text(receipt_row, context, organization_id=self.partner.pk), MESSAGE
        )
        with self.assertRaises(VaultError):
            decrypt_text(receipt_row, context, organization_id=self.org.pk)

    def test_the_partner_reads_what_was_referred_and_nothing_else(self):
        referral = self.make_referral()
        other_case = self.make_case(title="Caso no referido de Tlacotalpan")
        for user in (self.partner_coordinator, self.partner_documenter, self.partner_reader):
            with self.subTest(user=user.email):
                self.client.force_login(user)
                page = self.client.get(referral_url(self.partner, referral))
                self.assertContains(page, SECRET_TITLE)
                self.assertContains(page, MESSAGE)
                self.assertContains(page, "Zenaida")  # the person's given names travelled
                self.assertNotContains(page, SECRET_DESCRIPTION)  # not chosen
                self.assertNotContains(page, "Quiñónez")
                listing = self.client.get(url(self.partner, "referrals"))
                self.assertContains(listing, referral_url(self.partner, referral))
                # Nothing else of A: another case, A's referral page under A's slug.
                self.assertEqual(
                    self.client.get(f"/o/{self.partner.slug}/cases/{other_case.pk}/").status_code,
                    404,
                )
                self.assertEqual(self.client.get(referral_url(self.org, referral)).status_code, 404)

    def test_the_sender_lists_the_case_number_and_the_partner_does_not(self):
        referral = self.make_referral()
        self.client.force_login(self.reader)
        self.assertContains(
            self.client.get(url(self.org, "referrals")), f"caso #{referral.event.number}<"
        )
        self.client.force_login(self.partner_reader)
        listing = self.client.get(url(self.partner, "referrals"))
        self.assertContains(listing, referral_url(self.partner, referral))
        self.assertNotContains(listing, "caso #")

    def test_each_read_is_audited_on_both_sides(self):
        referral = self.make_referral()
        self.client.force_login(self.partner_reader)
        self.client.get(referral_url(self.partner, referral))
        self.assertTrue(
            AuditEntry.objects.filter(
                organization=self.partner, action="referral.view", actor=self.partner_reader
            ).exists()
        )
        viewed = AuditEntry.objects.filter(
            organization=self.org, action="share.viewed", actor=self.partner_reader
        )
        self.assertEqual(viewed.count(), 2)  # the case and the person
        self.client.force_login(self.reader)
        self.client.get(referral_url(self.org, referral))
        self.assertTrue(
            AuditEntry.objects.filter(
                organization=self.org, action="referral.view", actor=self.reader
            ).exists()
        )

    def test_an_unrelated_organization_finds_nothing(self):
        referral = self.make_referral()
        self.client.force_login(self.outsider)
        for path in (
            referral_url(self.other_org, referral),
            referral_url(self.org, referral),
            referral_url(self.partner, referral),
        ):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)
        for action in ("answer", "close", "progress", "follow-up"):
            with self.subTest(action=action):
                response = self.client.post(referral_url(self.other_org, referral, action), {})
                self.assertEqual(response.status_code, 404)
        listing = self.client.get(url(self.other_org, "referrals"))
        self.assertNotContains(listing, f"/referrals/{referral.pk}/")
        self.assertNotContains(listing, SECRET_TITLE)

    def test_the_partner_accepts_and_then_works_on_it(self):
        referral = self.make_referral()
        self.client.force_login(self.partner_documenter)
        response = self.client.post(
            referral_url(self.partner, referral, "answer"),
            {"decision": "accept", "version": referral.version},
        )
        self.assertRedirects(response, referral_url(self.partner, referral))
        referral.refresh_from_db()
        self.assertEqual(referral.status, Status.ACCEPTED)
        self.assertEqual(referral.answered_by, self.partner_documenter)
        self.client.post(
            referral_url(self.partner, referral, "progress"), {"version": referral.version}
        )
        referral.refresh_from_db()
        self.assertEqual(referral.status, Status.IN_PROGRESS)
        self.assertContains(self.client.get(referral_url(self.partner, referral)), SECRET_TITLE)
        self.assertEqual(
            set(
                AuditEntry.objects.filter(action="referral.accept").values_list(
                    "organization_id", flat=True
                )
            ),
            {self.org.pk, self.partner.pk},
        )

    def test_a_decline_needs_a_reason_and_ends_the_sharing(self):
        referral = self.make_referral()
        self.client.force_login(self.partner_coordinator)
        refused = self.client.post(
            referral_url(self.partner, referral, "answer"),
            {"decision": "decline", "reason": " ", "version": referral.version},
        )
        self.assertEqual(refused.status_code, 422)
        self.assertEqual(Referral.objects.get().status, Status.SENT)
        self.client.post(
            referral_url(self.partner, referral, "answer"),
            {"decision": "decline", "reason": "No tenemos cupo.", "version": referral.version},
        )
        referral.refresh_from_db()
        self.assertEqual(referral.status, Status.DECLINED)
        self.assertFalse(SharedRecord.objects.exists())
        page = self.client.get(referral_url(self.partner, referral))
        self.assertNotContains(page, SECRET_TITLE)
        self.assertEqual(
            self.client.get(f"/o/{self.partner.slug}/cases/{referral.event_id}/").status_code, 404
        )
        self.client.force_login(self.documenter)
        self.assertContains(self.client.get(referral_url(self.org, referral)), "No tenemos cupo.")

    def test_the_sender_closes_it_and_the_partner_cannot_read_it_any_more(self):
        referral = self.make_referral()
        self.client.force_login(self.documenter)
        self.client.post(referral_url(self.org, referral, "close"), {"version": referral.version})
        self.assertEqual(Referral.objects.get().status, Status.CLOSED)
        self.assertFalse(SharedRecord.objects.exists())
        self.client.force_login(self.partner_reader)
        page = self.client.get(referral_url(self.partner, referral))
        self.assertNotContains(page, SECRET_TITLE)
        self.assertNotContains(page, "Zenaida")

    def test_a_second_open_referral_of_the_same_case_keeps_its_fields(self):
        first = self.make_referral(event_fields=("title",))
        second = self.make_referral(event=first.event, event_fields=("state",))
        self.assertEqual(
            SharedRecord.objects.get(organization=self.partner, kind="cases.event").fields,
            ["title", "state"],
        )
        actions.close_referral(first, self.documenter, version=first.version)
        self.assertEqual(
            SharedRecord.objects.get(organization=self.partner, kind="cases.event").fields,
            ["state"],
        )
        actions.close_referral(second, self.documenter, version=second.version)
        self.assertFalse(SharedRecord.objects.filter(kind="cases.event").exists())

    def test_each_referral_page_shows_only_the_fields_chosen_for_it(self):
        # Two open referrals of the same case to the partner: the shared copy holds both
        # referrals' fields, but each page shows only what was chosen for that referral.
        first = self.make_referral(event_fields=("title",))
        second = self.make_referral(
            event=first.event, person=first.person, event_fields=("state",), person_fields=[]
        )
        self.client.force_login(self.partner_reader)
        page = self.client.get(referral_url(self.partner, second))
        self.assertNotContains(page, SECRET_TITLE)
        self.assertNotContains(page, "Zenaida")
        self.assertContains(self.client.get(referral_url(self.partner, first)), SECRET_TITLE)

    def test_readers_and_analysts_read_but_do_not_refer_or_answer(self):
        referral = self.make_referral()
        event = referral.event
        for user, org in ((self.reader, self.org), (self.analyst, self.org)):
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(referral_url(org, referral)).status_code, 200)
                self.assertEqual(
                    self.client.get(url(org, "referrals/new/case", event.pk)).status_code, 403
                )
                self.assertEqual(
                    self.client.post(referral_url(org, referral, "close"), {}).status_code, 403
                )
        self.client.force_login(self.partner_reader)
        page = self.client.get(referral_url(self.partner, referral))
        self.assertNotContains(page, f"network/referrals/{referral.pk}/answer")
        response = self.client.post(
            referral_url(self.partner, referral, "answer"), {"decision": "accept", "version": 1}
        )
        self.assertEqual(response.status_code, 403)

    def test_an_answer_after_another_is_explained(self):
        referral = self.make_referral()
        actions.answer_referral(
            referral, self.partner_coordinator, accept=True, version=referral.version
        )
        self.client.force_login(self.partner_documenter)
        response = self.client.post(
            referral_url(self.partner, referral, "answer"),
            {"decision": "decline", "reason": "No", "version": referral.version},
        )
        self.assertEqual(response.status_code, 409)
        self.assertEqual(Referral.objects.get().status, Status.ACCEPTED)

    def test_the_sender_cannot_answer_its_own_referral(self):
        referral = self.make_referral()
        self.client.force_login(self.coordinator)
        response = self.client.post(
            referral_url(self.org, referral, "answer"), {"decision": "accept", "version": 1}
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(Referral.objects.get().status, Status.SENT)

    def test_a_stale_answer_is_refused_and_explained(self):
        referral = self.make_referral()
        actions.set_follow_up(
            referral, self.partner, self.partner_documenter, datetime.date(2026, 2, 1),
            version=referral.version,
        )  # fmt: skip
        self.client.force_login(self.partner_documenter)
        response = self.client.post(
            referral_url(self.partner, referral, "answer"),
            {"decision": "accept", "version": referral.version},
        )
        self.assertEqual(response.status_code, 409)
        self.assertEqual(Referral.objects.get().status, Status.SENT)
        with self.assertRaises(ConflictError):
            actions.close_referral(referral, self.documenter, version=referral.version)

    def test_a_documenter_cannot_refer_another_organizations_case(self):
        their_case = self.make_case(self.other_org)
        self.client.force_login(self.documenter)
        self.assertEqual(
            self.client.get(url(self.org, "referrals/new/case", their_case.pk)).status_code, 404
        )
        response = self.client.post(
            url(self.org, "referrals/new/case", their_case.pk),
            {"recipient": self.partner.pk, "capability": "legal"},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Referral.objects.exists())

    def test_a_person_is_referred_with_their_chosen_fields(self):
        event = self.make_case(victim={"given_names": "Rosa", "paternal_surname": "Quiñónez"})
        person = event.acts.get().victim
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, "referrals/new/person", person.pk),
            {"recipient": self.partner.pk, "capability": "legal", "person_fields": ["sex"]},
        )
        referral = Referral.objects.get()
        self.assertRedirects(response, referral_url(self.org, referral))
        self.assertEqual(referral.person_fields, ["sex"])
        self.client.force_login(self.partner_reader)
        page = self.client.get(referral_url(self.partner, referral))
        self.assertNotContains(page, "Rosa")


class FollowUpTests(NetworkFixtures):
    def test_the_report_counts_open_overdue_and_closed_per_side(self):
        overdue = self.make_referral(follow_up_on=datetime.date(2026, 1, 1))
        self.make_referral(event=overdue.event, follow_up_on=datetime.date(2026, 3, 1))
        closed = self.make_referral(event=overdue.event)
        actions.close_referral(closed, self.documenter, version=closed.version)
        result = report(self.org, datetime.date(2026, 2, 1))
        self.assertEqual(result.rows["sent"], {"open": 2, "overdue": 1, "closed": 1})
        self.assertEqual([r.pk for r in result.overdue], [overdue.pk])
        # The partner set no date of its own: nothing is overdue for it.
        self.assertEqual(
            report(self.partner, datetime.date(2026, 2, 1)).rows["received"],
            {"open": 2, "overdue": 0, "closed": 1},
        )
        self.client.force_login(self.reader)
        self.assertEqual(self.client.get(url(self.org, "referrals/report")).status_code, 200)

    def test_a_side_sets_its_own_follow_up_date(self):
        referral = self.make_referral()
        self.client.force_login(self.partner_documenter)
        self.client.post(
            referral_url(self.partner, referral, "follow-up"),
            {"follow_up_on": "2026-04-01", "version": referral.version},
        )
        referral.refresh_from_db()
        self.assertEqual(referral.receipt.follow_up_on, datetime.date(2026, 4, 1))
        self.assertEqual(referral.follow_up_on, datetime.date(2026, 1, 15))

    def test_the_worker_reminds_each_side_once_per_date(self):
        self.org.contact_email = "norte@example.org"
        self.org.save()
        Channel.objects.create(
            organization=self.org, name="Correo", kind=Channel.Kind.EMAIL, enabled=True
        )
        referral = self.make_referral(follow_up_on=datetime.date(2026, 1, 15))
        actions.set_follow_up(
            referral, self.partner, None, datetime.date(2026, 1, 20), version=referral.version
        )
        self.assertEqual(reminders.send_reminders(datetime.date(2026, 1, 14)), 0)
        self.assertEqual(reminders.send_reminders(datetime.date(2026, 1, 16)), 1)
        self.assertEqual(reminders.send_reminders(datetime.date(2026, 1, 17)), 0)
        self.assertEqual(reminders.send_reminders(datetime.date(2026, 1, 21)), 1)
        self.assertEqual(
            set(ReferralReminder.objects.values_list("side", flat=True)), {"sender", "recipient"}
        )
        delivery = Delivery.objects.get(organization=self.org)
        self.assertNotIn("Zenaida", delivery.body)
        self.assertIn(f"/referrals/{referral.pk}/", delivery.body)
        # A date moved later is reminded again; a closed referral is not.
        referral.refresh_from_db()
        actions.set_follow_up(
            referral, self.org, None, datetime.date(2026, 2, 1), version=referral.version
        )
        self.assertEqual(reminders.send_reminders(datetime.date(2026, 2, 2)), 1)
        referral.refresh_from_db()
        actions.set_follow_up(
            referral, self.org, None, datetime.date(2026, 2, 5), version=referral.version
        )
        referral.refresh_from_db()
        actions.close_referral(referral, self.documenter, version=referral.version)
        self.assertEqual(reminders.send_reminders(datetime.date(2026, 3, 1)), 0)

    def test_the_reminders_run_in_the_worker(self):
        from memoria.jobs.registry import PERIODIC

        self.assertIn("network.reminders", PERIODIC)
