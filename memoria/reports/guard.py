"""What protects the public form without knowing who uses it.

* **Receipt codes**: 20 random characters shown once to the reporter; the
  database keeps only an HMAC-SHA256 of the code under the organization's
  blind-index key, so a copy of the database cannot be used to add to a report.
* **Form tokens**: a signed, single-use token in a hidden field, issued with
  the form and refused when older than ``FORM_MAX_AGE``, younger than
  ``MEMORIA_REPORTS_FORM_MIN_SECONDS`` (scripts post at once) or already used.
  No cookie is set: the token travels in the form only.
* **Rate limit**: a keyed hash of the client's address, counted in the Django
  cache for one window (an hour) and then forgotten. The address itself is
  never stored, not even in the cache; the key derives from the master key and
  the window, so an entry cannot be tested against an address once the window
  is over. See docs/reports.md for the trade-offs (Tor exits, several workers).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from memoria.audit.log import client_ip
from memoria.vault import keys

# Letters and digits that cannot be mistaken for one another when copied by hand.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
RECEIPT_LENGTH = 20  # about 98 bits
RECEIPT_GROUP = 4
FORM_SALT = "memoria.reports.form"
FORM_MAX_AGE = 2 * 60 * 60
RATE_WINDOW = 60 * 60


# -- receipt codes ---------------------------------------------------------------------------


def new_receipt_code() -> str:
    """A fresh code, grouped for reading: ``ABCD-EFGH-…``."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + RECEIPT_GROUP] for i in range(0, RECEIPT_LENGTH, RECEIPT_GROUP))


def normalize_receipt_code(code: str) -> str:
    """The code as hashed: letters only from the alphabet, capitals, no separators."""
    return "".join(ch for ch in (code or "").upper() if ch in RECEIPT_ALPHABET)


def receipt_digest(organization_id: int, code: str) -> str:
    """The keyed digest stored in place of the code (64 hexadecimal digits)."""
    key = keys.derive_key(keys.index_key(organization_id), "report receipt code")
    return hmac.new(key, normalize_receipt_code(code).encode(), hashlib.sha256).hexdigest()


# -- form tokens -----------------------------------------------------------------------------


def new_form_token(organization_id: int) -> str:
    payload = {"o": organization_id, "n": secrets.token_urlsafe(12), "t": int(time.time())}
    return signing.dumps(payload, salt=FORM_SALT, compress=False)


def use_form_token(token: str, organization_id: int) -> bool:
    """Whether ``token`` was issued for this organization's form, is fresh and unused.

    A valid token is spent here (kept in the cache until it would expire anyway).
    """
    try:
        payload = signing.loads(token or "", salt=FORM_SALT, max_age=FORM_MAX_AGE)
    except signing.BadSignature:
        return False
    if not isinstance(payload, dict) or payload.get("o") != organization_id:
        return False
    issued = payload.get("t")
    if (
        not isinstance(issued, int)
        or time.time() - issued < settings.MEMORIA_REPORTS_FORM_MIN_SECONDS
    ):
        return False
    nonce = str(payload.get("n", ""))
    return cache.add(f"reports:form:{nonce}", 1, timeout=FORM_MAX_AGE)


# -- rate limit ------------------------------------------------------------------------------


def _address_key(address: str, window: int) -> str:
    key = keys.derive_key(keys.load_master_key(), "reports rate limit")
    message = f"{window}\x00{address}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _count(name: str) -> int:
    cache.add(name, 0, timeout=RATE_WINDOW)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=RATE_WINDOW)
        return 1


def allow_post(request, organization_id: int) -> bool:
    """Count one post from this client to this organization's form; False past a limit.

    Two limits per window: one per client address (by keyed hash) and one for
    the organization as a whole, which still holds when every report arrives
    from one address (a Tor onion service, a shared exit or a proxy).
    """
    window = int(time.time()) // RATE_WINDOW
    address = client_ip(request) or "unknown"
    per_address = _count(f"reports:rate:{_address_key(address, window)}")
    per_organization = _count(f"reports:rate:org:{organization_id}:{window}")
    return (
        per_address <= settings.MEMORIA_REPORTS_RATE_PER_ADDRESS
        and per_organization <= settings.MEMORIA_REPORTS_RATE_PER_ORGANIZATION
    )
