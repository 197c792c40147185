"""Sealing two-factor secrets: an authenticator's seed, a recovery code's digest.

Only the cryptography lives here; who holds which device, and which key seals
it, is the accounts app's business (``memoria.accounts.models``). Every
function takes the key, so the vault needs to know nothing about users or the
audit log.

A seed is sealed with AES-256-GCM under the caller's key, with the owner's
user id in the associated data: a sealed seed that is edited, or copied onto
another user's device, fails to open instead of yielding a wrong secret. The
stored form, ``g1:<base64(nonce | ciphertext+tag)>``, fits django-otp's
80-character ``key`` column (67 characters for a 20-byte seed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from memoria.vault.keys import NONCE_BYTES, VaultError, derive_key

SEED_PREFIX = "g1:"
RECOVERY_DIGEST_CHARS = 16  # django-otp's StaticToken.token holds 16 characters
LEGACY_CTR_NONCE_BYTES = 16


def user_key(key: bytes, user_id: int) -> bytes:
    """The key for one user's two-factor secrets, derived from ``key``."""
    return derive_key(key, f"user {user_id}")


def _seed_aad(user_id: int) -> bytes:
    return f"memoria two-factor seed|user={user_id}".encode()


def is_sealed_seed(stored: str) -> bool:
    """Whether a device's ``key`` column holds a seed sealed by ``seal_seed``."""
    return stored.startswith(SEED_PREFIX)


def seal_seed(seed: bytes, key: bytes, user_id: int) -> str:
    """Seal ``seed`` for ``user_id`` (AES-256-GCM, the user id as associated data)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(user_key(key, user_id)).encrypt(nonce, seed, _seed_aad(user_id))
    return SEED_PREFIX + base64.b64encode(nonce + sealed).decode()


def open_seed(stored: str, key: bytes, user_id: int) -> bytes:
    """The seed ``seal_seed`` sealed; ``VaultError`` if it was altered or is another user's."""
    if not is_sealed_seed(stored):
        raise VaultError("not a sealed two-factor seed")
    try:
        blob = base64.b64decode(stored[len(SEED_PREFIX) :], validate=True)
        return AESGCM(user_key(key, user_id)).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _seed_aad(user_id)
        )
    except (InvalidTag, binascii.Error, ValueError):
        raise VaultError("a two-factor seed fails its integrity check") from None


def open_legacy_ctr_seed(sealed_hex: str, key: bytes, user_id: int) -> bytes:
    """Open a seed sealed the earlier way: AES-256-CTR, without authentication.

    Only the migration that re-seals old seeds uses it: CTR cannot tell an
    altered seed from a good one.
    """
    blob = bytes.fromhex(sealed_hex)
    nonce, sealed = blob[:LEGACY_CTR_NONCE_BYTES], blob[LEGACY_CTR_NONCE_BYTES:]
    decryptor = Cipher(algorithms.AES(user_key(key, user_id)), modes.CTR(nonce)).decryptor()
    return decryptor.update(sealed) + decryptor.finalize()


def recovery_code_digest(code: str, key: bytes, user_id: int) -> str:
    """A keyed digest of a recovery code (spaces and capitals ignored), 16 characters."""
    normalized = code.strip().lower().replace(" ", "").encode()
    digest = hmac.new(user_key(key, user_id), normalized, hashlib.sha256).hexdigest()
    return digest[:RECOVERY_DIGEST_CHARS]
