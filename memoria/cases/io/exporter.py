"""The organization's records as CSV, JSON or XLSX (schema: docs/export-schema.md).

CSV and XLSX have one row per act (a direct victim of one violation in one
event) with the import columns, so an export with identities can be imported
again. JSON nests everything under its event: people, acts with all their
attributions, indirect victims, sources and interventions.

Without identities, names, aliases, CURP, birth dates, titles, descriptions,
source references and summaries and complaint folios are left out: not
blanked, absent, and never decrypted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone, translation

from memoria.accounts.models import Organization
from memoria.cases.io.schema import SCHEMA_VERSION, export_columns
from memoria.cases.io.validation import DAY, PartialDate

# The standard formats (docs/formats.md): HURIDOCS ESF, Uwazi's CSV, HXL-tagged CSV.
STANDARD_FORMATS = ("esf", "uwazi", "hxl")
FORMATS = ("csv", "json", "xlsx", *STANDARD_FORMATS)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "esf": "application/json",
    "uwazi": "text/csv; charset=utf-8",
    "hxl": "text/csv; charset=utf-8",
}
EXTENSIONS = {"esf": "esf.json", "uwazi": "uwazi.csv", "hxl": "hxl.csv"}
Progress = Callable[[int, int], None]
# Encrypted fields read only when identities are exported.
IDENTITY_FIELDS = {
    "event": ("title", "description"),
    "person": ("given_names", "paternal_surname", "maternal_surname", "aliases", "birth_date",
               "curp", "gender_identity", "consent_note"),
    "source": ("reference", "summary"),
}  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_filename(organization: Organization, fmt: str, identities: bool) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    kind = "identidades" if identities else "sin-identidades"
    return f"memoria-{organization.slug}-casos-{kind}-{stamp}.{EXTENSIONS.get(fmt, fmt)}"


def count_acts(organization: Organization) -> int:
    from memoria.cases.models import Act

    return Act.objects.filter(organization=organization).count()


def _partial(date, precision: str) -> str:
    return str(PartialDate(date, precision)) if date else ""


def _safe_cell(value):
    """Neutralize text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def _without_identities(queryset, kind: str, identities: bool):
    return queryset if identities else queryset.defer(*IDENTITY_FIELDS[kind])


CHUNK_EVENTS = 500


class _Labels:
    """Every code's label in one language, read once before the rows are written.

    Built eagerly, in the language asked for: a worker job runs outside any
    request, where the reader's language is not active.
    """

    def __init__(self, organization: Organization, language: str | None) -> None:
        from memoria.cases.models import Confidence, DatePrecision, Event, Sex, Term, Visibility

        with translation.override(language or settings.LANGUAGE_CODE):
            self.choices = {
                "event_status": _choice_labels(Event.Status),
                "sex": _choice_labels(Sex),
                "event_date_precision": _choice_labels(DatePrecision),
                "attribution_confidence": _choice_labels(Confidence),
                "visibility": _choice_labels(Visibility),
            }
            self.terms = {
                term.pk: (term.code, term.label, term.state_actor)
                for term in Term.objects.filter(
                    Q(organization__isnull=True) | Q(organization=organization)
                )
            }

    def code(self, term_id: int | None) -> str:
        return self.terms[term_id][0] if term_id else ""

    def label(self, term_id: int | None) -> str:
        return self.terms[term_id][1] if term_id else ""

    def add_to(self, row: dict) -> dict:
        """Add the labels of the codes of fixed choices (status, sex...)."""
        for key, labels in self.choices.items():
            row[f"{key}_label"] = labels.get(row[key], row[key])
        return row


