"""Webhook signatures: HMAC-SHA256 over the timestamp and the exact body.

Every webhook request Memoria sends carries three headers:

``X-Memoria-Delivery``
    the delivery's UUID; the same on every retry of the same message, so a
    receiver that has seen it already answers 2xx and does nothing more.
``X-Memoria-Timestamp``
    when this attempt was signed, in whole seconds since 1970 (UTC).
``X-Memoria-Signature``
    ``v1=`` followed by the lowercase hex HMAC-SHA256, keyed with the
    channel's shared secret (UTF-8), of ``<timestamp>.<body>``: the timestamp
    header's digits, one full stop, and the request body's exact bytes.

A receiver verifies by recomputing the HMAC over the bytes it received (before
parsing the JSON), comparing in constant time, and refusing a timestamp more
than five minutes away from its own clock (a captured request cannot be
replayed later). ``verify`` does exactly that; it imports nothing but the
standard library, so a receiver can copy this file::

    from memoria.alerts.signing import verify
    if not verify(secret, body, headers["X-Memoria-Timestamp"],
                  headers["X-Memoria-Signature"]):
        return 401
"""

from __future__ import annotations

import hashlib
import hmac
import time

DELIVERY_HEADER = "X-Memoria-Delivery"
TIMESTAMP_HEADER = "X-Memoria-Timestamp"
SIGNATURE_HEADER = "X-Memoria-Signature"
VERSION = "v1"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Memoria-Signature`` value for ``body`` signed at ``timestamp``."""
    message = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def sign(secret: str, body: bytes, delivery_id: str, now: float | None = None) -> dict[str, str]:
    """The headers that sign ``body`` for delivery ``delivery_id``."""
    timestamp = int(time.time() if now is None else now)
    return {
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature_header: str | None,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether ``signature_header`` signs ``body`` at ``timestamp``, within ``tolerance``."""
    if not timestamp or not signature_header or not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(
        expected.encode("ascii"), signature_header.strip().encode("ascii", "replace")
    )
