"""This installation's identity for exchange: created on first use in the data directory.

``<data dir>/keys/exchange-identity.json`` holds the installation id and its two
private keys (Ed25519, X25519), mode 0600 in the 0700 ``keys`` folder, like
the master key. A file group or others may read or write is refused when
loaded (``chmod 600`` fixes it): whoever can read it can sign as this
installation and open what partners send it. It is not in the database, so
a database copied to start another installation does not copy the identity.
Losing it means partners must register the new public keys; it holds no key
to any record.
"""

from __future__ import annotations

import os
import stat
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
        return _read(path)
    if not create:
        raise BundleError(
            f"this installation has no exchange identity at {path}: if it was lost, create one "
            "with `memoria exchange identity` and have each partner replace its keys",
            "no_identity",
        )
    identity = Identity.generate()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: use theirs
        return _read(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(identity.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return identity


def _read(path: Path) -> Identity:
    """The identity in ``path``, refused if group or others have any access to the file."""
    with open(path, encoding="utf-8") as handle:
        mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
        if mode & 0o077:
            raise BundleError(
                f"the exchange identity file {path} has mode {mode:04o}: other users of this "
                f"server could read its private keys. Run `chmod 600 {path}` (and check who "
                "could have copied it: if anyone may have, make a new identity)",
                "no_identity",
            )
        return Identity.from_json(handle.read())
