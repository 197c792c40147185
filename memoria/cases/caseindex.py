"""The encrypted case index: what the case list and the dashboard need of every case.

Where a case happened, when, its status, who was held responsible and the
risk profile of its victims are encrypted in their own rows (a thief who
knows one victim's case would otherwise find its row, docs/security.md). The
case list still filters and sorts on them, and the dashboard counts them: it
reads this index instead.

* ``CaseIndexEntry`` — one row per event; ``data`` (encrypted) holds the
  event's number, state, municipality, start date and its precision, status,
  violation types, perpetrator kinds, victims' profile codes, how many of
  its acts have a state-agent attribution, the sex and age band of each of
  its direct victims and how many acts it has. ``seq`` says when it last changed.
* ``CaseIndexClock`` — one row per organization: ``seq`` is bumped for every
  entry written, ``epoch`` whenever an event is deleted, ``generation`` is new
  for every clock row.

Writers call ``rebuild(event_ids)`` in their transaction after any change to
what an entry holds (``rebuild_for_person`` after a person's profile flags
changed). It reads the events, acts, attributions and victims as model
instances (attributes, never SQL on the encrypted fields) and writes their
entries, ``REBUILD_BATCH`` events at a time.

Readers call ``snapshot(organization)``: the organization's entries decrypted
into NumPy arrays, kept per process. Each call reads the clock row (one
indexed query): the same generation and epoch load only the entries whose
``seq`` passed the cached one; a new epoch (events deleted) also drops the ids
no longer in the table (plain integers, nothing to decrypt); a new generation
loads them all. Entries written
in the reader's own uncommitted transaction are never cached (it may still
roll back): such a reader gets a private snapshot.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from memoria.cases.models import (
    Act,
    AgeBand,
    Attribution,
    CaseIndexBlock,
    CaseIndexClock,
    CaseIndexEntry,
    DatePrecision,
    Event,
    Person,
    Sex,
    Term,
)
from memoria.vault.cipher import decrypt_bytes, decrypt_text, encrypt_bytes_with
from memoria.vault.keys import active_key

logger = logging.getLogger(__name__)

# The stored code of each profile flag (a bit of the entry's profile mask).
# Stored data: never renumber; a new flag takes the next number.
PROFILE_CODES = {
    "is_defender": 1,
    "is_journalist": 2,
    "is_searching_relative": 3,
    "is_migrant": 4,
    "is_indigenous_authority": 5,
    "is_lgbttti": 6,
    "is_child": 7,
}
# The statuses in the order the database sorted the column (alphabetical codes).
STATUS_ORDER = sorted(Event.Status.values)
STATUS_CODE = {status: code for code, status in enumerate(STATUS_ORDER)}
# The stored codes of a victim's sex and age band (positions in these tuples).
# Stored data: never reorder; a new value goes at the end.
SEXES = (Sex.FEMALE, Sex.MALE, Sex.INTERSEX, Sex.UNKNOWN)
AGE_BANDS = (
    AgeBand.CHILD,
    AgeBand.ADOLESCENT,
    AgeBand.YOUNG,
    AgeBand.ADULT,
    AgeBand.MIDDLE,
    AgeBand.OLDER,
    AgeBand.UNKNOWN,
)
SEX_CODE = {value: code for code, value in enumerate(SEXES)}
AGE_CODE = {value: code for code, value in enumerate(AGE_BANDS)}
PRECISIONS = (
    DatePrecision.UNKNOWN,
    DatePrecision.YEAR,
    DatePrecision.MONTH,
    DatePrecision.DAY,
)
PRECISION_CODE = {precision: code for code, precision in enumerate(PRECISIONS)}
# Where a date of each precision falls among the dates of its first day (listing.date_key).
PRECISION_RANK = {DatePrecision.YEAR: 0, DatePrecision.MONTH: 1, DatePrecision.DAY: 2}

REBUILD_BATCH = 2000
# Entries kept in memory by one process, all organizations together; the least
# recently read organization is dropped first (about 150 bytes an entry).
MAX_CACHED_ENTRIES = 2_000_000

DATA_CONTEXT = "cases.caseindexentry.data"
BLOCK_CONTEXT = "cases.caseindexblock.data"
# Event ids per block: one decryption per this many ids of an organization's events
# when a process loads its index; a write seals its block again (a few milliseconds).
BLOCK_SIZE = 4096


def month_of(date: datetime.date | None, precision: str) -> datetime.date | None:
    """The countable month of a date: 1 January when only the year is known."""
    if date is None or precision == DatePrecision.UNKNOWN:
        return None
    if precision == DatePrecision.YEAR:
        return date.replace(month=1, day=1)
    return date.replace(day=1)


def month_ordinal(date: datetime.date) -> int:
    return date.year * 12 + date.month - 1


def month_from_ordinal(ordinal: int) -> datetime.date:
    return datetime.date(ordinal // 12, ordinal % 12 + 1, 1)


# -- building entries ------------------------------------------------------------------


def _pk_of(instance, name: str):
    """The primary key of the record ``instance.<name>`` refers to, or None.

    Reads the foreign key's own column when there is one (no query), else the
    attribute (an encrypted reference returns the record).
    """
    field_ = instance._meta.get_field(name)
    attname = getattr(field_, "attname", name)
    if attname != name:
        return getattr(instance, attname)
    value = getattr(instance, name)
    return None if value in (None, "") else getattr(value, "pk", value)


def _entry(event: Event, acts: list[Act], attributions: list[Attribution], terms) -> list:
    state = _pk_of(event, "state")
    municipality = _pk_of(event, "municipality")
    start = event.start_date
    violations = sorted({_pk_of(act, "violation_type") for act in acts})
    kinds = {}
    for attribution in attributions:
        kinds.setdefault(_pk_of(attribution, "kind"), set()).add(attribution.act_id)
    state_kinds = [kind for kind in kinds if (term := terms.get(kind)) and term.state_actor]
    state_acts = len(set().union(*(kinds[kind] for kind in state_kinds)))
    profile = 0
    victims = {}
    for act in acts:
        for flag, code in PROFILE_CODES.items():
            if getattr(act.victim, flag):
                profile |= 1 << code
        victims[act.victim_id] = [
            SEX_CODE.get(act.victim.sex, SEX_CODE[Sex.UNKNOWN]),
            AGE_CODE.get(act.victim.age_band or "", AGE_CODE[AgeBand.UNKNOWN]),
        ]
    return [
        event.number,
        state or "",
        municipality or "",
        start.toordinal() if start else 0,
        PRECISION_CODE.get(event.start_precision, 0),
        STATUS_CODE.get(event.status, 0),
        violations,
        sorted(kinds),
        int(bool(state_kinds)),
        profile,
        state_acts,
        [victims[pk] for pk in sorted(victims)],
        len(acts),
    ]


def _dirty() -> set:
    if not hasattr(connection, "_caseindex_dirty"):
        connection._caseindex_dirty = set()
    return connection._caseindex_dirty


def _touched(organization_id: int) -> None:
    """This connection's transaction changed the organization's index: don't cache it
    until the transaction commits."""
    dirty = _dirty()
    dirty.add(organization_id)
    current = connection
    transaction.on_commit(
        lambda: getattr(current, "_caseindex_dirty", set()).discard(organization_id)
    )


def settled(organization_id: int) -> None:
    """Let this connection's reads cache the organization's index again although its
    transaction wrote entries: for tests whose class-wide data stays in an open
    transaction until the class ends (the cache keys on the clock's generation, which
    a rolled-back clock row takes with it)."""
    _dirty().discard(organization_id)


def _advance(organization_id: int, entries: int = 0, deleted: bool = False) -> int:
    """Bump the organization's clock (locked until the transaction ends, so entries become
    visible in ``seq`` order) and return the first of the ``entries`` numbers it reserved."""
    return _advance_clock(organization_id, entries, deleted)[0]


def _advance_clock(organization_id: int, entries: int = 0, deleted: bool = False):
    """``_advance``, and the clock's generation."""
    CaseIndexClock.objects.bulk_create(
        [CaseIndexClock(organization_id=organization_id, generation=secrets.token_hex(8))],
        ignore_conflicts=True,
    )
    clock = CaseIndexClock.objects.select_for_update().get(organization_id=organization_id)
    first = clock.seq + 1
    changes = {"seq": clock.seq + entries}
    if deleted:
        changes["epoch"] = clock.epoch + 1
    CaseIndexClock.objects.filter(organization_id=organization_id).update(**changes)
    _touched(organization_id)
    return first, clock.generation


