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
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from memoria.cases.io.bulk import bulk_create_sealed
from memoria.cases.models import (
    Act,
    AgeBand,
    Attribution,
    CaseIndexClock,
    CaseIndexEntry,
    DatePrecision,
    Event,
    Person,
    Sex,
    Term,
)
from memoria.vault.cipher import decrypt_text

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
    return first


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
            first = _advance(organization_id, len(entries))
            CaseIndexEntry.objects.filter(event_id__in=[pk for pk, _e in entries]).delete()
            bulk_create_sealed(  # one key lookup for the batch, not one per entry
                CaseIndexEntry,
                [
                    CaseIndexEntry(
                        event_id=pk, organization_id=organization_id, seq=first + i, data=entry
                    )
                    for i, (pk, entry) in enumerate(entries)
                ],
                organization_id,
            )


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
    # pays one cheap statement per case.
    organization_id = instance.organization_id
    CaseIndexClock.objects.filter(organization_id=organization_id).update(
        epoch=models.F("epoch") + 1
    )
    _touched(organization_id)


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


def _masks(lists: list[list[int]]) -> tuple:
    values = sorted({value for found in lists for value in found})
    bits = {value: position for position, value in enumerate(values)}
    masks = np.zeros((len(lists), max(1, (len(values) + 63) // 64)), dtype=np.uint64)
    for row, found in enumerate(lists):
        for value in found:
            word, bit = divmod(bits[value], 64)
            masks[row, word] |= np.uint64(1 << bit)
    return bits, masks


def _number(code: str) -> int:
    return int(code) if code else -1


# What an entry written before a field existed holds in its place.
ENTRY_DEFAULTS = [None] * 11 + [[], 0]


def _tally(victims: list[list[list[int]]], position: int, width: int) -> np.ndarray:
    """Per event, how many of its victims have each code at ``position`` of their pair."""
    counts = np.zeros((len(victims), width), dtype=np.int32)
    lengths = np.fromiter((len(found) for found in victims), dtype=np.int64, count=len(victims))
    if lengths.sum():
        rows = np.repeat(np.arange(len(victims)), lengths)
        codes = np.fromiter(
            (pair[position] for found in victims for pair in found),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        np.add.at(counts, (rows, codes), 1)
    return counts


def _arrays(entries: dict[int, list]) -> Snapshot:
    if not entries:
        return _empty()
    ids = np.fromiter(entries.keys(), dtype=np.int64, count=len(entries))
    rows = (
        entry if len(entry) >= len(ENTRY_DEFAULTS) else entry + ENTRY_DEFAULTS[len(entry) :]
        for entry in entries.values()
    )
    column = list(zip(*rows, strict=True))
    starts = np.array(column[3], dtype=np.int64)
    precisions = np.array(column[4], dtype=np.int8)
    dated = (starts > 0) & (precisions != PRECISION_CODE[DatePrecision.UNKNOWN])
    # Day ordinals (1 = 1 January of year 1) to month ordinals, through NumPy's dates.
    days = np.where(dated, starts, UNIX_DAY) - UNIX_DAY
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    year_only = precisions == PRECISION_CODE[DatePrecision.YEAR]
    months = np.where(year_only, months - months % 12, months)
    ranks = np.zeros(len(PRECISIONS), dtype=np.int64)
    for precision, rank in PRECISION_RANK.items():
        ranks[PRECISION_CODE[precision]] = rank
    index = Snapshot(
        ids=ids,
        numbers=np.array(column[0], dtype=np.int64),
        months=np.where(dated, months, -1),
        dates=np.where(dated, starts * 4 + ranks[precisions], -1),
        precisions=precisions,
        states=np.array([_number(code) for code in column[1]], dtype=np.int64),
        municipalities=np.array([_number(code) for code in column[2]], dtype=np.int64),
        statuses=np.array(column[5], dtype=np.int8),
        violations=_masks(list(column[6])),
        perpetrators=_masks(list(column[7])),
        profiles=np.array(column[9], dtype=np.int64),
        state_actor=np.array(column[8], dtype=bool),
        state_acts=np.array(column[10], dtype=np.int64),
        sexes=_tally(list(column[11]), 0, len(SEXES)),
        ages=_tally(list(column[11]), 1, len(AGE_BANDS)),
        acts=np.array(column[12], dtype=np.int64),
    )
    order = np.argsort(ids, kind="stable")  # positions in id order (see _merge)
    for name in ARRAYS:
        setattr(index, name, getattr(index, name)[order])
    for name in ("violations", "perpetrators"):
        bits, masks = getattr(index, name)
        setattr(index, name, (bits, masks[order]))
    return index


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


def _load(organization_id: int, after: int | None) -> tuple[dict[int, list], int]:
    """The organization's entries (those with ``seq`` > ``after``), decrypted, and the last seq."""
    rows = CaseIndexEntry.objects.filter(organization_id=organization_id)
    if after is not None:
        rows = rows.filter(seq__gt=after)
    entries, last = {}, after or 0
    for event_id, seq, data in rows.values_list("event_id", "seq", "data").iterator(2000):
        entries[event_id] = json.loads(
            decrypt_text(data, DATA_CONTEXT, organization_id=organization_id)
        )
        last = max(last, seq)
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
        entries, _last = _load(organization_id, None)  # not committed: never cached
        return _arrays(entries)
    with _lock:
        cached = _cache.get(organization_id)
        if cached is not None:
            _cache.move_to_end(organization_id)
    if cached and (cached.generation, cached.epoch) == (generation, epoch):
        if cached.seq >= seq:
            return cached.snapshot
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
        entries, last = _load(organization_id, None)
        index = _arrays(entries)
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


def indexed_month(event: Event) -> datetime.date | None:
    """The month the index counts ``event`` in (None: not in a month, or not indexed)."""
    index = snapshot(event.organization_id)
    found = np.flatnonzero(index.ids == event.pk)
    if not len(found) or index.months[found[0]] < 0:
        return None
    return month_from_ordinal(int(index.months[found[0]]))