def _choice_labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def iter_act_rows(
    organization: Organization,
    identities: bool,
    progress: Progress | None = None,
    language: str | None = None,
) -> Iterator[dict]:
    """One dictionary per act, keyed by the export column keys, ordered by event number.

    Dates are ``PartialDate`` (or ``datetime.date``) values, for each format to
    write as it can. Events are read 500 at a time, each event, person,
    attribution and source once, with vocabulary terms and places from
    dictionaries: joining them into every act's row (and building a model
    instance for each) cost three quarters of the export's time.
    """
    from memoria.cases.models import Event, IndirectVictim

    labels = _Labels(organization, language)
    relatives: dict[tuple[int, int], int] = {}
    for event_id, victim_id in IndirectVictim.objects.filter(organization=organization).values_list(
        "event_id", "direct_victim_id"
    ):
        relatives[(event_id, victim_id)] = relatives.get((event_id, victim_id), 0) + 1
    places = _Places()
    total = count_acts(organization)
    event_ids = list(
        Event.objects.filter(organization=organization)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    done = 0
    for start in range(0, len(event_ids), CHUNK_EVENTS):
        chunk = _Chunk(organization, event_ids[start : start + CHUNK_EVENTS], identities)
        for act in chunk.acts:
            done += 1
            if act.victim_id not in chunk.people:
                continue  # the act was deleted, with its victim, while the export ran
            yield labels.add_to(_act_row(act, chunk, labels, places, identities, relatives))
            if progress and (done % 500 == 0 or done == total):
                progress(done, total)


class _Places:
    def __init__(self) -> None:
        from memoria.places.models import Municipality, State

        self.states = dict(State.objects.values_list("code", "name"))
        self.municipalities = dict(Municipality.objects.values_list("cvegeo", "name"))


# The columns each row reads (model instances cost most of an export's time, so
# they are built with these fields only); identity fields are added when asked for.
CHUNK_FIELDS = {
    "event": ("organization_id", "number", "start_date", "start_precision", "end_date",
              "end_precision", "state_id", "municipality_id", "locality", "status"),
    "act": ("organization_id", "event_id", "victim_id", "violation_type_id", "situation_id",
            "updated_at"),
    "person": ("organization_id", "sex", "age", "nationality", "occupation", "visibility",
               "birth_precision"),
    "attribution": ("organization_id", "act_id", "kind_id", "basis_id", "confidence",
                    "group_name"),
    "source": ("organization_id", "kind_id", "date"),
}  # fmt: skip


def _fields(kind: str, identities: bool) -> tuple[str, ...]:
    return CHUNK_FIELDS[kind] + (IDENTITY_FIELDS.get(kind, ()) if identities else ())


class _Chunk:
    """Some events with their acts, the acts' victims and each act's first attribution
    and first source, in six queries."""

    def __init__(self, organization: Organization, event_ids: list[int], identities: bool):
        from memoria.cases.models import Act, Attribution, Event, Person, Source

        events = Event.objects.filter(pk__in=event_ids).only(*_fields("event", identities))
        self.events = {event.pk: event for event in events}
        acts = Act.objects.filter(event_id__in=event_ids).only(*_fields("act", identities))
        self.acts = sorted(acts, key=lambda act: (self.events[act.event_id].number, act.pk))
        act_ids = [act.pk for act in self.acts]
        people = Person.objects.filter(pk__in={act.victim_id for act in self.acts})
        self.people = {p.pk: p for p in people.only(*_fields("person", identities))}
        self.attributions: dict = {}
        attributions = Attribution.objects.filter(act_id__in=act_ids).order_by("act_id", "id")
        for attribution in attributions.only(*_fields("attribution", identities)):
            self.attributions.setdefault(attribution.act_id, attribution)
        first_source: dict[int, int] = {}
        through = Source.acts.through.objects.filter(act_id__in=act_ids)
        for act_id, source_id in through.values_list("act_id", "source_id"):
            first_source[act_id] = min(source_id, first_source.get(act_id, source_id))
        sources = Source.objects.filter(pk__in=set(first_source.values()))
        by_id = {source.pk: source for source in sources.only(*_fields("source", identities))}
        # (A source deleted while the export runs is simply not there.)
        self.sources = {
            act_id: by_id[source_id]
            for act_id, source_id in first_source.items()
            if source_id in by_id
        }


def _act_row(act, chunk: _Chunk, labels: _Labels, places: _Places, identities, relatives) -> dict:
    event, person = chunk.events[act.event_id], chunk.people[act.victim_id]
    attribution = chunk.attributions.get(act.pk)
    source = chunk.sources.get(act.pk)
    kind = labels.terms[attribution.kind_id] if attribution else ("", "", False)
    row = {
        "event_id": event.number,
        "person_id": person.pk,
        "act_id": act.pk,
        "event_reference": f"{event.number}",
        "event_date": _typed_partial(event.start_date, event.start_precision),
        "event_end_date": _typed_partial(event.end_date, event.end_precision),
        "state": places.states.get(event.state_id, ""),
        "municipality": places.municipalities.get(event.municipality_id, ""),
        "locality": event.locality,
        "event_status": event.status,
        "sex": person.sex,
        "age": person.age if person.age is not None else "",
        "nationality": person.nationality,
        "occupation": person.occupation,
        "violation_type": labels.code(act.violation_type_id),
        "victim_situation": labels.code(act.situation_id),
        "perpetrator_kind": kind[0],
        "perpetrator_group": attribution.group_name if attribution else "",
        "source_kind": labels.code(source.kind_id) if source else "",
        "source_date": source.date if source and source.date else "",
        "state_code": event.state_id or "",
        "municipality_code": event.municipality_id or "",
        "event_date_precision": event.start_precision,
        "perpetrator_is_state_agent": _yes_no(kind[2]) if attribution else "",
        "attribution_basis": labels.code(attribution.basis_id) if attribution else "",
        "attribution_confidence": attribution.confidence if attribution else "",
        "visibility": person.visibility,
        "indirect_victims": relatives.get((event.pk, person.pk), 0),
        "updated_at": timezone.localtime(act.updated_at).isoformat(timespec="seconds"),
        # Labels of vocabulary terms; those of fixed choices are added by _Labels.add_to.
        "violation_type_label": labels.label(act.violation_type_id),
        "victim_situation_label": labels.label(act.situation_id),
        "perpetrator_kind_label": kind[1],
        "source_kind_label": labels.label(source.kind_id) if source else "",
        "attribution_basis_label": labels.label(attribution.basis_id) if attribution else "",
    }
    if identities:
        row.update(
            event_title=event.title,
            event_description=event.description,
            **_identity(person),
            source_reference=source.reference if source else "",
        )
        row["birth_date"] = _typed_partial(person.birth_date, person.birth_precision)
    return row


def _typed_partial(date, precision: str):
    """A date as a value each format writes its own way (``str()`` gives the text)."""
    return PartialDate(date, precision) if date else ""


def _identity(person) -> dict:
    """What identifies a person: exported only with identities, by a coordinator."""
    return {
        "given_names": person.given_names,
        "paternal_surname": person.paternal_surname,
        "maternal_surname": person.maternal_surname,
        "aliases": person.aliases,
        "birth_date": _partial(person.birth_date, person.birth_precision),
        "curp": person.curp,
    }


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def write_csv(
    organization, identities: bool, out, progress: Progress | None = None, language=None
) -> int:
    """Write CSV (UTF-8 with a byte-order mark, for Excel) to the binary stream ``out``;
    returns the number of acts written. Dates are text (``2019-03``)."""
    acts = 0

    def counted():
        nonlocal acts
        for row in iter_act_rows(organization, identities, progress, language):
            acts += 1
            yield row

    for chunk in _csv_chunks(counted(), identities):
        out.write(chunk)
    return acts


def _csv_chunks(rows, identities: bool) -> Iterator[bytes]:
    keys = [c.key for c in export_columns(identities)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys, extrasaction="ignore")
    buffer.write("\ufeff")
    writer.writeheader()
    for n, row in enumerate(rows, 1):
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
        if n % 200 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


DATE_FORMAT = "yyyy-mm-dd"
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
)
FROZEN_HEADER = (
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
)
SHEET_TAIL = "</sheetData></worksheet>"
TEXT_CELL = '<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


