"""Checking a whole table and writing it: all rows or none.

``check_table`` reads every row and collects every problem without writing
anything. ``import_table`` checks first and writes only when no row has a
problem, in one transaction with its audit entry, so a failure half-way (the
audit included) leaves the database as it was. Rows that share an
``event_reference`` become one event; one person may appear in several rows
(several violations) when the rows give the same CURP, or the same name within
one event.

Each imported case keeps its reference in the file (``io.previous``). When a
file, or some of its references, was imported before, ``check_table`` says so
(``report.previous``) and ``write_rows`` refuses to go on until told what to
do with those rows: ``skip`` them, ``update`` the cases they became (through
the same versioned actions and audit as an edit), or ``create`` them again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from memoria.accounts.models import Organization
from memoria.cases.caseindex import rebuild as rebuild_case_index
from memoria.cases.io.bulk import bulk_create_sealed, refresh_statistics_after_commit
from memoria.cases.io.mapping import apply_mapping, check_mapping
from memoria.cases.io.previous import (
    CHOICES,
    PreviousImport,
    file_digest,
    find_previous,
    reference_keys,
)
from memoria.cases.io.readers import Table
from memoria.cases.io.validation import (
    DEFAULT_TERMS,
    Lookups,
    ParsedRow,
    PlaceIndex,
    RowError,
    Vocabulary,
    check_row,
)
from memoria.cases.search import index_people
from memoria.geo import fold

Progress = Callable[[str, int, int], None]
TERM_FIELDS = {
    "violation_type": "violation_type",
    "victim_situation": "victim_situation",
    "perpetrator_kind": "perpetrator_kind",
    "source_kind": "source_kind",
}
STATUS_SYNONYMS = {
    "open": ["abierto", "abierta", "activo", "en proceso"],
    "verifying": ["en verificacion", "por verificar", "verificando"],
    "verified": ["verificado", "verificada", "documentado", "confirmado"],
    "closed": ["cerrado", "cerrada", "concluido", "archivado"],
}


@dataclass
class ImportReport:
    """What an import found and did, for the page, the command and the tests."""

    filename: str = ""
    row_count: int = 0
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    events_created: int = 0
    people_created: int = 0
    acts_created: int = 0
    events_updated: int = 0
    rows_skipped: int = 0
    committed: bool = False
    # Where the rows come from (keyed digests, see io.previous) and what was imported before.
    file_digest: str = ""
    reference_keys: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    previous: PreviousImport = field(default_factory=PreviousImport)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> list[tuple[int, list[RowError]]]:
        """Each bad row's number with its errors, in row order."""
        by_row: dict[int, list[RowError]] = {}
        for error in self.errors:
            by_row.setdefault(error.row, []).append(error)
        return sorted(by_row.items())

    @property
    def event_count(self) -> int:
        return len({event_key(row) for row in self.rows})


def event_key(row: ParsedRow) -> str:
    return f"ref:{fold(row.event_reference)}" if row.event_reference else f"row:{row.row}"


def build_lookups(organization: Organization) -> Lookups:
    from memoria.cases.models import Event, Term

    vocabularies = {}
    for key, code in TERM_FIELDS.items():
        terms = Term.objects.for_organization(organization, code)
        vocabularies[key] = Vocabulary(
            {t.code: [t.label_es, t.label_en] for t in terms}, {t.code: t.label for t in terms}
        )
    statuses = {}
    for value, label in Event.Status.choices:
        with translation.override("en"):
            english = str(label)
        with translation.override("es-mx"):
            spanish = str(label)
        statuses[value] = [english, spanish, *STATUS_SYNONYMS.get(value, [])]
    shown = {value: str(label) for value, label in Event.Status.choices}
    vocabularies["event_status"] = Vocabulary(statuses, shown)
    return Lookups(places=PlaceIndex.from_database(), vocabularies=vocabularies)


