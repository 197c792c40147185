"""The review of possible matches: transitions and their audit, re-matching, the
confirmation (the designated person asked to get in touch, nothing more), the
statuses it sets, personas and pages."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

from django.core import mail
from django.test import override_settings

from memoria.alerts import engine
from memoria.alerts.models import Channel, Delivery
from memoria.audit.models import AuditEntry
from memoria.cases.actions import ConflictError
from memoria.jobs.models import Job
from memoria.jobs.worker import drain
from memoria.search import actions, review
from memoria.search.models import Candidate, CandidateDecision, CandidateStatus
from tests.web.search_fixtures import SearchFixtures, file_data, mark_data

S = CandidateStatus


def url(org, *parts) -> str:
    return "/".join([f"/o/{org.slug}/search", *map(str, parts)]) + "/"


class ReviewFixtures(SearchFixtures):
    def make_pair(self):
        """José Luis's file with a rose "MARIA" tattoo, and remains that show it."""
        file = self.make_file()
        actions.add_part(file, "mark", self.documenter, mark_data())
        actions.add_part(
            file, "contact", self.documenter,
            {"name": "Rosa Ramírez", "relationship": "madre", "email": "rosa@familia.example",
             "phone": "+52 614 000 0000", "receives_news": True},
        )  # fmt: skip
        actions.add_part(
            file, "contact", self.documenter,
            {"name": "Iván Ramírez", "relationship": "hermano", "email": "ivan@familia.example"},
        )  # fmt: skip
        remains = self.make_remains()
        actions.add_part(
            remains,
            "pm_mark",
            self.documenter,
            mark_data(motif="flor", text="MARIA", description="tatuaje de rosa con letras"),
        )
        return file, remains

    def decoy(self, **overrides):
        data = {
            "semefo_folio": "SEMEFO-DECOY",
            "sex_estimate": "undetermined",
            "age_min": Decimal(18),
            "age_max": Decimal(60),
            "stature_min_cm": None,
            "stature_max_cm": None,
            "clothing": "",
            "notes": "",
            "condition": "skeletonized",
        }
        data.update(overrides)
        return self.make_remains(**data)

    def ranked(self):
        drain()
        return {
            (c.file_id, c.remains_id): c for c in Candidate.objects.filter(organization=self.org)
        }

    def email_channel(self, organization=None):
        return Channel.objects.create(
            organization=organization or self.org,
            kind=Channel.Kind.EMAIL,
            name="Correo del centro",
            config={"address": "centro@norte.example"},
        )