class _SheetXML:
    """A worksheet's XML, row by row, streamed into the workbook's zip entry.

    openpyxl's write-only mode writes a sheet's rows through its pure-Python
    XML writer (without lxml): 1 ms a row, three quarters of an export's time,
    and into a temporary file, which must not hold identities in clear. The
    cells here are only text, numbers and dates, so they are written directly.
    """

    def __init__(self, rows: Iterator[list], date_style: int, frozen_header: bool) -> None:
        self.rows = rows
        self.date_style = date_style
        self.pane = FROZEN_HEADER if frozen_header else ""
        self.letters: list[str] = []
        self.texts: dict[str, str] = {}
        from openpyxl.utils.datetime import to_excel

        self.to_excel = to_excel

    def chunks(self) -> Iterator[bytes]:
        from openpyxl.utils import get_column_letter

        parts = [SHEET_HEAD.format(pane=self.pane)]
        for number, row in enumerate(self.rows, 1):
            while len(self.letters) < len(row):
                self.letters.append(get_column_letter(len(self.letters) + 1))
            parts.append(f'<row r="{number}">')
            parts.extend(
                self._cell(f"{letter}{number}", value)
                for letter, value in zip(self.letters, row, strict=False)
            )
            parts.append("</row>")
            if number % 200 == 0:
                yield "".join(parts).encode("utf-8")
                parts = []
        parts.append(SHEET_TAIL)
        yield "".join(parts).encode("utf-8")

    def _cell(self, ref: str, value) -> str:
        # Called for every cell (170,000 for 4,300 acts): the common types first.
        kind = type(value)
        if kind is str:
            return TEXT_CELL.format(ref=ref, text=self._text(value)) if value else ""
        if kind is int:
            return f'<c r="{ref}"><v>{value}</v></c>'
        if kind is PartialDate:
            # A date known to the day is a date cell; a partial one stays text
            # (2019-03, 2019): a date cell would claim a day nobody knows.
            if value.precision != DAY:
                return self._cell(ref, str(value))
            value = value.value
        if value is None:
            return ""
        if isinstance(value, bool):
            return self._cell(ref, _yes_no(value))
        if isinstance(value, dt.date):
            return f'<c r="{ref}" s="{self.date_style}"><v>{self.to_excel(value)}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return self._cell(ref, str(value))

    def _text(self, value: str) -> str:
        """The cell text, neutralized and escaped (remembered: most values repeat)."""
        text = self.texts.get(value)
        if text is None:
            text = _xml_text(_safe_cell(value))
            if len(self.texts) < 20_000:
                self.texts[value] = text
        return text