def rebuild(event_ids: Iterable[int]) -> None:
    """Write the index entries of these events from their records, in the writer's transaction.

    Call it after every write that changes an event's number, place, start
    date, status, violations, perpetrators, direct victims or their profile
    flags. Ids of events that no longer exist are skipped.
    """
    ids = sorted({pk for pk in event_ids if pk is not None})
    terms: dict[int, Term] = {}
    for start in range(0, len(ids), REBUILD_BATCH):
        batch = ids[start : start + REBUILD_BATCH]
        events = list(Event.objects.filter(pk__in=batch).order_by("pk"))
        acts: dict[int, list] = {}
        for act in Act.objects.filter(event_id__in=batch).select_related("victim").order_by("pk"):
            acts.setdefault(act.event_id, []).append(act)
        attributions: dict[int, list] = {}
        for attribution in Attribution.objects.filter(event_id__in=batch).order_by("pk"):
            attributions.setdefault(attribution.event_id, []).append(attribution)
        kinds = {_pk_of(a, "kind") for found in attributions.values() for a in found}
        if kinds - terms.keys():
            terms.update(Term.objects.in_bulk(kinds - terms.keys()))
        by_organization: dict[int, list] = {}
        for event in events:
            entry = _entry(event, acts.get(event.pk, []), attributions.get(event.pk, []), terms)
            by_organization.setdefault(event.organization_id, []).append((event.pk, entry))
        for organization_id, entries in by_organization.items():
            first, generation = _advance_clock(organization_id, len(entries))
            CaseIndexEntry.objects.filter(event_id__in=[pk for pk, _e in entries]).delete()
            # The rows say which events are indexed and when each last changed; what
            # they hold goes into their blocks, sealed again.
            CaseIndexEntry.objects.bulk_create(
                [
                    CaseIndexEntry(
                        event_id=pk, organization_id=organization_id, seq=first + i, data=None
                    )
                    for i, (pk, _entry_) in enumerate(entries)
                ],
                batch_size=500,
            )
            _seal(organization_id, generation, dict(entries), first + len(entries) - 1)


