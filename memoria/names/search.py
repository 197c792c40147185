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

# Typo keys (see :func:`typo_keys`) are made only for tokens of this many letters:
# shorter ones would meet too many other names one letter away ("ruiz", "ruz",
# "cruz"); longer ones are rare and capped so one token never gives more than
# TYPO_MAX_LENGTH + 1 keys.
TYPO_MIN_LENGTH = 5
TYPO_MAX_LENGTH = 20


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


def deletion_neighbourhood(token: str) -> set[str]:
    """The token and every string made by deleting one of its letters (SymSpell).

    Two spellings one typo apart share at least one of these: a dropped letter
    ("hernadez" is in the neighbourhood of "hernandez"), an added one (the
    other way round), a wrong letter or two swapped neighbours (deleting the
    wrong or swapped letter from both gives the same string). Empty for tokens
    shorter than ``TYPO_MIN_LENGTH`` or longer than ``TYPO_MAX_LENGTH``.

    >>> sorted(deletion_neighbourhood("perez"))
    ['erez', 'peez', 'pere', 'perez', 'perz', 'prez']
    """
    if not TYPO_MIN_LENGTH <= len(token) <= TYPO_MAX_LENGTH:
        return set()
    return {token} | {token[:i] + token[i + 1 :] for i in range(len(token))}


def typo_keys(
    given_names: str | None = None,
    paternal_surname: str | None = None,
    maternal_surname: str | None = None,
) -> set[str]:
    """Keys that let a name be found with one letter dropped, added, wrong or swapped.

    ``t:<variant>`` for every variant in the :func:`deletion_neighbourhood` of
    each canonical given name and each surname token (not tied to a slot, like
    :func:`search_keys`). At most ``TYPO_MAX_LENGTH + 1`` keys per token.

    >>> "t:hernadez" in typo_keys("Ana", "Hernández")
    True
    """
    names = [*canonical_given_tokens(given_names)]
    for surname in (paternal_surname, maternal_surname):
        names.extend(core_tokens(surname))
    return {f"t:{variant}" for name in names for variant in deletion_neighbourhood(name)}


def typo_query_keys(word: str) -> set[str]:
    """The typo keys a normalized query word looks up.

    The word itself (from four letters: a five-letter name with a letter
    dropped) and, when it is long enough to be indexed, its own deletions.

    >>> typo_keys("", "Hernández") & typo_query_keys("hernadez") != set()
    True
    >>> typo_keys("", "Hernández") & typo_query_keys("henrandez") != set()
    True
    """
    keys = set()
    if TYPO_MIN_LENGTH - 1 <= len(word) <= TYPO_MAX_LENGTH + 1:
        keys.add(f"t:{word}")
    if TYPO_MIN_LENGTH <= len(word) <= TYPO_MAX_LENGTH + 1:
        keys.update(f"t:{word[:i] + word[i + 1 :]}" for i in range(len(word)))
    return keys
