from __future__ import annotations

import re
from unittest import mock

from django.core import mail
from django.test import override_settings

from memoria.accounts.models import Invitation, Membership, User
from memoria.accounts.roles import Role
from memoria.audit.models import AuditEntry
from tests.web.base import PASSWORD, MemoriaTestCase, make_member, totp_code


class LoginTests(MemoriaTestCase):
    def test_it_stores_passwords_with_argon2(self):
        # The suite hashes with MD5 for speed (tests/settings.py); production's
        # settings are checked here, and a person is created and signs in with them.
        from memoria import settings as production

        self.assertIn("Argon2PasswordHasher", production.PASSWORD_HASHERS[0])
        with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
            user = make_member(self.org, "nueva@norte.example", Role.READER, "Nueva Lectora")
            self.assertTrue(user.password.startswith("argon2"))
            response = self.client.post(
                "/accounts/login/", {"username": user.email, "password": PASSWORD}
            )
        self.assertRedirects(
            response, "/accounts/two-factor/?next=%2F", fetch_redirect_response=False
        )

    def test_it_signs_in_and_lands_on_the_only_organization(self):
        code = totp_code(self.reader)
        response = self.client.post(
            "/accounts/login/", {"username": self.reader.email, "password": PASSWORD}
        )
        self.assertRedirects(
            response, "/accounts/two-factor/?next=%2F", fetch_redirect_response=False
        )
        response = self.client.post(response["Location"], {"token": code})
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        response = self.client.get("/")
        self.assertRedirects(response, f"/o/{self.org.slug}/")

    def test_it_rejects_a_wrong_password_in_spanish(self):
        response = self.client.post(
            "/accounts/login/", {"username": self.reader.email, "password": "incorrecta"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Por favor")

    def test_it_signs_out_with_a_post(self):
        self.client.force_login(self.reader)
        response = self.client.post("/accounts/logout/")
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/").status_code, 302)

    def test_it_changes_the_password(self):
        self.client.force_login(self.reader)
        new = "otra contraseña muy segura 2026"
        response = self.client.post(
            "/accounts/password/",
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
        self.assertRedirects(response, "/accounts/password/done/")
        self.reader.refresh_from_db()
        self.assertTrue(self.reader.check_password(new))


class PasswordResetTests(MemoriaTestCase):
    def test_it_mails_a_link_that_sets_a_new_password(self):
        self.client.post("/accounts/reset/", {"email": self.documenter.email})
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, [self.documenter.email])
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
        form_page = self.client.get(link, follow=True)
        new = "nueva contraseña de documentación"
        response = self.client.post(
            form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
        )
        self.assertRedirects(response, "/accounts/reset/complete/")
        self.documenter.refresh_from_db()
        self.assertTrue(self.documenter.check_password(new))
        entry = AuditEntry.objects.get(action="password.reset")
        self.assertEqual((entry.actor_id, entry.organization_id), (self.documenter.pk, None))
        # The link is spent, and no one was signed in by it.
        self.assertEqual(self.client.get("/accounts/").status_code, 302)
        again = self.client.post(
            form_page.redirect_chain[-1][0], {"new_password1": "x" * 20, "new_password2": "x" * 20}
        )
        self.assertEqual(again.status_code, 200)
        self.assertFalse(again.context["validlink"])
        self.assertEqual(AuditEntry.objects.filter(action="password.reset").count(), 1)

    def test_it_keeps_the_old_password_when_the_reset_cannot_be_audited(self):
        self.client.post("/accounts/reset/", {"email": self.documenter.email})
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
        set_password = self.client.get(link, follow=True).redirect_chain[-1][0]
        new = "nueva contraseña de documentación"
        data = {"new_password1": new, "new_password2": new}
        with (
            mock.patch("memoria.accounts.actions.audit", side_effect=RuntimeError("audit")),
            self.assertRaises(RuntimeError),
        ):
            self.client.post(set_password, data)
        self.documenter.refresh_from_db()
        self.assertTrue(self.documenter.check_password(PASSWORD))
        self.assertFalse(self.documenter.check_password(new))
        self.assertFalse(AuditEntry.objects.filter(action="password.reset").exists())
        # Nothing was spent: once the audit log works, the same link sets the password.
        self.assertRedirects(self.client.post(set_password, data), "/accounts/reset/complete/")
        self.documenter.refresh_from_db()
        self.assertTrue(self.documenter.check_password(new))

    def test_it_says_nothing_about_unknown_addresses(self):
        response = self.client.post("/accounts/reset/", {"email": "nadie@ningun.example"})
        self.assertRedirects(response, "/accounts/reset/sent/")
        self.assertEqual(len(mail.outbox), 0)


@override_settings(LANGUAGE_CODE="es-mx")
class InvitationTests(MemoriaTestCase):
    def invite(self, email="nueva@norte.example", role=Role.DOCUMENTER):
        self.client.force_login(self.coordinator)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                f"/o/{self.org.slug}/members/invite/", {"email": email, "role": role}
            )
        self.assertRedirects(response, f"/o/{self.org.slug}/members/")
        return re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[-1].body)[1]

    def test_it_lets_a_new_person_accept_an_invitation(self):
        link = self.invite()
        self.assertIn("Centro Norte", mail.outbox[0].subject)
        self.client.logout()
        response = self.client.post(
            link,
            {
                "full_name": "Nueva Documentadora",
                "password1": "una frase de paso bastante larga",
                "password2": "una frase de paso bastante larga",
            },
        )
        self.assertRedirects(response, f"/o/{self.org.slug}/", fetch_redirect_response=False)
        # A new member sets up two-step sign-in before seeing the organization.
        response = self.client.get(f"/o/{self.org.slug}/", follow=True)
        self.assertEqual(
            response.redirect_chain[-1][0],
            f"/accounts/two-factor/setup/?next=%2Fo%2F{self.org.slug}%2F",
        )
        user = User.objects.get(email="nueva@norte.example")
        self.assertEqual(Membership.objects.get(user=user).role, Role.DOCUMENTER)
        self.client.logout()
        self.assertEqual(self.client.get(link).status_code, 410)

    def test_it_stores_only_a_hash_of_the_token(self):
        link = self.invite()
        token = link.rstrip("/").rsplit("/", 1)[1]
        self.assertFalse(Invitation.objects.filter(token_hash=token).exists())

    def test_it_refuses_to_invite_an_existing_member(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            f"/o/{self.org.slug}/members/invite/",
            {"email": self.reader.email, "role": Role.READER},
        )
        self.assertContains(response, "ya es integrante")
        self.assertEqual(len(mail.outbox), 0)

    def test_it_refuses_an_expired_invitation(self):
        link = self.invite()
        Invitation.objects.update(expires_at=Invitation.objects.get().created_at)
        self.client.logout()
        self.assertEqual(self.client.get(link).status_code, 410)

    def test_it_lets_an_existing_user_join_after_signing_in(self):
        link = self.invite(email=self.outsider.email, role=Role.READER)
        self.client.force_login(self.outsider)
        response = self.client.post(link)
        self.assertRedirects(response, f"/o/{self.org.slug}/")
        self.assertTrue(self.outsider.memberships.filter(organization=self.org).exists())


