"""Blind indexes: search encrypted names without storing them in clear.

``blind_tokens(organization_id, tokens)`` returns, for each token, a keyed
hash: HMAC-SHA256 under the organization's blind-index key, truncated to
``BLIND_INDEX_HEX`` hexadecimal characters (64 bits). The cases app stores
these digests for the normalized name tokens and Spanish phonetic keys of a
person, and looks a query up by hashing its tokens the same way.

What the index leaks (see docs/security.md): within one organization, equal
tokens have equal digests, so a copy of the database shows which records share
a name token (or a phonetic key) and how frequent each token is. That allows
frequency analysis: the most common digest is probably "maria" or "hernandez".
It does not let anyone test a guessed name without the key (the key derives
from the organization's data key, which is wrapped by the master key), and
digests of different organizations are unrelated. The truncation keeps
accidental collisions negligible (one in 2**64 per pair) and is not a privacy
measure.

The index key derives (HKDF) from the organization's first data key, so it
survives data-key rotation unchanged and existing indexes stay valid.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable

from memoria.vault.keys import index_key

BLIND_INDEX_HEX = 16


def canonical_token(token: str) -> str:
    """The form hashed: NFC, case-folded, trimmed (idempotent on normalized tokens)."""
    return unicodedata.normalize("NFC", token).casefold().strip()


def blind_tokens(organization_id: int, tokens: Iterable[str], kind: str = "") -> list[str]:
    """One digest per token, in order (duplicates included).

    ``kind`` separates namespaces, e.g. ``kind="phonetic"`` so a phonetic key never
    matches a name token with the same spelling; the default suits plain tokens.
    """
    key = index_key(organization_id)
    prefix = f"{kind}\x00".encode()
    return [
        hmac.new(key, prefix + canonical_token(token).encode(), hashlib.sha256).hexdigest()[
            :BLIND_INDEX_HEX
        ]
        for token in tokens
    ]
