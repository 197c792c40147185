"""Reading a full name whose order is not stated: given names first or surnames first.

Official Mexican lists often write the whole name in one column, surnames
first and without a comma ("HERNANDEZ GARCIA JOSE LUIS", "TORRES JORGE");
press notes and families write it in civil order ("José Luis Hernández
García"). Nothing in the text says which. :class:`NameEvidence` decides from
how often each word is seen as a given name and as a surname: in the tables
of :mod:`memoria.names.frequencies` and :mod:`memoria.names.nicknames`, and in
the lists being read (their separate given-name and surname columns). Words
are counted by their phonetic key, so a misspelled "HERNANDES" still counts
as a surname.

A name whose own words do not decide (two rare words, or two words that are
both given names and surnames: "MARTIN TOMAS") takes the order most of its
list uses, and :meth:`NameEvidence.other_reading` gives the other order, which
linkage keeps as a second reading of the record (``memoria.linkage.features``).
The same evidence reads two other things lists do:

* a married woman written with "de" and her husband's surname ("María López
  de Hernández", "GUTIERREZ DE SANCHEZ CLAUDIA", a maternal surname column
  holding "DE SANCHEZ"): the husband's surname is dropped, since another
  list will not have it; a man's "de León" is his surname and is kept;
* a compound given name split across columns ("JOSE" | "LUIS HERNANDEZ" |
  "GARCIA"): a leading given name in the surname column moves back to the
  given names.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from memoria.names.frequencies import COMMON_GIVEN_NAMES, COMMON_SURNAMES
from memoria.names.nicknames import NICKNAMES
from memoria.names.normalize import PARTICLES, normalize_text, tokens
from memoria.names.parse import PersonName, _group_particles, canonical_given_name
from memoria.names.phonetic import phonetic_word
from memoria.names.search import deletion_neighbourhood

# How many sightings in a list a table entry is worth.
TABLE_WEIGHT = 20.0
# log ratio (given / surname) beyond which a word is read as one or the other.
GIVEN_LIKE = 1.0
# A middle word is read as a second given name ("Jose LUIS Hernandez") only
# beyond this: words that are both (Félix, Santiago, Cruz) stay surnames.
SECOND_GIVEN = 2.0
# Difference of log ratios that decides the order of one name on its own.
DECISIVE = 1.5
# Share of a list's decided names in one order that makes it the list's order.
LIST_MAJORITY = 0.7

# A group opened by these is a surname (San Juan, Santa Cruz), whatever its head.
SAINTS = frozenset({"san", "santa", "santo"})
SAINT_SURNAME = -3.0

_WIDOW = re.compile(r"\b(?:vda|viuda|viud)\s+de\b")


@lru_cache(maxsize=200_000)
def _key(word: str) -> str:
    return phonetic_word(word)


def _head(group: str) -> str:
    """The word of a group that carries its meaning: "de la cruz" -> "cruz"."""
    words = [w for w in group.split() if w not in PARTICLES]
    return words[-1] if words else group


def _opens_with_particle(given_names: str) -> bool:
    words = given_names.split()
    return bool(words) and words[0] in PARTICLES and words[0] not in SAINTS


@dataclass(frozen=True)
class Reading:
    """A name read from one column, and whether the order was surnames first."""

    name: PersonName
    surname_first: bool


class NameEvidence:
    """How strongly each word is a given name rather than a surname."""

    def __init__(self, given: Counter[str] | None = None, surname: Counter[str] | None = None):
        self.given: Counter[str] = Counter()
        self.surname: Counter[str] = Counter()
        for name in COMMON_GIVEN_NAMES:
            self.given[_key(name)] += TABLE_WEIGHT
        for nickname, names in NICKNAMES.items():
            self.given[_key(nickname)] += TABLE_WEIGHT
            for name in names:
                for word in name.split():
                    if word not in PARTICLES:
                        self.given[_key(word)] += TABLE_WEIGHT
        for common in COMMON_SURNAMES:
            for word in tokens(common):
                if word not in PARTICLES:
                    self.surname[_key(word)] += TABLE_WEIGHT
        self.given.update(given or {})
        self.surname.update(surname or {})
        self._cache: dict[str, float] = {}

    @classmethod
    def from_columns(
        cls, given_values: Iterable[str | None], surname_values: Iterable[str | None]
    ) -> NameEvidence:
        """Tables plus the words of the lists' separate name columns."""
        given: Counter[str] = Counter()
        surname: Counter[str] = Counter()
        for counter, values in ((given, given_values), (surname, surname_values)):
            for value, count in Counter(v for v in values if v).items():
                for word in tokens(value):
                    if word not in PARTICLES and len(word) > 1:
                        counter[_key(word)] += count
        return cls(given, surname)

    def given_score(self, word: str) -> float:
        """log of (sightings as a given name + 1/2) / (as a surname + 1/2)."""
        if word in self._cache:
            return self._cache[word]
        if len(word) == 1:  # an initial: a given name
            score = 3.0
        else:
            key = _key(word)
            score = math.log((self.given[key] + 0.5) / (self.surname[key] + 0.5))
            if canonical_given_name(word) != (word,):  # a nickname or diminutive
                score = max(score, GIVEN_LIKE + 0.5)
        self._cache[word] = score
        return score

    def group_score(self, group: str) -> float:
        if group.split()[0] in SAINTS and " " in group:
            # "San Juan", "Santa Cruz", "San Martín": a saint's name is a surname; as a
            # given name it is written alone ("Juan"), never after "San".
            return SAINT_SURNAME
        head = _head(group)
        if head == "o" and head != group:
            # "de la O" is a surname, though its head is one letter like an initial;
            # other letters after particles are given names abbreviated ("de J.":
            # de Jesús, "de la L.": de la Luz).
            return SAINT_SURNAME
        return self.given_score(head)

    def order_score(self, groups: list[str]) -> float:
        """Positive for civil order (given names first), negative for surnames first."""
        return self.group_score(groups[0]) - self.group_score(groups[-1])

    def is_married_group(self, group: str, female_or_unknown: bool) -> bool:
        """ "de hernandez" after a woman's own surnames: her husband's surname."""
        words = group.split()
        return (
            female_or_unknown
            and len(words) == 2
            and words[0] == "de"
            and words[1] not in PARTICLES
            and self.given_score(words[1]) < GIVEN_LIKE
        )

    def _groups(self, text: str, female_or_unknown: bool, surname_first: bool) -> list[str]:
        groups = _group_particles(_WIDOW.sub("de", normalize_text(text)).split())
        # A husband's "de X" is never the first group of either order.
        while len(groups) >= 3:
            married = [
                i
                for i, g in enumerate(groups)
                if i > 0 and self.is_married_group(g, female_or_unknown)
            ]
            if not married:
                break
            del groups[married[-1]]
        return groups

    def read_full_name(
        self, full_name: str | None, sex: str | None = None, list_surname_first: bool = False
    ) -> tuple[Reading, bool]:
        """Read one full name; the flag says whether its own words decided the order."""
        text = normalize_text(full_name)
        if not text:
            return Reading(PersonName(), False), False
        female_or_unknown = sex != "male"
        groups = _group_particles(_WIDOW.sub("de", text).split())
        if len(groups) <= 1:
            return Reading(PersonName(given_names=" ".join(groups)), False), False
        score = self.order_score(groups)
        decided = abs(score) >= DECISIVE
        surname_first = score < 0 if decided else list_surname_first
        name = self._read(self._groups(text, female_or_unknown, surname_first), surname_first)
        if _opens_with_particle(name.given_names):
            # Given names never open with "de": "Ramiro Castro de Jesús" is not
            # Ramiro · Castro as surnames and "de Jesús" as the given name,
            # however given-like "Jesús" is.
            other = self._read(
                self._groups(text, female_or_unknown, not surname_first), not surname_first
            )
            if not _opens_with_particle(other.given_names):
                return Reading(other, not surname_first), True
        return Reading(name, surname_first), decided

    def other_reading(
        self, full_name: str | None, reading: Reading, sex: str | None = None
    ) -> PersonName | None:
        """``full_name`` read in the order ``reading`` did not take, or None
        when that gives the same parts (one word, or no name)."""
        text = normalize_text(full_name)
        if not text:
            return None
        surname_first = not reading.surname_first
        groups = self._groups(text, sex != "male", surname_first)
        if len(groups) <= 1:
            return None
        name = self._read(groups, surname_first)
        return None if name == reading.name else name

    def _read(self, groups: list[str], surname_first: bool) -> PersonName:
        if len(groups) == 1:
            return PersonName(given_names=groups[0])
        if surname_first:
            if len(groups) == 2 or self.group_score(groups[1]) >= SECOND_GIVEN:
                return PersonName(" ".join(groups[1:]), groups[0], "")
            return PersonName(" ".join(groups[2:]), groups[0], groups[1])
        if len(groups) == 2 or self.group_score(groups[-2]) >= SECOND_GIVEN:
            return PersonName(" ".join(groups[:-1]), groups[-1], "")
        return PersonName(" ".join(groups[:-2]), groups[-2], groups[-1])

    def mend_columns(self, name: PersonName, sex: str | None = None) -> PersonName:
        """Fix separate columns: a husband's "de X", a given name in the surname column."""
        given, paternal, maternal = name.given_names, name.paternal_surname, name.maternal_surname
        if " " not in paternal and (not maternal or "de " not in maternal):
            return name  # nearly every record: nothing to mend
        female_or_unknown = sex != "male"
        if maternal:
            groups = _group_particles(_WIDOW.sub("de", maternal).split())
            kept = [g for g in groups if not self.is_married_group(g, female_or_unknown)]
            if len(kept) != len(groups):
                maternal = " ".join(kept[:1])
        if paternal:
            groups = _group_particles(_WIDOW.sub("de", paternal).split())
            if len(groups) >= 2:
                kept = [groups[0]] + [
                    g for g in groups[1:] if not self.is_married_group(g, female_or_unknown)
                ]
                if (
                    len(kept) >= 2
                    and self.group_score(kept[0]) >= GIVEN_LIKE + 1
                    and self.group_score(kept[1]) < GIVEN_LIKE
                ):
                    given = f"{given} {kept[0]}".strip()
                    kept = kept[1:]
                paternal = " ".join(kept)
        if (given, paternal, maternal) == (
            name.given_names,
            name.paternal_surname,
            name.maternal_surname,
        ):
            return name
        return PersonName(given, paternal, maternal)


@lru_cache(maxsize=1)
def _known_neighbourhood() -> frozenset[str]:
    known = set(COMMON_GIVEN_NAMES) | set(NICKNAMES)
    return frozenset(key for name in known for key in deletion_neighbourhood(name))


@lru_cache(maxsize=50_000)
def is_known_given_name(word: str) -> bool:
    """True for a civil given name of the tables, a listed nickname, a
    diminutive of either (Lupita, Juanito) or any of these with one typo
    (Mariia, Jsus); False for a word the tables do not know (a nickname
    outside them, a name garbled beyond a typo, a rare name)."""
    if word in COMMON_GIVEN_NAMES or word in NICKNAMES:
        return True
    if any(name.split()[0] in COMMON_GIVEN_NAMES for name in canonical_given_name(word)):
        return True
    return not deletion_neighbourhood(word).isdisjoint(_known_neighbourhood())


def list_order(decided_surname_first: list[bool]) -> bool:
    """Whether a list writes surnames first, from the names whose words decided."""
    if not decided_surname_first:
        return False
    share = sum(decided_surname_first) / len(decided_surname_first)
    return share >= LIST_MAJORITY
