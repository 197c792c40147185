"""Who in our cases is absent from the national registry, and the reverse.

The organization's family files (``AnteMortemFile`` with ``source = family``,
the person's name from the case records) are compared with the registry
records it imported (``source = rnpdno``). A pair is linked in three ways,
strongest first:

1. **the folio**: the family file carries the registry folio the registry
   record has (certain);
2. **record linkage** (``memoria.linkage``, Splink) on names, sex, age, date
   and place of the disappearance, when the two lists together hold at least
   ``LINKAGE_MIN_RECORDS`` records: the engine learns its weights from the
   lists themselves and needs enough of them (on a few dozen records its
   estimates are noise). Pairs at or above ``THRESHOLD`` are the same
   person; pairs in the review band are uncertain;
3. for smaller lists, **the name rule**: the normalized name tokens
   compared in any order (so "HERNANDEZ GARCIA JOSE LUIS" is José Luis
   Hernández García), surnames and the first given name by their Spanish
   phonetic key; a sex conflict makes a pair uncertain at most.

Then a reviewer's decision on a pair (``RegistryDecision``: same person or
not) overrides the score. What comes out, read by the report pages:

* *absent*: family files with no pair at all, or whose every pair was
  decided "different";
* *uncertain*: pairs left for review;
* the reverse, *not in our cases*: registry records in the organization's
  states and municipalities (those of its family files) linked to no file.

Nothing here writes: the worker seals the comparison as the job's output
(``memoria.search.official_jobs``) and the pages classify it with the
decisions of the moment.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from memoria.cases.models import DatePrecision
from memoria.geo import fold
from memoria.names import core_tokens, parse_name, phonetic_word
from memoria.search.models import AnteMortemFile, FileSource, RegistryDecision

LINKAGE_MIN_RECORDS = 1000
THRESHOLD = 0.9
REVIEW_BAND = (0.5, 0.98)
Progress = Callable[[str, int, int], None]
FOLIO, LINKAGE, NAMES = "folio", "linkage", "names"


@dataclass
class Link:
    file: int
    record: int
    probability: float
    method: str
    reasons: str = ""

    def as_list(self) -> list:
        return [self.file, self.record, self.probability, self.method, self.reasons]


@dataclass
class Comparison:
    files: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)  # in the organization's areas
    links: list[Link] = field(default_factory=list)
    method: str = NAMES
    records_without_name: int = 0

    def to_dict(self) -> dict:
        return {
            "files": self.files,
            "records": self.records,
            "links": [link.as_list() for link in self.links],
            "method": self.method,
            "records_without_name": self.records_without_name,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Comparison:
        return cls(
            files=list(data["files"]),
            records=list(data["records"]),
            links=[Link(*link) for link in data["links"]],
            method=data.get("method", NAMES),
            records_without_name=data.get("records_without_name", 0),
        )


# -- reading the records --------------------------------------------------------------


def _date(value: datetime.date | None, precision: str) -> str:
    if value is None or precision == DatePrecision.UNKNOWN:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def _number(value) -> str:
    return "" if value is None else str(int(value))


def family_files(organization) -> list[AnteMortemFile]:
    return list(
        AnteMortemFile.objects.filter(organization=organization, source=FileSource.FAMILY)
        .select_related("person")
        .order_by("id")
    )


def registry_records(organization) -> list[AnteMortemFile]:
    return list(
        AnteMortemFile.objects.filter(organization=organization, source=FileSource.RNPDNO).order_by(
            "id"
        )
    )


def in_areas(
    files: list[AnteMortemFile], records: list[AnteMortemFile], states: set[str] = frozenset()
) -> list[AnteMortemFile]:
    """The registry records of the organization's places.

    Its places are the states it works in (``Organization.states``) and the
    states and municipalities of its files: a whole state when the
    organization works in it, or a file gives only the state; otherwise the
    files' municipalities.
    """
    municipalities = {f.municipality_id for f in files if f.municipality_id}
    whole_states = set(states) | {f.state_id for f in files if f.state_id and not f.municipality_id}
    states = set(states) | {f.state_id for f in files if f.state_id}
    kept = []
    for record in records:
        if record.municipality_id:
            if record.municipality_id in municipalities or record.state_id in whole_states:
                kept.append(record)
        elif record.state_id and record.state_id in states:
            kept.append(record)
    return kept


# -- the name rule ------------------------------------------------------------------------


def _keys(words: list[str]) -> set[str]:
    return {phonetic_word(word) for word in words if word}


def name_probability(file: AnteMortemFile, record: AnteMortemFile) -> tuple[float, str]:
    """The name rule's score of a pair (0 when the names do not agree enough)."""
    person = file.person
    name = parse_name(person.given_names, person.paternal_surname, person.maternal_surname)
    ours = core_tokens(name.full)
    theirs = core_tokens(record.official_name)
    if not ours or not theirs:
        return 0.0, ""
    surnames = core_tokens(f"{name.paternal_surname} {name.maternal_surname}")
    given = core_tokens(name.given_names)
    their_keys = _keys(theirs)
    conflict = bool(file.sex and record.sex and file.sex != record.sex)
    if sorted(ours) == sorted(theirs):
        probability, reason = 0.99, "the same names, in any order"
    elif surnames and _keys(surnames) <= their_keys and given and _keys(given[:1]) <= their_keys:
        probability, reason = 0.95, "surnames and first given name sound alike"
    elif len(surnames) >= 2 and _keys(surnames) <= their_keys:
        probability, reason = 0.7, "both surnames agree, the given names do not"
    elif _keys(ours) == their_keys:
        probability, reason = 0.8, "the names sound alike"
    else:
        return 0.0, ""
    if conflict:
        probability, reason = min(probability, 0.6), reason + "; the sex differs"
    return probability, reason


