"""Search keys of a person's name, for blind indexes.

The web platform encrypts names at rest and cannot search the ciphertext. It
stores, next to each record, a keyed hash (a "blind index") of every key that
:func:`search_keys` returns, and searches by hashing the keys of the query the
same way. The function is therefore pure and stable: the same name always
gives the same keys, and changing the rules below means re-indexing.
"""

from __future__ import annotations

from memoria.names.normalize import core_tokens, is_initial
from memoria.names.parse import canonical_given_tokens
from memoria.names.phonetic import phonetic_word


def search_keys(
    given_names: str | None = None,
    paternal_surname: str | None = None,
    maternal_surname: str | None = None,
) -> set[str]:
    """Normalized tokens and phonetic keys of a name, tagged by kind.

    * ``g:<name>`` and ``gp:<phonetic>`` for every canonical given name
      (nicknames expanded: "Lupe" gives ``g:guadalupe``);
    * ``s:<surname>`` and ``sp:<phonetic>`` for every surname token, without
      particles and without saying which slot it came from, because lists
      swap and drop surnames.

    Initials give no key: a single letter would match a fifth of all records.

    >>> sorted(search_keys("Lupe", "Hernández"))
    ['g:guadalupe', 'gp:GUADALUPE', 's:hernandez', 'sp:ERNANDES']
    >>> search_keys("lupe", "hernández") <= search_keys("Guadalupe", "Hernandez", "Ruiz")
    True
    """
    keys: set[str] = set()
    for name in canonical_given_tokens(given_names):
        if not is_initial(name):
            keys.update({f"g:{name}", f"gp:{phonetic_word(name)}"})
    for surname in (paternal_surname, maternal_surname):
        for token in core_tokens(surname):
            if not is_initial(token):
                keys.update({f"s:{token}", f"sp:{phonetic_word(token)}"})
    return keys
