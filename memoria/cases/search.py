"""Person search over encrypted names, through a blind index.

Names are encrypted, so the database cannot compare them. For every person we
store keyed hashes (``memoria.vault.blind.blind_tokens``) of the search keys
``memoria.names.search_keys`` gives for their name and aliases: normalized
tokens without accents, nicknames expanded ("Lupe" → "Guadalupe") and Spanish
phonetic keys (so "Hernandes" meets "Hernández"), with surnames not tied to
their slot (lists swap and drop them). Typo keys (``memoria.names.typo_keys``:
each name token with one letter deleted, SymSpell-style) let "Hernadez" or
"Hernádnez" meet "Hernández" too, and the CURP is a key of its own.

A query is hashed the same way, word by word; people are ranked by how many of
the query's words they match, then by how many they match exactly or
phonetically (a match by typo keys alone ranks below), then by how many keys.
Only the page of results shown is ever decrypted.

Changing the keys a person gets means rebuilding the index of the people
already recorded: ``memoria reindex`` (``rebuild_search_index``).
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
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
    typo_keys,
    typo_query_keys,
)
from memoria.vault.blind import BLIND_INDEX_HEX, blind_tokens

MAX_QUERY_WORDS = 6
MAX_CANDIDATES = 500
CURP_PREFIX = "curp:"
# The shape of a CURP (four letters, birth date, sex, state, consonants, two
# check characters); the form validates it fully, the search only has to tell
# a CURP from a name before the name normalization drops its digits.
CURP_QUERY = re.compile(r"[A-ZÑ]{4}\d{6}[A-ZÑ]{6}[A-Z\d]\d")
# Every person has at least this many index rows: real keys, then random
# padding that matches no query. Unpadded, the count of a person's rows follows
# the length of their name (2 to 67 rows in the demo, median 35), which a copy
# of the database shows. A longer name is padded to the next multiple of
# PADDING_STEP, so only very long names stand out, and only coarsely.
PADDED_KEYS = 72
PADDING_STEP = 24
# A query word matching exactly at least this many people is spelled as the
# records spell it: looking its typo neighbours up too would scan many more
# index rows only to add matches ranked below all of those.
COMMON_WORD = MAX_CANDIDATES


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
    keys |= typo_keys(person.given_names, person.paternal_surname, person.maternal_surname)
    for alias in (person.aliases or "").replace(";", ",").split(","):
        keys |= search_keys(alias)
    if person.curp:
        keys.add(curp_key(person.curp))
    return keys


def curp_key(curp: str) -> str:
    return CURP_PREFIX + curp.strip().upper()


def padded(digests: set[str]) -> list[str]:
    """The digests and random ones up to ``PADDED_KEYS`` (or the next ``PADDING_STEP``), sorted.

    A random digest has the length of a real one and, being random, no query
    ever hashes to it (one chance in 2**64), so padding changes no search result.
    """
    target = max(PADDED_KEYS, -(-len(digests) // PADDING_STEP) * PADDING_STEP)
    rows = set(digests)
    while len(rows) < target:
        rows.add(secrets.token_hex(BLIND_INDEX_HEX // 2))
    return sorted(rows)


def index_person(person: Person) -> None:
    """Replace the person's blind search keys (call after any change of name)."""
    PersonSearchToken.objects.filter(person=person).delete()
    digests = padded(set(blind_tokens(person.organization_id, sorted(person_keys(person)))))
    PersonSearchToken.objects.bulk_create(
        PersonSearchToken(organization_id=person.organization_id, person=person, token=digest)
        for digest in digests
    )


def index_people(organization, people: list) -> None:
    """Write the blind search keys of newly created people in bulk.

    The same keys as ``index_person`` (which deletes and rewrites one
    person's keys), hashed in one call instead of one per person: imports, the
    demo and ``rebuild_search_index`` use it.
    """
    keys_per_person = [sorted(person_keys(person)) for person in people]
    digests = iter(blind_tokens(organization.pk, [k for keys in keys_per_person for k in keys]))
    rows = []
    for person, keys in zip(people, keys_per_person, strict=True):
        for digest in padded({next(digests) for _ in keys}):
            rows.append(
                PersonSearchToken(
                    organization_id=organization.pk, person_id=person.pk, token=digest
                )
            )
    PersonSearchToken.objects.bulk_create(rows, batch_size=2000)


def word_keys(word: str) -> set[str]:
    """Every exact or phonetic key a query word could match: as a given name or a surname."""
    return search_keys(given_names=word) | search_keys(paternal_surname=word)


def split_query(query: str) -> tuple[list[str], list[str]]:
    """The CURPs in the query (upper case), and its name words (normalized)."""
    curps, rest = [], []
    for piece in query.split():
        candidate = piece.strip(".,;:()[]\"'").upper()
        if CURP_QUERY.fullmatch(candidate):
            curps.append(candidate)
        else:
            rest.append(piece)
    words = [w for w in core_tokens(normalize_text(" ".join(rest))) if len(w) > 1]
    return curps[:MAX_QUERY_WORDS], words[:MAX_QUERY_WORDS]


@dataclass(frozen=True)
class SearchHit:
    person_id: int
    words: int
    keys: int
    exact_words: int = 0


