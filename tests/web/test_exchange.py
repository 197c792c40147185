"""Bundles between installations: their cryptography, what an export carries, the import rules.

Here one database plays the receiving (or the sending) installation; the
partner is an identity held in memory. The two real installations exchanging
through the command line are in test_exchange_installations.py.
"""

from __future__ import annotations

import base64
import datetime
import json
import tempfile
import uuid
from pathlib import Path
from unittest import mock

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from memoria.audit.models import AuditEntry
from memoria.exchange import actions
from memoria.exchange.actions import ExchangeError
from memoria.exchange.bundle import (
    HEADER_FIELDS,
    BundleError,
    Identity,
    PublicKeys,
    _signed_bytes,
    normalize_fingerprint,
    open_bundle,
    read_bundle_file,
    read_envelope,
    seal_bundle,
)
from memoria.exchange.identity import load_identity
from memoria.exchange.models import ReceivedBundle, ReceivedRecord, RemoteAgreement
from tests.web.cases_fixtures import CaseFixtures

NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
UNTIL = datetime.date(2099, 1, 1)
SENDER = Identity.generate()
RECIPIENT = Identity.generate()


def seal(payload: dict, *, sequence: int = 1, sender=SENDER, recipient=None, agreement=None):
    recipient = recipient or RECIPIENT.public
    agreement = agreement or payload["agreement"]["uuid"]
    return seal_bundle(
        sender, recipient, agreement=agreement, sequence=sequence, payload=payload, now=NOW
    )


def payload(
    agreement: str, records: list, *, status="active", organization="centro", recipient=None
) -> dict:
    return {
        "source": {"installation": SENDER.installation, "organization": organization},
        "recipient_organization": recipient,
        "agreement": {"uuid": agreement, "status": status, "level": "pseudonymized",
                      "fields": {"cases.event": ["state", "status"]}},
        "records": records,
    }  # fmt: skip


def event(pk: int, status: str = "open", **values) -> dict:
    return {"kind": "cases.event", "id": str(pk), "version": 1,
            "updated_at": NOW.isoformat(), "values": {"status": status, **values}}  # fmt: skip