def rebuild_for_person(person: Person) -> None:
    """A person's profile flags changed: rebuild the events they are a direct victim in."""
    rebuild(Act.objects.filter(victim=person).values_list("event_id", flat=True))


def rebuild_for_term(term: Term) -> None:
    """A perpetrator kind's ``state_actor`` changed: rebuild the events that name it."""
    organizations = (
        [term.organization]
        if term.organization_id
        else [clock.organization for clock in CaseIndexClock.objects.select_related("organization")]
    )
    for organization in organizations:
        index = snapshot(organization)
        rebuild(index.ids[index.has(index.perpetrators, term.pk)].tolist())


def rebuild_organization(organization) -> None:
    """Rebuild every entry of the organization (e.g. from the command line)."""
    rebuild(Event.objects.filter(organization=organization).values_list("pk", flat=True))


@receiver(post_delete, sender=Event)
def _event_deleted(sender, instance, **kwargs):
    # Every process then reloads the organization's index (its entry is gone
    # with the event, and "gone" leaves no seq behind).
    # One UPDATE (no lock taken first): an organization deleted with all its cases
    # pays two cheap statements per case.
    # Its block still holds its entry: marked, a process loading the block leaves it out
    # (and the block's next sealing drops it).
    organization_id = instance.organization_id
    CaseIndexClock.objects.filter(organization_id=organization_id).update(
        epoch=models.F("epoch") + 1
    )
    CaseIndexBlock.objects.filter(
        organization_id=organization_id, number=instance.pk // BLOCK_SIZE, stale=False
    ).update(stale=True)
    _touched(organization_id)


# -- blocks -----------------------------------------------------------------------------
#
# A block holds the entries of an organization's events whose ids fall in one range of
# BLOCK_SIZE ids, as columns (one value per event, in id order) rather than one JSON
# list per event: the process that loads it needs no per-entry parsing. A list-valued
# field (violation types, perpetrator kinds, victims) is a column of how many values
# each event has and a column of all the values one event after the other.

BLOCK_MAGIC = b"MCB1"  # the stored format: change it only with a migration
BLOCK_COLUMNS = (
    ("ids", "<i8"),
    ("numbers", "<i4"),
    ("states", "<i2"),  # INEGI code as a number, -1 for none
    ("municipalities", "<i4"),  # CVEGEO as a number, -1 for none
    ("starts", "<i4"),  # date ordinal, 0 for none
    ("precisions", "i1"),
    ("statuses", "i1"),
    ("violation_counts", "<i4"),
    ("violation_terms", "<i8"),
    ("perpetrator_counts", "<i4"),
    ("perpetrator_terms", "<i8"),
    ("state_actor", "i1"),
    ("profiles", "<i2"),
    ("state_acts", "<i4"),
    ("victim_counts", "<i4"),
    ("victim_sexes", "i1"),
    ("victim_ages", "i1"),
    ("acts", "<i4"),
)
# Each column of values and the column of how many of them each event has.
LISTED = {
    "violation_terms": "violation_counts",
    "perpetrator_terms": "perpetrator_counts",
    "victim_sexes": "victim_counts",
    "victim_ages": "victim_counts",
}
_HEADER = struct.Struct(f"<4s{len(BLOCK_COLUMNS)}I")


def _no_columns() -> dict[str, np.ndarray]:
    return {name: np.zeros(0, dtype=dtype) for name, dtype in BLOCK_COLUMNS}


def _complete(entry: list) -> list:
    return entry if len(entry) >= len(ENTRY_DEFAULTS) else entry + ENTRY_DEFAULTS[len(entry) :]


def _counted(lists) -> tuple[np.ndarray, list]:
    counts = np.fromiter((len(found) for found in lists), dtype=np.int64, count=len(lists))
    return counts, [value for found in lists for value in found]


def _columns_of(entries: dict[int, list]) -> dict[str, np.ndarray]:
    """Entries (event id -> entry list) as block columns, in id order."""
    if not entries:
        return _no_columns()
    ids = sorted(entries)
    column = list(zip(*(_complete(entries[pk]) for pk in ids), strict=True))
    violation_counts, violation_terms = _counted(column[6])
    perpetrator_counts, perpetrator_terms = _counted(column[7])
    victim_counts, pairs = _counted(column[11])
    values = {
        "ids": ids,
        "numbers": column[0],
        "states": [_number(code) for code in column[1]],
        "municipalities": [_number(code) for code in column[2]],
        "starts": column[3],
        "precisions": column[4],
        "statuses": column[5],
        "violation_counts": violation_counts,
        "violation_terms": violation_terms,
        "perpetrator_counts": perpetrator_counts,
        "perpetrator_terms": perpetrator_terms,
        "state_actor": column[8],
        "profiles": column[9],
        "state_acts": column[10],
        "victim_counts": victim_counts,
        "victim_sexes": [pair[0] for pair in pairs],
        "victim_ages": [pair[1] for pair in pairs],
        "acts": column[12],
    }
    return {name: np.array(values[name], dtype=dtype) for name, dtype in BLOCK_COLUMNS}


