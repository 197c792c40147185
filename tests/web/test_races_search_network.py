"""Two writes at once on PostgreSQL: the designated contact, a referral's shared copy, an
agreement answered while it is revoked or while a consent is withdrawn.

Each test holds a first transaction open (in a thread of its own, with its own
connection) while a second write starts, then commits the first: the second
must wait for it and then act on what it committed.
"""

from __future__ import annotations

import datetime
import threading
import time
import unittest

from django.db import connection, transaction
from django.test import TransactionTestCase
from django.utils import timezone

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.cases import actions as cases
from memoria.cases.actions import ConflictError
from memoria.cases.models import Person
from memoria.network import actions as network
from memoria.network.models import Capability
from memoria.search import actions as search
from memoria.search import review
from memoria.search.models import (
    AnteMortemFile,
    Candidate,
    CandidateStatus,
    FamilyContact,
    RecipientConsent,
)
from memoria.sharing import agreements
from memoria.sharing.models import SharedRecord
from tests.web.base import ensure_reference_data, make_member
from tests.web.search_fixtures import remains_data


def first_then_second(first, second) -> list[Exception]:
    """``first`` in a transaction held open until ``second`` has started; both in threads."""
    errors: list[Exception] = []
    written, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                first()
                written.set()
                release.wait(10)
        except Exception as error:  # noqa: BLE001 - returned to the test
            errors.append(error)
            written.set()
        finally:
            connection.close()

    def then():
        try:
            written.wait(10)
            second()
        except Exception as error:  # noqa: BLE001 - returned to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=then)]
    for thread in threads:
        thread.start()
    time.sleep(1)  # the second write is now waiting (or has gone ahead)
    release.set()
    for thread in threads:
        thread.join(20)
    return errors


@unittest.skipUnless(connection.vendor == "postgresql", "row locks are PostgreSQL's")
class ConcurrentWriteTests(TransactionTestCase):
    def setUp(self):
        ensure_reference_data()
        self.org = Organization.objects.create(
            name="Colectivo", slug="colectivo", kind=Organization.Kind.VICTIMS_COLLECTIVE
        )
        self.partner = Organization.objects.create(
            name="Psicosocial", slug="psicosocial", kind=Organization.Kind.VICTIMS_COLLECTIVE
        )
        self.documenter = make_member(self.org, "d@colectivo.example", Role.DOCUMENTER, "Dana")
        self.person = Person.objects.create(organization=self.org, given_names="Zenaida")

    def test_two_designated_contacts_at_once_leave_the_second_and_no_error(self):
        file = search.open_file(self.person, self.documenter, {"search_status": "searching"})

        def designate(name):
            return lambda: search.add_part(
                file, "contact", self.documenter, {"name": name, "receives_news": True}
            )

        errors = first_then_second(designate("Rosa"), designate("Luis"))
        self.assertEqual(errors, [])
        designated = FamilyContact.objects.filter(file=file, receives_news=True)
        self.assertEqual([contact.name for contact in designated], ["Luis"])

    def test_a_file_opened_twice_at_once_is_a_conflict_not_an_error(self):
        def open_it():
            search.open_file(self.person, self.documenter, {"search_status": "searching"})

        errors = first_then_second(open_it, open_it)
        self.assertEqual([type(error) for error in errors], [ConflictError])
        self.assertEqual(AnteMortemFile.objects.filter(person=self.person).count(), 1)

    def test_two_consents_for_one_recipient_at_once_are_a_conflict_not_an_error(self):
        file = search.open_file(self.person, self.documenter, {"search_status": "searching"})

        def consent():
            search.add_part(
                file, "consent", self.documenter, {"recipient": self.partner, "parts": ["marks"]}
            )

        errors = first_then_second(consent, consent)
        self.assertEqual([type(error) for error in errors], [ConflictError])
        self.assertEqual(RecipientConsent.objects.filter(file=file).count(), 1)

    def test_a_confirmation_during_a_withdrawal_leaves_the_remains_identified(self):
        """Two files' candidates for one remains: one withdrawn while the other is confirmed."""
        S = CandidateStatus
        remains = search.record_remains(self.org, self.documenter, remains_data())
        other = Person.objects.create(organization=self.org, given_names="Pedro")

        def referred(person):
            file = search.open_file(person, self.documenter, {"search_status": "searching"})
            c = Candidate.objects.create(
                organization=self.org, file=file, remains=remains, score=1.0, reasons={}
            )
            c = review.decide(c, self.documenter, S.UNDER_REVIEW, c.version)
            return review.decide(c, self.documenter, S.REFERRED, c.version, referred_to=["dna"])

        first, second = referred(self.person), referred(other)
        first = review.decide(first, self.documenter, S.CONFIRMED, first.version)

        def confirm_second():
            review.decide(second, self.documenter, S.CONFIRMED, second.version)

        def withdraw_first():
            review.decide(first, self.documenter, S.REJECTED, first.version, reason="ADN")

        # Remains are one person's: the second is confirmed once the first is withdrawn.
        # Started while the withdrawal is not yet committed, it waits for it.
        errors = first_then_second(withdraw_first, confirm_second)
        self.assertEqual(errors, [])
        remains.refresh_from_db()
        self.assertEqual(remains.identification_status, "identified")
        self.assertEqual(
            AnteMortemFile.objects.get(pk=second.file_id).search_status, "found_deceased"
        )
        self.assertEqual(AnteMortemFile.objects.get(pk=first.file_id).search_status, "searching")

    def test_a_send_during_a_close_does_not_share_the_closed_referrals_fields_again(self):
        def refer(fields):
            values = {"recipient": self.partner, "capability": Capability.PSYCHOSOCIAL,
                      "person_fields": list(fields)}  # fmt: skip
            return network.send_referral(self.org, self.documenter, values, person=self.person)

        first = refer(["given_names"])
        errors = first_then_second(
            lambda: network.close_referral(first, self.documenter, version=first.version),
            lambda: refer(["sex"]),
        )
        self.assertEqual(errors, [])
        self.assertEqual(SharedRecord.objects.get(organization=self.partner).fields, ["sex"])


