"""Personas shared by the web tests (after healthchecks' BaseTestCase).

Organization A ("Centro Norte") has a coordinator, a documenter, an analyst and
a reader; organization B has its own coordinator, who is an outsider to A.
"""

from __future__ import annotations

from django.test import Client, TestCase
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from memoria.accounts.models import Membership, Organization, SealedTOTPDevice, User
from memoria.accounts.roles import Role
from memoria.places.models import State
from memoria.vault.fields import clear_reference_cache

PASSWORD = "una contraseña larga de prueba"  # noqa: S105


def totp_device(user: User) -> SealedTOTPDevice:
    """The user's confirmed authenticator device (created on first use)."""
    device = SealedTOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or SealedTOTPDevice.objects.create(
        user=user, name="authenticator", confirmed=True
    )


def totp_code(user: User) -> str:
    """The code the user's authenticator app shows right now."""
    from django_otp.oath import TOTP

    device = totp_device(user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


class TwoFactorClient(Client):
    """A test client whose ``force_login`` also completes two-step sign-in.

    Every member must confirm a TOTP code (memoria.accounts.twofactor), so a
    persona signed in by a test is signed in as after password and code.
    ``force_login(user, otp=False)`` stops after the password, as a real
    sign-in does before the code page; ``reauthenticate()`` counts as having
    just confirmed password and code for exports and key operations.
    """

    def force_login(self, user, backend=None, otp: bool = True):
        super().force_login(user, backend)
        if otp:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
            session.save()

    def reauthenticate(self) -> None:
        from memoria.accounts.reauth import REAUTH_SESSION_KEY

        session = self.session
        session[REAUTH_SESSION_KEY] = timezone.now().timestamp()
        session.save()


def ensure_reference_data() -> None:
    """Reload what the migrations load (the INEGI catalogue, the vocabularies) if a
    transactional test flushed it: under pytest-xdist such a test can run before
    others in the same process, and a flush empties every table."""
    import importlib

    from django.apps import apps

    from memoria.cases.models import Term

    if not State.objects.exists():
        places = importlib.import_module("memoria.places.migrations.0002_load_inegi_catalogue")
        places.load(apps, None)
    if not Term.objects.filter(organization=None).exists():
        vocabularies = importlib.import_module("memoria.cases.migrations.0002_load_vocabularies")
        vocabularies.forwards(apps, None)


def make_member(organization: Organization, email: str, role: str, name: str) -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=name)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


class MemoriaTestCase(TestCase):
    client_class = TwoFactorClient

    def setUp(self):
        super().setUp()
        # A test's rolled-back writes leave no referenced row (a term changed by the
        # previous test) in the process-wide cache of memoria.vault.fields.
        clear_reference_cache()

    @classmethod
    def setUpTestData(cls):
        ensure_reference_data()
        cls.org = Organization.objects.create(
            name="Centro Norte de Derechos Humanos",
            slug="centro-norte",
            kind=Organization.Kind.HUMAN_RIGHTS_CENTRE,
        )
        cls.org.states.add(State.objects.get(code="08"))
        cls.coordinator = make_member(
            cls.org, "coordinadora@norte.example", Role.COORDINATOR, "Alicia Coordinadora"
        )
        cls.documenter = make_member(
            cls.org, "documentador@norte.example", Role.DOCUMENTER, "Daniel Documentador"
        )
        cls.analyst = make_member(cls.org, "analista@norte.example", Role.ANALYST, "Ana Analista")
        cls.reader = make_member(cls.org, "lector@norte.example", Role.READER, "Raúl Lector")
        cls.other_org = Organization.objects.create(
            name="Colectivo del Sur", slug="colectivo-sur", kind=Organization.Kind.SEARCH_COLLECTIVE
        )
        cls.outsider = make_member(
            cls.other_org, "coordinador@sur.example", Role.COORDINATOR, "Óscar Externo"
        )

    def personas(self) -> dict[str, User]:
        return {
            Role.COORDINATOR: self.coordinator,
            Role.DOCUMENTER: self.documenter,
            Role.ANALYST: self.analyst,
            Role.READER: self.reader,
        }
