"""Every write of the network and its audit entries commit together or not at all.

A referral's grant of the chosen fields (``memoria.sharing``) is part of the
same transaction: when the network's audit entry cannot be written, neither
the referral nor the shared copy remains.
"""

from __future__ import annotations

from unittest import mock

from memoria.audit.models import AuditEntry
from memoria.network import actions
from memoria.network.models import OrganizationProfile, Referral, ReferralReceipt
from memoria.sharing.models import SharedRecord
from tests.web.network_fixtures import NetworkFixtures


class AuditRefused(Exception):
    pass


class NetworkWriteBoundaryTests(NetworkFixtures):
    def setUp(self):
        super().setUp()
        self.outgoing = self.make_referral()
        self.event = self.outgoing.event
        self.incoming = actions.send_referral(
            self.partner,
            self.partner_documenter,
            {"recipient": self.org, "capability": "legal"},
            event=self.make_case(self.partner),
        )
        self.client.force_login(self.coordinator)

    def state(self) -> dict:
        return {
            "audit": AuditEntry.objects.count(),
            "referrals": sorted(Referral.objects.values_list("pk", "version", "status")),
            "receipts": ReferralReceipt.objects.count(),
            "shared": sorted(SharedRecord.objects.values_list("pk", "fields")),
            "profiles": sorted(OrganizationProfile.objects.values_list("pk", "version")),
        }

    def writes(self):
        base = f"/o/{self.org.slug}/network"
        yield "profile", f"{base}/profile/", {"capabilities": ["legal"], "version": 1}
        yield "referral", f"{base}/referrals/new/case/{self.event.pk}/", {
            "recipient": self.partner.pk, "capability": "forensic", "event_fields": ["status"],
        }  # fmt: skip
        yield "follow-up", f"{base}/referrals/{self.outgoing.pk}/follow-up/", {
            "follow_up_on": "2026-03-01", "version": self.outgoing.version,
        }  # fmt: skip
        yield "answer", f"{base}/referrals/{self.incoming.pk}/answer/", {
            "decision": "decline", "reason": "Sin cupo", "version": self.incoming.version,
        }  # fmt: skip
        # Read when reached: the follow-up above changed the version.
        version = Referral.objects.get(pk=self.outgoing.pk).version
        yield "close", f"{base}/referrals/{self.outgoing.pk}/close/", {"version": version}

    def test_it_writes_nothing_when_the_audit_entry_cannot_be_written(self):
        for what, path, data in self.writes():
            with self.subTest(write=what):
                before = self.state()
                with (
                    mock.patch("memoria.network.actions.audit", side_effect=AuditRefused),
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
