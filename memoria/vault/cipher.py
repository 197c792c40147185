"""AES-256-GCM encryption of values and files under an organization's data key.

Text ciphertexts look like ``mv1:<key id>:<base64(nonce | ciphertext+tag)>``:
the header names the data key, so decryption needs only the stored value. The
associated data binds each ciphertext to its place (``context``, e.g.
``cases.person.full_name``): a value copied into another column does not
decrypt. Plaintexts are padded to a multiple of 16 bytes so the ciphertext
length reveals only the length band of a name, not its exact length.

Whether a string is a ciphertext is never decided by its looks: text a person
typed may well start with ``mv1:``. The encryption functions return ``Sealed``
strings, and only those are stored as they are by the encrypted fields.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from memoria.vault.keys import NONCE_BYTES, VaultError, active_key, data_key_by_id

TEXT_PREFIX = "mv1:"
FILE_MAGIC = b"MVB1"
PAD_BLOCK = 16


class Sealed(str):
    """A ciphertext the vault has just made, as opposed to text from a person or a file.

    Encrypted fields store a ``Sealed`` value as it is (after checking that its
    key belongs to the row's organization) and encrypt any other string, even
    one that starts with ``mv1:``. Only ``encrypt_text`` and
    ``encrypt_text_with`` make them; never wrap a string received from outside.
    """

    __slots__ = ()


def is_ciphertext(value) -> bool:
    """Whether ``value`` has the shape of a text ciphertext (a raw column's value, say).

    Shape only: it says nothing about where the value came from. Code that
    decides whether to store a value unencrypted asks ``isinstance(value, Sealed)``.
    """
    return isinstance(value, str) and value.startswith(TEXT_PREFIX)


def key_id_of(token: str) -> str:
    """The data-key id named in a text ciphertext's header."""
    if not is_ciphertext(token):
        raise VaultError("not a Memoria ciphertext")
    return token[len(TEXT_PREFIX) :].split(":", 1)[0]


def _pad(data: bytes) -> bytes:
    data += b"\x80"
    return data + b"\x00" * (-len(data) % PAD_BLOCK)


def _unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise VaultError("malformed padding in a decrypted value")
    return end[:-1]


def _aad(context: str, key_id: str) -> bytes:
    return f"memoria|{context}|{key_id}".encode()


def encrypt_text(organization_id: int, plaintext: str, context: str) -> Sealed:
    """Encrypt ``plaintext`` under the organization's active data key."""
    key_id, data_key = active_key(organization_id)
    return encrypt_text_with(key_id, data_key, plaintext, context)


def encrypt_text_with(key_id: str, data_key: bytes, plaintext: str, context: str) -> Sealed:
    """Encrypt under a key already looked up (``active_key``), for batches of values."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, _pad(plaintext.encode()), _aad(context, key_id))
    return Sealed(f"{TEXT_PREFIX}{key_id}:{base64.b64encode(nonce + sealed).decode()}")


def check_key_organization(
    token: str | bytes, organization_id: int, using: str | None = None
) -> None:
    """Refuse a ciphertext encrypted under another organization's data key.

    Every ciphertext names its data key, and the server holds every
    organization's keys: without this check a value copied from another
    organization's row would decrypt, and be shown to this one.
    """
    key_id = stored_key_id(token)
    if key_id is None:
        raise VaultError("not a Memoria ciphertext")
    _check_owner(key_id, data_key_by_id(key_id, using=using)[0], organization_id)


def _check_owner(key_id: str, owner: int, organization_id: int) -> None:
    if owner != organization_id:
        raise VaultError(
            f"a value of organization {organization_id} is encrypted with key {key_id} "
            f"of organization {owner}: refused"
        )


def decrypt_text(
    token: str, context: str, using: str | None = None, organization_id: int | None = None
) -> str:
    """Decrypt a ciphertext made by ``encrypt_text`` for the same ``context``.

    With ``organization_id`` (the organization of the row the value was read
    from), a value encrypted under another organization's key is refused.
    """
    key_id = key_id_of(token)
    owner, data_key = data_key_by_id(key_id, using=using)
    if organization_id is not None:
        _check_owner(key_id, owner, organization_id)
    try:
        blob = base64.b64decode(token[len(TEXT_PREFIX) + len(key_id) + 1 :], validate=True)
        padded = AESGCM(data_key).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(context, key_id)
        )
    except (InvalidTag, binascii.Error, ValueError):
        raise VaultError(f"a value encrypted with key {key_id} fails its integrity check") from None
    return _unpad(padded).decode()


class SealedBytes(bytes):
    """A file ciphertext the vault has just made (``encrypt_bytes``); see ``Sealed``."""

    __slots__ = ()


FILE_KEY_ID_BYTES = 32
FILE_HEADER_BYTES = len(FILE_MAGIC) + FILE_KEY_ID_BYTES


def is_file_ciphertext(value) -> bool:
    """Whether ``value`` has the shape of a file ciphertext (shape only, as ``is_ciphertext``)."""
    return isinstance(value, bytes | bytearray | memoryview) and bytes(value[:4]) == FILE_MAGIC


def key_id_of_bytes(blob: bytes) -> str:
    """The data-key id named in a file ciphertext's header."""
    if not is_file_ciphertext(blob):
        raise VaultError("not a Memoria encrypted file")
    return bytes(blob[len(FILE_MAGIC) : FILE_HEADER_BYTES]).decode().strip()


def stored_key_id(value) -> str | None:
    """The data-key id of a stored ciphertext (text or file), None for anything else."""
    if is_ciphertext(value):
        return key_id_of(value)
    if is_file_ciphertext(value):
        return key_id_of_bytes(value)
    return None


def encrypt_bytes(organization_id: int, data: bytes, context: str) -> SealedBytes:
    """Encrypt a file's bytes (e.g. an attachment): ``MVB1 | key id | nonce | sealed``."""
    key_id, data_key = active_key(organization_id)
    return encrypt_bytes_with(key_id, data_key, data, context)


def encrypt_bytes_with(key_id: str, data_key: bytes, data: bytes, context: str) -> SealedBytes:
    """``encrypt_bytes`` under a key already looked up (for re-encryption in batches)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, bytes(data), _aad(context, key_id))
    return SealedBytes(FILE_MAGIC + key_id.encode().ljust(FILE_KEY_ID_BYTES, b" ") + nonce + sealed)


def decrypt_bytes(
    blob: bytes, context: str, using: str | None = None, organization_id: int | None = None
) -> bytes:
    """Decrypt what ``encrypt_bytes`` made for the same ``context``.

    With ``organization_id``, a file encrypted under another organization's
    key is refused, as in ``decrypt_text``.
    """
    key_id = key_id_of_bytes(blob)
    blob = bytes(blob)
    owner, data_key = data_key_by_id(key_id, using=using)
    if organization_id is not None:
        _check_owner(key_id, owner, organization_id)
    start = FILE_HEADER_BYTES
    nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    try:
        return AESGCM(data_key).decrypt(nonce, sealed, _aad(context, key_id))
    except InvalidTag:
        raise VaultError(f"a file encrypted with key {key_id} fails its integrity check") from None
