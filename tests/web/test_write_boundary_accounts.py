"""Accounts and vault writes commit with their audit entry, or not at all.

Each test makes the audit write fail and checks that the change it records
did not land either: the invitation does not exist, the role is unchanged,
the key is not rotated, the recovery code is not spent.
"""

from __future__ import annotations

from unittest import mock

from django.core import mail
from django.urls import reverse
from django_otp.oath import TOTP

from memoria.accounts import actions
from memoria.accounts.models import Invitation, Membership, SealedTOTPDevice, User
from memoria.accounts.roles import Role
from memoria.accounts.twofactor import replace_recovery_codes
from memoria.audit.models import AuditEntry
from memoria.vault import keys
from memoria.vault.models import OrganizationKey
from memoria.vault.rotation import register_rewrap_hook, rewrap_all
from tests.web.base import MemoriaTestCase, totp_device


class AuditFailure(Exception):
    """The audit log could not be written (the disk is full, the chain is locked...)."""


def failing_audit():
    """Make every audit write of the accounts actions fail."""
    return mock.patch("memoria.accounts.actions.audit", side_effect=AuditFailure)


def code_for(device: SealedTOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


class MembershipWriteTests(MemoriaTestCase):
    def invite(self) -> Invitation:
        return actions.invite_member(
            self.org, "nueva@norte.example", Role.READER, self.coordinator, "https://m.example"
        )

    def test_it_keeps_no_invitation_and_sends_no_mail_when_the_audit_fails(self):
        self.client.force_login(self.coordinator)
        url = reverse("accounts:invite", args=[self.org.slug])
        with (
            failing_audit(),
            self.captureOnCommitCallbacks(execute=True),
            self.assertRaises(AuditFailure),
        ):
            self.client.post(url, {"email": "nueva@norte.example", "role": Role.READER})
        self.assertFalse(Invitation.objects.filter(email="nueva@norte.example").exists())
        self.assertEqual(mail.outbox, [])

    def test_it_keeps_an_earlier_invitation_pending_when_the_audit_fails(self):
        earlier = self.invite()
        with failing_audit(), self.assertRaises(AuditFailure):
            self.invite()
        self.assertEqual(list(Invitation.objects.pending()), [earlier])

    def test_it_keeps_an_invitation_usable_when_its_withdrawal_is_not_audited(self):
        invitation = self.invite()
        with failing_audit(), self.assertRaises(AuditFailure):
            actions.revoke_invitation(invitation, actor=self.coordinator)
        self.assertIsNone(Invitation.objects.get(pk=invitation.pk).revoked_at)

    def test_it_adds_no_member_when_joining_is_not_audited(self):
        invitation = self.invite()
        with failing_audit(), self.assertRaises(AuditFailure):
            actions.accept_invitation(invitation, self.outsider)
        self.assertFalse(self.org.memberships.filter(user=self.outsider).exists())
        self.assertTrue(Invitation.objects.get(pk=invitation.pk).is_usable)

    def test_it_creates_no_account_when_joining_is_not_audited(self):
        invitation = self.invite()
        with failing_audit(), self.assertRaises(AuditFailure):
            actions.create_account_from_invitation(invitation, "Nueva Persona", "x" * 20)
        self.assertFalse(User.objects.filter(email="nueva@norte.example").exists())

    def test_it_keeps_the_role_when_the_change_is_not_audited(self):
        self.client.force_login(self.coordinator)
        membership = Membership.objects.get(user=self.reader, organization=self.org)
        url = reverse("accounts:change_member", args=[self.org.slug, membership.pk])
        with failing_audit(), self.assertRaises(AuditFailure):
            self.client.post(url, {"role": Role.ANALYST})
        membership.refresh_from_db()
        self.assertEqual(membership.role, Role.READER)

    def test_it_keeps_the_member_when_the_removal_is_not_audited(self):
        membership = Membership.objects.get(user=self.reader, organization=self.org)
        with failing_audit(), self.assertRaises(AuditFailure):
            actions.remove_member(membership, actor=self.coordinator)
        self.assertTrue(Membership.objects.filter(pk=membership.pk).exists())


class OrganizationWriteTests(MemoriaTestCase):
    def test_it_audits_an_organization_update_in_its_transaction(self):
        self.client.force_login(self.coordinator)
        url = reverse("accounts:organization_settings", args=[self.org.slug])
        data = {
            "name": "Centro Norte (nuevo nombre)",
            "kind": self.org.kind,
            "states": ["08", "26"],
            "description": "",
            "contact_email": "",
            "contact_phone": "",
        }
        with failing_audit(), self.assertRaises(AuditFailure):
            self.client.post(url, data)
        self.org.refresh_from_db()
        self.assertEqual(self.org.name, "Centro Norte de Derechos Humanos")
        self.assertEqual(list(self.org.states.values_list("code", flat=True)), ["08"])

        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        self.org.refresh_from_db()
        self.assertEqual(self.org.name, "Centro Norte (nuevo nombre)")
        self.assertEqual(sorted(self.org.states.values_list("code", flat=True)), ["08", "26"])
        entry = AuditEntry.objects.get(action="organization.updated")
        self.assertEqual(entry.details, {"fields": ["name", "states"]})


class KeyWriteTests(MemoriaTestCase):
    def test_it_keeps_the_active_data_key_when_the_rotation_is_not_audited(self):
        active, _key = keys.active_key(self.org.pk)
        with failing_audit(), self.assertRaises(AuditFailure):
            actions.rotate_data_key(self.org)
        self.assertEqual(
            list(
                OrganizationKey.objects.filter(organization=self.org).values_list(
                    "key_id", "retired_at"
                )
            ),
            [(active, None)],
        )
        record = actions.rotate_data_key(self.org)
        self.assertEqual(keys.active_key(self.org.pk)[0], record.key_id)
        entry = AuditEntry.objects.get(action="keys.rotated")
        self.assertEqual(entry.details, {"key_id": record.key_id})

    def test_it_rewraps_nothing_when_a_rewrap_hook_fails(self):
        keys.active_key(self.org.pk)
        before = list(OrganizationKey.objects.values_list("wrapped_key", "master_key_id"))

        def failing_hook(old_master, new_master):
            raise AuditFailure

        register_rewrap_hook(failing_hook)
        try:
            with self.assertRaises(AuditFailure):
                rewrap_all(b"\x01" * keys.KEY_BYTES)
        finally:
            from memoria.vault import rotation

            rotation._rewrap_hooks.remove(failing_hook)
        after = list(OrganizationKey.objects.values_list("wrapped_key", "master_key_id"))
        self.assertEqual(after, before)

    def test_the_audit_app_registers_its_key_for_master_rotation(self):
        from memoria.audit.log import rewrap_key
        from memoria.vault import rotation

        self.assertIn(rewrap_key, rotation._rewrap_hooks)


class TwoFactorWriteTests(MemoriaTestCase):
    def test_it_confirms_no_authenticator_when_the_enrolment_is_not_audited(self):
        self.client.force_login(self.documenter, otp=False)
        self.client.get("/accounts/two-factor/setup/?next=/")
        device = SealedTOTPDevice.objects.get(user=self.documenter, confirmed=False)
        with failing_audit(), self.assertRaises(AuditFailure):
            self.client.post(
                "/accounts/two-factor/setup/", {"token": code_for(device), "next": "/"}
            )
        device.refresh_from_db()
        self.assertFalse(device.confirmed)
        self.assertFalse(self.documenter.staticdevice_set.exists())

    def test_it_spends_no_recovery_code_when_the_sign_in_is_not_audited(self):
        totp_device(self.analyst)
        codes = replace_recovery_codes(self.analyst)
        with failing_audit(), self.assertRaises(AuditFailure):
            actions.verify_second_factor(self.analyst, codes[0])
        device = actions.verify_second_factor(self.analyst, codes[0])
        self.assertIsNotNone(device)  # the code was still there
        entry = AuditEntry.objects.get(action="login.recovery_code")
        self.assertEqual(entry.details, {"codes_left": len(codes) - 1})

    def test_it_spends_no_recovery_code_when_a_reauthentication_is_not_audited(self):
        totp_device(self.analyst)
        codes = replace_recovery_codes(self.analyst)
        with failing_audit(), self.assertRaises(AuditFailure):
            actions.confirm_identity(self.analyst, password_ok=True, token=codes[0])
        self.assertEqual(actions.confirm_identity(self.analyst, True, codes[0]), "")
        self.assertEqual(actions.confirm_identity(self.analyst, True, codes[0]), "token")
        self.assertEqual(
            list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)),
            ["reauth", "reauth.failed"],
        )

    def test_it_records_no_code_use_when_the_authenticator_check_is_not_audited(self):
        device = totp_device(self.analyst)
        code = code_for(device)
        last_t = device.last_t
        with failing_audit(), self.assertRaises(AuditFailure):
            actions.verify_second_factor(self.analyst, code)
        device.refresh_from_db()
        self.assertEqual(device.last_t, last_t)  # the code may still be used once
        self.assertIsNotNone(actions.verify_second_factor(self.analyst, code))