def check_table(
    table: Table,
    mapping: dict[str, str],
    organization: Organization,
    progress: Progress | None = None,
    lookups: Lookups | None = None,
) -> ImportReport:
    """Check every row; write nothing. The report lists every problem found."""
    mapping = check_mapping(mapping, table.headers)
    lookups = lookups or build_lookups(organization)
    report = ImportReport(filename=table.filename, row_count=len(table.rows))
    total = len(table.rows)
    first_of_event: dict[str, ParsedRow] = {}
    for done, (number, cells) in enumerate(table.rows, start=1):
        parsed, errors = check_row(number, apply_mapping(mapping, table.headers, cells), lookups)
        report.rows.append(parsed)
        report.errors.extend(errors)
        first = first_of_event.setdefault(event_key(parsed), parsed)
        if first is not parsed and _event_details(first) != _event_details(parsed):
            report.errors.append(
                RowError(
                    number,
                    "event_reference",
                    parsed.event_reference,
                    _(
                        "This row belongs to event “%(reference)s” but gives a different "
                        "title, date or place than row %(first)s."
                    )
                    % {"reference": parsed.event_reference, "first": first.row},
                )
            )
        if progress and (done % 200 == 0 or done == total):
            progress("check", done, total)
    _find_previous(report, table, organization)
    return report


def _find_previous(report: ImportReport, table: Table, organization: Organization) -> None:
    """Note the file's and the rows' keyed digests, and which were imported before."""
    rows_per_key: dict[str, int] = {}
    for row in report.rows:
        key = event_key(row)
        rows_per_key[key] = rows_per_key.get(key, 0) + 1
        report.references.setdefault(key, row.event_reference)
    report.file_digest = file_digest(organization, table)
    report.reference_keys = reference_keys(organization, table, list(rows_per_key))
    report.previous = find_previous(
        organization, report.file_digest, report.reference_keys, rows_per_key
    )


class DuplicateImport(Exception):
    """The file, or some of its references, was imported before and no choice was made."""

    def __init__(self, previous: PreviousImport) -> None:
        numbers = ", ".join(f"#{n}" for n in previous.case_numbers)
        super().__init__(f"{previous.rows} rows were imported before as cases {numbers}")
        self.previous = previous


def _event_details(row: ParsedRow) -> tuple:
    return (
        fold(row.event_title),
        str(row.event_date),
        row.state_code,
        row.municipality_code,
    )


def import_table(
    table: Table,
    mapping: dict[str, str],
    organization: Organization,
    actor=None,
    dry_run: bool = False,
    progress: Progress | None = None,
    via: str = "web",
    on_duplicate: str | None = None,
) -> ImportReport:
    """Check every row, then write them all in one transaction, or nothing.

    Nothing is written when any row has a problem, or when ``dry_run`` is set;
    rows imported before need ``on_duplicate`` (see ``write_rows``).
    """
    report = check_table(table, mapping, organization, progress)
    if report.ok and not dry_run:
        write_rows(report, organization, actor, progress, via=via, on_duplicate=on_duplicate)
    return report


