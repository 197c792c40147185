"""Envelope encryption: one master key outside the database, one data key per organization.

The master key (32 random bytes) comes from the ``MEMORIA_MASTER_KEY``
environment variable (base64) or from the file ``settings.MEMORIA_MASTER_KEY_FILE``.
The embedded default generates that file on first use; a production server
without it refuses to start encrypting. The master key never enters the
database: it only wraps (AES-256-GCM) each organization's data keys, which are
stored wrapped in ``OrganizationKey``.

A data key is unwrapped once per process and kept in memory (``_unwrapped``),
looked up by its key id, which every ciphertext carries in its header.

The master key is used as it is only to wrap data keys. Every other use gets
its own key derived from it with HKDF (``derive_key``): platform secrets that
are not organization data keys, such as the audit log's key, are wrapped under
a key derived for their purpose alone (``wrap_secret``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction

logger = logging.getLogger("memoria.vault")

KEY_BYTES = 32
NONCE_BYTES = 12
WRAP_PREFIX = "w1:"
PLATFORM_WRAP_PREFIX = "s1:"

_lock = threading.Lock()
_master: dict[str, object] = {}
_unwrapped: dict[str, tuple[int, bytes]] = {}  # key id -> (organization id, data key)
_index_keys: dict[str, bytes] = {}  # genesis key id -> blind-index key
_secrets: dict[tuple[str, str], bytes] = {}  # (purpose, wrapped) -> platform secret


class VaultError(Exception):
    """The vault cannot do its work: missing or wrong master key, unknown data key."""


# --- master key -------------------------------------------------------------------------


def master_key_id(key: bytes) -> str:
    """A short public fingerprint of a master key (not enough to recover it)."""
    return hashlib.sha256(b"memoria master key id\x00" + key).hexdigest()[:16]


def decode_master_key(text: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise VaultError(f"{origin} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise VaultError(f"{origin} must hold {KEY_BYTES} bytes (got {len(key)})")
    return key


def read_master_key_file(path: Path) -> bytes:
    """Read a master key file: 32 raw bytes, or their base64 on one line."""
    data = Path(path).read_bytes()
    if len(data) == KEY_BYTES:
        return data
    return decode_master_key(data.decode("ascii", "replace"), str(path))


def write_master_key_file(path: Path, key: bytes) -> None:
    """Create ``path`` with mode 0600 (parent 0700); never overwrite an existing key."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")


def _key_file_stamp() -> tuple | None:
    if os.environ.get("MEMORIA_MASTER_KEY", "").strip():
        return ("env",)
    try:
        info = Path(settings.MEMORIA_MASTER_KEY_FILE).stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def load_master_key() -> bytes:
    """The master key, from the environment or the key file (generated in development).

    Cached, but re-read when the key file is replaced (``memoria keys rotate
    --master`` in another process), so a running server never wraps a new data
    key under a retired master key.
    """
    stamp = _key_file_stamp()
    cached = _master.get("key")
    if cached is not None and _master.get("stamp") == stamp:
        return cached
    with _lock:
        key = _load_master_key_uncached()
        _master["key"] = key
        _master["stamp"] = _key_file_stamp()
        return key


def _load_master_key_uncached() -> bytes:
    text = os.environ.get("MEMORIA_MASTER_KEY", "").strip()
    if text:
        return decode_master_key(text, "MEMORIA_MASTER_KEY")
    path = Path(settings.MEMORIA_MASTER_KEY_FILE)
    if path.exists():
        return read_master_key_file(path)
    if getattr(settings, "PRODUCTION", False):
        raise VaultError(
            f"the master key file {path} is missing. Restore it from your backup, or set "
            "MEMORIA_MASTER_KEY_FILE / MEMORIA_MASTER_KEY. Without it no identity can be read."
        )
    key = secrets.token_bytes(KEY_BYTES)
    try:
        write_master_key_file(path, key)
    except FileExistsError:  # another process won the race: use its key
        return read_master_key_file(path)
    warning = (
        f"\n*** Memoria generated a new MASTER KEY in {path}\n"
        "*** Back it up NOW, somewhere other than this server and its backups.\n"
        "*** Without it, every encrypted name, testimony and backup is lost for good.\n"
    )
    logger.warning(warning)
    return key


def forget_cached_keys() -> None:
    """Drop every key held in memory (after a master-key change, and in tests)."""
    with _lock:
        _master.clear()
        _unwrapped.clear()
        _index_keys.clear()
        _secrets.clear()


# --- wrapping ---------------------------------------------------------------------------


def _wrap_context(organization_id: int, key_id: str) -> bytes:
    return f"memoria data key|org={organization_id}|key={key_id}".encode()


def wrap_data_key(data_key: bytes, organization_id: int, key_id: str, master: bytes) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(master).encrypt(nonce, data_key, _wrap_context(organization_id, key_id))
    return WRAP_PREFIX + base64.b64encode(nonce + sealed).decode()


def unwrap_data_key(wrapped: str, organization_id: int, key_id: str, master: bytes) -> bytes:
    if not wrapped.startswith(WRAP_PREFIX):
        raise VaultError(f"data key {key_id} has an unknown wrapping format")
    blob = base64.b64decode(wrapped[len(WRAP_PREFIX) :])
    try:
        return AESGCM(master).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_context(organization_id, key_id)
        )
    except InvalidTag:
        raise VaultError(
            f"data key {key_id} cannot be unwrapped: this is not the master key it was "
            "wrapped with (check MEMORIA_MASTER_KEY_FILE)"
        ) from None


