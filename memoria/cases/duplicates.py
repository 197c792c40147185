"""People already recorded who are probably the one being entered.

Before a new person is registered (a direct victim, a relative), the forms
look the name up in the organization's blind index (``search.search_people``:
accents, typos, nicknames and surname order do not matter) and offer the
likely matches, so the documenter can say "this is the same person" and link
the existing record instead of creating a second one. A candidate must match
most of the words typed (all but one, and at least two), or the CURP; one
with the same birth date comes first. Only the candidates shown are
decrypted, and the pages that show them audit it (``AuditAction.PERSON_MATCHES``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from memoria.accounts.models import Organization
from memoria.cases.formatting import partial_date
from memoria.cases.models import DatePrecision, Event, Person
from memoria.cases.search import search_people, split_query

MAX_CANDIDATES = 5
NAME_FIELDS = ("given_names", "paternal_surname", "maternal_surname")


@dataclass
class Candidate:
    """A person who may be the one being entered, with what the member may see of them.

    ``strong``: the same exact birth date, or the same CURP, as typed.
    """

    person: Person
    strong: bool
    case_numbers: list[int]

    @property
    def birth(self) -> str:
        return partial_date(self.person.birth_date, self.person.birth_precision)


def likely_matches(
    organization: Organization,
    data: dict,
    *,
    exclude: int | None = None,
    limit: int = MAX_CANDIDATES,
) -> list[Candidate]:
    """The organization's people whose name (or CURP) probably is the one in ``data``.

    ``data`` holds the person fields of a form (names, ``curp``,
    ``birth_date`` and ``birth_precision`` if known); ``exclude`` leaves out
    the person being edited. At most twice ``limit`` people are decrypted, to
    put those with the same birth date first.
    """
    names = " ".join((data.get(field) or "").strip() for field in NAME_FIELDS).strip()
    curp = (data.get("curp") or "").strip().upper()
    curps, words = split_query(f"{names} {curp}".strip())
    if not curps and len(words) < 2:
        return []  # one word alone (a given name, an alias) matches too many people
    required = max(2, len(words) - 1)
    hits = search_people(organization, f"{names} {curp}".strip(), limit=limit * 4)
    # With a CURP typed, a person with that CURP is a candidate whatever their name says.
    minimum = 1 if curps else required
    hits = [h for h in hits if h.person_id != exclude and h.words >= minimum]
    hits = hits[: limit * 2]
    people = Person.objects.filter(organization=organization, pk__in=[h.person_id for h in hits])
    by_id = {person.pk: person for person in people}
    birth = _exact_birth_date(data)
    candidates = []
    for hit in hits:
        person = by_id.get(hit.person_id)
        if person is None:
            continue
        same_curp = bool(person.curp) and person.curp.upper() in curps
        if not same_curp and hit.words < required:  # the CURP did not match: name words only
            continue
        same_birth = birth is not None and _exact_birth_date_of(person) == birth
        candidates.append(Candidate(person, same_birth or same_curp, []))
    # A stable sort keeps the search's rank among equals: strong matches first.
    candidates.sort(key=lambda candidate: not candidate.strong)
    candidates = candidates[:limit]
    _add_case_numbers(organization, candidates)
    return candidates


def _exact_birth_date(data: dict) -> datetime.date | None:
    if data.get("birth_precision") == DatePrecision.DAY:
        return data.get("birth_date")
    return None


def _exact_birth_date_of(person: Person) -> datetime.date | None:
    return person.birth_date if person.birth_precision == DatePrecision.DAY else None


def _add_case_numbers(organization: Organization, candidates: list[Candidate]) -> None:
    """The organization's case numbers each candidate appears in (as a victim or a relative)."""
    ids = [candidate.person.pk for candidate in candidates]
    rows = (
        Event.objects.filter(organization=organization)
        .filter(Q(acts__victim__in=ids) | Q(indirect_victims__person__in=ids))
        .values_list("number", "acts__victim", "indirect_victims__person")
        .distinct()
    )
    numbers: dict[int, set[int]] = {}
    for number, victim, relative in rows:
        for person_id in (victim, relative):
            if person_id in ids:
                numbers.setdefault(person_id, set()).add(number)
    for candidate in candidates:
        candidate.case_numbers = sorted(numbers.get(candidate.person.pk, ()))