class RematchTests(ReviewFixtures):
    def test_writes_queue_one_rematch_job_at_a_time(self):
        file, remains = self.make_pair()
        jobs = Job.objects.filter(kind=review.REMATCH, organization=self.org)
        self.assertEqual(jobs.count(), 1)
        self.assertEqual(jobs.get().status, Job.Status.QUEUED)
        drain()
        self.assertEqual(jobs.get().status, Job.Status.DONE)
        actions.update_remains(
            remains, self.documenter, {"notes": "cabello negro"}, remains.version
        )
        self.assertEqual(jobs.filter(status=Job.Status.QUEUED).count(), 1)

    def test_the_job_ranks_the_true_pair_with_reasons_and_flags_it(self):
        file, remains = self.make_pair()
        self.decoy()
        candidates = self.ranked()
        true = candidates[(file.pk, remains.pk)]
        self.assertEqual(true.status, S.POSSIBLE)
        self.assertGreater(true.score, 1)
        self.assertIsNotNone(true.flagged_at)
        codes = {e["code"] for e in true.reasons["evidence"]}
        self.assertIn("shared", codes)
        self.assertIn("sex", codes)
        self.assertTrue(
            AuditEntry.objects.filter(organization=self.org, action="search.rematched").exists()
        )

    def test_rematching_keeps_decisions_and_flags_a_new_strong_candidate(self):
        file, remains = self.make_pair()
        true = self.ranked()[(file.pk, remains.pk)]
        true = review.decide(true, self.documenter, S.UNDER_REVIEW, true.version)
        true = review.decide(true, self.documenter, S.REFERRED, true.version, referred_to=["dna"])
        # New remains arrive that show the same tattoo and a gold crown.
        second = self.make_remains(semefo_folio="SEMEFO-NEW")
        actions.add_part(second, "pm_mark", self.documenter, mark_data(motif="rosa"))
        candidates = self.ranked()
        kept = candidates[(file.pk, remains.pk)]
        self.assertEqual((kept.status, kept.referred_to), (S.REFERRED, ["dna"]))
        self.assertEqual(kept.decisions.count(), 2)
        self.assertIsNone(kept.flagged_at)
        new = candidates[(file.pk, second.pk)]
        self.assertEqual(new.status, S.POSSIBLE)
        self.assertGreaterEqual(new.score, review.strong_threshold(2))
        self.assertIsNotNone(new.flagged_at)

    def test_an_excluded_pair_that_nobody_reviewed_is_removed(self):
        file, remains = self.make_pair()
        self.assertIn((file.pk, remains.pk), self.ranked())
        # The forensic service corrects the sex on a complete body: a hard exclusion.
        actions.update_remains(
            remains,
            self.documenter,
            {"sex_estimate": "female", "condition": "complete"},
            remains.version,
        )
        self.assertNotIn((file.pk, remains.pk), self.ranked())

    def test_a_decided_pair_is_kept_when_the_engine_excludes_it(self):
        file, remains = self.make_pair()
        candidate = self.ranked()[(file.pk, remains.pk)]
        review.decide(candidate, self.documenter, S.UNDER_REVIEW, candidate.version)
        actions.update_remains(
            remains,
            self.documenter,
            {"sex_estimate": "female", "condition": "complete"},
            remains.version,
        )
        kept = self.ranked()[(file.pk, remains.pk)]
        self.assertEqual(kept.status, S.UNDER_REVIEW)
        self.assertIsNone(kept.score)
        self.assertEqual(kept.reasons["exclusions"][0]["code"], "sex")