@dataclass
class _QueryTerm:
    """One word (or CURP) of a query: the digests it matches exactly, and by typo."""

    exact: list[str]
    typo: list[str]


def _hash_all(organization: Organization, key_sets: list[set[str]]) -> list[list[str]]:
    """The digests of several sets of keys, in one call (one look-up of the index key)."""
    ordered = [sorted(keys) for keys in key_sets]
    flat = blind_tokens(organization.pk, [key for keys in ordered for key in keys])
    digests, start = [], 0
    for keys in ordered:
        digests.append(flat[start : start + len(keys)])
        start += len(keys)
    return digests


def _query_pair_keys(words: list[str]) -> set[str]:
    pairs = set()
    for first, second in itertools.permutations(words, 2):
        pairs |= pair_keys(_given(first), [second])
        pairs |= pair_keys([], [first, second])
    return pairs


def _pair_candidates(tokens, pair_digests: list[str]) -> list[int] | None:
    """People matching two query words together, or None when no pair matches anyone."""
    if not pair_digests:
        return None
    pair_rows = (
        tokens.filter(token__in=pair_digests)
        .values("person_id")
        .annotate(n=Count("token"))
        .order_by("-n", "-person_id")[:MAX_CANDIDATES]
    )
    return [row["person_id"] for row in pair_rows] or None


def _is_common(tokens, spelled_digests: list[str]) -> bool:
    """Whether at least ``COMMON_WORD`` people have the word spelled as it is."""
    spelled = tokens.filter(token__in=spelled_digests).values("person_id")
    return spelled[:COMMON_WORD].count() >= COMMON_WORD


def _matched(digests: list[str]):
    """1 for a person with any of ``digests``, else 0 (per person, in a GROUP BY)."""
    return Max(
        Case(When(token__in=digests, then=Value(1)), default=Value(0)),
        output_field=IntegerField(),
    )


def _total(expressions: list):
    total = expressions[0]
    for expression in expressions[1:]:
        total = total + expression
    return total


def search_people(organization: Organization, query: str, limit: int = 50) -> list[SearchHit]:
    """People of ``organization`` whose names (or CURP) match ``query``, best first.

    Two words together are far rarer than either alone ("José Hernández" versus
    every José and every Hernández), so the candidates come first from the pair
    keys of any two query words; only when no pair matches does the search
    fall back to every person matching a single word, exactly, phonetically
    or by a typo key.
    """
    curps, words = split_query(query)
    if not curps and not words:
        return []
    tokens = PersonSearchToken.objects.filter(organization=organization)
    key_sets = [_query_pair_keys(words)] + [{curp_key(curp)} for curp in curps]
    for word in words:
        key_sets += [word_keys(word), typo_query_keys(word), {f"g:{word}", f"s:{word}"}]
    pair_digests, *digests = _hash_all(organization, key_sets)
    candidates = _pair_candidates(tokens, pair_digests)
    terms = [_QueryTerm(curp_digests, []) for curp_digests in digests[: len(curps)]]
    word_digests = digests[len(curps) :]
    for start in range(0, len(word_digests), 3):
        exact, typo, spelled = word_digests[start : start + 3]
        if typo and _is_common(tokens, spelled):
            typo = []  # spelled as the records spell it; its typo neighbours would rank lower
        terms.append(_QueryTerm(exact, typo))
    all_digests = sorted({d for term in terms for d in [*term.exact, *term.typo]})
    rows = tokens.filter(token__in=all_digests)
    if candidates is not None:
        rows = rows.filter(person_id__in=candidates)
    rows = (
        rows.values("person_id")
        .annotate(
            words=_total([_matched([*term.exact, *term.typo]) for term in terms]),
            exact_words=_total([_matched(term.exact) for term in terms]),
            keys=Count("token"),
        )
        .order_by("-words", "-exact_words", "-keys", "-person_id")[:limit]
    )
    return [
        SearchHit(row["person_id"], row["words"], row["keys"], row["exact_words"]) for row in rows
    ]


def rebuild_search_index(
    organization: Organization,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rewrite the blind search keys of every person of ``organization``; return how many.

    For people recorded before the keys changed (the typo keys, for one). One
    transaction per batch, so a large organization is never locked for long
    and an interrupted run can simply be started again; each batch is locked
    while it is rewritten, so an edit saved meanwhile is indexed once, by
    whichever comes last. Names are decrypted in this process only.
    """
    people = Person.objects.filter(organization=organization).only(
        "organization", "given_names", "paternal_surname", "maternal_surname", "aliases", "curp"
    )
    total = people.count()
    done, last = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                people.select_for_update(no_key=True)
                .filter(pk__gt=last)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return done
            PersonSearchToken.objects.filter(person__in=[person.pk for person in batch]).delete()
            index_people(organization, batch)
        done += len(batch)
        last = batch[-1].pk
        if progress:
            progress(done, max(total, done))


def people_for_hits(organization: Organization, hits: list[SearchHit]) -> list[Person]:
    """The people of the hits, in rank order (decrypts only these rows)."""
    people = Person.objects.filter(organization=organization, pk__in=[h.person_id for h in hits])
    people = people.prefetch_related(
        "acts__event",
        "relative_of__event",
        "relative_of__direct_victim",
    )
    by_id = {person.pk: person for person in people}
    return [by_id[hit.person_id] for hit in hits if hit.person_id in by_id]