@transaction.atomic
def write_rows(
    report: ImportReport,
    organization: Organization,
    actor=None,
    progress: Progress | None = None,
    via: str = "web",
    on_duplicate: str | None = None,
) -> ImportReport:
    """Create the events, people, acts, attributions and sources of checked rows,
    and the import's audit entry, in one transaction.

    Rows whose case was imported before (looked up again here, in the
    transaction) are skipped (``on_duplicate="skip"``), update that case
    (``"update"``) or become new cases all the same (``"create"``); without a
    choice ``DuplicateImport`` is raised and nothing is written.

    The audit entry holds counts only: never the file's name, which is often a
    person's name ("Testimonio_<name>_<CURP>.csv"). The name is kept, encrypted,
    in each imported case's history.
    """
    from memoria.audit.log import audit

    if on_duplicate is not None and on_duplicate not in CHOICES:
        raise ValueError(f"on_duplicate must be one of {', '.join(CHOICES)}")
    rows_per_key: dict[str, int] = {}
    for row in report.rows:
        rows_per_key[event_key(row)] = rows_per_key.get(event_key(row), 0) + 1
    previous = find_previous(organization, report.file_digest, report.reference_keys, rows_per_key)
    if previous.events and on_duplicate is None:
        raise DuplicateImport(previous)
    known = previous.events if on_duplicate in ("skip", "update") else {}
    new_rows = [row for row in report.rows if event_key(row) not in known]
    writer = _RowWriter(organization, actor, report.filename)
    writer.write(new_rows, progress)
    if on_duplicate == "update":
        report.events_updated = _update_cases(known, report.rows, writer.actor)
    elif on_duplicate == "skip":
        report.rows_skipped = len(report.rows) - len(new_rows)
    updated = known if on_duplicate == "update" and not previous.same_file else {}
    _keep_references(report, organization, {**writer.events, **updated})
    refresh_statistics_after_commit(len(report.rows))
    report.events_created = len(writer.events)
    report.people_created = len(writer.people)
    report.acts_created = len(writer.acts)
    choice = {}
    if previous.events:
        choice = {
            "on_duplicate": on_duplicate,
            "updated": report.events_updated,
            "skipped": report.rows_skipped,
        }
    audit(
        writer.actor,
        organization,
        "cases.import",
        via=via,
        rows=report.row_count,
        events=report.events_created,
        people=report.people_created,
        **choice,
    )
    report.committed = True
    return report


def _keep_references(report: ImportReport, organization: Organization, events: dict) -> None:
    """Remember which case each of the file's references (or rows) became."""
    from memoria.cases.models import ImportedReference

    bulk_create_sealed(
        ImportedReference,
        [
            ImportedReference(
                organization=organization,
                event=event,
                key=report.reference_keys[key],
                file_digest=report.file_digest,
                reference=report.references.get(key, "")[:100],
            )
            for key, event in events.items()
        ],
        organization.pk,
    )


# -- updating the cases a file was imported as before -----------------------------------


def _update_cases(known: dict, rows: list[ParsedRow], actor) -> int:
    """Update each case from its rows, through the actions an edit uses (history, audit).

    The event takes the file's title, description, dates, place and status
    (an empty cell keeps the saved value); a victim already in the case has
    their act of the same violation updated (its situation afterwards); a
    victim not yet in it is added. Sources are not added again.
    """
    from memoria.cases.models import Event

    for key, event in known.items():
        own_rows = [row for row in rows if event_key(row) == key]
        event = Event.objects.select_for_update(no_key=True).get(pk=event.pk)
        _update_event(event, own_rows[0], actor)
        for row in own_rows:
            _update_victim(event, row, actor)
    return len(known)


def _update_event(event, row: ParsedRow, actor) -> None:
    from memoria.cases import actions
    from memoria.cases.actions import EVENT_FIELDS
    from memoria.places.models import Municipality, State

    data = {name: getattr(event, name) for name in EVENT_FIELDS}
    data["tags"] = list(event.tags.all())
    data["title"] = row.event_title or event.title
    data["description"] = row.event_description or event.description
    if row.event_date.value:
        data["start_date"], data["start_precision"] = row.event_date.value, row.event_date.precision
    if row.event_end_date.value:
        data["end_date"] = row.event_end_date.value
        data["end_precision"] = row.event_end_date.precision
    if row.state_code:
        state = State.objects.get(code=row.state_code)
        if row.municipality_code:
            data["municipality"] = Municipality.objects.get(cvegeo=row.municipality_code)
        elif state.pk != event.state_id:
            data["municipality"] = None  # the saved one belongs to the other state
        data["state"] = state
    data["locality"] = row.locality or event.locality
    data["status"] = row.event_status or event.status
    actions.update_event(event, actor, data, event.version)


