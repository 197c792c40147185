"""Signed, encrypted bundles between installations (no Django: plain ``cryptography``).

An installation has two key pairs: Ed25519 to sign what it sends, X25519 to
receive what is sent to it. A bundle is a JSON document (docs/exchange.md):

* ``header`` in clear — format version, bundle uuid, sender installation id,
  sender and recipient fingerprints, agreement uuid, sequence, created at;
* the payload encrypted for the recipient: an ephemeral X25519 key agreed
  with the recipient's, HKDF-SHA256 to an AES-256-GCM key, the header as
  associated data (a header moved onto another payload does not decrypt);
* an Ed25519 signature over the header, the ephemeral key, the nonce and the
  ciphertext, made with the sender's signing key.

``open_bundle`` checks in this order, and raises ``BundleError`` at the
first failure, before anything is decrypted: well-formed, signed by the key
the caller registered for the sender and naming that key's fingerprint,
addressed to this installation.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = "memoria-exchange-bundle"
VERSION = 1
PUBLIC_FORMAT = "memoria-installation-public-keys"
NONCE_BYTES = 12
KEY_BYTES = 32
SIGNED_PREFIX = b"memoria exchange bundle v1\x00"
HEADER_FIELDS = {
    "bundle": str,
    "sender": str,
    "sender_fingerprint": str,
    "recipient_fingerprint": str,
    "agreement": str,
    "sequence": int,
    "created_at": str,
}
# Bundles are files a person carries; a larger file is refused before it is parsed.
MAX_BUNDLE_BYTES = 512 * 1024 * 1024


class BundleError(Exception):
    """The bundle cannot be used: the message says why, in one line.

    ``code`` names the reason among a fixed few (``REASONS``): what the audit log
    records of a refused import, since the message may quote the partner's text.
    """

    def __init__(self, message: str, code: str = "damaged") -> None:
        super().__init__(message)
        self.code = code


# Why a bundle or an identity is refused: codes, never the partner's words.
REASONS = (
    "damaged",  # not a bundle, or altered, or its content malformed
    "too_large",
    "bad_signature",
    "wrong_sender",
    "wrong_sender_fingerprint",
    "wrong_recipient",
    "undecryptable",
    "no_identity",  # this installation's identity file is missing, damaged or exposed
)
FINGERPRINT = re.compile(r"[0-9a-f]{4}(?:-[0-9a-f]{4}){7}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text, what: str) -> bytes:
    if not isinstance(text, str):
        raise BundleError(f"the bundle's {what} is missing or not text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BundleError(f"the bundle's {what} is not valid base64") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _loads(data):
    """Strict JSON: ``NaN`` and ``Infinity`` (which Python's json accepts) are refused."""
    return json.loads(data, parse_constant=_no_constant)


def canonical(value) -> bytes:
    """The one byte string a JSON value is signed and authenticated as."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _raw(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(signing_public: bytes, exchange_public: bytes) -> str:
    """What two operators read to each other: 32 hexadecimal digits in groups of four."""
    digest = hashlib.sha256(b"memoria installation\x00" + signing_public + exchange_public)
    text = digest.hexdigest()[:32]
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalize_fingerprint(text: str) -> str:
    digits = "".join(ch for ch in text.lower() if ch in "0123456789abcdef")
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


@dataclass(frozen=True)
class PublicKeys:
    installation: str
    signing: bytes  # Ed25519, raw 32 bytes
    exchange: bytes  # X25519, raw 32 bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signing, self.exchange)

    def to_json(self, name: str = "") -> str:
        return json.dumps(
            {
                "format": PUBLIC_FORMAT,
                "installation": self.installation,
                "name": name,
                "signing_key": _b64(self.signing),
                "exchange_key": _b64(self.exchange),
                "fingerprint": self.fingerprint,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> PublicKeys:
        try:
            data = _loads(text)
        except (ValueError, RecursionError):
            raise BundleError("the key file is not JSON") from None
        if not isinstance(data, dict) or data.get("format") != PUBLIC_FORMAT:
            raise BundleError("the key file is not a Memoria installation's public keys")
        keys = cls(
            installation=_installation_id(data.get("installation")),
            signing=_unb64(data.get("signing_key"), "signing key"),
            exchange=_unb64(data.get("exchange_key"), "exchange key"),
        )
        if len(keys.signing) != KEY_BYTES or len(keys.exchange) != KEY_BYTES:
            raise BundleError("the key file's keys are not 32 bytes each")
        return keys


def _installation_id(value) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise BundleError("the installation id is not a UUID") from None


@dataclass(frozen=True)
class Identity:
    """This installation's private keys (kept in the data directory, never sent)."""

    installation: str
    signing: Ed25519PrivateKey
    exchange: X25519PrivateKey

    @classmethod
    def generate(cls) -> Identity:
        return cls(str(uuid.uuid4()), Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(
            self.installation, _raw(self.signing.public_key()), _raw(self.exchange.public_key())
        )

    def to_json(self) -> str:
        private = serialization.PrivateFormat.Raw
        none = serialization.NoEncryption()
        raw = serialization.Encoding.Raw
        return json.dumps(
            {
                "format": "memoria-installation-identity",
                "installation": self.installation,
                "signing_key": _b64(self.signing.private_bytes(raw, private, none)),
                "exchange_key": _b64(self.exchange.private_bytes(raw, private, none)),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Identity:
        try:
            data = _loads(text)
            return cls(
                _installation_id(data["installation"]),
                Ed25519PrivateKey.from_private_bytes(_unb64(data["signing_key"], "signing key")),
                X25519PrivateKey.from_private_bytes(_unb64(data["exchange_key"], "exchange key")),
            )
        except (ValueError, KeyError, TypeError, RecursionError, BundleError) as error:
            raise BundleError(
                f"the installation's identity file is damaged ({error})", "no_identity"
            ) from None


def _aes_key(shared: bytes, ephemeral: bytes, recipient: bytes, bundle_id: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=ephemeral + recipient,
        info=f"memoria exchange v1|{bundle_id}".encode(),
    ).derive(shared)


def _signed_bytes(header: dict, ephemeral: bytes, nonce: bytes, ciphertext: bytes) -> bytes:
    return SIGNED_PREFIX + canonical(header) + b"\x00" + ephemeral + nonce + ciphertext


def seal_bundle(
    sender: Identity,
    recipient: PublicKeys,
    *,
    agreement: str,
    sequence: int,
    payload: dict,
    now: datetime.datetime,
) -> tuple[dict, bytes]:
    """``(header, file bytes)`` of a bundle carrying ``payload`` to ``recipient``."""
    header = {
        "bundle": str(uuid.uuid4()),
        "sender": sender.installation,
        "sender_fingerprint": sender.public.fingerprint,
        "recipient_fingerprint": recipient.fingerprint,
        "agreement": agreement,
        "sequence": sequence,
        "created_at": now.isoformat(),
    }
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _raw(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.exchange))
    key = _aes_key(shared, ephemeral_public, recipient.exchange, header["bundle"])
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, canonical(payload), canonical(header))
    signature = sender.signing.sign(_signed_bytes(header, ephemeral_public, nonce, ciphertext))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "header": header,
        "ephemeral_key": _b64(ephemeral_public),
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
        "signature": _b64(signature),
    }
    return header, (json.dumps(document, indent=1) + "\n").encode()


@dataclass(frozen=True)
class Envelope:
    """A bundle read but not yet trusted: its header says who claims to send it."""

    header: dict
    ephemeral: bytes
    nonce: bytes
    ciphertext: bytes
    signature: bytes


def read_bundle_file(path) -> bytes:
    """A bundle file's bytes, reading no more than a bundle can be (not a whole disk image)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_BUNDLE_BYTES + 1)
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError("the file is too large to be a bundle", "too_large")
    return data


def read_envelope(data: bytes) -> Envelope:
    """Parse a bundle file; ``BundleError`` if it is not one. Nothing is verified yet."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError("the file is too large to be a bundle", "too_large")
    try:
        document = _loads(data)
    except ValueError:
        raise BundleError("the file is not a Memoria exchange bundle (not JSON)") from None
    except RecursionError:  # nested deeper than any bundle is
        raise BundleError("the file is not a Memoria exchange bundle (nested too deep)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BundleError("the file is not a Memoria exchange bundle")
    if type(document.get("version")) is not int or document["version"] != VERSION:
        raise BundleError(f"bundle format version {document.get('version')!r} is not supported")
    header = document.get("header")
    if not isinstance(header, dict) or set(header) != set(HEADER_FIELDS):
        raise BundleError("the bundle's header is malformed")
    for name, kind in HEADER_FIELDS.items():
        if not isinstance(header[name], kind) or isinstance(header[name], bool):
            raise BundleError(f"the bundle's header field {name!r} is malformed")
    for name in ("bundle", "sender", "agreement"):
        if _installation_id(header[name]) != header[name]:
            raise BundleError(f"the bundle's header field {name!r} is not a UUID")
    if not 1 <= header["sequence"] < 2**31:
        raise BundleError("the bundle's sequence number is out of range")
    try:
        canonical(header)  # what is signed: text JSON can carry but UTF-8 cannot (a lone surrogate)
    except UnicodeError:
        raise BundleError("the bundle's header is malformed (not Unicode text)") from None
    envelope = Envelope(
        header=header,
        ephemeral=_unb64(document.get("ephemeral_key"), "ephemeral key"),
        nonce=_unb64(document.get("nonce"), "nonce"),
        ciphertext=_unb64(document.get("ciphertext"), "ciphertext"),
        signature=_unb64(document.get("signature"), "signature"),
    )
    if len(envelope.ephemeral) != KEY_BYTES or len(envelope.nonce) != NONCE_BYTES:
        raise BundleError("the bundle's ephemeral key or nonce has the wrong length")
    return envelope


def open_bundle(envelope: Envelope, sender: PublicKeys, recipient: Identity) -> dict:
    """The payload, once the signature (``sender``'s key) and the recipient are checked."""
    if envelope.header["sender"] != sender.installation:
        raise BundleError(
            "the bundle was sent by another installation than the one given", "wrong_sender"
        )
    try:
        Ed25519PublicKey.from_public_bytes(sender.signing).verify(
            envelope.signature,
            _signed_bytes(envelope.header, envelope.ephemeral, envelope.nonce, envelope.ciphertext),
        )
    except InvalidSignature:
        raise BundleError(
            "the bundle's signature does not match the registered key of its sender",
            "bad_signature",
        ) from None
    if envelope.header["sender_fingerprint"] != sender.fingerprint:
        raise BundleError(
            "the bundle's sender's fingerprint is not the one registered for it",
            "wrong_sender_fingerprint",
        )
    own = recipient.public
    if envelope.header["recipient_fingerprint"] != own.fingerprint:
        raise BundleError(
            f"the bundle is addressed to installation {envelope.header['recipient_fingerprint']}, "
            f"not to this one ({own.fingerprint})",
            "wrong_recipient",
        )
    try:
        shared = recipient.exchange.exchange(X25519PublicKey.from_public_bytes(envelope.ephemeral))
    except ValueError:  # a low-order point: no shared secret
        raise BundleError("the bundle's ephemeral key is not usable", "undecryptable") from None
    key = _aes_key(shared, envelope.ephemeral, own.exchange, envelope.header["bundle"])
    try:
        plaintext = AESGCM(key).decrypt(
            envelope.nonce, envelope.ciphertext, canonical(envelope.header)
        )
    except InvalidTag:
        raise BundleError(
            "the bundle's payload does not decrypt: it was altered", "undecryptable"
        ) from None
    try:
        payload = _loads(plaintext)
    except (ValueError, RecursionError):
        raise BundleError("the bundle's payload is not JSON") from None
    if not isinstance(payload, dict):
        raise BundleError("the bundle's payload is malformed")
    return payload