class TransitionTests(ReviewFixtures):
    def setUp(self):
        file, remains = self.make_pair()
        self.candidate = self.ranked()[(file.pk, remains.pk)]

    def decisions(self):
        return AuditEntry.objects.filter(organization=self.org, action="search.candidate_decided")

    def test_each_step_is_recorded_with_who_and_when_and_audited(self):
        c = review.decide(self.candidate, self.documenter, S.UNDER_REVIEW, 1)
        c = review.decide(c, self.documenter, S.EXCLUDED, c.version, reason="Otra estatura")
        c = review.decide(c, self.coordinator, S.UNDER_REVIEW, c.version)
        c = review.decide(c, self.coordinator, S.REFERRED, c.version, referred_to=["dental", "dna"])
        self.assertEqual((c.status, c.version, c.referred_to), (S.REFERRED, 5, ["dna", "dental"]))
        steps = [
            (d.from_status, d.to_status, d.decided_by)
            for d in CandidateDecision.objects.filter(candidate=c)
        ]
        self.assertEqual(
            steps,
            [
                (S.POSSIBLE, S.UNDER_REVIEW, self.documenter),
                (S.UNDER_REVIEW, S.EXCLUDED, self.documenter),
                (S.EXCLUDED, S.UNDER_REVIEW, self.coordinator),
                (S.UNDER_REVIEW, S.REFERRED, self.coordinator),
            ],
        )
        [excluded] = [d for d in c.decisions.all() if d.to_status == S.EXCLUDED]
        self.assertEqual(excluded.reason, "Otra estatura")
        self.assertEqual(self.decisions().count(), 4)
        entry = self.decisions().order_by("pk").last()
        self.assertEqual((entry.target_id, entry.actor), (str(c.pk), self.coordinator))

    def test_it_refuses_steps_the_review_does_not_allow(self):
        c = self.candidate
        with self.assertRaises(review.TransitionError):
            review.decide(c, self.documenter, S.CONFIRMED, c.version, messenger=self.documenter)
        with self.assertRaises(review.TransitionError):
            review.decide(c, self.documenter, S.EXCLUDED, c.version, reason="  ")
        c = review.decide(c, self.documenter, S.UNDER_REVIEW, c.version)
        with self.assertRaises(review.TransitionError):
            review.decide(c, self.documenter, S.REFERRED, c.version, referred_to=[])
        with self.assertRaises(review.TransitionError):
            review.decide(c, self.documenter, S.REFERRED, c.version, referred_to=["psychic"])
        self.assertEqual(self.decisions().count(), 1)

    def test_a_stale_version_writes_nothing(self):
        review.decide(self.candidate, self.documenter, S.UNDER_REVIEW, 1)
        with self.assertRaises(ConflictError):
            review.decide(self.candidate, self.coordinator, S.EXCLUDED, 1, reason="No es él")
        self.candidate.refresh_from_db()
        self.assertEqual(self.candidate.status, S.UNDER_REVIEW)
        self.assertEqual(self.decisions().count(), 1)


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
class ConfirmationTests(ReviewFixtures):
    """Confirming asks the designated person (and only them) to get in touch: nothing more."""

    def setUp(self):
        file, remains = self.make_pair()
        self.file, self.remains = file, remains
        c = self.ranked()[(file.pk, remains.pk)]
        c = review.decide(c, self.documenter, S.UNDER_REVIEW, c.version)
        self.candidate = review.decide(
            c, self.documenter, S.REFERRED, c.version, referred_to=["dna"]
        )
        self.channel = self.email_channel()

    def confirm(self, **kwargs):
        return review.decide(
            self.candidate, self.documenter, S.CONFIRMED, self.candidate.version, **kwargs
        )

    def audited(self, action):
        return AuditEntry.objects.filter(
            organization=self.org, action=action, target_id=str(self.candidate.pk)
        )

    def test_confirming_asks_the_designated_person_to_get_in_touch_and_says_nothing_else(self):
        self.confirm()
        engine.send_due("test")  # the worker's delivery loop: at least once
        [message] = mail.outbox
        self.assertEqual(message.to, ["rosa@familia.example"])
        self.assertNotIn("ivan@familia.example", {d.recipient for d in Delivery.objects.all()})
        text = message.subject + message.body
        self.assertIn(self.org.name, text)
        self.assertIn("en persona", text)  # sent in Spanish: "come in person"
        for detail in ("José", "Ramírez", "Rosa", "MARIA", "SEMEFO", f"AM-{self.file.pk}",
                       "identific", "coincidencia", "restos", "/search/"):  # fmt: skip
            self.assertNotIn(detail, text)
        [entry] = self.audited("search.news_contact_notified")
        self.assertEqual(entry.details["delivery"], Delivery.objects.get().pk)
        self.assertFalse(self.audited("search.match_notified").exists())

    def test_an_sms_channel_reaches_a_designated_person_with_only_a_phone(self):
        self.channel.enabled = False
        self.channel.save()
        sms = Channel.objects.create(
            organization=self.org, kind=Channel.Kind.SMS, name="SMS",
            config={"url": "https://sms.example/send"},
        )  # fmt: skip
        self.confirm()
        [delivery] = Delivery.objects.all()
        self.assertEqual((delivery.channel, delivery.recipient), (sms, "+52 614 000 0000"))

    def test_a_chosen_member_is_alerted_too(self):
        self.confirm(messenger=self.coordinator)
        engine.send_due("test")
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), sorted(["rosa@familia.example",
                                                          self.coordinator.email])
        )  # fmt: skip
        [member] = [m for m in mail.outbox if m.to == [self.coordinator.email]]
        self.assertIn(f"AM-{self.file.pk}", member.body)
        for name in ("José", "Ramírez", "Rosa", "MARIA"):
            self.assertNotIn(name, member.subject + member.body)
        self.assertTrue(self.audited("search.match_notified").exists())

    def test_without_a_designated_person_it_confirms_notifies_nobody_and_says_so(self):
        from memoria.search.models import FamilyContact

        FamilyContact.objects.filter(file=self.file).update(receives_news=False)
        self.client.force_login(self.documenter)
        path = url(self.org, "candidates", self.candidate.pk)
        before = self.client.get(path)
        self.assertContains(before, "no tiene persona designada")
        response = self.client.post(
            path, {"to_status": S.CONFIRMED, "version": self.candidate.version}, follow=True
        )
        self.assertEqual(response.status_code, 200)
        self.candidate.refresh_from_db()
        self.assertEqual(self.candidate.status, S.CONFIRMED)
        self.assertFalse(Delivery.objects.exists())
        self.assertContains(response, "Nadie de la familia fue notificado")
        [entry] = self.audited("search.news_contact_missing")
        self.assertEqual(entry.details["why"], "no_contact")

    def test_an_unreachable_designated_person_is_not_notified_and_the_page_says_so(self):
        self.channel.delete()
        self.confirm()
        self.assertFalse(Delivery.objects.exists())
        [entry] = self.audited("search.news_contact_missing")
        self.assertEqual(entry.details["why"], "unreachable")
        self.client.force_login(self.reader)
        page = self.client.get(url(self.org, "candidates", self.candidate.pk))
        self.assertContains(page, "Nadie de la familia fue notificado")

    def test_the_confirmed_page_shows_the_message_went_without_its_address(self):
        self.confirm()
        self.client.force_login(self.reader)
        page = self.client.get(url(self.org, "candidates", self.candidate.pk))
        self.assertContains(page, "se comunique con la organización")
        self.assertNotContains(page, "rosa@familia.example")

    def test_confirming_twice_cannot_happen_and_the_message_is_queued_once(self):
        c = self.confirm()
        with self.assertRaises(review.TransitionError):
            review.decide(c, self.documenter, S.CONFIRMED, c.version)
        self.assertEqual(review.notify_news_contact(c, self.documenter).pk,
                         Delivery.objects.get().pk)  # fmt: skip
        self.assertEqual(Delivery.objects.filter(organization=self.org).count(), 1)

    def test_nothing_is_written_or_sent_when_the_audit_entry_cannot_be_written(self):
        decisions = CandidateDecision.objects.count()
        with (
            mock.patch("memoria.search.review.audit", side_effect=RuntimeError("refused")),
            self.assertRaises(RuntimeError),
        ):
            self.confirm()
        self.candidate.refresh_from_db()
        self.assertEqual((self.candidate.status, self.candidate.version), (S.REFERRED, 3))
        self.assertEqual(CandidateDecision.objects.count(), decisions)
        self.assertFalse(Delivery.objects.exists())

    def test_a_chosen_member_must_read_the_search(self):
        for member in (self.analyst, self.outsider):
            with self.subTest(member=member), self.assertRaises(review.TransitionError):
                self.confirm(messenger=member)
        self.assertFalse(Delivery.objects.exists())