# --- keys for one purpose ---------------------------------------------------------------


def derive_key(key: bytes, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` only, derived from ``key`` with HKDF-SHA256.

    Keys derived for different purposes are independent: knowing one tells
    nothing about ``key`` or about the others.
    """
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=f"memoria derived key v1|{purpose}".encode(),
    ).derive(key)


def _secret_wrapping_key(purpose: str, master: bytes) -> bytes:
    return derive_key(master, f"wrap platform secret|{purpose}")


def wrap_secret(secret: bytes, purpose: str, master: bytes) -> str:
    """Seal a platform secret (not a data key) under a key derived from ``master``."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = f"memoria platform secret|{purpose}".encode()
    sealed = AESGCM(_secret_wrapping_key(purpose, master)).encrypt(nonce, secret, aad)
    return PLATFORM_WRAP_PREFIX + base64.b64encode(nonce + sealed).decode()


def unwrap_secret(wrapped: str, purpose: str, master: bytes) -> bytes:
    """Open what ``wrap_secret`` sealed; ``VaultError`` for another master key or purpose."""
    if not wrapped.startswith(PLATFORM_WRAP_PREFIX):
        raise VaultError(f"the {purpose} key has an unknown wrapping format")
    aad = f"memoria platform secret|{purpose}".encode()
    try:
        blob = base64.b64decode(wrapped[len(PLATFORM_WRAP_PREFIX) :], validate=True)
        return AESGCM(_secret_wrapping_key(purpose, master)).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad
        )
    except (InvalidTag, binascii.Error, ValueError):
        raise VaultError(
            f"the {purpose} key cannot be unwrapped: this is not the master key it was "
            "wrapped with (check MEMORIA_MASTER_KEY_FILE), or it was altered"
        ) from None


def platform_secret(wrapped: str, purpose: str) -> bytes:
    """``unwrap_secret`` with the current master key, kept in memory once opened.

    Like data keys, an opened secret is remembered by its wrapped form, so a
    server keeps working while another process rotates the master key.
    """
    found = _secrets.get((purpose, wrapped))
    if found is None:
        found = unwrap_secret(wrapped, purpose, load_master_key())
        _secrets[(purpose, wrapped)] = found
    return found


# --- data keys --------------------------------------------------------------------------


def _remember(record) -> bytes:
    data_key = unwrap_data_key(
        record.wrapped_key, record.organization_id, record.key_id, load_master_key()
    )
    _unwrapped[record.key_id] = (record.organization_id, data_key)
    return data_key


def data_key_by_id(key_id: str, using: str | None = None) -> tuple[int, bytes]:
    """``(organization id, data key)`` for a key id found in a ciphertext header."""
    found = _unwrapped.get(key_id)
    if found is not None:
        return found
    from memoria.vault.models import OrganizationKey

    manager = OrganizationKey.objects.db_manager(using) if using else OrganizationKey.objects
    record = manager.filter(key_id=key_id).first()
    if record is None:
        raise VaultError(f"unknown data key {key_id}")
    _remember(record)
    return _unwrapped[key_id]


def new_key_id() -> str:
    return secrets.token_hex(8)


def create_data_key(organization_id: int):
    """Create a new active data key for the organization (the caller retires the old one)."""
    from memoria.vault.models import OrganizationKey

    master = load_master_key()
    key_id = new_key_id()
    data_key = secrets.token_bytes(KEY_BYTES)
    record = OrganizationKey.objects.create(
        organization_id=organization_id,
        key_id=key_id,
        wrapped_key=wrap_data_key(data_key, organization_id, key_id, master),
        master_key_id=master_key_id(master),
    )
    _unwrapped[key_id] = (organization_id, data_key)
    return record


def active_key(organization_id: int) -> tuple[str, bytes]:
    """``(key id, data key)`` used for new ciphertexts of the organization; created lazily.

    Always asks the database which key is active (one indexed query), so a
    rotation in another process is seen at once.
    """
    from memoria.vault.models import OrganizationKey

    record = OrganizationKey.objects.active().filter(organization_id=organization_id).first()
    if record is None:
        with transaction.atomic():
            # Lock the organization so two first writers do not create two keys.
            # (Reached through the foreign key: the vault imports no other app.)
            organizations = OrganizationKey._meta.get_field("organization").related_model
            organizations.objects.select_for_update(no_key=True).filter(pk=organization_id).first()
            record = (
                OrganizationKey.objects.active().filter(organization_id=organization_id).first()
            )
            if record is None:
                record = create_data_key(organization_id)
    found = _unwrapped.get(record.key_id)
    return record.key_id, found[1] if found else _remember(record)


def index_key(organization_id: int) -> bytes:
    """The organization's blind-index key.

    Derived with HKDF from the organization's first ("genesis") data key, so it
    stays the same when data keys are rotated: the stored blind indexes remain
    valid without re-reading any plaintext. Retired data keys are never deleted.
    """
    from memoria.vault.models import OrganizationKey

    genesis = (
        OrganizationKey.objects.filter(organization_id=organization_id)
        .order_by("created_at", "pk")
        .first()
    )
    if genesis is None:
        active_key(organization_id)
        return index_key(organization_id)
    cached = _index_keys.get(genesis.key_id)
    if cached is not None:
        return cached
    found = _unwrapped.get(genesis.key_id)
    data_key = found[1] if found else _remember(genesis)
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=f"memoria blind index v1|org={organization_id}".encode(),
    ).derive(data_key)
    _index_keys[genesis.key_id] = derived
    return derived
