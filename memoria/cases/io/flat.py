"""One row per act, for the flat standard formats (Uwazi's CSV, HXL).

A row is an act with its event, its direct victim and the act's involvements
(perpetrators, as parallel lists separated by ``|``). Both formats are
projections of the ESF document (``esf``): the export flattens it, the import
groups the rows back into events, persons and acts and hands the document to
``esf.import_document``, which checks and writes it. So every check, every
vocabulary and the all-or-nothing write are the ESF import's; a problem is
reported with the row of the file it comes from.

What a row cannot carry: indirect victims, sources, interventions and the
involvements' remarks (use ESF for whole records).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from memoria.cases.io.esf import FormatError
from memoria.cases.io.validation import DAY, MONTH, YEAR, PartialDate, parse_partial_date
from memoria.geo import fold

LIST_SEPARATOR = "|"
EVENT_KEYS = (
    "event_record_number", "event_title", "event_description", "initial_date",
    "initial_date_precision", "final_date", "final_date_precision", "state_code",
    "municipality_code", "locality", "latitude", "longitude", "status", "tags",
)  # fmt: skip
PERSON_KEYS = (
    "person_record_number", "given_names", "paternal_surname", "maternal_surname", "aliases",
    "sex", "gender_identity", "date_of_birth", "date_of_birth_precision", "age", "nationality",
    "ethnic_background", "occupation", "curp", "profile", "visibility", "consent_recorded_at",
    "consent_note",
)  # fmt: skip
ACT_KEYS = ("act_record_number", "type_of_act", "victim_situation", "act_description")
INVOLVEMENT_KEYS = ("type_of_perpetrator", "perpetrator_group", "basis", "degree_of_confidence")
LIST_KEYS = ("tags", "profile", *INVOLVEMENT_KEYS)
# The event's details every row of one event must repeat alike.
EVENT_DETAILS = ("event_title", "initial_date", "state_code", "municipality_code")


@dataclass(frozen=True)
class FlatColumn:
    """A column of a flat format: the row key it holds and its name in the file."""

    key: str
    name: str
    identity: bool = False  # left out of exports without identities


def rows_from_document(doc: dict) -> list[dict]:
    """One dictionary per act (values as in the ESF document; lists stay lists)."""
    events = {e["event_record_number"]: e for e in doc["events"]}
    persons = {p["person_record_number"]: p for p in doc["persons"]}
    involvements: dict[str, list[dict]] = {}
    for involvement in doc["involvements"]:
        involvements.setdefault(involvement["act"], []).append(involvement)
    rows = []
    for act in doc["acts"]:
        event, person = events[act["event"]], persons[act["victim"]]
        row = {key: event.get(key, "") for key in EVENT_KEYS}
        row.update({key: person.get(key, "") for key in PERSON_KEYS})
        row.update({key: act.get(key, "") for key in ACT_KEYS})
        own = involvements.get(act["act_record_number"], [])
        row.update({key: [i.get(key, "") for i in own] for key in INVOLVEMENT_KEYS})
        rows.append(row)
    return rows


def csv_name(filename: str) -> str:
    """The name the spreadsheet reader goes by: an Excel file, or else CSV text
    (whatever the file was called: ``casos.uwazi``, ``datos.hxl``)."""
    return filename if filename.lower().endswith(".xlsx") else "import.csv"


def cell(value) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return "" if value is None else str(value)


def split(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR)] if value.strip() else []


def with_precision(raw: str, precision: str) -> str:
    """A full date cut to its precision ("2019/03/01" and "month" → "2019-03")."""
    precision = precision.strip()
    if not raw.strip() or precision not in (DAY, MONTH, YEAR):
        return raw
    try:
        parsed = parse_partial_date(raw)
    except ValueError:
        return raw  # the ESF check reports it
    if parsed.value is None:
        return raw
    return str(PartialDate(parsed.value, precision))


def document_from_rows(rows: list[tuple[int, dict]]) -> tuple[dict, list[FormatError]]:
    """Group ``(row number, values by key)`` back into an ESF document.

    Rows with the same event record number are one event (a row without one
    is an event of its own); rows with the same person record number are one
    person (without one: the same CURP, or else the same name in the same
    event).
    """
    doc: dict = {
        "format": "huridocs-esf",
        "events": [],
        "persons": [],
        "acts": [],
        "involvements": [],
        "biographic_details": [],
        "sources": [],
        "interventions": [],
    }
    errors: list[FormatError] = []
    events: dict[str, dict] = {}
    persons: dict[object, str] = {}
    for number, values in rows:
        values = {key: value.strip() for key, value in values.items()}
        for key in ("initial_date", "final_date", "date_of_birth"):
            values[key] = with_precision(values.get(key, ""), values.get(f"{key}_precision", ""))
        event_ref = values.get("event_record_number") or f"row-{number}"
        event = events.get(event_ref)
        if event is None:
            event = {key: values.get(key, "") for key in EVENT_KEYS}
            event.update(event_record_number=event_ref, _row=number)
            event["tags"] = split(values.get("tags", ""))
            events[event_ref] = event
            doc["events"].append(event)
        elif any(fold(event[k]) != fold(values.get(k, "")) for k in EVENT_DETAILS):
            errors.append(
                FormatError(
                    _("row %(row)s") % {"row": number},
                    "event_record_number",
                    event_ref,
                    _(
                        "This row belongs to event “%(reference)s” but gives a different "
                        "title, date or place than row %(first)s."
                    )
                    % {"reference": event_ref, "first": event["_row"]},
                )
            )
        person_key = _person_key(values, event_ref)
        person_ref = persons.get(person_key)
        if person_ref is None:
            person_ref = values.get("person_record_number") or f"row-{number}"
            persons[person_key] = person_ref
            person = {key: values.get(key, "") for key in PERSON_KEYS}
            person.update(person_record_number=person_ref, _row=number)
            person["profile"] = split(values.get("profile", ""))
            doc["persons"].append(person)
        act_ref = values.get("act_record_number") or f"row-{number}"
        act = {key: values.get(key, "") for key in ACT_KEYS}
        act.update(act_record_number=act_ref, event=event_ref, victim=person_ref, _row=number)
        doc["acts"].append(act)
        lists = {key: split(values.get(key, "")) for key in INVOLVEMENT_KEYS}
        count = max((len(v) for v in lists.values()), default=0)
        for index in range(count):
            involvement = {
                key: (lists[key][index] if index < len(lists[key]) else "")
                for key in INVOLVEMENT_KEYS
            }
            involvement.update(act=act_ref, _row=number)
            doc["involvements"].append(involvement)
    return doc, errors


def _person_key(values: dict, event_ref: str) -> object:
    if values.get("person_record_number"):
        return ("ref", values["person_record_number"])
    if values.get("curp"):
        return ("curp", values["curp"].upper())
    name = " ".join(
        values.get(k, "") for k in ("given_names", "paternal_surname", "maternal_surname")
    )
    return ("name", event_ref, fold(name))