class IdentificationStatusTests(ReviewFixtures):
    """The review's outcome sets the file's and the remains' statuses, and undoes them."""

    def setUp(self):
        self.file, self.remains = self.make_pair()
        c = self.ranked()[(self.file.pk, self.remains.pk)]
        self.candidate = review.decide(c, self.documenter, S.UNDER_REVIEW, c.version)

    def statuses(self):
        self.file.refresh_from_db()
        self.remains.refresh_from_db()
        return self.file.search_status, self.remains.identification_status

    def refer(self, c=None):
        c = c or self.candidate
        return review.decide(c, self.documenter, S.REFERRED, c.version, referred_to=["dna"])

    def test_confirming_identifies_the_remains_and_finds_the_person(self):
        c = self.refer()
        self.assertEqual(self.statuses(), ("searching", "possible"))
        versions = (self.file.version, self.remains.version)
        c = review.decide(c, self.documenter, S.CONFIRMED, c.version)
        self.assertEqual(self.statuses(), ("found_deceased", "identified"))
        self.assertEqual((self.file.version, self.remains.version),
                         (versions[0] + 1, versions[1] + 1))  # fmt: skip
        updates = AuditEntry.objects.filter(
            organization=self.org, action__in=["search.am_update", "search.remains_update"]
        ).order_by("pk")
        self.assertEqual(updates.last().details["candidate"], c.pk)
        # Withdrawing the confirmation (it proved wrong) puts both back.
        c = review.decide(c, self.coordinator, S.REJECTED, c.version, reason="El ADN no coincide")
        self.assertEqual(self.statuses(), ("searching", "unidentified"))

    def test_rejecting_a_referral_puts_the_remains_back(self):
        c = self.refer()
        review.decide(c, self.documenter, S.REJECTED, c.version, reason="Odontograma distinto")
        self.assertEqual(self.statuses(), ("searching", "unidentified"))

    def test_another_open_referral_keeps_the_remains_a_possible_identity(self):
        other = actions.open_file(
            self.add_victim(self.make_case(), violation="enforced_disappearance",
                            given_names="Pedro", paternal_surname="Soto", sex="male").victim,
            self.documenter,
            {**file_data(), "rnpdno_folio": ""},
        )  # fmt: skip
        second = Candidate.objects.create(
            organization=self.org, file=other, remains=self.remains, score=1.0, reasons={}
        )
        second = review.decide(second, self.documenter, S.UNDER_REVIEW, second.version)
        self.refer(second)
        c = self.refer()
        review.decide(c, self.documenter, S.REJECTED, c.version, reason="No es él")
        self.assertEqual(self.statuses(), ("searching", "possible"))

    def test_a_status_the_review_did_not_set_is_left_alone(self):
        self.file.search_status = "found_alive"
        self.file.save()
        c = self.refer()
        review.decide(c, self.documenter, S.REJECTED, c.version, reason="Apareció con vida")
        self.assertEqual(self.statuses(), ("found_alive", "unidentified"))

    def test_rejecting_a_referral_leaves_statuses_recorded_outside_the_review(self):
        c = self.refer()
        # Meanwhile the authorities identified him elsewhere, and these remains as someone else.
        self.statuses()
        self.file.search_status = "found_deceased"
        self.file.save()
        self.remains.identification_status = "identified"
        self.remains.save()
        review.decide(c, self.documenter, S.REJECTED, c.version, reason="No es él")
        self.assertEqual(self.statuses(), ("found_deceased", "identified"))

    def test_a_referral_leaves_remains_identified_outside_the_review(self):
        self.remains.identification_status = "identified"
        self.remains.save()
        self.refer()
        self.assertEqual(self.statuses(), ("searching", "identified"))

    def second_file_on_the_same_remains(self):
        victim = self.add_victim(
            self.make_case(),
            violation="enforced_disappearance",
            given_names="Pedro",
            paternal_surname="Soto",
            sex="male",
        ).victim
        other = actions.open_file(victim, self.documenter, {**file_data(), "rnpdno_folio": ""})
        second = Candidate.objects.create(
            organization=self.org, file=other, remains=self.remains, score=1.0, reasons={}
        )
        second = review.decide(second, self.documenter, S.UNDER_REVIEW, second.version)
        return self.refer(second)

    def test_remains_confirmed_as_one_person_cannot_be_confirmed_as_another(self):
        second = self.second_file_on_the_same_remains()
        c = self.refer()
        review.decide(c, self.documenter, S.CONFIRMED, c.version)
        with self.assertRaises(review.AlreadyIdentified):
            review.decide(second, self.documenter, S.CONFIRMED, second.version)
        second.refresh_from_db()
        self.assertEqual(second.status, S.REFERRED)
        self.client.force_login(self.documenter)
        response = self.client.post(
            url(self.org, "candidates", second.pk),
            {"to_status": S.CONFIRMED, "version": second.version},
            follow=True,
        )
        self.assertContains(
            response, "ya están confirmados como los de otra persona", status_code=409
        )
        second.refresh_from_db()
        self.assertEqual(second.status, S.REFERRED)

    def test_a_withdrawn_confirmation_with_another_referral_leaves_a_possible_identity(self):
        self.second_file_on_the_same_remains()
        c = self.refer()
        c = review.decide(c, self.documenter, S.CONFIRMED, c.version)
        review.decide(c, self.coordinator, S.REJECTED, c.version, reason="El ADN no coincide")
        self.assertEqual(self.statuses(), ("searching", "possible"))