@unittest.skipUnless(connection.vendor == "postgresql", "row locks are PostgreSQL's")
class ConcurrentAgreementTests(TransactionTestCase):
    """An agreement answered, revoked or limited by a consent at the same moment."""

    def setUp(self):
        ensure_reference_data()
        self.org = Organization.objects.create(
            name="Colectivo", slug="colectivo", kind=Organization.Kind.VICTIMS_COLLECTIVE
        )
        self.partner = Organization.objects.create(
            name="Psicosocial", slug="psicosocial", kind=Organization.Kind.VICTIMS_COLLECTIVE
        )
        self.coordinator = make_member(self.org, "c@colectivo.example", Role.COORDINATOR, "Cora")
        self.theirs = make_member(self.partner, "c@psico.example", Role.COORDINATOR, "Pita")
        self.person = Person.objects.create(
            organization=self.org,
            given_names="Zenaida",
            visibility="partners",
            consent_recorded_at=timezone.now(),
        )
        self.agreement = agreements.propose(
            self.org,
            self.coordinator,
            {"partner": self.partner, "level": "named",
             "fields": {"cases.person": ["given_names"]}, "purpose": "Acompañamiento",
             "valid_until": datetime.date(2099, 1, 1)},
        )  # fmt: skip

    def accept(self):
        agreements.answer(self.agreement, self.theirs, accept=True, version=1)

    def test_a_revoke_crossing_an_acceptance_is_a_conflict_and_shares_as_committed(self):
        errors = first_then_second(
            self.accept,
            lambda: agreements.revoke(self.agreement, self.coordinator, self.org, version=1),
        )
        self.assertEqual([type(error) for error in errors], [agreements.AgreementConflict])
        self.assertEqual(SharedRecord.objects.filter(organization=self.partner).count(), 1)

    def test_a_consent_withdrawn_during_an_acceptance_leaves_no_copy(self):
        def withdraw():
            person = Person.objects.get(pk=self.person.pk)
            cases.update_person(
                person, self.coordinator, {"consent_recorded": False}, person.version
            )

        errors = first_then_second(self.accept, withdraw)
        self.assertEqual(errors, [])
        self.assertFalse(SharedRecord.objects.filter(organization=self.partner).exists())
