"""This installation's identity for exchange: created on first use in the data directory.

``<data dir>/keys/exchange-identity.json`` holds the installation id and its two
private keys (Ed25519, X25519), mode 0600 in the 0700 ``keys`` folder, like
the master key. It is not in the database, so a database copied to start
another installation does not copy the identity. Losing it means partners
must register the new public keys; it holds no key to any record.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from memoria.exchange.bundle import BundleError, Identity

FILE_NAME = "exchange-identity.json"


def identity_path() -> Path:
    return Path(settings.DATA_DIR) / "keys" / FILE_NAME


def load_identity(*, create: bool = True) -> Identity:
    """The installation's identity, generated the first time (never overwritten).

    Sending and receiving pass ``create=False``: a missing file there means a
    lost identity (or the wrong data directory), and a new one made silently
    would sign what partners refuse and open nothing sent to the old one.
    """
    path = identity_path()
    if path.exists():
        return Identity.from_json(path.read_text(encoding="utf-8"))
    if not create:
        raise BundleError(
            f"this installation has no exchange identity at {path}: if it was lost, create one "
            "with `memoria exchange identity` and have each partner replace its keys"
        )
    identity = Identity.generate()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: use theirs
        return Identity.from_json(path.read_text(encoding="utf-8"))
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(identity.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return identity