def _entries_of(columns: dict[str, np.ndarray]) -> dict[int, list]:
    """Block columns back as entries (event id -> entry list): the inverse of ``_columns_of``."""
    plain = {name: values.tolist() for name, values in columns.items()}
    lists = {}
    for name, counts in LISTED.items():
        ends = np.cumsum(columns[counts]).tolist()
        values = plain[name]
        lists[name] = [
            values[end - count : end] for end, count in zip(ends, plain[counts], strict=True)
        ]
    entries = {}
    for row, pk in enumerate(plain["ids"]):
        state, municipality = plain["states"][row], plain["municipalities"][row]
        entries[pk] = [
            plain["numbers"][row],
            f"{state:02d}" if state >= 0 else "",
            f"{municipality:05d}" if municipality >= 0 else "",
            plain["starts"][row],
            plain["precisions"][row],
            plain["statuses"][row],
            lists["violation_terms"][row],
            lists["perpetrator_terms"][row],
            plain["state_actor"][row],
            plain["profiles"][row],
            plain["state_acts"][row],
            [
                list(pair)
                for pair in zip(lists["victim_sexes"][row], lists["victim_ages"][row], strict=True)
            ],
            plain["acts"][row],
        ]
    return entries


def _take(columns: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """The events at positions ``rows`` (in that order), list-valued fields included."""
    taken = {name: columns[name][rows] for name, _dtype in BLOCK_COLUMNS if name not in LISTED}
    for name, counts_name in LISTED.items():
        counts = columns[counts_name].astype(np.int64)
        starts = np.cumsum(counts) - counts
        lengths = counts[rows]
        offsets = np.cumsum(lengths) - lengths
        positions = np.repeat(starts[rows] - offsets, lengths) + np.arange(int(lengths.sum()))
        taken[name] = columns[name][positions]
    return taken


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not parts:
        return _no_columns()
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([part[name] for part in parts]) for name, _dtype in BLOCK_COLUMNS}