def _xml_text(text: str) -> str:
    from xml.sax.saxutils import escape

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return escape(ILLEGAL_CHARACTERS_RE.sub("", text))


def write_xlsx(
    organization, identities: bool, out, progress: Progress | None = None, language=None
) -> int:
    """Write an Excel workbook with one sheet of acts and one describing the columns.

    A write-only openpyxl workbook gives the package (workbook, styles, content
    types); each sheet's rows stream from ``_SheetXML`` straight into the zip
    written to ``out``: nothing is held whole in memory, nothing goes to a
    temporary file.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    columns = export_columns(identities)
    workbook = Workbook(write_only=True)
    acts, about = workbook.create_sheet("actos"), workbook.create_sheet("columnas")
    style = WriteOnlyCell(acts, value=dt.date(2000, 1, 1))
    style.number_format = DATE_FORMAT
    date_style = style.style_id  # registers the date format in the workbook's styles
    counted = [0]

    def act_rows() -> Iterator[list]:
        yield [c.key for c in columns]
        for row in iter_act_rows(organization, identities, progress, language):
            counted[0] += 1
            yield [row.get(c.key, "") for c in columns]

    with translation.override(language or settings.LANGUAGE_CODE):
        descriptions = [["column", "description"], *([c.key, str(c.label)] for c in columns)]
    sheets = {
        acts.title: _SheetXML(act_rows(), date_style, frozen_header=True),
        about.title: _SheetXML(iter(descriptions), date_style, frozen_header=False),
    }
    _save_streaming(workbook, out, sheets)
    return counted[0]


def _save_streaming(workbook, out, sheets: dict[str, _SheetXML]) -> None:
    """openpyxl's ``save_workbook``, with each sheet's XML streamed from ``sheets``."""
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.packaging.relationship import RelationshipList
    from openpyxl.writer.excel import ExcelWriter

    class StreamingExcelWriter(ExcelWriter):
        def write_worksheet(self, ws):
            ws._drawing = SpreadsheetDrawing()
            ws._rels = RelationshipList()
            with self._archive.open(ws.path[1:], "w", force_zip64=True) as entry:
                for chunk in sheets[ws.title].chunks():
                    entry.write(chunk)
            self.manifest.append(ws)

    with ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        StreamingExcelWriter(workbook, archive).save()


def iter_events(
    organization: Organization, identities: bool, progress: Progress | None = None
) -> Iterator[dict]:
    """Each event with everything that hangs from it, as plain JSON-ready data."""
    from memoria.cases import models as m

    person_fields = () if identities else IDENTITY_FIELDS["person"]
    events = (
        m.Event.objects.filter(organization=organization)
        .prefetch_related(
            "tags",
            Prefetch(
                "acts",
                queryset=m.Act.objects.select_related("violation_type", "victim")
                .defer(*(f"victim__{f}" for f in person_fields))
                .prefetch_related(
                    Prefetch(
                        "attributions",
                        queryset=m.Attribution.objects.select_related("basis"),
                    ),
                    "sources",
                )
                .order_by("id"),
            ),
            Prefetch(
                "indirect_victims",
                queryset=m.IndirectVictim.objects.select_related("person")
                .defer(*(f"person__{f}" for f in person_fields))
                .order_by("id"),
            ),
            Prefetch(
                "sources",
                queryset=_without_identities(
                    m.Source.objects.select_related("kind").order_by("id"), "source", identities
                ),
            ),
            Prefetch(
                "interventions",
                queryset=m.Intervention.objects.select_related("kind")
                .order_by("id")
                .defer(*(() if identities else ("folio", "notes"))),
            ),
        )
        .order_by("number")
    )
    if not identities:
        events = events.defer(*IDENTITY_FIELDS["event"])
    total = events.count()
    for done, event in enumerate(events.iterator(chunk_size=500), 1):
        yield _event_data(event, identities)
        if progress and (done % 200 == 0 or done == total):
            progress(done, total)


def _person_data(person, identities: bool) -> dict:
    from memoria.cases.models import PROFILE_FLAGS

    data = {
        "id": person.pk,
        "sex": person.sex,
        "age": person.age,
        "age_band": person.age_band,
        "nationality": person.nationality,
        "occupation": person.occupation,
        "profile": [
            flag.removeprefix("is_") for flag, _label in PROFILE_FLAGS if getattr(person, flag)
        ],
        "visibility": person.visibility,
    }
    if identities:
        data.update(_identity(person))
    return data


def _event_data(event, identities: bool) -> dict:
    people: dict[int, dict] = {}
    acts = []
    for act in event.acts.all():
        people.setdefault(act.victim_id, _person_data(act.victim, identities))
        acts.append(
            {
                "id": act.pk,
                "victim": act.victim_id,
                "violation_type": act.violation_type.code,
                "situation": act.situation.code if act.situation else None,
                "attributions": [
                    {
                        "kind": a.kind.code,
                        "state_agent": a.kind.state_actor,
                        "group_name": a.group_name,
                        "basis": a.basis.code if a.basis else None,
                        "confidence": a.confidence,
                    }
                    for a in act.attributions.all()
                ],
                "sources": [s.pk for s in act.sources.all()],
            }
        )
    indirect = []
    for relative in event.indirect_victims.all():
        people.setdefault(relative.person_id, _person_data(relative.person, identities))
        indirect.append(
            {
                "person": relative.person_id,
                "relative_of": relative.direct_victim_id,
                "relationship": relative.relationship.code,
            }
        )
    data = {
        "id": event.number,
        "start_date": _partial(event.start_date, event.start_precision),
        "start_precision": event.start_precision,
        "end_date": _partial(event.end_date, event.end_precision),
        "end_precision": event.end_precision,
        "state_code": event.state_id,
        "state": event.state.name if event.state else None,
        "municipality_code": event.municipality_id,
        "municipality": event.municipality.name if event.municipality else None,
        "locality": event.locality,
        "status": event.status,
        "tags": [t.code for t in event.tags.all()],
        "people": list(people.values()),
        "acts": acts,
        "indirect_victims": indirect,
        "sources": [_source_data(s, identities) for s in event.sources.all()],
        "interventions": [
            {
                "kind": i.kind.code,
                "authority": i.authority,
                "date": i.date.isoformat() if i.date else None,
                **({"folio": i.folio} if identities else {}),
            }
            for i in event.interventions.all()
        ],
        "updated_at": timezone.localtime(event.updated_at).isoformat(timespec="seconds"),
    }
    if identities:
        data.update(title=event.title, description=event.description)
    return data


def _source_data(source, identities: bool) -> dict:
    data = {
        "id": source.pk,
        "kind": source.kind.code,
        "date": source.date.isoformat() if source.date else None,
        "reliability": source.reliability,
    }
    if identities:
        data.update(reference=source.reference, summary=source.summary)
    return data


def _json_chunks(organization, events, identities: bool) -> Iterator[bytes]:
    header = {
        "schema": SCHEMA_VERSION,
        "organization": organization.slug,
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "identities": identities,
    }
    yield json.dumps(header, ensure_ascii=False)[:-1].encode() + b', "events": ['
    for n, event in enumerate(events):
        prefix = b"\n  " if n == 0 else b",\n  "
        yield prefix + json.dumps(event, ensure_ascii=False).encode()
    yield b"\n]}\n"


def write_json(organization, identities: bool, out, progress: Progress | None = None) -> int:
    """Write the JSON document (a header object whose ``events`` list is written event
    by event) to ``out``; returns the number of acts written."""
    acts = 0

    def counted():
        nonlocal acts
        for event in iter_events(organization, identities, progress):
            acts += len(event["acts"])
            yield event

    for chunk in _json_chunks(organization, counted(), identities):
        out.write(chunk)
    return acts


def _standard_writer(fmt: str):
    """The writer of a standard format (imported when used: they build on this module)."""

    def write(organization, identities: bool, out, progress=None, language=None) -> int:
        from memoria.cases.io import esf, hxl, uwazi

        writer = {"esf": esf.write_esf, "uwazi": uwazi.write_uwazi, "hxl": hxl.write_hxl}[fmt]
        return writer(organization, identities, out, progress, language)

    return write


WRITERS = {
    "csv": write_csv,
    "json": write_json,
    "xlsx": write_xlsx,
    **{fmt: _standard_writer(fmt) for fmt in STANDARD_FORMATS},
}


def export_records(
    organization: Organization,
    fmt: str,
    identities: bool,
    out,
    progress: Progress | None = None,
    language: str | None = None,
) -> int:
    """Write the organization's records in ``fmt`` to the binary stream ``out``.

    Labels beside the codes are in ``language`` (the default: the site's). Returns
    the number of acts written (what the audit entry records)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}")
    if fmt == "json":
        return write_json(organization, identities, out, progress)
    return WRITERS[fmt](organization, identities, out, progress, language)