class BundleCryptographyTests(SimpleTestCase):
    AGREEMENT = str(uuid.uuid4())

    def bundle(self, **options) -> bytes:
        return seal(payload(self.AGREEMENT, [event(1)]), **options)[1]

    def test_it_opens_what_it_sealed_and_hides_the_records(self):
        data = self.bundle()
        self.assertNotIn(b"open", data.split(b'"ciphertext"')[1])
        envelope = read_envelope(data)
        self.assertEqual(envelope.header["sequence"], 1)
        self.assertEqual(envelope.header["recipient_fingerprint"], RECIPIENT.public.fingerprint)
        opened = open_bundle(envelope, SENDER.public, RECIPIENT)
        self.assertEqual(opened["records"][0]["values"], {"status": "open"})

    def test_it_refuses_a_bundle_signed_by_another_key(self):
        impostor = Identity(SENDER.installation, Identity.generate().signing, SENDER.exchange)
        envelope = read_envelope(self.bundle(sender=impostor))
        with self.assertRaisesMessage(BundleError, "signature does not match"):
            open_bundle(envelope, SENDER.public, RECIPIENT)

    def test_it_refuses_a_bundle_addressed_to_another_installation(self):
        envelope = read_envelope(self.bundle(recipient=Identity.generate().public))
        with self.assertRaisesMessage(BundleError, "addressed to installation"):
            open_bundle(envelope, SENDER.public, RECIPIENT)

    def test_it_refuses_a_changed_header_or_ciphertext(self):
        document = json.loads(self.bundle())
        document["header"]["sequence"] = 7  # replayed as newer
        with self.assertRaisesMessage(BundleError, "signature"):
            open_bundle(read_envelope(json.dumps(document).encode()), SENDER.public, RECIPIENT)
        document = json.loads(self.bundle())
        document["ciphertext"] = "AAAA" + document["ciphertext"][4:]
        with self.assertRaisesMessage(BundleError, "signature"):
            open_bundle(read_envelope(json.dumps(document).encode()), SENDER.public, RECIPIENT)

    def test_it_refuses_what_is_not_a_bundle(self):
        for data, message in (
            (b"PK\x03\x04 una hoja de calculo", "not JSON"),
            (b'{"format": "otra-cosa"}', "not a Memoria exchange bundle"),
            (self.bundle().replace(b'"version": 1', b'"version": 9'), "version 9"),
            (self.bundle().replace(b'"sequence": 1', b'"sequence": "1"'), "sequence"),
        ):
            with self.subTest(message), self.assertRaisesMessage(BundleError, message):
                read_envelope(data)

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(
        where=st.sampled_from([None, *HEADER_FIELDS, "ephemeral_key", "nonce", "ciphertext",
                               "signature", "format", "version", "header"]),
        value=st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=40),
            lambda inner: st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=8), inner, max_size=3),
            max_leaves=6,
        ),
        cut=st.integers(min_value=0, max_value=4000),
    )  # fmt: skip
    def test_a_damaged_bundle_is_refused_with_a_reason_never_a_crash(self, where, value, cut):
        original = self.bundle()
        document = json.loads(original)
        if where in HEADER_FIELDS:
            document["header"][where] = value
        elif where is not None:
            document[where] = value
        data = json.dumps(document).encode()
        for damaged in (data, data[:cut]):
            try:
                open_bundle(read_envelope(damaged), SENDER.public, RECIPIENT)
            except BundleError:
                continue
            # Opened: then nothing was damaged (the value put back was the same).
            self.assertEqual(json.loads(damaged), json.loads(original))

    def test_a_deeply_nested_file_is_refused_with_a_reason_never_a_crash(self):
        for data in (b"[" * 100_000 + b"]" * 100_000,
                     b'{"format": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"):  # fmt: skip
            with self.assertRaisesMessage(BundleError, "not a Memoria exchange bundle"):
                read_envelope(data)

    def test_a_header_text_that_is_not_unicode_is_refused_never_a_crash(self):
        document = json.loads(self.bundle())
        document["header"]["created_at"] = "\ud800"  # a lone surrogate, valid JSON
        with self.assertRaisesMessage(BundleError, "header"):
            open_bundle(read_envelope(json.dumps(document).encode()), SENDER.public, RECIPIENT)

    def test_a_signed_bundle_with_a_degenerate_ephemeral_key_is_refused_never_a_crash(self):
        # A partner's own key can sign anything: the key agreement must still fail cleanly.
        document = json.loads(self.bundle())
        document["ephemeral_key"] = base64.b64encode(bytes(32)).decode()
        envelope = read_envelope(json.dumps(document).encode())
        signed = _signed_bytes(envelope.header, envelope.ephemeral, envelope.nonce,
                               envelope.ciphertext)  # fmt: skip
        document["signature"] = base64.b64encode(SENDER.signing.sign(signed)).decode()
        with self.assertRaisesMessage(BundleError, "ephemeral key"):
            open_bundle(read_envelope(json.dumps(document).encode()), SENDER.public, RECIPIENT)

    def test_an_endless_file_is_refused_after_reading_no_more_than_a_bundle_can_be(self):
        limit = mock.patch("memoria.exchange.bundle.MAX_BUNDLE_BYTES", 1000)
        with limit, self.assertRaisesMessage(BundleError, "too large"):
            read_bundle_file("/dev/zero")

    def test_a_bundle_naming_another_sender_fingerprint_is_refused_even_if_signed(self):
        document = json.loads(self.bundle())
        document["header"]["sender_fingerprint"] = Identity.generate().public.fingerprint
        envelope = read_envelope(json.dumps(document).encode())
        signed = _signed_bytes(envelope.header, envelope.ephemeral, envelope.nonce,
                               envelope.ciphertext)  # fmt: skip
        document["signature"] = base64.b64encode(SENDER.signing.sign(signed)).decode()
        with self.assertRaisesMessage(BundleError, "sender's fingerprint"):
            open_bundle(read_envelope(json.dumps(document).encode()), SENDER.public, RECIPIENT)

    def test_a_payload_with_numbers_json_does_not_have_is_refused(self):
        # NaN never equals itself: a copy holding it would be "updated" by every bundle.
        for value in (float("nan"), float("inf")):
            data = seal(payload(self.AGREEMENT, [event(1, age=value)]))[1]
            with self.subTest(value=value), self.assertRaisesMessage(BundleError, "not JSON"):
                open_bundle(read_envelope(data), SENDER.public, RECIPIENT)

    def test_a_damaged_key_file_is_refused_with_a_reason_never_a_crash(self):
        for text in ("[" * 100_000 + "]" * 100_000, '{"format": NaN}', "[]"):
            with self.subTest(text=text[:12]), self.assertRaises(BundleError):
                PublicKeys.from_json(text)

    def test_fingerprints_read_aloud_compare_however_they_are_typed(self):
        fingerprint = SENDER.public.fingerprint
        self.assertEqual(len(fingerprint.replace("-", "")), 32)
        self.assertEqual(normalize_fingerprint(fingerprint.upper().replace("-", " ")), fingerprint)


class ExchangeFixtures(CaseFixtures):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.partner = actions.add_partner("coalicion", SENDER.public, SENDER.public.fingerprint)

    def incoming(self, **terms) -> RemoteAgreement:
        data = {"direction": "incoming", "partner_organization": "centro", "level": "pseudonymized",
                "fields": {"cases.event": ["status"]}, "purpose": "Documentar",
                "valid_until": UNTIL, "uuid": str(uuid.uuid4()), **terms}  # fmt: skip
        return actions.add_agreement(self.org, self.partner, **data)

    def receive(self, agreement, records, *, sequence=1, organization=None, source="centro",
                **options):  # fmt: skip
        options.setdefault("recipient", (organization or self.org).slug)
        data = seal(
            payload(str(agreement.uuid), records, organization=source, **options),
            sequence=sequence,
            recipient=load_identity().public,
        )[1]
        return actions.import_bundle(organization or self.org, data)

    def copies(self) -> dict:
        return {
            (record.kind, record.source_id): (record.fields, record.content, record.sequence)
            for record in ReceivedRecord.objects.all()
        }

    def written(self) -> tuple:
        return (
            ReceivedRecord.objects.count(),
            ReceivedBundle.objects.count(),
            AuditEntry.objects.filter(action="exchange.import").count(),
        )

    def refusals(self) -> list[tuple[int, dict]]:
        return [
            (entry.organization_id, entry.details)
            for entry in AuditEntry.objects.filter(action="exchange.import_refused").order_by("pk")
        ]


class ImportTests(ExchangeFixtures):
    def test_it_keeps_only_the_kinds_and_fields_the_terms_here_allow(self):
        agreement = self.incoming()
        person = {"kind": "cases.person", "id": "8", "values": {"given_names": "Zenaida"}}
        amfile = {"kind": "search.amfile", "id": "3", "values": {"notes": "tatuaje"}}
        received = self.receive(agreement, [event(5, title="Zenaida"), person, amfile])
        self.assertEqual((received.added, received.outcome), (1, "applied"))
        self.assertEqual(received.dropped_records, {"cases.person": 1, "(unknown kind)": 1})
        self.assertEqual(received.dropped_fields, ["cases.event.title"])
        self.assertTrue(received.terms_differ)
        self.assertEqual(self.copies(), {("cases.event", "5"): (["status"], {"status": "open"}, 1)})
        record = ReceivedRecord.objects.get()
        self.assertEqual((record.organization, record.source_version), (self.org, 1))
        raw = ReceivedRecord.objects.values_list("content", flat=True).get()
        self.assertNotIn("open", raw)  # under the organization's key
        entry = AuditEntry.objects.get(action="exchange.import")
        self.assertEqual(entry.details["added"], 1)
        self.assertNotIn("Zenaida", json.dumps(entry.details))

    def test_importing_the_same_bundle_again_changes_nothing(self):
        agreement = self.incoming()
        data = seal(
            payload(str(agreement.uuid), [event(5)], recipient=self.org.slug),
            recipient=load_identity().public,
        )
        actions.import_bundle(self.org, data[1])
        before = (self.copies(), self.written())
        again = actions.import_bundle(self.org, data[1])
        self.assertTrue(again.duplicate)
        self.assertEqual((self.copies(), self.written()), before)

    def test_a_bundle_imported_here_is_not_called_imported_for_another_organization(self):
        agreement = self.incoming()
        data = seal(
            payload(str(agreement.uuid), [event(5)], recipient=self.org.slug),
            recipient=load_identity().public,
        )[1]
        actions.import_bundle(self.org, data)
        with self.assertRaisesMessage(ExchangeError, "has not registered agreement"):
            actions.import_bundle(self.other_org, data)

    def test_a_newer_bundle_updates_adds_and_removes_copies(self):
        agreement = self.incoming()
        self.receive(agreement, [event(5), event(6)])
        received = self.receive(agreement, [event(5, "closed"), event(7)], sequence=2)
        self.assertEqual((received.added, received.updated, received.removed), (1, 1, 1))
        self.assertEqual(
            self.copies(),
            {("cases.event", "5"): (["status"], {"status": "closed"}, 2),
             ("cases.event", "7"): (["status"], {"status": "open"}, 2)},
        )  # fmt: skip

    def test_an_older_bundle_is_reported_as_a_conflict_and_overwrites_nothing(self):
        agreement = self.incoming()
        self.receive(agreement, [event(5, "closed")], sequence=3)
        before = self.copies()
        received = self.receive(agreement, [event(5, "open"), event(9)], sequence=2)
        self.assertEqual((received.outcome, received.conflicts), ("conflict", 2))
        self.assertEqual(received.applied_sequence, 3)
        self.assertEqual(self.copies(), before)
        self.assertEqual(ReceivedBundle.objects.filter(outcome="conflict").count(), 1)

    def test_a_revoked_or_expired_agreement_deletes_the_copies(self):
        for status in ("revoked", "expired"):
            with self.subTest(status):
                agreement = self.incoming()
                self.receive(agreement, [event(5)])
                received = self.receive(agreement, [], sequence=2, status=status)
                self.assertEqual((received.outcome, received.removed), ("ended", 1))
                agreement.refresh_from_db()
                self.assertEqual(agreement.status, status)
                self.assertFalse(agreement.records.exists())
                # A bundle made before the end, arriving late, brings nothing back.
                late = self.receive(agreement, [event(5)], sequence=3)
                self.assertEqual(late.outcome, "ended")
                self.assertFalse(agreement.records.exists())

    def test_revoking_here_deletes_the_copies_at_once(self):
        agreement = self.incoming()
        self.receive(agreement, [event(5)])
        actions.revoke_agreement(agreement)
        self.assertFalse(ReceivedRecord.objects.exists())
        self.assertEqual(AuditEntry.objects.filter(action="exchange.agreement_revoke").count(), 1)

    def test_it_refuses_what_the_local_terms_do_not_cover_and_writes_nothing(self):
        agreement = self.incoming()
        before = self.written()
        stranger = RemoteAgreement(uuid=uuid.uuid4())
        for attempt, message in (
            (lambda: self.receive(stranger, [event(5)]), "has not registered agreement"),
            (lambda: self.receive(agreement, [event(5)], organization=self.other_org),
             "has not registered agreement"),
            (lambda: self.receive(agreement, [event(5)], source="otra"), "not from 'centro'"),
            (lambda: self.receive(agreement, [{"kind": "cases.event", "id": 5, "values": {}}]),
             "malformed"),
            (lambda: self.receive(agreement, [event(5), event(5)]), "twice"),
            (lambda: self.receive(agreement, [event(5, {"a": "b"})]), "malformed"),
            (lambda: self.receive(agreement, [event(5)], recipient="otra"),
             "for organization 'otra' here"),
        ):  # fmt: skip
            with self.subTest(message), self.assertRaisesMessage(ExchangeError, message):
                attempt()
            self.assertEqual(self.written(), before)

    def test_names_the_partner_sends_as_kinds_or_fields_never_reach_the_clear_report(self):
        # The report and the audit entry are not encrypted: only names this installation knows.
        agreement = self.incoming()
        stray = {"kind": "Zenaida Pérez Luna", "id": "3", "values": {"notes": "x"}}
        received = self.receive(agreement, [event(5, **{"Zenaida Pérez Luna": "x"}), stray])
        self.assertEqual(received.added, 1)
        entry = AuditEntry.objects.get(action="exchange.import")
        for text in (json.dumps(received.as_report()), json.dumps(entry.details),
                     json.dumps(ReceivedBundle.objects.get().report)):  # fmt: skip
            self.assertNotIn("Zenaida", text)
        self.assertEqual(received.dropped_records, {"(unknown kind)": 1})
        self.assertEqual(received.dropped_fields, ["cases.event.(unknown field)"])

    def test_a_record_id_that_is_not_an_id_is_refused(self):
        # The source id is kept in clear: a text (a name) or a NUL (PostgreSQL) is no id.
        agreement = self.incoming()
        for source_id in ("Zenaida Pérez", "12\x00", "../3", ""):
            refused = self.assertRaisesMessage(ExchangeError, "malformed")
            with self.subTest(source_id=source_id), refused:
                self.receive(agreement, [{**event(1), "id": source_id}])
        self.assertEqual(self.written(), (0, 0, 0))
        uuid_id = str(uuid.uuid4())
        self.assertEqual(self.receive(agreement, [{**event(1), "id": uuid_id}]).added, 1)

    def test_an_agreement_status_no_export_makes_is_refused_never_a_crash(self):
        # The partner's key signs whatever its installation sends: still no traceback here.
        agreement = self.incoming()
        for status in (["active"], {"revoked": True}, None):
            with self.subTest(status=status), self.assertRaisesMessage(ExchangeError, "status"):
                self.receive(agreement, [event(1)], status=status)
        self.assertEqual(self.written(), (0, 0, 0))

    def test_a_last_change_outside_the_calendar_in_utc_is_kept_as_unknown(self):
        agreement = self.incoming()
        edges = ("9999-12-31T23:59:00-23:00", "0001-01-01T00:00:00+23:00")
        records = [{**event(pk), "updated_at": edge} for pk, edge in enumerate(edges, start=1)]
        received = self.receive(agreement, records)
        self.assertEqual((received.outcome, received.added), ("applied", 2))
        self.assertEqual(
            list(ReceivedRecord.objects.values_list("source_updated_at", flat=True)), [None, None]
        )

    def test_after_the_partner_replaces_its_keys_the_old_ones_are_refused(self):
        agreement = self.incoming()
        self.receive(agreement, [event(5)])
        stolen = SENDER
        renewed = Identity.generate()
        with self.assertRaisesMessage(ExchangeError, "does not match"):
            actions.replace_partner_keys(self.partner, renewed.public, stolen.public.fingerprint)
        actions.replace_partner_keys(self.partner, renewed.public, renewed.public.fingerprint)
        self.assertEqual(
            AuditEntry.objects.get(action="exchange.partner_keys").details["old"],
            stolen.public.fingerprint,
        )
        before = self.written()
        with self.assertRaisesMessage(ExchangeError, "not a registered partner"):
            self.receive(agreement, [event(5, "closed")], sequence=2)
        self.assertEqual(self.written(), before)
        data = seal(
            payload(str(agreement.uuid), [event(5, "closed")], recipient=self.org.slug)
            | {"source": {"installation": renewed.installation, "organization": "centro"}},
            sequence=2,
            sender=renewed,
            recipient=load_identity().public,
        )[1]
        self.assertEqual(actions.import_bundle(self.org, data).updated, 1)

    def test_an_import_the_audit_log_cannot_record_leaves_nothing(self):
        agreement = self.incoming()
        self.receive(agreement, [event(5), event(6)])
        before = (self.copies(), self.written(), RemoteAgreement.objects.get().sequence)
        refused = mock.patch("memoria.exchange.actions.audit", side_effect=RuntimeError("log"))
        for status in ("active", "revoked"):
            with self.subTest(status), refused, self.assertRaises(RuntimeError):
                self.receive(agreement, [event(5, "closed"), event(7)], sequence=2, status=status)
            after = (self.copies(), self.written(), RemoteAgreement.objects.get().sequence)
            self.assertEqual(after, before)

    def test_it_refuses_a_bundle_from_an_installation_not_registered(self):
        agreement = self.incoming()
        stranger = Identity.generate()
        data = seal_bundle(
            stranger, load_identity().public, agreement=str(agreement.uuid), sequence=1,
            payload=payload(str(agreement.uuid), [event(5)]), now=NOW,
        )[1]  # fmt: skip
        with self.assertRaisesMessage(ExchangeError, "not a registered partner"):
            actions.import_bundle(self.org, data)
        self.assertEqual(self.written(), (0, 0, 0))


class RefusedImportAuditTests(ExchangeFixtures):
    """A refused bundle leaves an entry in the receiving organization's log: codes and ids only."""

    def setUp(self):
        super().setUp()
        self.agreement = self.incoming()
        self.code = str(self.agreement.uuid)

    def sealed(self, *, sender=SENDER, recipient=None, agreement=None, **options) -> tuple:
        return seal(
            payload(self.code, [event(5)], recipient=self.org.slug, **options),
            sender=sender,
            recipient=recipient or load_identity().public,
            agreement=agreement,
        )

    def refuse(self, data: bytes, message: str, organization=None) -> dict:
        with self.assertRaisesMessage(ExchangeError, message):
            actions.import_bundle(organization or self.org, data)
        self.assertEqual(self.written(), (0, 0, 0))
        (organization_id, details), *_ = self.refusals()[-1:]
        self.assertEqual(organization_id, (organization or self.org).pk)
        return details

    def test_a_forged_or_misaddressed_bundle_is_recorded_with_its_reason(self):
        impostor = Identity(SENDER.installation, Identity.generate().signing, SENDER.exchange)
        header, data = self.sealed(sender=impostor)
        details = self.refuse(data, "signature does not match")
        self.assertEqual(
            details,
            {"reason": "bad_signature", "partner": self.partner.pk,
             "claimed_bundle": header["bundle"], "claimed_sender": SENDER.installation,
             "claimed_agreement": self.code, "claimed_sequence": 1,
             "claimed_sender_fingerprint": impostor.public.fingerprint,
             "claimed_recipient_fingerprint": load_identity().public.fingerprint},
        )  # fmt: skip
        elsewhere = Identity.generate().public
        details = self.refuse(self.sealed(recipient=elsewhere)[1], "addressed to installation")
        self.assertEqual(
            (details["reason"], details["claimed_recipient_fingerprint"]),
            ("wrong_recipient", elsewhere.fingerprint),
        )
        stranger = Identity.generate()
        details = self.refuse(self.sealed(sender=stranger)[1], "not a registered partner")
        self.assertEqual(
            (details["reason"], details["claimed_sender"], "partner" in details),
            ("unknown_partner", stranger.installation, False),
        )
        self.assertEqual(len(self.refusals()), 3)

    def test_a_damaged_file_is_recorded_without_anything_it_claims(self):
        details = self.refuse(json.dumps({"format": "Juana Pérez"}).encode(), "not a Memoria")
        self.assertEqual(details, {"reason": "damaged"})

    def test_a_refusal_inside_the_undone_transaction_is_still_recorded(self):
        unknown = str(uuid.uuid4())
        header, data = seal(
            payload(unknown, [event(5)], recipient=self.org.slug),
            recipient=load_identity().public,
        )
        details = self.refuse(data, "has not registered agreement")
        self.assertEqual(
            (details["reason"], details["claimed_agreement"], details["claimed_bundle"]),
            ("agreement_not_registered", unknown, header["bundle"]),
        )
        # What the partner wrote in the payload (here a name) never reaches the log.
        data = self.sealed(recipient=None, organization="Juana Pérez")[1]
        details = self.refuse(data, "not from")
        self.assertEqual(details["reason"], "wrong_source_organization")
        self.assertNotIn("Juana", json.dumps(self.refusals(), ensure_ascii=False))
        # Another organization's operator importing it: recorded in the log of the --org given.
        details = self.refuse(self.sealed()[1], "has not registered", organization=self.other_org)
        self.assertEqual(details["reason"], "agreement_not_registered")
        self.assertEqual(
            AuditEntry.objects.get(
                action="exchange.import_refused", organization=self.other_org
            ).details["partner"],
            self.partner.pk,
        )

    def test_a_file_too_large_for_the_command_is_recorded_as_refused(self):
        from argparse import Namespace

        from memoria.cli.common import CommandError
        from memoria.cli.exchange import run_import

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "enorme.mbx"
            path.write_bytes(b"x" * 11)
            with (
                mock.patch("memoria.exchange.bundle.MAX_BUNDLE_BYTES", 10),
                self.assertRaisesMessage(CommandError, "too large"),
            ):
                run_import(Namespace(file=path, org=self.org.slug))
        self.assertEqual(self.refusals(), [(self.org.pk, {"reason": "too_large"})])

    def test_an_unknown_reason_code_is_recorded_as_refused(self):
        actions.record_refused_import(self.org, "Juana Pérez")
        self.assertEqual(self.refusals(), [(self.org.pk, {"reason": "refused"})])

    def test_an_identity_file_others_can_read_is_refused_with_how_to_fix_it(self):
        data = self.sealed()[1]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "keys" / "exchange-identity.json"
            with mock.patch("memoria.exchange.identity.identity_path", return_value=path):
                created = load_identity()
                self.assertEqual(path.stat().st_mode & 0o777, 0o600)
                for mode in (0o640, 0o604, 0o620):
                    path.chmod(mode)
                    with (
                        self.subTest(oct(mode)),
                        self.assertRaisesMessage(BundleError, "chmod 600"),
                    ):
                        load_identity()
                details = self.refuse(data, "chmod 600")
                self.assertEqual(details["reason"], "no_identity")
                path.chmod(0o600)
                self.assertEqual(load_identity().public, created.public)


class ExportTests(ExchangeFixtures):
    """This installation shares with the partner whose private keys the test holds."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.receiver = actions.add_partner(
            "receptor", RECIPIENT.public, RECIPIENT.public.fingerprint
        )

    def outgoing(self, **terms) -> RemoteAgreement:
        data = {"direction": "outgoing", "partner_organization": "colectivo",
                "level": "pseudonymized", "fields": {"cases.event": ["state", "status"]},
                "purpose": "Documentar", "valid_until": UNTIL, **terms}  # fmt: skip
        return actions.add_agreement(self.org, self.receiver, **data)

    def export(self, agreement) -> tuple[dict, dict]:
        delivered = []
        sent = actions.export_bundle(agreement, delivered.append)
        envelope = read_envelope(delivered[0])
        self.assertEqual(envelope.header["bundle"], sent.bundle)
        return envelope.header, open_bundle(envelope, load_identity().public, RECIPIENT)

    def test_it_sends_what_the_terms_and_the_families_consent_allow(self):
        shared = self.make_case(
            title="Caso compartido", victim={"given_names": "Zenaida", "visibility": "partners"}
        )
        self.make_case(title="Caso reservado",
                       victim={"given_names": "Xóchitl", "visibility": "private"})  # fmt: skip
        agreement = self.outgoing()
        header, content = self.export(agreement)
        self.assertEqual(header["sequence"], 1)
        self.assertEqual(content["agreement"]["status"], "active")
        self.assertEqual(content["source"]["organization"], self.org.slug)
        [record] = content["records"]
        self.assertEqual((record["kind"], record["id"]), ("cases.event", str(shared.pk)))
        self.assertEqual(record["fields"], ["state", "status"])
        self.assertEqual(record["version"], shared.version)
        self.assertEqual(len(record["content_hash"]), 64)
        self.assertNotIn("Zenaida", json.dumps(content))
        entry = AuditEntry.objects.get(action="exchange.export")
        self.assertEqual((entry.details["records"], entry.details["sequence"]), (1, 1))

    def test_a_named_agreement_sends_no_record_without_recorded_consent(self):
        self.make_case(victim={"given_names": "Zenaida", "visibility": "partners"})
        agreement = self.outgoing(level="named", fields={"cases.person": ["given_names"]})
        self.assertEqual(self.export(agreement)[1]["records"], [])

    def test_a_revoked_agreement_sends_its_end_and_no_record(self):
        self.make_case(victim={"given_names": "Zenaida", "visibility": "partners"})
        agreement = self.outgoing()
        self.export(agreement)
        actions.revoke_agreement(agreement)
        header, content = self.export(agreement)
        self.assertEqual((header["sequence"], content["agreement"]["status"]), (2, "revoked"))
        self.assertEqual(content["records"], [])

    def test_a_revocation_while_the_records_are_read_empties_the_bundle(self):
        self.make_case(victim={"given_names": "Zenaida", "visibility": "partners"})
        agreement = self.outgoing()
        delivered = []
        actions.export_bundle(
            agreement, delivered.append, lambda done, total: actions.revoke_agreement(agreement)
        )
        content = open_bundle(read_envelope(delivered[0]), load_identity().public, RECIPIENT)
        self.assertEqual((content["agreement"]["status"], content["records"]), ("revoked", []))

    def test_a_failed_delivery_uses_no_sequence_and_is_not_audited(self):
        agreement = self.outgoing()

        def full_disk(data):
            raise OSError("No space left on device")

        with self.assertRaises(OSError):
            actions.export_bundle(agreement, full_disk)
        agreement.refresh_from_db()
        self.assertEqual(agreement.sequence, 0)
        self.assertFalse(AuditEntry.objects.filter(action="exchange.export").exists())

    def test_without_its_identity_file_nothing_is_sent_or_received_nor_a_new_one_made(self):
        agreement = self.outgoing()
        data = seal(payload(str(uuid.uuid4()), []), recipient=load_identity().public)[1]
        with tempfile.TemporaryDirectory() as empty:
            lost = Path(empty) / "keys" / "exchange-identity.json"
            with mock.patch("memoria.exchange.identity.identity_path", return_value=lost):
                with self.assertRaisesMessage(BundleError, "no exchange identity"):
                    actions.export_bundle(agreement, lambda data: None)
                with self.assertRaisesMessage(ExchangeError, "no exchange identity"):
                    actions.import_bundle(self.org, data)
            self.assertFalse(lost.exists())
        agreement.refresh_from_db()
        self.assertEqual(agreement.sequence, 0)

    def test_partners_are_registered_only_with_the_fingerprint_read_out_of_band(self):
        other = Identity.generate()
        with self.assertRaisesMessage(ExchangeError, "does not match"):
            actions.add_partner("otra", other.public, SENDER.public.fingerprint)
        with self.assertRaisesMessage(ExchangeError, "this installation's own"):
            own = load_identity().public
            actions.add_partner("yo", own, own.fingerprint)
        with self.assertRaisesMessage(ExchangeError, "counts-only"):
            self.outgoing(level="aggregate")
        with self.assertRaisesMessage(ExchangeError, "no identifying field"):
            self.outgoing(fields={"cases.event": ["title"]})


class PageTests(ExchangeFixtures):
    """Members of the receiving organization read what arrived, read-only, with its provenance."""

    def setUp(self):
        super().setUp()
        self.agreement = self.incoming(fields={"cases.event": ["state", "status"]})
        self.receive(self.agreement, [event(5, "verifying", state="Chihuahua")])
        self.url = f"/o/{self.org.slug}/network/agreements/remote/{self.agreement.pk}/"

    def test_every_member_reads_what_arrived_with_its_provenance(self):
        for user in (self.coordinator, self.documenter, self.analyst, self.reader):
            with self.subTest(user.email):
                self.client.force_login(user)
                response = self.client.get(self.url)
                self.assertContains(response, "Chihuahua")
                self.assertContains(response, "verifying")
                self.assertContains(response, "coalicion")  # the other installation
                self.assertContains(response, self.partner.fingerprint)
                listing = self.client.get(f"/o/{self.org.slug}/network/agreements/")
                self.assertContains(listing, self.url)
        entries = AuditEntry.objects.filter(action="exchange.agreement_view")
        self.assertEqual(entries.count(), 4)
        self.assertEqual(entries.first().details["records"], [ReceivedRecord.objects.get().pk])

    def test_another_organization_finds_nothing_and_strangers_must_sign_in(self):
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        other = f"/o/{self.other_org.slug}/network/agreements/remote/{self.agreement.pk}/"
        self.assertEqual(self.client.get(other).status_code, 404)
        self.assertNotContains(
            self.client.get(f"/o/{self.other_org.slug}/network/agreements/"), "coalicion"
        )
        self.client.logout()
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])

    def test_lists_and_yes_or_no_read_as_text(self):
        record = ReceivedRecord.objects.get()
        record.content = {"state": ["Chihuahua", "Sonora"], "status": False}
        record.save()
        self.client.force_login(self.reader)
        response = self.client.get(self.url)
        self.assertContains(response, "<dd>Chihuahua, Sonora</dd>", html=True)
        self.assertContains(response, "<dd>No</dd>", html=True)
        self.assertNotContains(response, "Chihuahua&#x27;")
        record.content = {"state": None, "status": True}
        record.save()
        response = self.client.get(self.url)
        self.assertContains(response, "<dd>Sí</dd>", html=True)
        self.assertContains(response, "<dd>—</dd>", html=True)

    def test_a_kind_no_longer_shareable_here_shows_as_unknown_not_an_error(self):
        from memoria.sharing.registry import shareable

        def forgotten(kind):
            if kind == "cases.event":
                raise LookupError(f"{kind} cannot be shared")
            return shareable(kind)

        self.client.force_login(self.reader)
        with mock.patch("memoria.network.agreement_views.shareable", side_effect=forgotten):
            response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Tipo desconocido")
        self.assertNotContains(response, "Chihuahua")  # no label for its fields: no values

    def test_an_agreement_past_its_last_day_shows_nothing_and_its_copies_go(self):
        later = datetime.date(2099, 1, 2)
        with mock.patch("memoria.sharing.rules.today", return_value=later):
            self.client.force_login(self.reader)
            response = self.client.get(self.url)
        self.assertNotContains(response, "Chihuahua")
        self.assertFalse(ReceivedRecord.objects.exists())
        self.agreement.refresh_from_db()
        self.assertEqual(self.agreement.status, "expired")
        self.assertTrue(AuditEntry.objects.filter(action="exchange.agreement_expire").exists())

    def test_a_coordinator_revokes_and_what_arrived_is_deleted(self):
        revoke = self.url + "revoke/"
        for user, status in ((self.documenter, 403), (self.analyst, 403), (self.reader, 403)):
            with self.subTest(user.email):
                self.client.force_login(user)
                self.assertNotContains(self.client.get(self.url), revoke)
                self.assertEqual(self.client.post(revoke).status_code, status)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.post(revoke).status_code, 404)
        self.assertTrue(ReceivedRecord.objects.exists())

        self.client.force_login(self.coordinator)
        self.assertContains(self.client.get(self.url), revoke)
        response = self.client.post(revoke, follow=True)
        self.assertContains(response, "revocado")
        self.assertNotContains(response, "Chihuahua")
        self.assertFalse(ReceivedRecord.objects.exists())
        entry = AuditEntry.objects.get(action="exchange.agreement_revoke")
        self.assertEqual((entry.actor_id, entry.details["records"]), (self.coordinator.pk, 1))
        # A second coordinator pressing the same button finds it ended: nothing more happens.
        self.assertEqual(self.client.post(revoke).status_code, 409)
        self.assertEqual(AuditEntry.objects.filter(action="exchange.agreement_revoke").count(), 1)


class RegisterPageTests(ExchangeFixtures):
    """A coordinator registers the terms on the web: the acceptance is the organization's."""

    def setUp(self):
        super().setUp()
        self.url = f"/o/{self.org.slug}/network/agreements/remote/new/"
        self.code = str(uuid.uuid4())
        self.data = {
            "partner": self.partner.pk,
            "partner_organization": "centro",
            "direction": "incoming",
            "uuid": self.code,
            "level": "pseudonymized",
            "kinds": ["cases.event"],
            "event_fields": ["state", "status"],
            "purpose": "Documentar desapariciones en la región",
            "valid_until": "2099-01-01",
        }

    def test_a_coordinator_accepts_terms_and_bundles_under_them_are_then_imported(self):
        self.client.force_login(self.coordinator)
        self.assertContains(self.client.get(f"/o/{self.org.slug}/network/agreements/"), self.url)
        self.assertContains(self.client.get(self.url), "coalicion")
        response = self.client.post(self.url, self.data, follow=True)
        agreement = RemoteAgreement.objects.get()
        self.assertRedirects(
            response, f"/o/{self.org.slug}/network/agreements/remote/{agreement.pk}/"
        )
        self.assertContains(response, self.code)
        self.assertEqual(
            (str(agreement.uuid), agreement.direction, agreement.fields),
            (self.code, "incoming", {"cases.event": ["state", "status"]}),
        )
        entry = AuditEntry.objects.get(action="exchange.agreement_add")
        self.assertEqual(entry.actor_id, self.coordinator.pk)
        self.assertEqual(self.receive(agreement, [event(5, state="Chihuahua")]).added, 1)

    def test_it_explains_what_is_missing_and_registers_nothing(self):
        self.client.force_login(self.coordinator)
        for change, message in (
            ({"uuid": ""}, "Indique el código"),
            ({"level": "aggregate"}, "no es una de las opciones"),
            ({"event_fields": ["title"]}, "ningún campo que identifique"),
            ({"partner_organization": "no es un nombre corto"}, "nombre corto"),
        ):
            with self.subTest(change):
                response = self.client.post(self.url, {**self.data, **change})
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
        self.client.post(self.url, self.data)
        response = self.client.post(self.url, self.data)
        self.assertContains(response, "ya está registrado")
        self.assertEqual(RemoteAgreement.objects.count(), 1)

    def test_a_code_registered_in_one_direction_is_refused_in_the_other(self):
        outgoing = actions.add_agreement(
            self.org, self.partner, direction="outgoing", partner_organization="centro",
            level="pseudonymized", fields={"cases.event": ["status"]}, purpose="Documentar",
            valid_until=UNTIL,
        )  # fmt: skip
        self.client.force_login(self.coordinator)
        response = self.client.post(self.url, {**self.data, "uuid": str(outgoing.uuid)})
        self.assertContains(response, "ya está registrado aquí para la otra dirección")
        self.assertEqual(RemoteAgreement.objects.count(), 1)
        with self.assertRaisesMessage(ExchangeError, "in the other direction") as caught:
            self.incoming(uuid=str(outgoing.uuid))
        self.assertEqual(caught.exception.code, "other_direction")
        incoming = self.incoming()
        with self.assertRaisesMessage(ExchangeError, "in the other direction (incoming)"):
            actions.add_agreement(
                self.other_org, self.partner, direction="outgoing", partner_organization="c",
                level="pseudonymized", fields={"cases.event": ["status"]}, purpose="D",
                valid_until=UNTIL, uuid=str(incoming.uuid),
            )  # fmt: skip
        self.assertEqual(RemoteAgreement.objects.count(), 2)

    def test_only_coordinators_register(self):
        for user in (self.documenter, self.analyst, self.reader):
            with self.subTest(user.email):
                self.client.force_login(user)
                self.assertEqual(self.client.get(self.url).status_code, 403)
                self.assertEqual(self.client.post(self.url, self.data).status_code, 403)
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 302)
        self.assertFalse(RemoteAgreement.objects.exists())