def _update_victim(event, row: ParsedRow, actor) -> None:
    from memoria.cases import actions
    from memoria.cases.models import Act, Term

    terms = {
        key: {t.code: t for t in Term.objects.for_organization(event.organization, code)}
        for key, code in TERM_FIELDS.items()
    }
    violation = terms["violation_type"][row.violation_type]
    situation = terms["victim_situation"].get(row.victim_situation or "")
    acts = list(Act.objects.filter(event=event).select_related("victim", "violation_type"))
    same_person = [act for act in acts if _is_row_person(act.victim, row)]
    same_violation = [act for act in same_person if act.violation_type_id == violation.pk]
    for act in same_violation:
        if situation is not None:
            data = {
                "violation_type": violation,
                "situation": situation,
                "description": act.description,
            }
            actions.update_act(act, actor, data, act.version)
    if same_violation:
        return
    person = {
        "given_names": row.given_names,
        "paternal_surname": row.paternal_surname,
        "maternal_surname": row.maternal_surname,
        "aliases": row.aliases,
        "sex": row.sex,
        "birth_date": row.birth_date.value,
        "birth_precision": row.birth_date.precision,
        "age": row.age,
        "nationality": row.nationality,
        "occupation": row.occupation,
        "curp": row.curp,
    }
    act = {"violation_type": violation, "situation": situation, "description": ""}
    attribution = None
    if row.perpetrator_kind or row.perpetrator_group:
        kind = row.perpetrator_kind or DEFAULT_TERMS["perpetrator_kind"]
        attribution = {
            "kind": terms["perpetrator_kind"][kind],
            "group_name": row.perpetrator_group,
        }
    # A victim already in the case with another violation gets this one too, on her
    # own record; anyone else is added as a new victim.
    known = same_person[0].victim if same_person else None
    actions.add_victim(event, actor, person, act, attribution, person=known)


def _is_row_person(person, row: ParsedRow) -> bool:
    if row.curp and person.curp:
        return person.curp == row.curp
    return fold(person.full_name) == fold(row.display_name) and bool(row.display_name)