def _in_id_order(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    ids = columns["ids"]
    if len(ids) < 2 or (ids[1:] > ids[:-1]).all():
        return columns
    return _take(columns, np.argsort(ids, kind="stable"))


def _without(columns: dict[str, np.ndarray], ids) -> dict[str, np.ndarray]:
    """``columns`` without the events of ``ids``."""
    drop = np.isin(columns["ids"], np.fromiter(ids, dtype=np.int64))
    return _take(columns, np.flatnonzero(~drop)) if drop.any() else columns


def _only(columns: dict[str, np.ndarray], ids) -> dict[str, np.ndarray]:
    """``columns`` with only the events of ``ids``."""
    keep = np.isin(columns["ids"], np.fromiter(ids, dtype=np.int64))
    return columns if keep.all() else _take(columns, np.flatnonzero(keep))


def pack_block(columns: dict[str, np.ndarray]) -> bytes:
    """A block's columns as bytes (encrypted before they are stored)."""
    arrays = [np.ascontiguousarray(columns[name], dtype=dtype) for name, dtype in BLOCK_COLUMNS]
    header = _HEADER.pack(BLOCK_MAGIC, *(len(array) for array in arrays))
    return header + b"".join(array.tobytes() for array in arrays)


def unpack_block(data: bytes) -> dict[str, np.ndarray]:
    """What ``pack_block`` made, as columns."""
    magic, *lengths = _HEADER.unpack_from(data)
    if magic != BLOCK_MAGIC:
        raise ValueError("not a case index block")
    columns, offset = {}, _HEADER.size
    for (name, dtype), length in zip(BLOCK_COLUMNS, lengths, strict=True):
        columns[name] = np.frombuffer(data, dtype=dtype, count=length, offset=offset)
        offset += columns[name].nbytes
    return columns


def _open_block(organization_id: int, data) -> dict[str, np.ndarray]:
    return unpack_block(decrypt_bytes(bytes(data), BLOCK_CONTEXT, organization_id=organization_id))


def _entry_ids(organization_id: int, number: int) -> list[int]:
    """The ids of the organization's entry rows in block ``number``'s range (read as a range
    of the primary key: other organizations' cases may share the range)."""
    rows = CaseIndexEntry.objects.filter(
        event_id__gte=number * BLOCK_SIZE, event_id__lt=(number + 1) * BLOCK_SIZE
    ).values_list("event_id", "organization_id")
    return [pk for pk, organization in rows if organization == organization_id]


def _unpacked(organization_id: int, number: int) -> dict[int, list]:
    """The organization's entries in block ``number``'s range that still hold their data."""
    rows = CaseIndexEntry.objects.filter(
        organization_id=organization_id,
        data__isnull=False,
        event_id__gte=number * BLOCK_SIZE,
        event_id__lt=(number + 1) * BLOCK_SIZE,
    ).values_list("event_id", "data")
    return {
        pk: json.loads(decrypt_text(data, DATA_CONTEXT, organization_id=organization_id))
        for pk, data in rows
    }


def _seal(organization_id: int, generation: str, entries: dict[int, list], seq: int) -> None:
    """Seal the blocks of these (just written) entries again, with the writer's clock held.

    A block keeps its other events' entries, drops those of events deleted since (a
    block marked stale: their entry rows are gone) and takes in entries still stored
    one by one (written before blocks existed, or by an old migration): afterwards
    every entry of its range is in the block and no entry row of the range holds data.
    """
    numbers = sorted({pk // BLOCK_SIZE for pk in entries})
    CaseIndexBlock.objects.bulk_create(
        [
            CaseIndexBlock(
                organization_id=organization_id, number=n, generation=generation, seq=0, data=b""
            )
            for n in numbers
        ],
        ignore_conflicts=True,
    )
    blocks = (
        CaseIndexBlock.objects.select_for_update(no_key=True)
        .filter(organization_id=organization_id, number__in=numbers)
        .order_by("number")
        .values_list("pk", "number", "generation", "stale", "data")
    )
    key_id, data_key = active_key(organization_id)
    for pk, number, block_generation, stale, data in blocks:
        old = _no_columns()
        if data and block_generation == generation:
            old = _open_block(organization_id, data)
            if stale:  # cases deleted since: their entry rows are gone
                old = _only(old, _entry_ids(organization_id, number))
        single = _unpacked(organization_id, number)
        written = {pk_: entry for pk_, entry in entries.items() if pk_ // BLOCK_SIZE == number}
        single.update(written)
        columns = _in_id_order(_concat([_without(old, single), _columns_of(single)]))
        sealed = encrypt_bytes_with(key_id, data_key, pack_block(columns), BLOCK_CONTEXT)
        CaseIndexBlock.objects.filter(pk=pk).update(
            generation=generation, seq=seq, stale=False, data=sealed
        )
        unsealed = [pk_ for pk_ in single if pk_ not in written]
        if unsealed:
            CaseIndexEntry.objects.filter(event_id__in=unsealed).update(data=None)


# -- reading ---------------------------------------------------------------------------


@dataclass
class Snapshot:
    """An organization's index as arrays, one position per event (in no particular order)."""

    ids: np.ndarray
    numbers: np.ndarray
    months: np.ndarray  # month ordinal (year * 12 + month - 1), -1 without a month
    dates: np.ndarray  # date ordinal * 4 + precision rank; -1 without a month
    precisions: np.ndarray  # PRECISION_CODE
    states: np.ndarray  # INEGI code as a number, -1 for none
    municipalities: np.ndarray  # CVEGEO as a number, -1 for none
    statuses: np.ndarray  # STATUS_CODE
    violations: tuple  # (bit of each term id, uint64 mask matrix)
    perpetrators: tuple
    profiles: np.ndarray  # bits 1 << PROFILE_CODES[flag]
    state_actor: np.ndarray  # bool
    state_acts: np.ndarray
    sexes: np.ndarray  # direct victims by sex: one column per SEXES code
    ages: np.ndarray  # direct victims by age band: one column per AGE_BANDS code
    acts: np.ndarray  # how many acts (violations) the event has
    orders: dict = field(default_factory=dict)  # sort name -> permutation, computed once

    def __len__(self) -> int:
        return len(self.ids)

    @staticmethod
    def has(values: tuple, term_id: int) -> np.ndarray:
        bits, masks = values
        if term_id not in bits:
            return np.zeros(len(masks), dtype=bool)
        word, bit = divmod(bits[term_id], 64)
        return (masks[:, word] & np.uint64(1 << bit)) != 0

    def order(self, sort: str) -> np.ndarray:
        """Positions in the list's order for ``sort`` (listing.SORTS)."""
        if sort not in self.orders:
            self.orders[sort] = _order(self, sort)
        return self.orders[sort]


UNDATED = np.iinfo(np.int64).max
UNIX_DAY = datetime.date(1970, 1, 1).toordinal()


def _order(index: Snapshot, sort: str) -> np.ndarray:
    numbers = index.numbers
    if sort == "number":
        return np.argsort(numbers, kind="stable")
    if sort == "-number":
        return np.argsort(-numbers, kind="stable")
    dated = index.months >= 0
    # The month first (undated last whichever the direction), then the full date
    # within it, then the number, as the database and listing.refine_by_date did.
    if sort == "start":
        keys = [numbers, index.dates, np.where(dated, index.months, UNDATED)]
    else:
        keys = [-numbers, -index.dates, np.where(dated, -index.months, UNDATED)]
    if sort == "state":
        keys.append(np.where(index.states >= 0, index.states, UNDATED))
    elif sort == "status":
        keys.append(index.statuses)
    return np.lexsort(keys)


def _number(code: str) -> int:
    return int(code) if code else -1


# What an entry written before a field existed holds in its place.
ENTRY_DEFAULTS = [None] * 11 + [[], 0]


def _arrays(entries: dict[int, list]) -> Snapshot:
    return _snapshot_of(_columns_of(entries))


def _term_masks(counts: np.ndarray, terms: np.ndarray) -> tuple:
    """Per event, a bit mask of the terms it names (``has`` reads it)."""
    values = np.unique(terms)
    bits = {int(value): position for position, value in enumerate(values.tolist())}
    masks = np.zeros((len(counts), max(1, (len(values) + 63) // 64)), dtype=np.uint64)
    if len(terms):
        rows = np.repeat(np.arange(len(counts)), counts)
        positions = np.searchsorted(values, terms)
        shifts = (positions % 64).astype(np.uint64)
        np.bitwise_or.at(masks, (rows, positions // 64), np.left_shift(np.uint64(1), shifts))
    return bits, masks


def _tallied(counts: np.ndarray, codes: np.ndarray, width: int) -> np.ndarray:
    """Per event, how many of its victims have each code."""
    tally = np.zeros((len(counts), width), dtype=np.int32)
    if len(codes):
        np.add.at(tally, (np.repeat(np.arange(len(counts)), counts), codes.astype(np.int64)), 1)
    return tally


def _snapshot_of(columns: dict[str, np.ndarray]) -> Snapshot:
    """The arrays of block columns (in id order)."""
    if not len(columns["ids"]):
        return _empty()
    starts = columns["starts"].astype(np.int64)
    precisions = columns["precisions"].astype(np.int8)
    dated = (starts > 0) & (precisions != PRECISION_CODE[DatePrecision.UNKNOWN])
    # Day ordinals (1 = 1 January of year 1) to month ordinals, through NumPy's dates.
    days = np.where(dated, starts, UNIX_DAY) - UNIX_DAY
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    year_only = precisions == PRECISION_CODE[DatePrecision.YEAR]
    months = np.where(year_only, months - months % 12, months)
    ranks = np.zeros(len(PRECISIONS), dtype=np.int64)
    for precision, rank in PRECISION_RANK.items():
        ranks[PRECISION_CODE[precision]] = rank
    return Snapshot(
        ids=columns["ids"].astype(np.int64),
        numbers=columns["numbers"].astype(np.int64),
        months=np.where(dated, months, -1),
        dates=np.where(dated, starts * 4 + ranks[precisions], -1),
        precisions=precisions,
        states=columns["states"].astype(np.int64),
        municipalities=columns["municipalities"].astype(np.int64),
        statuses=columns["statuses"].astype(np.int8),
        violations=_term_masks(columns["violation_counts"], columns["violation_terms"]),
        perpetrators=_term_masks(columns["perpetrator_counts"], columns["perpetrator_terms"]),
        profiles=columns["profiles"].astype(np.int64),
        state_actor=columns["state_actor"].astype(bool),
        state_acts=columns["state_acts"].astype(np.int64),
        sexes=_tallied(columns["victim_counts"], columns["victim_sexes"], len(SEXES)),
        ages=_tallied(columns["victim_counts"], columns["victim_ages"], len(AGE_BANDS)),
        acts=columns["acts"].astype(np.int64),
    )


def _empty() -> Snapshot:
    nothing = np.zeros(0, dtype=np.int64)
    return Snapshot(
        ids=nothing,
        numbers=nothing,
        months=nothing,
        dates=nothing,
        precisions=nothing,
        states=nothing,
        municipalities=nothing,
        statuses=nothing,
        violations=({}, np.zeros((0, 1), dtype=np.uint64)),
        perpetrators=({}, np.zeros((0, 1), dtype=np.uint64)),
        profiles=nothing,
        state_actor=np.zeros(0, dtype=bool),
        state_acts=nothing,
        sexes=np.zeros((0, len(SEXES)), dtype=np.int32),
        ages=np.zeros((0, len(AGE_BANDS)), dtype=np.int32),
        acts=nothing,
    )


def _blocks(organization_id: int, generation: str, numbers=None):
    """(columns, seq) of each of the organization's blocks (or those numbered) sealed under
    ``generation``, in id order, without the events deleted since they were sealed."""
    blocks = CaseIndexBlock.objects.filter(organization_id=organization_id, generation=generation)
    if numbers is not None:
        blocks = blocks.filter(number__in=sorted(numbers))
    rows = blocks.order_by("number").values_list("number", "seq", "stale", "data")
    for number, seq, stale, data in rows.iterator(chunk_size=16):
        if not data:
            continue
        columns = _open_block(organization_id, data)
        if stale:
            columns = _only(columns, _entry_ids(organization_id, number))
        yield columns, seq


def _single(organization_id: int, after: int | None = None):
    """The organization's entry rows that still hold their data (written before blocks
    existed), or every row with ``seq`` > ``after``: (event id, seq, entry or None)."""
    rows = CaseIndexEntry.objects.filter(organization_id=organization_id)
    rows = rows.filter(data__isnull=False) if after is None else rows.filter(seq__gt=after)
    for event_id, seq, data in rows.values_list("event_id", "seq", "data").iterator(2000):
        entry = None
        if data is not None:
            entry = json.loads(decrypt_text(data, DATA_CONTEXT, organization_id=organization_id))
        yield event_id, seq, entry


def _all_columns(organization_id: int, generation: str) -> tuple[dict[str, np.ndarray], int]:
    """Every entry of the organization as block columns, and the last seq: one decryption
    per block, and one per entry not yet packed in a block."""
    single, seqs = {}, {}
    for event_id, seq, entry in _single(organization_id):
        single[event_id], seqs[event_id] = entry, seq
    parts, last = [], max(seqs.values(), default=0)
    sealed = {}
    for columns, seq in _blocks(organization_id, generation):
        parts.append(columns)
        sealed.update(dict.fromkeys((columns["ids"] // BLOCK_SIZE).tolist(), seq))
        last = max(last, seq)
    columns = _concat(parts)
    if single:
        # A block sealed after an entry was written holds that entry already.
        single = {
            pk: entry for pk, entry in single.items() if seqs[pk] > sealed.get(pk // BLOCK_SIZE, -1)
        }
        columns = _in_id_order(_concat([_without(columns, single), _columns_of(single)]))
    return columns, last


def _load_all(organization_id: int, generation: str) -> tuple[Snapshot, int]:
    """Every entry of the organization as arrays, and the last seq."""
    columns, last = _all_columns(organization_id, generation)
    return _snapshot_of(columns), last


def _load(organization_id: int, after: int | None) -> tuple[dict[int, list], int]:
    """The organization's entries (those with ``seq`` > ``after``), decrypted, and the last seq."""
    if after is None:
        clock = CaseIndexClock.objects.filter(organization_id=organization_id).first()
        if clock is None:
            return {}, 0
        columns, last = _all_columns(organization_id, clock.generation)
        return _entries_of(columns), last
    entries, packed, last = {}, set(), after
    for event_id, seq, entry in _single(organization_id, after):
        if entry is None:
            packed.add(event_id)
        else:
            entries[event_id] = entry
        last = max(last, seq)
    if packed:
        generation = (
            CaseIndexClock.objects.filter(organization_id=organization_id)
            .values_list("generation", flat=True)
            .first()
        )
        numbers = {pk // BLOCK_SIZE for pk in packed}
        for columns, _seq in _blocks(organization_id, generation, numbers):
            entries.update(_entries_of(_only(columns, packed - entries.keys())))
    return entries, last


ARRAYS = (
    "ids",
    "numbers",
    "months",
    "dates",
    "precisions",
    "states",
    "municipalities",
    "statuses",
    "profiles",
    "state_actor",
    "state_acts",
    "sexes",
    "ages",
    "acts",
)


def _widen(values: tuple, bits: dict[int, int]) -> np.ndarray:
    """``values``' masks over the bit positions of ``bits`` (a superset of its own)."""
    own_bits, masks = values
    words = max(1, (len(bits) + 63) // 64)
    if own_bits == {term: bits[term] for term in own_bits}:  # same positions: pad only
        return np.pad(masks, ((0, 0), (0, words - masks.shape[1])))
    wide = np.zeros((len(masks), words), dtype=np.uint64)
    for term in own_bits:
        word, bit = divmod(bits[term], 64)
        wide[Snapshot.has(values, term), word] |= np.uint64(1 << bit)
    return wide


def _merge(old: Snapshot, changed: dict[int, list]) -> Snapshot:
    """``old`` with the entries of ``changed`` replaced or added (a new snapshot: readers
    of ``old`` in other threads keep a consistent one)."""
    new = _arrays(changed)
    position = np.searchsorted(old.ids, new.ids)
    inside = position < len(old.ids)
    found = np.zeros(len(new.ids), dtype=bool)
    found[inside] = old.ids[position[inside]] == new.ids[inside]
    merged = {}
    for name in ARRAYS:
        column = getattr(old, name).copy()
        column[position[found]] = getattr(new, name)[found]
        merged[name] = np.concatenate([column, getattr(new, name)[~found]])
    for name in ("violations", "perpetrators"):
        bits = dict(getattr(old, name)[0])
        for term in getattr(new, name)[0]:
            bits.setdefault(term, len(bits))
        masks = _widen(getattr(old, name), bits)
        added = _widen(getattr(new, name), bits)
        masks[position[found]] = added[found]
        merged[name] = (bits, np.concatenate([masks, added[~found]]))
    if not found.all():  # keep positions in id order, for the next merge
        order = np.argsort(merged["ids"], kind="stable")
        merged = {
            name: (value[0], value[1][order]) if isinstance(value, tuple) else value[order]
            for name, value in merged.items()
        }
    return Snapshot(**merged)


def _keep(old: Snapshot, present: np.ndarray) -> Snapshot:
    """``old`` without the events no longer in ``present`` (the ids the database still has).

    A deletion needs no decryption: the ids of the remaining entries are plain
    integers, and every position keeps its place (still in id order)."""
    keep = np.isin(old.ids, present)
    if keep.all():
        return old
    kept = {name: getattr(old, name)[keep] for name in ARRAYS}
    for name in ("violations", "perpetrators"):
        bits, masks = getattr(old, name)
        kept[name] = (bits, masks[keep])
    return Snapshot(**kept)


@dataclass
class _Cached:
    generation: str | None
    epoch: int
    seq: int
    snapshot: Snapshot


_cache: OrderedDict[int, _Cached] = OrderedDict()
_lock = threading.Lock()
_loading: dict[int, threading.Lock] = {}


def clear() -> None:
    """Forget every organization's cached index (tests, or after restoring a backup)."""
    with _lock:
        _cache.clear()


def version(organization) -> tuple | None:
    """What identifies the organization's index as it is now (generation, epoch, seq), or
    None when it may not be cached: no clock yet, or written by this connection's open
    transaction. Whatever is derived from the index alone may be cached under it."""
    organization_id = getattr(organization, "pk", organization)
    if connection.in_atomic_block and organization_id in _dirty():
        return None
    clock = (
        CaseIndexClock.objects.filter(organization_id=organization_id)
        .values_list("generation", "epoch", "seq")
        .first()
    )
    return (organization_id, *clock) if clock else None


def snapshot(organization) -> Snapshot:
    """The organization's index as it is now, from this process's cache when it is current."""
    organization_id = getattr(organization, "pk", organization)
    clock = (
        CaseIndexClock.objects.filter(organization_id=organization_id)
        .values_list("generation", "epoch", "seq")
        .first()
    )
    if clock is None:
        return _empty()
    generation, epoch, seq = clock
    if connection.in_atomic_block and organization_id in _dirty():
        return _load_all(organization_id, generation)[0]  # not committed: never cached
    with _lock:
        loading = _loading.setdefault(organization_id, threading.Lock())
    # One thread of the process loads an organization at a time; the others wait for
    # it and then find it cached (a request arriving while the server warms its indexes).
    with loading:
        return _refreshed(organization_id, generation, epoch, seq)


def _refreshed(organization_id: int, generation: str, epoch: int, seq: int) -> Snapshot:
    with _lock:
        cached = _cache.get(organization_id)
        if cached is not None:
            _cache.move_to_end(organization_id)
    if cached and cached.generation == generation and cached.epoch >= epoch and cached.seq >= seq:
        return cached.snapshot  # as new as the clock read (perhaps newer: loaded meanwhile)
    if cached and (cached.generation, cached.epoch) == (generation, epoch):
        changed, last = _load(organization_id, cached.seq)
        index = _merge(cached.snapshot, changed)
    elif cached and cached.generation == generation:
        # Events were deleted since: drop them by id, then merge what changed.
        present = np.fromiter(
            CaseIndexEntry.objects.filter(organization_id=organization_id).values_list(
                "event_id", flat=True
            ),
            dtype=np.int64,
        )
        changed, last = _load(organization_id, cached.seq)
        index = _merge(_keep(cached.snapshot, present), changed)
    else:
        index, last = _load_all(organization_id, generation)
    # The clock was read first, and a writer holds it until it commits: every entry
    # up to its seq was visible to the load.
    fresh = _Cached(generation, epoch, max(last, seq), index)
    with _lock:
        current = _cache.get(organization_id)
        # Another thread may have stored a later state meanwhile: keep the later one.
        if (
            current is None
            or current.generation != generation
            or (current.epoch, current.seq) <= (epoch, fresh.seq)
        ):
            _cache[organization_id] = fresh
        _cache.move_to_end(organization_id)
        total = sum(len(item.snapshot) for item in _cache.values())
        while total > MAX_CACHED_ENTRIES and len(_cache) > 1:
            _dropped, item = _cache.popitem(last=False)
            total -= len(item.snapshot)
    return fresh.snapshot


def warm(limit: int | None = None) -> list[int]:
    """Load the organizations' indexes into this process's memory, the most cases first,
    as many as ``limit`` entries hold (default: what the cache keeps); their ids.

    A server process calls it at start (``warm_in_background``) so that no request
    waits for the decryption of a large index; an organization that does not fit
    is loaded when it is first asked for, as before.
    """
    limit = MAX_CACHED_ENTRIES if limit is None else limit
    sizes = (
        CaseIndexEntry.objects.values_list("organization_id")
        .annotate(entries=models.Count("pk"))
        .order_by("-entries", "organization_id")
    )
    loaded, total = [], 0
    for organization_id, entries in sizes:
        if total + entries > limit:
            continue
        snapshot(organization_id)
        total += entries
        loaded.append(organization_id)
    return loaded


def warm_in_background() -> threading.Thread:
    """``warm`` in a thread of its own (with its own database connection, closed at the end)."""

    def run() -> None:
        try:
            warm()
        except Exception:  # a request loads what is missing: serving goes on
            logger.exception("could not load the case indexes at start")
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="memoria-case-index-warm", daemon=True)
    thread.start()
    return thread


def indexed_month(event: Event) -> datetime.date | None:
    """The month the index counts ``event`` in (None: not in a month, or not indexed)."""
    index = snapshot(event.organization_id)
    found = np.flatnonzero(index.ids == event.pk)
    if not len(found) or index.months[found[0]] < 0:
        return None
    return month_from_ordinal(int(index.months[found[0]]))
