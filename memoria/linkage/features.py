"""Turn standard-schema records into the columns the linkage model compares.

All the Spanish-specific work (splitting, nicknames, phonetic keys, birth year
from age) happens here, in Python, once per distinct value. The SQL that
Splink runs then only compares plain strings, integers and arrays, so the
same model runs unchanged on DuckDB and on Spark.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from memoria.linkage.dates import parse_date
from memoria.names import (
    PersonName,
    canonical_given_tokens,
    core_tokens,
    is_initial,
    parse_name,
    phonetic_word,
)
from memoria.names.order import NameEvidence, Reading, is_known_given_name, list_order

# Appended to the ``unique_id`` of a record's second reading. It ends with a
# space, which no record's own id does (record ids are stripped on import).
OTHER_READING = " (other reading) "

FEATURE_COLUMNS = (
    "unique_id",
    "source",
    "record_id",
    "given",
    "given_first",
    "given_first_ph",
    "given_initial",
    "given_letters",
    "given_tokens",
    "given_known",
    "pat",
    "mat",
    "pat_ph",
    "mat_ph",
    "sur_lo",
    "sur_hi",
    "name_key",
    "given_pat_key",
    "sex",
    "birth_day",
    "birth_year",
    "birth_from_age",
    "event_date",
    "event_day",
    "event_month",
    "event_year",
    "event_half_year",
    "state",
    "municipality",
    "curp",
)


@lru_cache(maxsize=200_000)
def _given_features(given: str) -> tuple[str | None, str | None, str | None, list[str]]:
    """(first canonical name, its phonetic key, initial, all canonical names)."""
    names = canonical_given_tokens(given)
    full_names = [n for n in names if not is_initial(n)]
    first = names[0] if names else None
    first_ph = phonetic_word(first) if first and not is_initial(first) else None
    initial = first[0] if first else None
    return first, first_ph, initial, full_names


@lru_cache(maxsize=200_000)
def _surname_features(surname: str) -> tuple[str | None, str | None]:
    """(surname without particles, its phonetic key)."""
    core = core_tokens(surname)
    if not core:
        return None, None
    return " ".join(core), " ".join(phonetic_word(t) for t in core)


@lru_cache(maxsize=100_000)
def _date_features(iso: str) -> tuple[int, int | None, int | None]:
    """(year, month number if the month is known, day number if the date is complete).

    Each is given only to the precision the list gives: "2014-09" has a year
    and a month but no day, so it can agree with 2014-09-15 on the month and
    never on the day (see ``model.event_comparison``).
    """
    date = parse_date(iso)
    return date.year, date.month_number(), date.day_number()


# Scanned lists put digits where letters were printed (L0PEZ, VALD1VIA, 5ANCHEZ).
_OCR_DIGITS = str.maketrans("0123458", "oizeasb")


def read_names(records: pd.DataFrame) -> list:
    """One :class:`~memoria.names.PersonName` per record, read with evidence.

    Separate columns are taken as given, mended where a husband's "de X" or a
    given name sits in a surname column. A full name without a comma is read
    given names first or surnames first as its words say (see
    :mod:`memoria.names.order`), and as its list mostly does when they do not.
    """
    return read_names_both_ways(records)[0]


def read_names_both_ways(records: pd.DataFrame) -> tuple[list, dict[int, PersonName]]:
    """:func:`read_names`, and the other reading of the names whose order is unsure.

    The second value maps a record's position to its full name read in the
    other order, for every full name whose own words do not decide the order
    (it took its list's order, which is wrong for some of them) and whose
    other reading gives other parts.
    """
    keys = records[["given_names", "paternal_surname", "maternal_surname", "full_name"]].copy()
    for column in keys.columns:
        text = keys[column]
        present = text.notna()
        keys[column] = text.where(~present, text[present].astype(str).str.translate(_OCR_DIGITS))
    keys = keys.astype(object).where(keys.notna(), None)
    sexes = list(records["sex"]) if "sex" in records else [None] * len(records)
    sources = list(records["source"]) if "source" in records else [""] * len(records)
    evidence = NameEvidence.from_columns(
        keys["given_names"],
        list(keys["paternal_surname"]) + list(keys["maternal_surname"]),
    )
    parsed: list = [None] * len(records)
    others: dict[int, PersonName] = {}
    pending: dict[str, list[int]] = {}
    for i, (given, paternal, maternal, full) in enumerate(keys.itertuples(index=False, name=None)):
        if given or paternal or maternal or not full or "," in str(full):
            parsed[i] = evidence.mend_columns(parse_name(given, paternal, maternal, full), sexes[i])
        else:
            pending.setdefault(sources[i], []).append(i)
    full = keys["full_name"]
    for rows in pending.values():
        readings: dict[int, Reading] = {}
        undecided, decided = [], []
        for i in rows:
            readings[i], sure = evidence.read_full_name(full.iat[i], sexes[i])
            if sure:
                decided.append(readings[i].surname_first)
            else:
                undecided.append(i)
        surname_first = list_order(decided)
        for i in undecided:
            if surname_first:  # read the undecided ones as their list does
                readings[i] = evidence.read_full_name(full.iat[i], sexes[i], True)[0]
            other = evidence.other_reading(full.iat[i], readings[i], sexes[i])
            if other is not None:
                others[i] = other
        for i in rows:
            parsed[i] = readings[i].name
    return parsed, others


def _names(parsed: list, index: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    out["given"] = [p.given_names or None for p in parsed]
    given = [_given_features(p.given_names) for p in parsed]
    out["given_first"] = [g[0] for g in given]
    out["given_first_ph"] = [g[1] for g in given]
    out["given_initial"] = [g[2] for g in given]
    # Sorted letters: "jsoe" and "jose" agree, catching transposed keys that
    # a plain edit distance of 2 would confuse with other short names.
    out["given_letters"] = ["".join(sorted(g[0])) if g[0] else None for g in given]
    out["given_tokens"] = [list(g[3]) for g in given]
    # Whether the first given name is one the name tables know (a civil name
    # or a listed nickname): an unknown one may be a nickname or a garbled
    # name, so its disagreement is weaker evidence than two known names' is.
    out["given_known"] = [
        bool(words) and is_known_given_name(words[0])
        for words in (core_tokens(p.given_names) for p in parsed)
    ]
    pat = [_surname_features(p.paternal_surname) for p in parsed]
    mat = [_surname_features(p.maternal_surname) for p in parsed]
    out["pat"] = [s[0] for s in pat]
    out["pat_ph"] = [s[1] for s in pat]
    out["mat"] = [s[0] for s in mat]
    out["mat_ph"] = [s[1] for s in mat]
    # Sorted surname keys: a block on (sur_lo, sur_hi) meets swapped surnames.
    both = [(p[1], m[1]) if p[1] and m[1] else (None, None) for p, m in zip(pat, mat, strict=True)]
    out["sur_lo"] = [min(b) if b[0] else None for b in both]
    out["sur_hi"] = [max(b) if b[0] else None for b in both]
    # Every name word by its key, sorted: "Juan Ángel | Jiménez" and "Juan | Ángel
    # Jiménez" (a three-word full name split the other way) have the same key.
    out["name_key"] = [
        _name_key(g[0], g[3], p[1], m[1]) for g, p, m in zip(given, pat, mat, strict=True)
    ]
    # The same without the maternal surname, for a record that has one: the
    # key of "Juan Ángel Jiménez" (a press note that dropped "Negrete") is
    # the key of Juan Ángel | Jiménez | Negrete's given names and paternal surname.
    out["given_pat_key"] = [
        _name_key(g[0], g[3], p[1], None) if m[1] else None
        for g, p, m in zip(given, pat, mat, strict=True)
    ]
    return out


def _name_key(first, given_names: list[str], paternal_ph, maternal_ph) -> str | None:
    words = [phonetic_word(name) for name in (given_names or ([first] if first else []))]
    words += [key for surname in (paternal_ph, maternal_ph) if surname for key in surname.split()]
    return " ".join(sorted(words)) if len(words) >= 3 else None


def _dates(records: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=records.index)
    birth = [_date_features(d) if d else (None, None, None) for d in records["birth_date"]]
    event = [_date_features(d) if d else (None, None, None) for d in records["event_date"]]
    event_years = [e[0] for e in event]
    # Birth date or age, never both as independent evidence: a missing birth
    # year is estimated from age at the event (off by one about half the time),
    # and the comparison allows for that.
    birth_year, from_age = [], []
    for (year, _, _), age, event_year in zip(birth, records["age"], event_years, strict=True):
        if year is None and age is not None and event_year is not None:
            year = event_year - int(age)
            from_age.append(True)
        else:
            from_age.append(False)
        birth_year.append(year)
    out["birth_day"] = pd.array([b[2] for b in birth], dtype="Int64")
    out["birth_year"] = pd.array(birth_year, dtype="Int64")
    out["birth_from_age"] = from_age
    # The date as the list gave it (possibly partial), for reviewers.
    out["event_date"] = records["event_date"]
    out["event_day"] = pd.array([e[2] for e in event], dtype="Int64")
    out["event_month"] = pd.array([e[1] for e in event], dtype="Int64")
    out["event_year"] = pd.array(event_years, dtype="Int64")
    # The year counted from July: two dates less than six months apart share
    # their calendar year or this one, so a rule asking for either meets a
    # pair shifted across New Year (2015-12-30 and 2016-01-03).
    out["event_half_year"] = pd.array(
        [(e[1] + 6) // 12 if e[1] is not None else None for e in event], dtype="Int64"
    )
    return out


def build_features(records: pd.DataFrame) -> pd.DataFrame:
    """Comparison columns for records in the standard schema (see ``schema``).

    ``records`` is the concatenation of :func:`memoria.linkage.schema.read_source`
    results; ``unique_id`` is ``source:record_id``.
    """
    return build_features_both_ways(records)[0]


def build_features_both_ways(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`build_features`, and rows for the other reading of unsure names.

    The second frame has the same columns, one row per record whose full
    name's order is unsure (see :func:`read_names_both_ways`): the same
    record (same ``source`` and ``record_id``) with its name read in the
    other order, and ``unique_id`` followed by :data:`OTHER_READING`.
    """
    records = records.reset_index(drop=True)
    parsed, others = read_names_both_ways(records)
    out = pd.concat([_names(parsed, records.index), _dates(records)], axis=1)
    out.insert(0, "unique_id", records["source"] + ":" + records["record_id"])
    out.insert(1, "source", records["source"])
    out.insert(2, "record_id", records["record_id"])
    for column in ("sex", "state", "municipality", "curp"):
        out[column] = records[column]
    out = out[list(FEATURE_COLUMNS)]
    rows = sorted(others)
    other = out.iloc[rows].copy()
    if rows:
        names = _names([others[i] for i in rows], other.index)
        other[names.columns] = names
        other["unique_id"] = other["unique_id"] + OTHER_READING
    return out, other.reset_index(drop=True)


def base_id(unique_id: pd.Series) -> pd.Series:
    """The record's own ``unique_id`` for a row of either reading."""
    return unique_id.str.removesuffix(OTHER_READING)