def _by_name(
    files: list[AnteMortemFile], records: list[AnteMortemFile], progress: Progress
) -> list[Link]:
    index: dict[str, list[AnteMortemFile]] = defaultdict(list)
    for record in records:
        for key in _keys(core_tokens(record.official_name)):
            index[key].append(record)
    links = []
    for done, file in enumerate(files, start=1):
        person = file.person
        surnames = core_tokens(f"{person.paternal_surname} {person.maternal_surname}")
        candidates = {r.pk: r for key in _keys(surnames) for r in index.get(key, [])}
        for record in candidates.values():
            probability, reason = name_probability(file, record)
            if probability >= REVIEW_BAND[0]:
                links.append(Link(file.pk, record.pk, probability, NAMES, reason))
        if done % 100 == 0 or done == len(files):
            progress("compare", done, len(files))
    return links


# -- record linkage -----------------------------------------------------------------------


def _case_rows(files: list[AnteMortemFile]) -> list[dict]:
    rows = []
    for file in files:
        person = file.person
        rows.append(
            {
                "record_id": str(file.pk),
                "given_names": person.given_names,
                "paternal_surname": person.paternal_surname,
                "maternal_surname": person.maternal_surname,
                "sex": file.sex or "",
                "birth_date": _date(person.birth_date, person.birth_precision),
                "age": _number(file.age_at_disappearance),
                "event_date": _date(file.last_seen_date, file.last_seen_precision),
                "state": file.state_id or "",
                "municipality": file.municipality_id or "",
                "curp": person.curp or "",
            }
        )
    return rows


def registry_names(names: list[str]) -> list[str]:
    """A registry list's names, each as :func:`registry_name` writes it, in the list's order.

    A list is written one way throughout. Only some of its names show which
    (a common surname at one end and not at the other): when most of those
    read in civil order ("JOSE LUIS HERNANDEZ XOLALPA"), the whole list is in
    civil order and kept as it is (a maternal surname missing from the common
    ones must not turn "JOSE LUIS" into surnames); otherwise each name goes
    through :func:`registry_name`.
    """
    common = _common_surnames()
    civil = surnames_first = 0
    for name in names:
        words = name.split()
        if "," in name or len(words) < 2:
            continue
        first, last = fold(words[0]) in common, fold(words[-1]) in common
        civil += last and not first
        surnames_first += first and not last
    if civil > surnames_first:
        return list(names)
    return [registry_name(name) for name in names]


def registry_name(name: str) -> str:
    """A registry name written the way the linkage engine reads it unambiguously.

    The linkage engine (``memoria.names.split_full_name``) reads a full name
    in civil order ("José Luis Hernández García") unless the surnames come
    first with a comma. The RNPDNO's public version writes surnames first
    without one ("HERNANDEZ GARCIA JOSE LUIS"), which read in civil order
    makes "JOSE LUIS" the surnames: no pair then agrees on the given name,
    the engine finds no sure match to estimate how many there are, and its
    training fails. So a name without a comma is taken as surnames first
    (the first two words; one with a two-word name) and given the comma,
    unless it plainly reads in civil order: it ends with a common surname and
    does not start with one. Surname particles ("DE LA CRUZ") are not
    grouped here: such a name is split at the wrong word and compared on
    its other evidence.
    """
    words = name.split()
    if "," in name or len(words) < 2:
        return name
    common = _common_surnames()
    if fold(words[-1]) in common and fold(words[0]) not in common:
        return name  # civil order
    if len(words) == 2:
        return f"{words[0]}, {words[1]}"
    return f"{words[0]} {words[1]}, {' '.join(words[2:])}"


