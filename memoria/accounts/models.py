"""Organizations, the people who use Memoria, their memberships and sign-in devices."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from memoria.accounts.roles import Capability, Role, role_can
from memoria.vault import seeds
from memoria.vault.keys import VaultError

logger = logging.getLogger("memoria.accounts")

INVITATION_LIFETIME = timedelta(days=7)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. What they may see comes from their memberships."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform administrator"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organization(models.Model):
    """A member of the network. Every record in Memoria belongs to one."""

    class Kind(models.TextChoices):
        HUMAN_RIGHTS_CENTRE = "human_rights_centre", _("Human-rights centre")
        VICTIMS_COLLECTIVE = "victims_collective", _("Victims' collective")
        SEARCH_COLLECTIVE = "search_collective", _("Search collective")
        JOURNALISTS_NETWORK = "journalists_network", _("Journalists' network")
        DEFENDERS_NETWORK = "defenders_network", _("Defenders' network")
        LEGAL_CLINIC = "legal_clinic", _("Legal clinic")
        FORENSIC_TEAM = "forensic_team", _("Forensic team")
        ACADEMIC = "academic", _("Academic group")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    states = models.ManyToManyField(
        "places.State", verbose_name=_("states where it works"), blank=True
    )
    description = models.TextField(_("description"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    is_demo = models.BooleanField(
        _("fictional demo organization"),
        default=False,
        help_text=_("Its data is invented, and every page that shows it says so."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("member since"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]
        ordering = ["organization__name", "user__full_name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"

    def can(self, capability: Capability) -> bool:
        return role_can(self.role, capability)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True).filter(
            expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A coordinator's invitation for someone to join the organization with a role.

    Only a hash of the token is stored: a copy of the database does not let
    anyone accept a pending invitation.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization} ({self.role})"

    @classmethod
    def new_token(cls) -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


# --- two-factor devices -------------------------------------------------------------------
#
# django-otp keeps an authenticator's seed and the recovery codes in clear. With
# a copy of the database and a phished password, that is enough to pass the
# second step. These proxies keep the seed sealed (AES-256-GCM, bound to the
# user, under a key derived per user from the platform's two-factor key, which
# the master key wraps) and only a keyed digest of each recovery code. A proxy
# changes no table: the rows stay in django-otp's tables.

TOTP_SEED_BYTES = 20  # what django-otp generates


def two_factor_key() -> bytes:
    """The platform key that seals two-factor secrets (kept with the audit log's key)."""
    from memoria.audit.log import current_keys

    return current_keys().two_factor


class SealedTOTPDevice(TOTPDevice):
    """An authenticator whose seed is stored sealed; use it instead of ``TOTPDevice``."""

    class Meta:
        proxy = True
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    @property
    def bin_key(self) -> bytes:
        if seeds.is_sealed_seed(self.key):
            return seeds.open_seed(self.key, two_factor_key(), self.user_id)
        if len(self.key) != 2 * TOTP_SEED_BYTES:
            raise VaultError("an authenticator seed is neither sealed nor a plain seed")
        return super().bin_key  # a seed stored in clear (django-otp); sealed at its next save

    def verify_token(self, token) -> bool:
        """A seed that fails to open (altered, or copied from another user) accepts no code."""
        try:
            self.bin_key  # noqa: B018  (opens the seed, or fails)
        except VaultError:
            logger.warning("authenticator %s: its seed fails to open; no code accepted", self.pk)
            return False
        return super().verify_token(token)

    def save(self, *args, **kwargs):
        if not seeds.is_sealed_seed(self.key):
            seed = bytes.fromhex(self.key)
            if len(seed) != TOTP_SEED_BYTES:
                raise ValueError(f"an authenticator seed has {TOTP_SEED_BYTES} bytes")
            self.key = seeds.seal_seed(seed, two_factor_key(), self.user_id)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "key"}
        super().save(*args, **kwargs)


class SealedStaticDevice(StaticDevice):
    """Single-use recovery codes, stored only as keyed digests."""

    class Meta:
        proxy = True
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def _digest(self, code: str) -> str:
        return seeds.recovery_code_digest(code, two_factor_key(), self.user_id)

    def replace_codes(self, count: int) -> list[str]:
        """Issue ``count`` fresh codes (shown once); the old ones stop working."""
        self.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(count)]
        StaticToken.objects.bulk_create(
            StaticToken(device=self, token=self._digest(code)) for code in codes
        )
        return codes

    def verify_token(self, token) -> bool:
        return super().verify_token(self._digest(str(token)))
