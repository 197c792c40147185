"""Splitting and canonicalizing Spanish personal names.

A Mexican civil name is one or more given names followed by the paternal and
the maternal surname: ``María de la Luz | Hernández | García``. Lists break
this in predictable ways: a single "full name" column, surnames first with a
comma (``HERNANDEZ GARCIA, JOSE LUIS``), only the paternal surname, an initial
for the second given name, or a nickname.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memoria.names.nicknames import NICKNAMES
from memoria.names.normalize import JOINERS, PARTICLES, core_tokens, normalize_text, tokens

# Diminutive endings that Mexican Spanish adds to a whole given name
# (Juanito, Rosita, Carlitos, Lupita is in the table). Tried only when the
# token is not itself a known name, so "Benito" or "Anita" (a name) survive.
_DIMINUTIVE = re.compile(r"^(?P<stem>[a-z]{3,})(?:it[oa]s?|cit[oa])$")

# Given names that are themselves often written as nickname-like stems; the
# diminutive rule leaves them alone.
_NOT_DIMINUTIVES = frozenset({"benito", "anita", "margarita", "rosita", "juanita", "carlitos"})


@dataclass(frozen=True)
class PersonName:
    """A name split into its parts, each normalized (see ``normalize_text``).

    Empty strings stand for missing parts. ``given_names`` may hold several
    names and initials ("jose l").
    """

    given_names: str = ""
    paternal_surname: str = ""
    maternal_surname: str = ""

    @property
    def full(self) -> str:
        """The normalized name in civil order."""
        parts = (self.given_names, self.paternal_surname, self.maternal_surname)
        return " ".join(p for p in parts if p)


def _e_joins(following: list[str]) -> bool:
    """Spanish writes "e" for "y" only before an /i/ sound (Ortega e Ibarra,
    Rubio e Hinojosa); before anything else a lone "e" is an initial."""
    return (
        bool(following)
        and following[0].startswith(("i", "hi"))
        and not following[0].startswith("hie")
    )


def _group_particles(words: list[str]) -> list[str]:
    """Join particles with the word they introduce: de la cruz -> one group.

    A joiner ("y") between two words glues them into one compound surname
    (ortega y gasset).
    """
    groups: list[str] = []
    pending: list[str] = []
    glue_to_previous = False
    for i, word in enumerate(words):
        if word == "e" and not _e_joins(words[i + 1 : i + 2]):
            # Not "Ortega e Ibarra" but an initial: "Sergio E. Esparza".
            groups.append(" ".join([*pending, word]))
            pending = []
            continue
        if word in JOINERS and groups and not pending:
            glue_to_previous = True
            continue
        if word in PARTICLES:
            pending.append(word)
            continue
        group = " ".join([*pending, word])
        pending = []
        if glue_to_previous:
            groups[-1] = f"{groups[-1]} y {group}"
            glue_to_previous = False
        else:
            groups.append(group)
    if pending:  # trailing particles ("hernandez de"): keep them, do not lose data
        groups.append(" ".join(pending))
    return groups


def split_full_name(full_name: str | None) -> PersonName:
    """Split a full name written in civil order into given names and surnames.

    The last two word groups are taken as the paternal and maternal surnames,
    the rest as given names; with only two groups the second is the paternal
    surname. ``"SURNAMES, GIVEN NAMES"`` with a comma is also understood.
    Ambiguity is unavoidable ("Juan Carlos Ramos" could be one surname or
    two given names), so linkage also compares surnames regardless of slot.

    >>> split_full_name("José Luis Hernández García")
    PersonName(given_names='jose luis', paternal_surname='hernandez', maternal_surname='garcia')
    >>> split_full_name("HERNANDEZ GARCIA, JOSE LUIS").paternal_surname
    'hernandez'
    """
    if full_name is None:
        return PersonName()
    if "," in str(full_name):
        surnames, _, given = str(full_name).partition(",")
        groups = _group_particles(tokens(surnames))
        return PersonName(
            given_names=normalize_text(given),
            paternal_surname=groups[0] if groups else "",
            maternal_surname=" ".join(groups[1:]),
        )
    groups = _group_particles(tokens(full_name))
    if len(groups) <= 1:
        return PersonName(given_names=" ".join(groups))
    if len(groups) == 2:
        return PersonName(given_names=groups[0], paternal_surname=groups[1])
    return PersonName(
        given_names=" ".join(groups[:-2]),
        paternal_surname=groups[-2],
        maternal_surname=groups[-1],
    )


def parse_name(
    given_names: str | None = None,
    paternal_surname: str | None = None,
    maternal_surname: str | None = None,
    full_name: str | None = None,
) -> PersonName:
    """Build a :class:`PersonName` from separate parts or from a full name.

    Separate parts win when any is present; otherwise ``full_name`` is split
    with :func:`split_full_name`.
    """
    parts = (normalize_text(given_names), normalize_text(paternal_surname))
    maternal = normalize_text(maternal_surname)
    if any(parts) or maternal:
        return PersonName(parts[0], parts[1], maternal)
    return split_full_name(full_name)


def canonical_given_name(token: str) -> tuple[str, ...]:
    """The civil given names a single normalized token may stand for.

    ``"lupita" -> ("guadalupe",)``, ``"beto" -> ("alberto", "roberto", ...)``,
    ``"juanito" -> ("juan",)``; an ordinary name maps to itself. Compound
    expansions ("chema" -> "jose maria") are returned as one string.
    """
    if token in NICKNAMES:
        return NICKNAMES[token]
    match = _DIMINUTIVE.match(token)
    if match and token not in _NOT_DIMINUTIVES:
        stem = match.group("stem")
        if stem in NICKNAMES:  # Chuyito -> chuy -> jesus
            return NICKNAMES[stem]
        # Juanito -> juan, Pedrito -> pedro, Carmelita -> carmela, Marito ->
        # mario: the stem alone or with the gendered vowel (or -io); the wrong
        # guesses are harmless because they only ever meet other spellings of
        # the same name.
        return (stem, f"{stem}o", f"{stem}a", f"{stem}io")
    return (token,)


def canonical_given_tokens(given_names: str | None) -> list[str]:
    """Canonical given-name tokens in order, nicknames expanded, no particles.

    Initials are kept (a single letter still agrees with the name it
    abbreviates, see :func:`memoria.names.compare.given_names_agree`).

    >>> canonical_given_tokens("Lupita")
    ['guadalupe']
    >>> canonical_given_tokens("María de la Luz")
    ['maria', 'luz']
    """
    result: list[str] = []
    for token in core_tokens(given_names):
        for name in canonical_given_name(token):
            for part in name.split():
                if part not in PARTICLES and part not in result:
                    result.append(part)
    return result


def first_given_name(given_names: str | None) -> str:
    """Canonical form of the first given name, the one a person is called by
    most often in official lists ("" when missing).

    A nickname expanding to several names yields the first of them; use
    :func:`canonical_given_tokens` to keep all.
    """
    core = core_tokens(given_names)
    if not core:
        return ""
    return canonical_given_name(core[0])[0].split()[0]
