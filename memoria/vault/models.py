"""Wrapped data keys, and a small encrypted model the vault uses to check itself."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from memoria.vault.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from memoria.vault.keys import derive_key


class OrganizationKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class OrganizationKey(models.Model):
    """An organization's data key, wrapped (AES-256-GCM) by the master key.

    One key per organization is active (``retired_at`` empty): new ciphertexts
    use it. Retired keys stay, so older ciphertexts remain readable while a
    rotation re-encrypts them, and because the first key also derives the
    organization's blind-index key.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="vault_keys"
    )
    key_id = models.CharField(max_length=32, unique=True)
    wrapped_key = models.TextField()
    master_key_id = models.CharField(
        max_length=32, help_text=_("Fingerprint of the master key that wraps this key.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = OrganizationKeyQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(retired_at__isnull=True),
                name="vault_one_active_key_per_organization",
            )
        ]
        verbose_name = _("organization data key")
        verbose_name_plural = _("organization data keys")

    def __str__(self) -> str:
        state = "retired" if self.retired_at else "active"
        return f"{self.key_id} ({self.organization_id}, {state})"


class ProtectedNote(models.Model):
    """A confidential note of an organization, encrypted field by field.

    The vault's own model: it exercises every encrypted field type (the
    raw-database and backup tests write through it) and ``memoria keys status``
    uses it to prove the keys decrypt.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="protected_notes"
    )
    title = EncryptedCharField(_("title"), max_length=200)
    body = EncryptedTextField(_("text"), blank=True)
    noted_on = EncryptedDateField(_("date"), null=True, blank=True)
    data = EncryptedJSONField(_("data"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("protected note")
        verbose_name_plural = _("protected notes")

    def __str__(self) -> str:
        return f"note {self.pk}"


# --- two-factor secrets -------------------------------------------------------------------
#
# django-otp keeps an authenticator's seed and the recovery codes in clear. With
# a copy of the database and a phished password, that is enough to pass the
# second step. These proxies keep the seed sealed (AES-256-CTR under a key
# derived per user from the platform's audit key, which the master key wraps)
# and only a keyed digest of each recovery code. A proxy changes no table.

SEED_NONCE_BYTES = 16
TOTP_SEED_BYTES = 20  # what django-otp generates
RECOVERY_DIGEST_CHARS = 16  # StaticToken.token holds 16 characters


def _two_factor_key(user_id: int) -> bytes:
    from memoria.audit.log import current_keys  # the audit app imports the vault

    return derive_key(current_keys().two_factor, f"user {user_id}")


def seal_seed(seed: bytes, user_id: int) -> str:
    """Hex of ``nonce | AES-CTR(seed)``: longer than any plain seed django-otp makes."""
    nonce = secrets.token_bytes(SEED_NONCE_BYTES)
    encryptor = Cipher(algorithms.AES(_two_factor_key(user_id)), modes.CTR(nonce)).encryptor()
    return (nonce + encryptor.update(seed) + encryptor.finalize()).hex()


def open_seed(sealed_hex: str, user_id: int) -> bytes:
    blob = bytes.fromhex(sealed_hex)
    nonce, sealed = blob[:SEED_NONCE_BYTES], blob[SEED_NONCE_BYTES:]
    decryptor = Cipher(algorithms.AES(_two_factor_key(user_id)), modes.CTR(nonce)).decryptor()
    return decryptor.update(sealed) + decryptor.finalize()


def recovery_code_digest(code: str, user_id: int) -> str:
    normalized = code.strip().lower().replace(" ", "").encode()
    digest = hmac.new(_two_factor_key(user_id), normalized, hashlib.sha256).hexdigest()
    return digest[:RECOVERY_DIGEST_CHARS]


def _is_sealed(key_hex: str) -> bool:
    # django-otp's seeds are 20 bytes (40 hex digits); a sealed one is 36 bytes.
    return len(key_hex) == 2 * (SEED_NONCE_BYTES + TOTP_SEED_BYTES)


class SealedTOTPDevice(TOTPDevice):
    """An authenticator whose seed is stored sealed; use it instead of ``TOTPDevice``."""

    class Meta:
        proxy = True
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    @property
    def bin_key(self) -> bytes:
        if _is_sealed(self.key):
            return open_seed(self.key, self.user_id)
        return super().bin_key  # a seed stored before sealing; sealed at its next save

    def save(self, *args, **kwargs):
        if not _is_sealed(self.key):
            seed = bytes.fromhex(self.key)
            if len(seed) != TOTP_SEED_BYTES:
                raise ValueError(f"an authenticator seed has {TOTP_SEED_BYTES} bytes")
            self.key = seal_seed(seed, self.user_id)
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

    def replace_codes(self, count: int) -> list[str]:
        """Issue ``count`` fresh codes (shown once); the old ones stop working."""
        self.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(count)]
        StaticToken.objects.bulk_create(
            StaticToken(device=self, token=recovery_code_digest(code, self.user_id))
            for code in codes
        )
        return codes

    def verify_token(self, token) -> bool:
        return super().verify_token(recovery_code_digest(str(token), self.user_id))