def _common_surnames() -> frozenset[str]:
    from memoria.names.frequencies import COMMON_SURNAMES

    return frozenset(fold(surname) for surname in COMMON_SURNAMES if " " not in surname)


def _registry_rows(records: list[AnteMortemFile]) -> list[dict]:
    names = registry_names([record.official_name for record in records])
    return [
        {
            "record_id": str(record.pk),
            "full_name": name,
            "sex": record.sex or "",
            "age": _number(record.age_at_disappearance),
            "event_date": _date(record.last_seen_date, record.last_seen_precision),
            "state": record.state_id or "",
            "municipality": record.municipality_id or "",
        }
        for record, name in zip(records, names, strict=True)
    ]


def _by_linkage(
    files: list[AnteMortemFile], records: list[AnteMortemFile], progress: Progress
) -> list[Link]:
    import pandas as pd

    from memoria.linkage import link_records

    steps = iter(range(1, 100))
    result = link_records(
        {
            "cases": pd.DataFrame(_case_rows(files)),
            "registry": pd.DataFrame(_registry_rows(records)),
        },
        threshold=THRESHOLD,
        review_band=REVIEW_BAND,
        count_candidates=False,
        progress=lambda _message: progress("link", min(next(steps), 9), 10),
    )
    reasons = {}
    for row in result.review.itertuples():
        reasons[(row.source_l, row.record_id_l, row.source_r, row.record_id_r)] = row.explanation
    links = []
    for row in result.pairs.itertuples():
        if {row.source_l, row.source_r} != {"cases", "registry"}:
            continue
        left_is_case = row.source_l == "cases"
        file_id = int(row.record_id_l if left_is_case else row.record_id_r)
        record_id = int(row.record_id_r if left_is_case else row.record_id_l)
        probability = float(row.match_probability)
        if not row.linked:
            probability = min(probability, THRESHOLD - 0.001)  # held back: for review
        reason = reasons.get((row.source_l, row.record_id_l, row.source_r, row.record_id_r), "")
        links.append(Link(file_id, record_id, probability, LINKAGE, reason))
    return links


# -- the comparison -------------------------------------------------------------------------


def compare(organization, *, progress: Progress | None = None) -> Comparison:
    """Compare the organization's family files with its imported registry records."""
    say = progress or (lambda _phase, _done, _total: None)
    files = family_files(organization)
    everything = registry_records(organization)
    area = in_areas(files, everything, set(organization.states.values_list("code", flat=True)))
    comparison = Comparison(files=[f.pk for f in files], records=[r.pk for r in area])
    by_folio: dict[str, AnteMortemFile] = {}
    for record in everything:
        by_folio.setdefault(" ".join(fold(record.rnpdno_folio).split()), record)
    links: dict[tuple[int, int], Link] = {}
    for file in files:
        folio = " ".join(fold(file.rnpdno_folio).split())
        if folio and folio in by_folio:
            record = by_folio[folio]
            links[(file.pk, record.pk)] = Link(file.pk, record.pk, 1.0, FOLIO, "the same folio")
    named = [r for r in everything if r.official_name.strip()]
    comparison.records_without_name = len(everything) - len(named)
    if files and named:
        if len(files) + len(named) >= LINKAGE_MIN_RECORDS:
            comparison.method = LINKAGE
            found = _by_linkage(files, named, say)
        else:
            found = _by_name(files, named, say)
        for link in found:
            links.setdefault((link.file, link.record), link)
    comparison.links = list(links.values())
    return comparison


@dataclass
class Classified:
    absent: list[int]  # family file ids
    uncertain: list[Link]
    present: int
    not_in_cases: list[int]  # registry record ids


def classify(comparison: Comparison, decisions: dict[tuple[int, int], bool]) -> Classified:
    """Sort a comparison with the reviewers' decisions of the moment."""
    linked_files: set[int] = set()
    linked_records: set[int] = set()
    uncertain = []
    with_pairs: set[int] = set()
    for link in comparison.links:
        decided = decisions.get((link.file, link.record))
        if decided is False:
            continue
        if decided or link.probability >= THRESHOLD:
            linked_files.add(link.file)
            linked_records.add(link.record)
        else:
            uncertain.append(link)
            with_pairs.add(link.file)
    uncertain = [link for link in uncertain if link.file not in linked_files]
    uncertain.sort(key=lambda link: -link.probability)
    absent = [f for f in comparison.files if f not in linked_files and f not in with_pairs]
    in_review = {link.record for link in uncertain}
    not_in_cases = [r for r in comparison.records if r not in linked_records and r not in in_review]
    return Classified(absent, uncertain, len(linked_files), not_in_cases)


def decisions_of(organization) -> dict[tuple[int, int], bool]:
    return {
        (d.file_id, d.registry_record_id): d.same
        for d in RegistryDecision.objects.filter(organization=organization)
    }