class _RowWriter:
    def __init__(self, organization: Organization, actor, filename: str) -> None:
        from memoria.cases.models import Event, Term

        self.organization = organization
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.filename = filename
        self.now = timezone.now()
        self.terms = {
            key: {t.code: t for t in Term.objects.for_organization(organization, code)}
            for key, code in TERM_FIELDS.items()
        }
        self.basis = {
            t.code: t for t in Term.objects.for_organization(organization, "attribution_basis")
        }
        # Lock the organization row: event numbers are taken one after another.
        Organization.objects.select_for_update(no_key=True).filter(pk=organization.pk).first()
        last = Event.objects.filter(organization=organization).order_by("-number").first()
        self.next_number = (last.number if last else 0) + 1
        self.events: dict[str, object] = {}
        self.people: dict[object, object] = {}
        self.acts: list = []

    def stamp(self) -> dict:
        return {
            "organization": self.organization,
            "created_at": self.now,
            "updated_at": self.now,
            "created_by": self.actor,
        }

    def write(self, rows: list[ParsedRow], progress: Progress | None) -> None:
        from memoria.cases import models as m

        for row in rows:
            key = event_key(row)
            if key not in self.events:
                self.events[key] = self.new_event(row)
        bulk_create_sealed(m.Event, self.events.values(), self.organization.pk)
        act_rows = []
        for row in rows:
            person = self.person_for(row)
            act = m.Act(
                event=self.events[event_key(row)],
                victim=person,
                violation_type=self.terms["violation_type"][row.violation_type],
                situation=self.terms["victim_situation"].get(row.victim_situation or ""),
                **self.stamp(),
            )
            act_rows.append((act, row))
        # Acts take their victim's primary key when saved (Django fills it in then).
        bulk_create_sealed(m.Person, self.people.values(), self.organization.pk)
        self.acts = [act for act, _row in act_rows]
        bulk_create_sealed(m.Act, self.acts, self.organization.pk)
        if progress:
            progress("write", len(rows) // 2, len(rows))
        self.write_attributions_and_sources(act_rows)
        rebuild_case_index(event.pk for event in self.events.values())
        self.write_history()

        index_people(self.organization, list(self.people.values()))
        if progress:
            progress("write", len(rows), len(rows))

    def new_event(self, row: ParsedRow):
        from memoria.cases.models import Event

        event = Event(
            number=self.next_number,
            title=row.event_title,
            description=row.event_description,
            start_date=row.event_date.value,
            start_precision=row.event_date.precision,
            end_date=row.event_end_date.value,
            end_precision=row.event_end_date.precision,
            state_id=row.state_code,
            municipality_id=row.municipality_code,
            locality=row.locality,
            status=row.event_status or Event.Status.OPEN,
            **self.stamp(),
        )
        self.next_number += 1
        return event

    def person_for(self, row: ParsedRow):
        from memoria.cases.actions import age_at, age_band
        from memoria.cases.models import Person

        key = ("curp", row.curp) if row.curp else ("name", event_key(row), fold(row.display_name))
        if key in self.people:
            return self.people[key]
        age = row.age
        event_date = row.event_date.value
        if age is None and event_date:
            age = age_at(row.birth_date.value, row.birth_date.precision, event_date)
        person = Person(
            given_names=row.given_names,
            paternal_surname=row.paternal_surname,
            maternal_surname=row.maternal_surname,
            aliases=row.aliases,
            sex=row.sex,
            birth_date=row.birth_date.value,
            birth_precision=row.birth_date.precision,
            age=age,
            age_band=age_band(age),
            is_child=age is not None and age < 18,
            nationality=row.nationality,
            occupation=row.occupation,
            curp=row.curp,
            **self.stamp(),
        )
        self.people[key] = person
        return person

    def write_attributions_and_sources(self, act_rows) -> None:
        from memoria.cases import models as m

        attributions = []
        sources: dict[tuple, tuple] = {}
        for act, row in act_rows:
            if row.perpetrator_kind or row.perpetrator_group:
                attributions.append(
                    m.Attribution(
                        act=act,
                        event=act.event,
                        kind=self.terms["perpetrator_kind"][
                            row.perpetrator_kind or DEFAULT_TERMS["perpetrator_kind"]
                        ],
                        group_name=row.perpetrator_group,
                        **self.stamp(),
                    )
                )
            if row.source_kind or row.source_reference:
                key = (act.event.pk, row.source_kind, fold(row.source_reference))
                if key not in sources:
                    kind = self.terms["source_kind"][
                        row.source_kind or DEFAULT_TERMS["source_kind"]
                    ]
                    source = m.Source(
                        event=act.event,
                        kind=kind,
                        date=row.source_date.value,
                        reference=row.source_reference,
                        **self.stamp(),
                    )
                    sources[key] = (source, [])
                sources[key][1].append(act)
        bulk_create_sealed(m.Attribution, attributions, self.organization.pk)
        bulk_create_sealed(m.Source, [s for s, _acts in sources.values()], self.organization.pk)
        through = m.Source.acts.through
        through.objects.bulk_create(
            [through(source_id=s.pk, act_id=a.pk) for s, acts in sources.values() for a in acts],
            batch_size=1000,
        )

    def write_history(self) -> None:
        from memoria.cases.models import Change

        bulk_create_sealed(
            Change,
            [
                Change(
                    organization=self.organization,
                    event=event,
                    actor=self.actor,
                    at=self.now,
                    kind="event",
                    object_id=event.pk,
                    action=Change.Action.CREATED,
                    changes={"import": [None, self.filename]},
                )
                for event in self.events.values()
            ],
            self.organization.pk,
        )