class ReviewPagesTests(ReviewFixtures):
    def setUp(self):
        self.file, self.remains = self.make_pair()
        self.candidate = self.ranked()[(self.file.pk, self.remains.pk)]

    def pages(self):
        return [
            url(self.org, "review"),
            url(self.org, "files", self.file.pk, "candidates"),
            url(self.org, "remains", self.remains.pk, "candidates"),
            url(self.org, "candidates", self.candidate.pk),
        ]

    def test_a_reader_sees_every_list_with_reasons_and_each_view_is_audited(self):
        self.client.force_login(self.reader)
        for path in self.pages():
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "José Luis" if "files" not in path else "SEMEFO")
                self.assertIn("no-store", response["Cache-Control"])
        page = self.client.get(url(self.org, "candidates", self.candidate.pk))
        self.assertContains(page, "MARIA")
        self.assertNotContains(page, 'name="to_status"')
        viewed = AuditEntry.objects.filter(actor=self.reader)
        self.assertEqual(viewed.filter(action="search.candidates_view").count(), 3)
        self.assertEqual(viewed.filter(action="search.candidate_view").count(), 2)

    def test_a_reader_cannot_decide(self):
        self.client.force_login(self.reader)
        response = self.client.post(
            url(self.org, "candidates", self.candidate.pk),
            {"to_status": "under_review", "version": 1},
        )
        self.assertEqual(response.status_code, 404)
        self.candidate.refresh_from_db()
        self.assertEqual(self.candidate.status, S.POSSIBLE)

    def test_an_analyst_gets_403_and_an_outsider_404(self):
        for user, status in ((self.analyst, 403), (self.outsider, 404)):
            self.client.force_login(user)
            for path in self.pages():
                with self.subTest(user=user.email, path=path):
                    self.assertEqual(self.client.get(path).status_code, status)
                    self.assertEqual(
                        self.client.post(path, {"to_status": "excluded"}).status_code, status
                    )
        self.candidate.refresh_from_db()
        self.assertEqual(self.candidate.status, S.POSSIBLE)

    def test_another_organizations_candidate_is_404_for_its_own_members(self):
        self.client.force_login(self.outsider)
        theirs = url(self.other_org, "candidates", self.candidate.pk)
        self.assertEqual(self.client.get(theirs).status_code, 404)

    def test_a_documenter_reviews_it_to_referred_for_confirmation(self):
        self.client.force_login(self.documenter)
        path = url(self.org, "candidates", self.candidate.pk)
        response = self.client.post(path, {"to_status": "under_review", "version": 1})
        self.assertRedirects(response, path)
        response = self.client.post(path, {"to_status": "referred", "version": 2})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Elige al menos una forma", status_code=400)
        response = self.client.post(
            path, {"to_status": "referred", "referred_to": ["dna", "fingerprints"], "version": 2}
        )
        self.assertRedirects(response, path)
        self.candidate.refresh_from_db()
        self.assertEqual(self.candidate.status, S.REFERRED)
        self.assertEqual(self.candidate.referred_to, ["dna", "fingerprints"])
        stale = self.client.post(path, {"to_status": "rejected", "reason": "x", "version": 2})
        self.assertContains(
            stale, "Alguien decidió sobre esta posible coincidencia", status_code=409
        )
        self.candidate.refresh_from_db()
        self.assertEqual(self.candidate.status, S.REFERRED)
        queue = self.client.get(url(self.org, "review"))
        self.assertContains(queue, "Enviada a confirmación")

    def test_the_queue_shows_new_strong_candidates_first(self):
        weak = self.decoy(semefo_folio="SEMEFO-WEAK")
        drain()
        rows = sorted(Candidate.objects.filter(organization=self.org), key=review.queue_key)
        self.assertEqual(rows[0], self.candidate)
        self.assertIsNotNone(rows[0].flagged_at)
        self.assertTrue(all(c.flagged_at is None for c in rows[1:]))
        self.assertNotEqual(rows[0].remains_id, weak.pk)
