"""What a stolen database says about the people in it, without any key.

``measure()`` reads the case tables as a thief would: raw SQL, no key, no
decryption. For every victim (a person who is a direct victim in an act or an
indirect victim in a case) it collects every column stored in clear that
relates to them: their own row, the case they are in, the acts, perpetrator
attributions, sources and interventions of that case, the direct victim an
indirect victim is linked to, and how many people the case has. Victims whose
collected values are identical form an equivalence class; a victim alone in
their class is *unique*: whoever knows those facts about a person (a
perpetrator knows where, when and to whom) can find their row, and with it
which organization documents them.

Columns are named ``table.column`` and listed in ``CLEAR_COLUMNS``. A column
that is neither measured, nor encrypted, nor declared record keeping in
``NOT_MEASURED`` makes ``unclassified_columns()`` non-empty, and a test fails:
a new clear column is measured, or explained, before it ships.

The blind search index is measured too: how many index rows each person has
(which follows the length of their name unless padded) and how many index
values are shared by two or more people (shared surnames).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection

from memoria.vault.fields import EncryptedMixin

# Every column stored in clear that says something about a victim or their case.
CLEAR_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": (
        "organization_id",
        "sex",
        "birth_precision",
        "age_band",
        "is_defender",
        "is_journalist",
        "is_searching_relative",
        "is_migrant",
        "is_indigenous_authority",
        "is_lgbttti",
        "is_child",
        "visibility",
        "consent_recorded_at",
    ),
    "event": (
        "state_id",
        "municipality_id",
        "start_precision",
        "end_precision",
        "status",
    ),
    "event_tags": ("term_id",),
    "act": ("violation_type_id", "situation_id"),
    "indirectvictim": ("relationship_id",),
    "attribution": ("kind_id", "basis_id", "confidence"),
    "source": ("kind_id", "date", "reliability"),
    "attachment": ("content_type", "size"),
    "intervention": ("kind_id", "authority", "date"),
}

# Clear columns not counted, and why: links between rows (their effect is
# measured through the rows they join), and record keeping that says when and
# by whom the organization typed a record, not what happened to anyone.
NOT_MEASURED: dict[str, str] = {
    "id": "row identity",
    "organization_id": "measured once, on the person",
    "event_id": "link",
    "person_id": "link",
    "victim_id": "link",
    "direct_victim_id": "link",
    "act_id": "link",
    "source_id": "link",
    "number": "the organization's own sequence of cases",
    "version": "record keeping",
    "created_at": "record keeping",
    "updated_at": "record keeping",
    "created_by_id": "record keeping",
    "personsearchtoken.token": "blind index: measured apart",
    "change.actor_id": "record keeping (history)",
    "change.at": "record keeping (history)",
    "change.kind": "record keeping (history: which model changed)",
    "change.object_id": "record keeping (history)",
    "change.action": "record keeping (history)",
    "caseindexentry.seq": "record keeping (the order in which cases last changed)",
    "caseindexblock.number": "record keeping (which range of case ids a block holds)",
    "caseindexblock.generation": "record keeping (the index clock's token when sealed)",
    "caseindexblock.seq": "record keeping (when a block of cases last changed)",
    "caseindexblock.stale": "record keeping (a case of the block was deleted since)",
    "caseindexclock.generation": "record keeping (a random token of the index clock)",
    "caseindexclock.seq": "record keeping (how many index entries were ever written)",
    "caseindexclock.epoch": "record keeping (how many cases were ever deleted)",
    "importedreference.key": "keyed digest of a row's reference in its file: unique per row, "
    "says nothing without the key",
    "importedreference.file_digest": "keyed digest of an imported file: groups the cases "
    "imported together (record keeping), not a victim's trait",
}

# The columns of the first estimate: place, month, sex and age band.
PLACE_MONTH_SEX_AGE = {
    "person.organization_id",
    "event.municipality_id",
    "event.start_month",
    "person.sex",
    "person.age_band",
}
# What a perpetrator knows about the people they harmed, whoever keeps the
# record: where and when (state, municipality, the dates and how precise they
# are), to whom (sex, age, how precisely the birth date is known, the risk
# profile), what was done (violation, the situation afterwards), by whom (the
# perpetrator's kind), the relatives and how many people the case has (the
# layer adds the number of direct and indirect victims of each case). The
# target (at most 5% of direct victims unique) is judged on this layer; see
# docs/security.md for why not on "every column". The month columns exist only
# in schemas before the case index (0014): older databases are measured too.
PROFILE_COLUMNS = {
    f"person.{flag}"
    for flag in (
        "is_defender",
        "is_journalist",
        "is_searching_relative",
        "is_migrant",
        "is_indigenous_authority",
        "is_lgbttti",
        "is_child",
    )
}
WHAT_A_PERPETRATOR_KNOWS = {
    "person.organization_id",
    "event.state_id",
    "event.municipality_id",
    "event.start_date",
    "event.start_precision",
    "event.start_month",
    "event.end_date",
    "event.end_precision",
    "event.end_month",
    "person.sex",
    "person.age_band",
    "person.birth_precision",
    *PROFILE_COLUMNS,
    "act.violation_type_id",
    "act.situation_id",
    "attribution.kind_id",
    "indirectvictim.relationship_id",
}
QI_LABEL = "what a perpetrator knows (quasi-identifiers, with the number of victims per case)"
# (label, the columns measured (None: every one), whether each case's number of
# direct and indirect victims is counted too)
LAYERS: tuple[tuple[str, set[str] | None, bool], ...] = (
    ("organization, municipality, month, sex, age band", PLACE_MONTH_SEX_AGE, False),
    ("the same and violation type", PLACE_MONTH_SEX_AGE | {"act.violation_type_id"}, False),
    (QI_LABEL, WHAT_A_PERPETRATOR_KNOWS, True),
    ("every column in clear", None, True),
)


@dataclass
class Uniqueness:
    label: str
    victims: int
    unique: int
    smallest_group: int  # k: 0 when there is no victim
    median_group: float
    direct_victims: int = 0
    direct_unique: int = 0

    @property
    def unique_share(self) -> float:
        return self.unique / self.victims if self.victims else 0.0

    @property
    def direct_share(self) -> float:
        return self.direct_unique / self.direct_victims if self.direct_victims else 0.0


@dataclass
class IndexLeak:
    people: int
    rows_per_person: list[int] = field(default_factory=list)
    keys: int = 0  # distinct (organization, value) pairs
    shared_keys: int = 0  # of them, those two or more people have

    @property
    def median_rows(self) -> float:
        return statistics.median(self.rows_per_person) if self.rows_per_person else 0

    @property
    def distinct_row_counts(self) -> int:
        return len(set(self.rows_per_person))


@dataclass
class PrivacyReport:
    layers: list[Uniqueness]
    index: IndexLeak
    columns: list[str]

    def as_text(self) -> str:
        lines = []
        for layer in self.layers:
            lines.append(
                f"{layer.label}: {layer.victims} victims, {layer.unique} unique "
                f"({layer.unique_share:.1%}; direct victims {layer.direct_unique} of "
                f"{layer.direct_victims}, {layer.direct_share:.1%}), smallest group "
                f"k={layer.smallest_group}, median group {layer.median_group:g}"
            )
        index = self.index
        rows = index.rows_per_person
        lines.append(
            f"search index: {index.people} people, index rows per person "
            f"median {index.median_rows:g} (min {min(rows, default=0)}, "
            f"max {max(rows, default=0)}, {index.distinct_row_counts} different counts); "
            f"{index.shared_keys} of {index.keys} index values shared by two or more people"
        )
        lines.append("columns in clear measured: " + ", ".join(self.columns))
        return "\n".join(lines)


# Filled by victim_signatures() from the models as they are now.
_ENCRYPTED: set[str] = set()


def _table(name: str) -> str:
    return apps.get_model("cases", name)._meta.db_table


def _columns_present(table: str) -> set[str]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return {column.name for column in description}


def _select(table: str, columns: Iterable[str], where: str = "", params=()) -> list[tuple]:
    qn = connection.ops.quote_name
    sql = f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)} {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _clear(model: str) -> tuple[str, ...]:
    """The measured columns of a table that exist in this database (older schemas lack some)."""
    table = _table(model) if model != "event_tags" else _tags_table()
    present = _columns_present(table)
    return tuple(c for c in CLEAR_COLUMNS[model] if c in present)


def _tags_model():
    return apps.get_model("cases", "Event")._meta.get_field("tags").remote_field.through


def _tags_table() -> str:
    return _tags_model()._meta.db_table


def encrypted_columns() -> set[str]:
    """The listed columns whose field now encrypts: a copy shows only whether they are set."""
    found = set()
    for key in CLEAR_COLUMNS:
        if key == "event_tags":
            continue
        model = apps.get_model("cases", key)
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, EncryptedMixin):
                found.add(f"{key}.{model_field.column}")
    return found


def _shown(column: str, value) -> str:
    if column in _ENCRYPTED:
        return "set" if value not in (None, "") else "empty"
    return str(value)


def _values(row: tuple, names: tuple[str, ...], prefix: str, wanted: set[str] | None) -> tuple:
    return tuple(
        (f"{prefix}.{name}", _shown(f"{prefix}.{name}", value))
        for name, value in zip(names, row, strict=True)
        if wanted is None or f"{prefix}.{name}" in wanted
    )


def _rows_by(model: str, key: str, wanted: set[str] | None, organization_id=None):
    """{key value: sorted tuple of each row's wanted clear values} for one table."""
    names = _clear(model)
    table = _tags_table() if model == "event_tags" else _table(model)
    grouped: dict[int, list] = defaultdict(list)
    for row in _select(table, (key, *names)):
        values = _values(row[1:], names, model, wanted)
        if values:
            grouped[row[0]].append(values)
    return {k: tuple(sorted(v)) for k, v in grouped.items()}


def victim_signatures(
    wanted: set[str] | None = None, counts: bool | None = None
) -> dict[int, tuple]:
    """Each victim's person id → everything in clear about them (only ``wanted`` columns).

    ``counts``: add each case's number of direct and indirect victims (by
    default, only when every column is measured).
    """
    if counts is None:
        counts = wanted is None
    _ENCRYPTED.clear()
    _ENCRYPTED.update(encrypted_columns())
    person_names = _clear("person")
    people = {
        row[0]: _values(row[1:], person_names, "person", wanted)
        for row in _select(_table("Person"), ("id", *person_names))
    }
    event_names = _clear("event")
    events = {
        row[0]: _values(row[1:], event_names, "event", wanted)
        for row in _select(_table("Event"), ("id", *event_names))
    }
    attachments = _rows_by("attachment", "source_id", wanted)
    sources: dict[int, list] = defaultdict(list)
    source_names = _clear("source")
    for row in _select(_table("Source"), ("event_id", "id", *source_names)):
        values = _values(row[2:], source_names, "source", wanted) + attachments.get(row[1], ())
        if values:
            sources[row[0]].append(values)
    interventions: dict[int, list] = defaultdict(list)
    intervention_names = _clear("intervention")
    for row in _select(_table("Intervention"), ("event_id", "victim_id", *intervention_names)):
        values = _values(row[2:], intervention_names, "intervention", wanted)
        if values:
            interventions[row[0]].append((row[1], values))
    per_event = {
        "tags": _rows_by("event_tags", "event_id", wanted),
    }
    attributions = _rows_by("attribution", "act_id", wanted)
    acts = _select(_table("Act"), ("id", "event_id", "victim_id", *_clear("act")))
    relatives = _select(
        _table("IndirectVictim"),
        ("event_id", "person_id", "direct_victim_id", *_clear("indirectvictim")),
    )
    direct = Counter(event for _a, event, *_rest in acts)
    indirect = Counter(event for event, *_rest in relatives)

    def case(event_id: int, person_id: int) -> tuple:
        # The case as its rows show it, from one of its people: their own
        # interventions are told apart from the others'.
        shown = [
            events.get(event_id, ()),
            per_event["tags"].get(event_id, ()),
            tuple(sorted(sources.get(event_id, ()))),
            tuple(
                sorted((victim == person_id, values) for victim, values in interventions[event_id])
            ),
        ]
        if counts:
            shown.append((direct[event_id], indirect[event_id]))
        return tuple(shown)

    links: dict[int, list] = defaultdict(list)
    act_names = _clear("act")
    for act_id, event_id, victim_id, *row in acts:
        values = _values(tuple(row), act_names, "act", wanted)
        links[victim_id].append(
            ("direct", case(event_id, victim_id), values, attributions.get(act_id, ()))
        )
    relative_names = _clear("indirectvictim")
    for event_id, person_id, direct_id, *row in relatives:
        values = _values(tuple(row), relative_names, "indirectvictim", wanted)
        linked = people.get(direct_id, ()) if wanted is None else ()
        links[person_id].append(("indirect", case(event_id, person_id), values, linked))
    return {
        person_id: (people.get(person_id, ()), tuple(sorted(map(repr, roles))))
        for person_id, roles in links.items()
    }


def uniqueness(
    label: str, signatures: dict[int, tuple], direct: set[int] = frozenset()
) -> Uniqueness:
    """How many victims share their signature with nobody; ``direct``: the direct victims' ids."""
    sizes = Counter(signatures.values())
    groups = [sizes[signature] for signature in signatures.values()]
    direct_groups = [sizes[signatures[pk]] for pk in direct if pk in signatures]
    return Uniqueness(
        label=label,
        victims=len(groups),
        unique=sum(1 for size in groups if size == 1),
        smallest_group=min(groups, default=0),
        median_group=statistics.median(groups) if groups else 0,
        direct_victims=len(direct_groups),
        direct_unique=sum(1 for size in direct_groups if size == 1),
    )


def direct_victims() -> set[int]:
    return {victim for (victim,) in _select(_table("Act"), ("victim_id",))}


def index_leak() -> IndexLeak:
    rows = _select(_table("PersonSearchToken"), ("organization_id", "person_id", "token"))
    per_person = Counter(person for _org, person, _token in rows)
    holders = Counter((org, token) for org, _person, token in rows)
    return IndexLeak(
        people=len(per_person),
        rows_per_person=sorted(per_person.values()),
        keys=len(holders),
        shared_keys=sum(1 for n in holders.values() if n > 1),
    )


def measured_columns() -> list[str]:
    encrypted = encrypted_columns()
    return [
        f"{model}.{name}" + (" (encrypted: whether set)" if f"{model}.{name}" in encrypted else "")
        for model in CLEAR_COLUMNS
        for name in _clear(model)
    ]


def measure() -> PrivacyReport:
    """Measure the whole database (every organization), from the raw tables."""
    direct = direct_victims()
    layers = [
        uniqueness(label, victim_signatures(wanted, counts), direct)
        for label, wanted, counts in LAYERS
    ]
    return PrivacyReport(layers=layers, index=index_leak(), columns=measured_columns())


def unclassified_columns() -> list[str]:
    """Clear columns of the case models that are neither measured nor explained."""
    missing = []
    for model in apps.get_app_config("cases").get_models(include_auto_created=True):
        if model.__name__ in ("Vocabulary", "Term"):
            continue  # the shared vocabularies: the same for everyone
        name = model._meta.model_name
        if model._meta.auto_created:  # a many-to-many table: its links are measured
            name = "event_tags" if model is _tags_model() else "links"
        measured = CLEAR_COLUMNS.get(name, ())
        for model_field in model._meta.concrete_fields:
            column = model_field.column
            if isinstance(model_field, EncryptedMixin) or name == "links":
                continue
            if column in measured or f"{name}.{column}" in NOT_MEASURED:
                continue
            if column in NOT_MEASURED:
                continue
            missing.append(f"{name}.{column}")
    return missing
