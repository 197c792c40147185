"""The HURIDOCS Events Standard Formats (ESF): export and import of whole case records.

The case models already follow ESF (event → act → victim; involvement of a
perpetrator in an act; source; intervention; a person's relation to another
as "biographic details"), so an ESF document is those records as lists of
ESF formats, each record with its record number and the numbers of the
records it points to (docs/formats.md lists every field)::

    {"format": "huridocs-esf", "schema": "memoria.esf/1", "identities": true,
     "events": [...], "persons": [...], "acts": [...], "involvements": [...],
     "biographic_details": [...], "sources": [...], "interventions": [...]}

Everything the records hold travels: dates with their precision, every
involvement of every act, indirect victims, sources with the acts they
support, interventions, tags, coordinates. Attachments do not (their files
stay in the installation). Without identities, names, CURP, birth dates,
titles, descriptions, testimonies, coordinates, folios and notes are left out
(absent, never decrypted), as in the other exports: such a file cannot be
imported again, the events have no title.

Import checks every record first (the same date, place, CURP and vocabulary
checks as the spreadsheet import, ``validation``), reports every problem with
the record it is in, and writes nothing unless every record is right; then it
writes everything in one transaction with its audit entry. Values are
encrypted as every import encrypts them (``bulk.bulk_create_sealed``). The
flat formats (``uwazi``, ``hxl``) become this document and are written the
same way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from memoria.accounts.models import Organization
from memoria.cases.io.bulk import bulk_create_sealed, refresh_statistics_after_commit
from memoria.cases.io.validation import (
    Lookups,
    ParsedRow,
    PartialDate,
    PlaceIndex,
    RowChecker,
    Vocabulary,
    _check_person,
    _check_place,
)

FORMAT = "huridocs-esf"
SCHEMA = "memoria.esf/1"
LISTS = (
    "events",
    "persons",
    "acts",
    "involvements",
    "biographic_details",
    "sources",
    "interventions",
)
Progress = Callable[[int, int], None]
# What "without identities" leaves out, beyond exporter.IDENTITY_FIELDS' names and
# testimonies: everything written in free text, and the exact place.
IDENTITY_KEYS = {
    "events": ("event_title", "event_description", "latitude", "longitude"),
    "persons": ("given_names", "paternal_surname", "maternal_surname", "aliases",
                "gender_identity", "date_of_birth", "curp", "consent_note"),
    "acts": ("act_description",),
    "involvements": ("remarks",),
    "sources": ("reference", "content"),
    "interventions": ("folio", "remarks"),
}  # fmt: skip


# -- export ------------------------------------------------------------------------------


def _partial(date, precision: str) -> str:
    return str(PartialDate(date, precision)) if date else ""


def _iso(date) -> str:
    return date.isoformat() if date else ""


def _code(term) -> str:
    return term.code if term is not None else ""


def event_ref(event) -> str:
    return f"E-{event.number}"


def esf_document(organization: Organization, identities: bool, progress: Progress | None = None):
    """The organization's records as an ESF document (a dictionary ready for JSON)."""
    from memoria.cases import models as m
    from memoria.cases.models import PROFILE_FLAGS

    events = list(
        m.Event.objects.filter(organization=organization)
        .order_by("number")
        .prefetch_related(
            "tags",
            Prefetch("acts", m.Act.objects.select_related("violation_type").order_by("id")),
            Prefetch("attributions", m.Attribution.objects.select_related("basis").order_by("id")),
            Prefetch("indirect_victims", m.IndirectVictim.objects.order_by("id")),
            Prefetch(
                "sources",
                m.Source.objects.select_related("kind").prefetch_related("acts").order_by("id"),
            ),
            Prefetch("interventions", m.Intervention.objects.select_related("kind").order_by("id")),
        )
    )
    people_ids: list[int] = []
    doc: dict = {key: [] for key in LISTS}
    for done, event in enumerate(events, 1):
        ref = event_ref(event)
        doc["events"].append(
            {
                "event_record_number": ref,
                "event_title": event.title,
                "event_description": event.description,
                "initial_date": _partial(event.start_date, event.start_precision),
                "initial_date_precision": event.start_precision,
                "final_date": _partial(event.end_date, event.end_precision),
                "final_date_precision": event.end_precision,
                "state_code": event.state_id or "",
                "municipality_code": event.municipality_id or "",
                "locality": event.locality,
                "latitude": str(event.latitude) if event.latitude is not None else "",
                "longitude": str(event.longitude) if event.longitude is not None else "",
                "status": event.status,
                "tags": sorted(t.code for t in event.tags.all()),
            }
        )
        for act in event.acts.all():
            people_ids.append(act.victim_id)
            doc["acts"].append(
                {
                    "act_record_number": f"A-{act.pk}",
                    "event": ref,
                    "victim": f"P-{act.victim_id}",
                    "type_of_act": act.violation_type.code,
                    "victim_situation": _code(act.situation),
                    "act_description": act.description,
                }
            )
        for attribution in event.attributions.all():
            doc["involvements"].append(
                {
                    "involvement_record_number": f"I-{attribution.pk}",
                    "act": f"A-{attribution.act_id}",
                    "type_of_perpetrator": attribution.kind.code,
                    "perpetrator_group": attribution.group_name,
                    "basis": _code(attribution.basis),
                    "degree_of_confidence": attribution.confidence,
                    "remarks": attribution.notes,
                }
            )
        for relative in event.indirect_victims.all():
            people_ids.append(relative.person_id)
            doc["biographic_details"].append(
                {
                    "biographic_details_record_number": f"B-{relative.pk}",
                    "event": ref,
                    "person": f"P-{relative.person_id}",
                    "related_person": f"P-{relative.direct_victim_id}",
                    "type_of_relationship": relative.relationship.code,
                }
            )
        for source in event.sources.all():
            doc["sources"].append(
                {
                    "source_record_number": f"S-{source.pk}",
                    "event": ref,
                    "type_of_source": source.kind.code,
                    "date_of_source": _iso(source.date),
                    "reliability": source.reliability,
                    "reference": source.reference,
                    "content": source.summary,
                    "acts": [f"A-{act.pk}" for act in sorted(source.acts.all(), key=_pk)],
                }
            )
        for intervention in event.interventions.all():
            if intervention.victim_id:
                people_ids.append(intervention.victim_id)
            doc["interventions"].append(
                {
                    "intervention_record_number": f"V-{intervention.pk}",
                    "event": ref,
                    "victim": f"P-{intervention.victim_id}" if intervention.victim_id else "",
                    "type_of_intervention": intervention.kind.code,
                    "intervening_party": intervention.authority,
                    "folio": intervention.folio,
                    "date_of_intervention": _iso(intervention.date),
                    "remarks": intervention.notes,
                }
            )
        if progress and (done % 200 == 0 or done == len(events)):
            progress(done, len(events))
    people = m.Person.objects.filter(pk__in=set(people_ids)).order_by("pk")
    for person in people:
        doc["persons"].append(
            {
                "person_record_number": f"P-{person.pk}",
                "given_names": person.given_names,
                "paternal_surname": person.paternal_surname,
                "maternal_surname": person.maternal_surname,
                "aliases": person.aliases,
                "sex": person.sex,
                "gender_identity": person.gender_identity,
                "date_of_birth": _partial(person.birth_date, person.birth_precision),
                "date_of_birth_precision": person.birth_precision,
                "age": person.age,
                "nationality": person.nationality,
                "ethnic_background": person.ethnicity,
                "occupation": person.occupation,
                "curp": person.curp,
                "profile": [f.removeprefix("is_") for f, _l in PROFILE_FLAGS if getattr(person, f)],
                "visibility": person.visibility,
                "consent_recorded_at": person.consent_recorded_at.isoformat()
                if person.consent_recorded_at
                else "",
                "consent_note": person.consent_note,
            }
        )
    if not identities:
        for kind, keys in IDENTITY_KEYS.items():
            for record in doc[kind]:
                for key in keys:
                    record.pop(key, None)
    header = {
        "format": FORMAT,
        "schema": SCHEMA,
        "organization": organization.slug,
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "identities": identities,
    }
    return {**header, **doc}


