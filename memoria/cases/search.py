"""Person search over encrypted names, through a blind index.

Names are encrypted, so the database cannot compare them. For every person we
store keyed hashes (``memoria.vault.blind.blind_tokens``) of the search keys
``memoria.names.search_keys`` gives for their name and aliases: normalized
tokens without accents, nicknames expanded ("Lupe" → "Guadalupe") and Spanish
phonetic keys (so "Hernandes" meets "Hernández"), with surnames not tied to
their slot (lists swap and drop them). A query is hashed the same way, word by
word; people are ranked by how many of the query's words they match, then by
how many keys. Only the page of results shown is ever decrypted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Max, Value, When

from memoria.accounts.models import Organization
from memoria.cases.models import Person, PersonSearchToken
from memoria.names import (
    canonical_given_tokens,
    core_tokens,
    is_initial,
    normalize_text,
    phonetic_word,
    search_keys,
)
from memoria.vault.blind import blind_tokens

MAX_QUERY_WORDS = 6
MAX_CANDIDATES = 500
CURP_PREFIX = "curp:"


def pair_keys(given_names: list[str], surnames: list[str]) -> set[str]:
    """Selective keys for two words together: given name + surname, and the two
    surnames in either order (lists swap them), spelled and phonetic."""
    keys = set()
    for given in given_names:
        for surname in surnames:
            keys.add(f"gs:{given}|{surname}")
            keys.add(f"gsp:{phonetic_word(given)}|{phonetic_word(surname)}")
    for first, second in itertools.combinations(sorted(set(surnames)), 2):
        keys.add(f"ss:{first}|{second}")
        phonetic = sorted((phonetic_word(first), phonetic_word(second)))
        keys.add(f"ssp:{phonetic[0]}|{phonetic[1]}")
    return keys


def _given(text: str | None) -> list[str]:
    return [name for name in canonical_given_tokens(text) if not is_initial(name)]


def _surnames(*texts: str | None) -> list[str]:
    return [token for text in texts for token in core_tokens(text) if not is_initial(token)]


def person_keys(person: Person) -> set[str]:
    keys = search_keys(person.given_names, person.paternal_surname, person.maternal_surname)
    keys |= pair_keys(
        _given(person.given_names), _surnames(person.paternal_surname, person.maternal_surname)
    )
    for alias in (person.aliases or "").replace(";", ",").split(","):
        keys |= search_keys(alias)
    if person.curp:
        keys.add(CURP_PREFIX + person.curp.upper())
    return keys


def index_person(person: Person) -> None:
    """Replace the person's blind search keys (call after any change of name)."""
    PersonSearchToken.objects.filter(person=person).delete()
    digests = sorted(set(blind_tokens(person.organization_id, sorted(person_keys(person)))))
    PersonSearchToken.objects.bulk_create(
        PersonSearchToken(organization_id=person.organization_id, person=person, token=digest)
        for digest in digests
    )


def word_keys(word: str) -> set[str]:
    """Every key a query word could match: as a given name or as a surname."""
    keys = search_keys(given_names=word) | search_keys(paternal_surname=word)
    if len(word) == 18:
        keys.add(CURP_PREFIX + word.upper())
    return keys


@dataclass(frozen=True)
class SearchHit:
    person_id: int
    words: int
    keys: int


def search_people(organization: Organization, query: str, limit: int = 50) -> list[SearchHit]:
    """People of ``organization`` whose names match ``query``, best first.

    Two words together are far rarer than either alone ("José Hernández" versus
    every José and every Hernández), so the candidates come first from the pair
    keys of any two query words; only when no pair matches does the search
    fall back to every person matching a single word.
    """
    words = [w for w in core_tokens(normalize_text(query)) if len(w) > 1][:MAX_QUERY_WORDS]
    if not words:
        return []
    tokens = PersonSearchToken.objects.filter(organization=organization)
    pairs = set()
    for first, second in itertools.permutations(words, 2):
        pairs |= pair_keys(_given(first), [second])
        pairs |= pair_keys([], [first, second])
    candidates = None
    if pairs:
        pair_rows = (
            tokens.filter(token__in=blind_tokens(organization.pk, sorted(pairs)))
            .values("person_id")
            .annotate(n=Count("token"))
            .order_by("-n", "-person_id")[:MAX_CANDIDATES]
        )
        candidates = [row["person_id"] for row in pair_rows] or None
    digests_per_word = [blind_tokens(organization.pk, sorted(word_keys(word))) for word in words]
    all_digests = sorted({d for digests in digests_per_word for d in digests})
    word_matches = [
        Max(
            Case(When(token__in=digests, then=Value(1)), default=Value(0)),
            output_field=IntegerField(),
        )
        for digests in digests_per_word
    ]
    words_matched = word_matches[0]
    for expression in word_matches[1:]:
        words_matched = words_matched + expression
    rows = tokens.filter(token__in=all_digests)
    if candidates is not None:
        rows = rows.filter(person_id__in=candidates)
    rows = (
        rows.values("person_id")
        .annotate(words=words_matched, keys=Count("token"))
        .order_by("-words", "-keys", "-person_id")[:limit]
    )
    return [SearchHit(row["person_id"], row["words"], row["keys"]) for row in rows]


def people_for_hits(organization: Organization, hits: list[SearchHit]) -> list[Person]:
    """The people of the hits, in rank order (decrypts only these rows)."""
    people = Person.objects.filter(organization=organization, pk__in=[h.person_id for h in hits])
    by_id = {person.pk: person for person in people.prefetch_related("acts__event")}
    return [by_id[hit.person_id] for hit in hits if hit.person_id in by_id]