class MembershipTests(MemoriaTestCase):
    def test_it_changes_a_members_role(self):
        self.client.force_login(self.coordinator)
        member = Membership.objects.get(user=self.reader)
        self.client.post(
            f"/o/{self.org.slug}/members/{member.pk}/", {"action": "role", "role": "analyst"}
        )
        member.refresh_from_db()
        self.assertEqual(member.role, Role.ANALYST)

    def test_it_keeps_the_last_coordinator_when_changing_roles(self):
        self.client.force_login(self.coordinator)
        member = Membership.objects.get(user=self.coordinator)
        response = self.client.post(
            f"/o/{self.org.slug}/members/{member.pk}/",
            {"action": "role", "role": "reader"},
            follow=True,
        )
        self.assertContains(response, "al menos una persona coordinadora")
        member.refresh_from_db()
        self.assertEqual(member.role, Role.COORDINATOR)

    def test_it_keeps_the_last_coordinator(self):
        self.client.force_login(self.coordinator)
        member = Membership.objects.get(user=self.coordinator)
        response = self.client.post(
            f"/o/{self.org.slug}/members/{member.pk}/", {"action": "remove"}, follow=True
        )
        self.assertContains(response, "al menos una persona coordinadora")
        self.assertTrue(Membership.objects.filter(pk=member.pk).exists())

    def test_it_cannot_touch_another_organizations_membership(self):
        self.client.force_login(self.coordinator)
        foreign = Membership.objects.get(user=self.outsider)
        response = self.client.post(
            f"/o/{self.org.slug}/members/{foreign.pk}/", {"action": "remove"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertTrue(Membership.objects.filter(pk=foreign.pk).exists())