def _pk(record) -> int:
    return record.pk


def write_esf(organization, identities: bool, out, progress=None, language=None) -> int:
    """Write the ESF document as JSON to ``out``; returns the number of acts written."""
    doc = esf_document(organization, identities, progress)
    out.write(json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    return len(doc["acts"])


# -- checking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormatError:
    """One problem: where (a record or a row of the file), which field, the value, why."""

    where: str
    field: str
    value: str
    message: str


class FormatProblems(ValueError):
    """A file that cannot be read at all (not JSON, not a table): nothing was written."""


@dataclass
class FormatReport:
    """What an import of a standard format found and did."""

    fmt: str = "esf"
    errors: list[FormatError] = field(default_factory=list)
    events: int = 0
    people: int = 0
    acts: int = 0
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def read_document(content: bytes) -> dict:
    """Parse an ESF JSON file, or raise ``FormatProblems`` saying why it is not one."""
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FormatProblems(
            _("The file is not an ESF document in JSON: %(error)s") % {"error": error}
        ) from error
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FormatProblems(
            _("The file is not an ESF document: it must be a JSON object with “format”: “%(f)s”.")
            % {"f": FORMAT}
        )
    for key in LISTS:
        value = doc.setdefault(key, [])
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise FormatProblems(
                _("“%(key)s” must be a list of records (JSON objects).") % {"key": key}
            )
    return doc


VOCABULARIES = {
    "violation_type": "violation_type",
    "victim_situation": "victim_situation",
    "perpetrator_kind": "perpetrator_kind",
    "attribution_basis": "attribution_basis",
    "source_kind": "source_kind",
    "relationship": "relationship",
    "intervention_kind": "intervention_kind",
    "event_tag": "event_tag",
}


class _Terms:
    """The organization's terms by code, and the vocabularies that find a code by label."""

    def __init__(self, organization: Organization) -> None:
        from memoria.cases.models import Term

        self.terms: dict[str, dict[str, object]] = {}
        self.vocabularies: dict[str, Vocabulary] = {}
        for key, code in VOCABULARIES.items():
            terms = list(Term.objects.for_organization(organization, code))
            self.terms[key] = {t.code: t for t in terms}
            self.vocabularies[key] = Vocabulary(
                {t.code: [t.label_es, t.label_en] for t in terms}, {t.code: t.label for t in terms}
            )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


class _Checker:
    """Checks a document's records; builds the model field values of each."""

    def __init__(self, doc: dict, organization: Organization) -> None:
        self.doc = doc
        self.organization = organization
        self.terms = _Terms(organization)
        self.lookups = Lookups(places=PlaceIndex.from_database(), vocabularies={})
        self.errors: list[FormatError] = []
        self.events: dict[str, dict] = {}
        self.persons: dict[str, dict] = {}
        self.acts: dict[str, dict] = {}
        self.involvements: list[dict] = []
        self.relatives: list[dict] = []
        self.sources: list[dict] = []
        self.interventions: list[dict] = []

    def where(self, kind: str, index: int, record: dict) -> str:
        if "_row" in record:
            return _("row %(row)s") % {"row": record["_row"]}
        number = record.get(RECORD_NUMBER[kind]) or f"#{index}"
        return f"{KIND_LABELS[kind]()} {number}"

    def error(self, where: str, key: str, value, message: str) -> None:
        self.errors.append(FormatError(where, key, _text(value), message))

    def absorb(self, where: str, checker: RowChecker, keys: dict[str, str]) -> None:
        for error in checker.errors:
            self.error(where, keys.get(error.column, error.column), error.value, error.message)

    def term(self, where: str, key: str, record: dict, vocabulary: str, required=False):
        raw = _text(record.get(key)).strip()
        if not raw:
            if required:
                self.error(where, key, raw, _("This field is required."))
            return None
        code = self.terms.vocabularies[vocabulary].find(raw)
        if code is None:
            self.error(
                where,
                key,
                raw,
                _(
                    "“%(value)s” is not one of the accepted values. Write one of these labels "
                    "or codes: %(accepted)s."
                )
                % {"value": raw, "accepted": self.terms.vocabularies[vocabulary].accepted()},
            )
            return None
        return self.terms.terms[vocabulary][code]

    def choice(self, where: str, key: str, record: dict, choices, default: str) -> str:
        raw = _text(record.get(key)).strip()
        if not raw:
            return default
        values = {value for value, _label in choices.choices}
        if raw not in values:
            self.error(
                where,
                key,
                raw,
                _("“%(value)s” is not one of %(values)s.")
                % {"value": raw, "values": ", ".join(sorted(values))},
            )
            return default
        return raw

    def date(self, where: str, key: str, record: dict) -> PartialDate:
        checker = RowChecker(0, {key: _text(record.get(key))}, self.lookups)
        value = checker.date(key)
        self.absorb(where, checker, {})
        return value

    def text(self, where: str, key: str, record: dict, limit: int) -> str:
        value = _text(record.get(key)).strip()
        if len(value) > limit:
            self.error(
                where, key, value[:40] + "…", _("The text is longer than %(n)s.") % {"n": limit}
            )
        return value

    def reference(self, where: str, key: str, record: dict, known: dict, required=True):
        raw = _text(record.get(key)).strip()
        if not raw:
            if required:
                self.error(where, key, raw, _("This field is required."))
            return None
        if raw not in known:
            self.error(
                where, key, raw, _("No record in the file has the number “%(v)s”.") % {"v": raw}
            )
            return None
        return raw

    def unique(self, where: str, kind: str, record: dict, known: dict) -> str | None:
        key = RECORD_NUMBER[kind]
        ref = _text(record.get(key)).strip()
        if not ref:
            self.error(where, key, ref, _("Every record needs its record number."))
            return None
        if ref in known:
            self.error(where, key, ref, _("Two records have the number “%(v)s”.") % {"v": ref})
            return None
        return ref

    # - each format -

    def check(self) -> None:
        for kind in LISTS:
            for index, record in enumerate(self.doc[kind], 1):
                getattr(self, f"check_{kind}")(self.where(kind, index, record), record)

    def check_events(self, where: str, record: dict) -> None:
        from memoria.cases.models import Event

        ref = self.unique(where, "events", record, self.events)
        checker = RowChecker(0, {}, self.lookups)
        checker.values = {
            "state": _text(record.get("state_code")),
            "municipality": _text(record.get("municipality_code")),
            "locality": _text(record.get("locality")),
        }
        parsed = ParsedRow(row=0)
        _check_place(checker, parsed)
        self.absorb(where, checker, {"state": "state_code", "municipality": "municipality_code"})
        title = self.text(where, "event_title", record, 300)
        if not title:
            self.error(where, "event_title", "", _("The event has no title."))
        start = self.date(where, "initial_date", record)
        end = self.date(where, "final_date", record)
        if start.value and end.value and end.value < start.value:
            self.error(
                where,
                "final_date",
                record.get("final_date"),
                _("The end date is before the date of the event."),
            )
        tags = []
        raw_tags = record.get("tags") or []
        for tag in raw_tags if isinstance(raw_tags, list) else str(raw_tags).split("|"):
            term = self.term(where, "tags", {"tags": tag}, "event_tag")
            if term is not None:
                tags.append(term)
        values = {
            "title": title,
            "description": _text(record.get("event_description")).strip(),
            "start_date": start.value,
            "start_precision": start.precision,
            "end_date": end.value,
            "end_precision": end.precision,
            "state_id": parsed.state_code,
            "municipality_id": parsed.municipality_code,
            "locality": parsed.locality,
            "latitude": self.coordinate(where, "latitude", record, 14, 33),
            "longitude": self.coordinate(where, "longitude", record, -119, -86),
            "status": self.choice(where, "status", record, Event.Status, Event.Status.OPEN),
            "tags": tags,
        }
        if ref:
            self.events[ref] = values

    def coordinate(self, where: str, key: str, record: dict, low: int, high: int):
        raw = _text(record.get(key)).strip()
        if not raw:
            return None
        try:
            value = Decimal(raw).quantize(Decimal("0.000001"))
        except InvalidOperation:
            self.error(where, key, raw, _("“%(v)s” is not a number.") % {"v": raw})
            return None
        if not low <= value <= high:
            self.error(
                where,
                key,
                raw,
                _("%(v)s is outside Mexico (from %(low)s to %(high)s).")
                % {"v": raw, "low": low, "high": high},
            )
            return None
        return value

    def check_persons(self, where: str, record: dict) -> None:
        from memoria.cases.actions import age_band
        from memoria.cases.models import PROFILE_FLAGS, DatePrecision, Visibility

        ref = self.unique(where, "persons", record, self.persons)
        keys = {
            "given_names": "given_names",
            "paternal_surname": "paternal_surname",
            "maternal_surname": "maternal_surname",
            "aliases": "aliases",
            "sex": "sex",
            "age": "age",
            "birth_date": "date_of_birth",
            "curp": "curp",
            "nationality": "nationality",
            "occupation": "occupation",
        }
        checker = RowChecker(0, {k: _text(record.get(v)) for k, v in keys.items()}, self.lookups)
        parsed = ParsedRow(row=0)
        _check_person(checker, parsed)
        self.absorb(where, checker, keys)
        birth = parsed.birth_date
        precision = _text(record.get("date_of_birth_precision")).strip()
        if birth.value and precision and precision != birth.precision:
            self.error(
                where,
                "date_of_birth_precision",
                precision,
                _("The precision does not match the date written."),
            )
        flags = {flag.removeprefix("is_") for flag, _label in PROFILE_FLAGS}
        raw_profile = record.get("profile") or []
        profile = raw_profile if isinstance(raw_profile, list) else str(raw_profile).split("|")
        profile = [str(p).strip() for p in profile if str(p).strip()]
        for flag in profile:
            if flag not in flags:
                self.error(
                    where,
                    "profile",
                    flag,
                    _("“%(value)s” is not one of %(values)s.")
                    % {"value": flag, "values": ", ".join(sorted(flags))},
                )
        visibility = self.choice(where, "visibility", record, Visibility, Visibility.PRIVATE)
        consent = None
        raw_consent = _text(record.get("consent_recorded_at")).strip()
        if raw_consent:
            consent = parse_datetime(raw_consent)
            if consent is None:
                self.error(
                    where,
                    "consent_recorded_at",
                    raw_consent,
                    _("Not a date and time (2024-05-01T10:30:00-06:00)."),
                )
            elif timezone.is_naive(consent):
                consent = timezone.make_aware(consent)
        if visibility == Visibility.MEMORIAL and consent is None:
            self.error(
                where,
                "visibility",
                visibility,
                _(
                    "A person is public by name in the memorial only with the family’s "
                    "consent on record (consent_recorded_at)."
                ),
            )
        values = {
            "given_names": parsed.given_names,
            "paternal_surname": parsed.paternal_surname,
            "maternal_surname": parsed.maternal_surname,
            "aliases": parsed.aliases,
            "sex": parsed.sex,
            "gender_identity": self.text(where, "gender_identity", record, 120),
            "birth_date": birth.value,
            "birth_precision": birth.precision if birth.value else DatePrecision.UNKNOWN,
            "age": parsed.age,
            "age_band": age_band(parsed.age),
            "nationality": parsed.nationality,
            "ethnicity": self.text(where, "ethnic_background", record, 160),
            "occupation": parsed.occupation,
            "curp": parsed.curp,
            "visibility": visibility,
            "consent_recorded_at": consent,
            "consent_note": _text(record.get("consent_note")).strip(),
            **{flag: flag.removeprefix("is_") in profile for flag, _label in PROFILE_FLAGS},
        }
        if ref:
            self.persons[ref] = values

    def check_acts(self, where: str, record: dict) -> None:
        ref = self.unique(where, "acts", record, self.acts)
        values = {
            "event": self.reference(where, "event", record, self.events),
            "victim": self.reference(where, "victim", record, self.persons),
            "violation_type": self.term(where, "type_of_act", record, "violation_type", True),
            "situation": self.term(where, "victim_situation", record, "victim_situation"),
            "description": _text(record.get("act_description")).strip(),
        }
        if ref:
            self.acts[ref] = values

    def check_involvements(self, where: str, record: dict) -> None:
        from memoria.cases.models import Confidence

        values = {
            "act": self.reference(where, "act", record, self.acts),
            "kind": self.term(where, "type_of_perpetrator", record, "perpetrator_kind", True),
            "group_name": self.text(where, "perpetrator_group", record, 200),
            "basis": self.term(where, "basis", record, "attribution_basis"),
            "confidence": self.choice(
                where, "degree_of_confidence", record, Confidence, Confidence.MEDIUM
            ),
            "notes": _text(record.get("remarks")).strip(),
        }
        self.involvements.append(values)

    def check_biographic_details(self, where: str, record: dict) -> None:
        values = {
            "event": self.reference(where, "event", record, self.events),
            "person": self.reference(where, "person", record, self.persons),
            "direct_victim": self.reference(where, "related_person", record, self.persons),
            "relationship": self.term(where, "type_of_relationship", record, "relationship", True),
        }
        if values["person"] and values["person"] == values["direct_victim"]:
            self.error(
                where,
                "related_person",
                values["person"],
                _("A direct victim cannot be recorded as their own relative."),
            )
        self.relatives.append(values)

    def check_sources(self, where: str, record: dict) -> None:
        from memoria.cases.models import Reliability

        date = self.date(where, "date_of_source", record)
        acts = record.get("acts") or []
        acts = acts if isinstance(acts, list) else str(acts).split("|")
        values = {
            "event": self.reference(where, "event", record, self.events),
            "kind": self.term(where, "type_of_source", record, "source_kind", True),
            "date": date.value,
            "reliability": self.choice(
                where, "reliability", record, Reliability, Reliability.UNKNOWN
            ),
            "reference": self.text(where, "reference", record, 500),
            "summary": _text(record.get("content")).strip(),
            "acts": [self.reference(where, "acts", {"acts": a}, self.acts) for a in acts if str(a)],
        }
        self.sources.append(values)

    def check_interventions(self, where: str, record: dict) -> None:
        date = self.date(where, "date_of_intervention", record)
        values = {
            "event": self.reference(where, "event", record, self.events),
            "victim": self.reference(where, "victim", record, self.persons, required=False),
            "kind": self.term(where, "type_of_intervention", record, "intervention_kind", True),
            "authority": self.text(where, "intervening_party", record, 200),
            "folio": self.text(where, "folio", record, 120),
            "date": date.value,
            "notes": _text(record.get("remarks")).strip(),
        }
        self.interventions.append(values)


RECORD_NUMBER = {
    "events": "event_record_number",
    "persons": "person_record_number",
    "acts": "act_record_number",
    "involvements": "involvement_record_number",
    "biographic_details": "biographic_details_record_number",
    "sources": "source_record_number",
    "interventions": "intervention_record_number",
}
KIND_LABELS = {
    "events": lambda: _("event"),
    "persons": lambda: _("person"),
    "acts": lambda: _("act"),
    "involvements": lambda: _("involvement"),
    "biographic_details": lambda: _("biographic details"),
    "sources": lambda: _("source"),
    "interventions": lambda: _("intervention"),
}


def check_document(doc: dict, organization: Organization) -> tuple[_Checker, list[FormatError]]:
    checker = _Checker(doc, organization)
    checker.check()
    return checker, checker.errors


def import_document(
    doc: dict,
    organization: Organization,
    actor=None,
    *,
    fmt: str = "esf",
    via: str = "web",
    dry_run: bool = False,
    errors: list[FormatError] | None = None,
) -> FormatReport:
    """Check every record, then write them all in one transaction, or nothing.

    ``errors`` are problems found before (a flat file's rows that did not fit
    together); with any, nothing is written either.
    """
    checker, found = check_document(doc, organization)
    report = FormatReport(fmt=fmt, errors=[*(errors or []), *found])
    if report.ok and not dry_run:
        _write(checker, organization, actor, report, via)
    return report


def _derive_ages(checker: _Checker, people: dict) -> None:
    """Age band (and child flag) as the case forms derive them: from the age given, or
    the birth date at the start of the person's first case (``actions._derive_person``)."""
    from memoria.cases.actions import age_at, age_band

    when: dict[str, dt.date | None] = {}
    for kind in (checker.acts.values(), checker.relatives, checker.interventions):
        for values in kind:
            ref = values.get("victim") or values.get("person")
            if ref and values.get("event"):
                when.setdefault(ref, checker.events[values["event"]]["start_date"])
    today = timezone.localdate()
    for ref, person in people.items():
        age = person.age
        if age is None:
            age = age_at(person.birth_date, person.birth_precision, when.get(ref) or today)
        person.age_band = age_band(age)
        if age is not None and age < 18:
            person.is_child = True


@transaction.atomic
def _write(checker: _Checker, organization: Organization, actor, report: FormatReport, via: str):
    from memoria.audit.log import audit
    from memoria.cases import models as m
    from memoria.cases.caseindex import rebuild
    from memoria.cases.search import index_people

    actor = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    stamp = {
        "organization": organization,
        "created_at": now,
        "updated_at": now,
        "created_by": actor,
    }
    Organization.objects.select_for_update(no_key=True).filter(pk=organization.pk).first()
    last = m.Event.objects.filter(organization=organization).order_by("-number").first()
    number = last.number if last else 0
    events, tags = {}, {}
    for ref, values in checker.events.items():
        number += 1
        values = dict(values)
        tags[ref] = values.pop("tags")
        events[ref] = m.Event(number=number, **values, **stamp)
    bulk_create_sealed(m.Event, events.values(), organization.pk)
    through = m.Event.tags.through
    through.objects.bulk_create(
        [
            through(event_id=events[ref].pk, term_id=t.pk)
            for ref, terms in tags.items()
            for t in terms
        ]
    )
    people = {ref: m.Person(**values, **stamp) for ref, values in checker.persons.items()}
    _derive_ages(checker, people)
    bulk_create_sealed(m.Person, people.values(), organization.pk)
    acts = {
        ref: m.Act(
            event=events[v["event"]],
            victim=people[v["victim"]],
            violation_type=v["violation_type"],
            situation=v["situation"],
            description=v["description"],
            **stamp,
        )
        for ref, v in checker.acts.items()
    }
    bulk_create_sealed(m.Act, acts.values(), organization.pk)
    bulk_create_sealed(
        m.Attribution,
        [
            m.Attribution(
                act=acts[v["act"]],
                event=acts[v["act"]].event,
                **{k: v[k] for k in ("kind", "group_name", "basis", "confidence", "notes")},
                **stamp,
            )
            for v in checker.involvements
        ],
        organization.pk,
    )
    bulk_create_sealed(
        m.IndirectVictim,
        [
            m.IndirectVictim(
                event=events[v["event"]],
                person=people[v["person"]],
                direct_victim=people[v["direct_victim"]],
                relationship=v["relationship"],
                **stamp,
            )
            for v in checker.relatives
        ],
        organization.pk,
    )
    sources = [
        m.Source(
            event=events[v["event"]],
            **{k: v[k] for k in ("kind", "date", "reliability", "reference", "summary")},
            **stamp,
        )
        for v in checker.sources
    ]
    bulk_create_sealed(m.Source, sources, organization.pk)
    source_acts = m.Source.acts.through
    source_acts.objects.bulk_create(
        [
            source_acts(source_id=source.pk, act_id=acts[ref].pk)
            for source, v in zip(sources, checker.sources, strict=True)
            for ref in dict.fromkeys(v["acts"])
        ]
    )
    bulk_create_sealed(
        m.Intervention,
        [
            m.Intervention(
                event=events[v["event"]],
                victim=people[v["victim"]] if v["victim"] else None,
                **{k: v[k] for k in ("kind", "authority", "folio", "date", "notes")},
                **stamp,
            )
            for v in checker.interventions
        ],
        organization.pk,
    )
    rebuild(event.pk for event in events.values())
    index_people(organization, list(people.values()))
    bulk_create_sealed(
        m.Change,
        [
            m.Change(
                organization=organization,
                event=event,
                actor=actor,
                at=now,
                kind="event",
                object_id=event.pk,
                action=m.Change.Action.CREATED,
                changes={"import": [None, report.fmt]},
            )
            for event in events.values()
        ],
        organization.pk,
    )
    if people:
        # Bulk inserts send no signal: tell whoever listens (the public memorial's cache)
        # once that this organization's people changed.
        post_save.send(sender=m.Person, instance=next(iter(people.values())), created=True)
    refresh_statistics_after_commit(len(acts))
    report.events, report.people, report.acts = len(events), len(people), len(acts)
    audit(
        actor,
        organization,
        "cases.import",
        via=via,
        format=report.fmt,
        events=report.events,
        people=report.people,
        acts=report.acts,
    )
    report.committed = True
    return report
