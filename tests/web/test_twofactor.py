from __future__ import annotations

import base64
import hashlib
import re
from unittest import mock

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken

from memoria.accounts.models import SealedTOTPDevice, two_factor_key
from memoria.accounts.reauth import recent_auth_required
from memoria.accounts.roles import CAPABILITIES, Capability, Role
from memoria.accounts.twofactor import requires_two_factor, role_requires_two_factor
from memoria.audit.log import seal_pending
from memoria.audit.models import AuditEntry
from memoria.vault import seeds
from memoria.vault.keys import VaultError
from tests.web.base import PASSWORD, MemoriaTestCase, totp_code, totp_device


def sign_in_with_password(client, user) -> str:
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return response["Location"]


def code_for(device: SealedTOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


class RuleTests(MemoriaTestCase):
    def test_it_requires_a_second_factor_of_every_role_that_reads_identities(self):
        for role in Role.values:
            with self.subTest(role=role):
                reads = Capability.READ_RECORDS in CAPABILITIES[role]
                self.assertEqual(role_requires_two_factor(role), reads or role == Role.COORDINATOR)
                self.assertTrue(role_requires_two_factor(role))
        for user in self.personas().values():
            self.assertTrue(requires_two_factor(user))

    def test_it_requires_nothing_of_a_person_without_organization(self):
        from memoria.accounts.models import User

        lonely = User.objects.create_user("sola@example.org", PASSWORD, full_name="Sola")
        self.assertFalse(requires_two_factor(lonely))


class EnrolmentTests(MemoriaTestCase):
    def test_it_sends_a_member_without_device_to_enrolment(self):
        location = sign_in_with_password(self.client, self.documenter)
        self.assertEqual(location, "/accounts/two-factor/?next=%2F")
        response = self.client.get(location)
        self.assertRedirects(
            response, "/accounts/two-factor/setup/?next=%2F", fetch_redirect_response=False
        )
        page = self.client.get("/accounts/two-factor/setup/?next=/")
        self.assertContains(page, "data:image/svg+xml")
        self.assertContains(page, "Clave secreta")

    def test_it_enrols_and_shows_recovery_codes_once(self):
        sign_in_with_password(self.client, self.documenter)
        self.client.get("/accounts/two-factor/setup/?next=/")
        device = SealedTOTPDevice.objects.get(user=self.documenter, confirmed=False)
        response = self.client.post(
            "/accounts/two-factor/setup/", {"token": code_for(device), "next": "/"}
        )
        self.assertContains(response, "códigos de recuperación")
        codes = re.findall(r"<code>([a-z2-7]{8})</code>", response.content.decode())
        self.assertEqual(len(codes), 10)
        self.assertEqual(StaticToken.objects.filter(device__user=self.documenter).count(), 10)
        device.refresh_from_db()
        self.assertTrue(device.confirmed)
        self.assertEqual(self.client.get(f"/o/{self.org.slug}/").status_code, 200)
        self.assertTrue(AuditEntry.objects.filter(action="two_factor.enrolled").exists())

    def test_it_refuses_a_wrong_enrolment_code(self):
        sign_in_with_password(self.client, self.documenter)
        self.client.get("/accounts/two-factor/setup/")
        response = self.client.post("/accounts/two-factor/setup/", {"token": "000000"})
        self.assertContains(response, "no es válido")
        self.assertFalse(
            SealedTOTPDevice.objects.filter(user=self.documenter, confirmed=True).exists()
        )

    def test_it_does_not_let_an_unverified_session_replace_the_device(self):
        totp_code(self.reader)  # the reader already has an authenticator
        sign_in_with_password(self.client, self.reader)
        response = self.client.get("/accounts/two-factor/setup/")
        self.assertRedirects(
            response, "/accounts/two-factor/?next=%2F", fetch_redirect_response=False
        )


class VerificationTests(MemoriaTestCase):
    def test_it_blocks_every_organization_page_until_the_code(self):
        self.client.force_login(self.coordinator, otp=False)
        for path in (f"/o/{self.org.slug}/", f"/o/{self.org.slug}/members/", "/"):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith("/accounts/two-factor/"))

    def test_it_blocks_writes_until_the_code(self):
        self.client.force_login(self.coordinator, otp=False)
        response = self.client.post(
            f"/o/{self.org.slug}/members/invite/", {"email": "x@norte.example", "role": "reader"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(self.org.invitations.exists())

    def test_it_signs_in_with_password_and_code(self):
        code = totp_code(self.analyst)
        location = sign_in_with_password(self.client, self.analyst)
        response = self.client.post(location, {"token": code})
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(self.client.get(f"/o/{self.org.slug}/").status_code, 200)
        actions = list(
            AuditEntry.objects.filter(actor=self.analyst).values_list("action", flat=True)
        )
        self.assertEqual(actions, ["login", "login.two_factor"])

    def test_it_refuses_a_wrong_code_and_records_it(self):
        totp_code(self.analyst)
        location = sign_in_with_password(self.client, self.analyst)
        response = self.client.post(location, {"token": "123456"})
        self.assertContains(response, "no es válido")
        self.assertTrue(AuditEntry.objects.filter(action="login.two_factor_failed").exists())
        self.assertEqual(self.client.get(f"/o/{self.org.slug}/").status_code, 302)

    def test_it_accepts_a_recovery_code_only_once(self):
        from memoria.accounts.twofactor import replace_recovery_codes

        totp_code(self.analyst)
        codes = replace_recovery_codes(self.analyst)
        location = sign_in_with_password(self.client, self.analyst)
        response = self.client.post(location, {"token": codes[0].upper()}, follow=True)
        self.assertContains(response, "Te quedan 9")
        self.assertEqual(self.client.get(f"/o/{self.org.slug}/").status_code, 200)
        self.client.logout()
        location = sign_in_with_password(self.client, self.analyst)
        response = self.client.post(location, {"token": codes[0]})
        self.assertContains(response, "no es válido")

    def test_it_records_failed_passwords(self):
        self.client.post("/accounts/login/", {"username": self.reader.email, "password": "mala"})
        self.client.post(
            "/accounts/login/", {"username": self.reader.email.upper(), "password": "otra"}
        )
        seal_pending()  # entries are chained (given their seq) after they are written
        first, second = AuditEntry.objects.filter(action="login.failed").order_by("seq")
        self.assertEqual(first.details["account_id"], self.reader.pk)
        self.assertEqual(first.details["name_digest"], second.details["name_digest"])
        self.assertNotIn(self.reader.email, str(first.details))
        self.assertEqual(first.ip_address, "127.0.0.1")

    def test_it_never_stores_what_was_typed_as_the_name(self):
        typed = "MiContraseña-Secreta-2024"  # a password typed in the e-mail box
        self.client.post("/accounts/login/", {"username": typed, "password": "x"})
        entry = AuditEntry.objects.get(action="login.failed")
        self.assertEqual(set(entry.details), {"name_digest"})
        self.assertEqual(len(entry.details["name_digest"]), 16)
        with connection.cursor() as cursor:
            cursor.execute("SELECT CAST(details AS TEXT) FROM audit_auditentry")
            stored = [row[0] for row in cursor.fetchall()]
            for table in ("axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"):
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
                stored += [str(value) for row in cursor.fetchall() for value in row]
        self.assertNotIn("secreta", " ".join(stored).casefold())

    def test_it_records_signing_out(self):
        self.client.force_login(self.reader)
        self.client.post("/accounts/logout/")
        self.assertTrue(AuditEntry.objects.filter(action="logout", actor=self.reader).exists())


class LockoutTests(MemoriaTestCase):
    def test_it_locks_an_account_after_five_wrong_passwords(self):
        for _attempt in range(5):
            self.client.post(
                "/accounts/login/", {"username": self.reader.email, "password": "incorrecta"}
            )
        response = self.client.post(
            "/accounts/login/", {"username": self.reader.email, "password": PASSWORD}
        )
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Demasiados intentos", status_code=429)

    def test_it_lets_the_account_in_after_the_cool_off(self):
        for _attempt in range(5):
            self.client.post(
                "/accounts/login/", {"username": self.reader.email, "password": "incorrecta"}
            )
        later = timezone.now() + timezone.timedelta(minutes=16)
        with (
            mock.patch("axes.attempts.now", return_value=later),
            mock.patch("axes.handlers.proxy.now", return_value=later),
            mock.patch("django.utils.timezone.now", return_value=later),
        ):
            response = self.client.post(
                "/accounts/login/", {"username": self.reader.email, "password": PASSWORD}
            )
        self.assertEqual(response.status_code, 302)


@recent_auth_required
def _export(request):
    from django.http import HttpResponse

    return HttpResponse("exported")


class ReauthTests(MemoriaTestCase):
    def request_export(self):
        from django.test import RequestFactory

        request = RequestFactory().get("/o/centro-norte/export/")
        request.user = self.coordinator
        request.session = self.client.session
        return _export(request)

    def test_it_asks_again_for_password_and_code_after_ten_minutes(self):
        self.client.force_login(self.coordinator)
        response = self.request_export()
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            response["Location"],
            reverse("accounts:reauth") + "?next=%2Fo%2Fcentro-norte%2Fexport%2F",
        )

    def test_it_lets_the_export_run_right_after_confirming(self):
        self.client.force_login(self.coordinator)
        code = totp_code(self.coordinator)
        response = self.client.post(
            "/accounts/confirm/", {"password": PASSWORD, "token": code, "next": "/o/centro-norte/"}
        )
        self.assertRedirects(response, "/o/centro-norte/", fetch_redirect_response=False)
        self.assertEqual(self.request_export().content, b"exported")
        self.assertTrue(AuditEntry.objects.filter(action="reauth").exists())
        later = timezone.now() + timezone.timedelta(minutes=11)
        with mock.patch("django.utils.timezone.now", return_value=later):
            self.assertEqual(self.request_export().status_code, 302)

    def test_it_refuses_a_wrong_password(self):
        self.client.force_login(self.coordinator)
        response = self.client.post(
            "/accounts/confirm/", {"password": "otra", "token": totp_code(self.coordinator)}
        )
        self.assertContains(response, "no es correcta")
        self.assertEqual(self.request_export().status_code, 302)

    def test_it_refuses_a_missing_code(self):
        self.client.force_login(self.coordinator)
        response = self.client.post("/accounts/confirm/", {"password": PASSWORD, "token": ""})
        self.assertContains(response, "no es válido")


class DemoTests(MemoriaTestCase):
    def test_it_gives_demo_users_the_published_authenticator(self):
        from memoria.accounts.demo import DEMO_TOTP_KEY, demo_totp_code
        from memoria.core.demo import DEMO_PASSWORD, load_demo_network

        network = load_demo_network()
        users = [user for members in network.values() for user, _role in members]
        for user in users:
            device = SealedTOTPDevice.objects.get(user=user, confirmed=True)
            self.assertEqual(device.bin_key, DEMO_TOTP_KEY)
        response = self.client.post(
            "/accounts/login/", {"username": users[0].email, "password": DEMO_PASSWORD}
        )
        response = self.client.post(response["Location"], {"token": demo_totp_code()})
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/", follow=True).status_code, 200)

    def test_it_prints_the_demo_code(self):
        import contextlib
        import io

        from memoria.cli import main

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(main(["demo", "--totp"]), 0)
        self.assertRegex(out.getvalue(), r"^\d{6}\n$")

    def test_it_never_gives_the_demo_secret_to_a_real_member(self):
        from memoria.accounts.demo import ensure_demo_device

        with self.assertRaises(ValueError):
            ensure_demo_device(self.reader)


class SealedSecretsTests(MemoriaTestCase):
    """A copy of the database must not let anyone pass the second step."""

    def raw_rows(self, sql: str, params=()) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def test_it_stores_no_authenticator_seed_in_clear(self):
        sign_in_with_password(self.client, self.documenter)
        page = self.client.get("/accounts/two-factor/setup/?next=/")
        device = SealedTOTPDevice.objects.get(user=self.documenter, confirmed=False)
        seed = device.bin_key
        shown = re.search(r"[A-Z2-7]{4}(?: [A-Z2-7]{4})+", page.content.decode())[0]
        self.assertEqual(base64.b32decode(shown.replace(" ", "")), seed)  # shown once, to enrol
        response = self.client.post(
            "/accounts/two-factor/setup/", {"token": code_for(device), "next": "/"}
        )
        self.assertContains(response, "códigos de recuperación")  # the sealed seed verified

        ((stored,),) = self.raw_rows(
            "SELECT key FROM otp_totp_totpdevice WHERE user_id = %s", [self.documenter.pk]
        )
        self.assertNotIn(seed.hex(), stored.lower())
        self.assertTrue(stored.startswith("g1:"))
        self.assertNotIn(seed, base64.b64decode(stored[3:]))

    def test_it_stores_recovery_codes_only_as_keyed_digests(self):
        from memoria.accounts.twofactor import replace_recovery_codes

        codes = replace_recovery_codes(self.analyst)
        stored = {row[0] for row in self.raw_rows("SELECT token FROM otp_static_statictoken")}
        self.assertEqual(len(stored), len(codes))
        self.assertFalse(stored & set(codes))
        self.assertFalse(
            stored & {hashlib.sha256(code.encode()).hexdigest()[:16] for code in codes}
        )

    def test_it_does_not_open_a_seed_copied_from_another_user(self):
        mine = totp_device(self.reader)
        theirs = totp_device(self.analyst)
        SealedTOTPDevice.objects.filter(pk=theirs.pk).update(key=mine.key)
        theirs.refresh_from_db()
        # Sealed with the user id as associated data: the copy does not open at all.
        with self.assertRaises(VaultError):
            theirs.bin_key  # noqa: B018
        self.assertFalse(theirs.verify_token(code_for(mine)))

    def test_it_refuses_a_tampered_seed(self):
        device = totp_device(self.reader)
        code = code_for(device)
        prefix, body = device.key[:3], bytearray(base64.b64decode(device.key[3:]))
        body[20] ^= 0x01  # one bit of the sealed seed
        tampered = prefix + base64.b64encode(bytes(body)).decode()
        SealedTOTPDevice.objects.filter(pk=device.pk).update(key=tampered)
        device.refresh_from_db()
        with self.assertRaises(VaultError):
            device.bin_key  # noqa: B018
        self.assertFalse(device.verify_token(code))
        sign_in_with_password(self.client, self.reader)
        response = self.client.post(reverse("accounts:two_factor"), {"token": code, "next": "/"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "no es válido")

    def test_it_stores_seeds_sealed_with_gcm_bound_to_the_user(self):
        device = totp_device(self.reader)
        self.assertTrue(device.key.startswith("g1:"))
        self.assertLessEqual(len(device.key), 80)  # django-otp's column
        key = two_factor_key()
        self.assertEqual(seeds.open_seed(device.key, key, self.reader.pk), device.bin_key)
        with self.assertRaises(VaultError):
            seeds.open_seed(device.key, key, self.analyst.pk)
