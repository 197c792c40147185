"""Spanish name handling for Memoria: normalization, splitting, nicknames and
a Spanish phonetic key.

Import from here; the submodules are internal and may move.

>>> from memoria.names import parse_name, phonetic_key, search_keys
>>> parse_name(full_name="José Luis Hernández García").paternal_surname
'hernandez'
>>> search_keys("Lupe", "Hernández") & search_keys("Guadalupe", "Hernandez") != set()
True

This package imports no Django and nothing from the web platform.
"""

from __future__ import annotations

from memoria.names.nicknames import NICKNAMES
from memoria.names.normalize import core_tokens, is_initial, normalize_text, strip_accents, tokens
from memoria.names.parse import (
    PersonName,
    canonical_given_name,
    canonical_given_tokens,
    first_given_name,
    parse_name,
    split_full_name,
)
from memoria.names.phonetic import phonetic_key, phonetic_word
from memoria.names.search import (
    deletion_neighbourhood,
    search_keys,
    typo_keys,
    typo_query_keys,
)

__all__ = [
    "NICKNAMES",
    "PersonName",
    "canonical_given_name",
    "canonical_given_tokens",
    "core_tokens",
    "deletion_neighbourhood",
    "first_given_name",
    "is_initial",
    "normalize_text",
    "parse_name",
    "phonetic_key",
    "phonetic_word",
    "search_keys",
    "split_full_name",
    "strip_accents",
    "tokens",
    "typo_keys",
    "typo_query_keys",
]
