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
import io
import json
from collections.abc import Callable, Iterator

from django.db.models import Prefetch
from django.utils import timezone

from memoria.accounts.models import Organization
from memoria.cases.io.schema import SCHEMA_VERSION, export_columns
from memoria.cases.io.validation import PartialDate

FORMATS = ("csv", "json", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
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
    return f"memoria-{organization.slug}-casos-{kind}-{stamp}.{fmt}"


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


def _acts(organization: Organization, identities: bool):
    from memoria.cases.models import Act, Attribution, Source

    acts = (
        Act.objects.filter(organization=organization)
        .select_related(
            "event", "event__state", "event__municipality", "victim", "violation_type", "situation"
        )
        .prefetch_related(
            Prefetch(
                "attributions",
                queryset=Attribution.objects.select_related("kind", "basis").order_by("id"),
            ),
            Prefetch(
                "sources",
                queryset=_without_identities(
                    Source.objects.select_related("kind").order_by("id"), "source", identities
                ),
            ),
        )
        .order_by("event__number", "id")
    )
    if not identities:
        acts = acts.defer(
            *(f"event__{name}" for name in IDENTITY_FIELDS["event"]),
            *(f"victim__{name}" for name in IDENTITY_FIELDS["person"]),
            "description",
        )
    return acts


def _without_identities(queryset, kind: str, identities: bool):
    return queryset if identities else queryset.defer(*IDENTITY_FIELDS[kind])


def iter_act_rows(
    organization: Organization, identities: bool, progress: Progress | None = None
) -> Iterator[dict]:
    """One dictionary per act, keyed by the export column keys."""
    from memoria.cases.models import IndirectVictim

    relatives: dict[tuple[int, int], int] = {}
    for event_id, victim_id in IndirectVictim.objects.filter(organization=organization).values_list(
        "event_id", "direct_victim_id"
    ):
        relatives[(event_id, victim_id)] = relatives.get((event_id, victim_id), 0) + 1
    total = count_acts(organization)
    for done, act in enumerate(_acts(organization, identities).iterator(chunk_size=1000), 1):
        yield _act_row(act, identities, relatives)
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)


def _act_row(act, identities: bool, relatives: dict) -> dict:
    event, person = act.event, act.victim
    attribution = next(iter(act.attributions.all()), None)
    source = next(iter(act.sources.all()), None)
    row = {
        "event_id": event.number,
        "person_id": person.pk,
        "act_id": act.pk,
        "event_reference": f"{event.number}",
        "event_date": _partial(event.start_date, event.start_precision),
        "event_end_date": _partial(event.end_date, event.end_precision),
        "state": event.state.name if event.state else "",
        "municipality": event.municipality.name if event.municipality else "",
        "locality": event.locality,
        "event_status": event.status,
        "sex": person.sex,
        "age": person.age if person.age is not None else "",
        "nationality": person.nationality,
        "occupation": person.occupation,
        "violation_type": act.violation_type.code,
        "victim_situation": act.situation.code if act.situation else "",
        "perpetrator_kind": attribution.kind.code if attribution else "",
        "perpetrator_group": attribution.group_name if attribution else "",
        "source_kind": source.kind.code if source else "",
        "source_date": source.date.isoformat() if source and source.date else "",
        "state_code": event.state_id or "",
        "municipality_code": event.municipality_id or "",
        "event_date_precision": event.start_precision,
        "perpetrator_is_state_agent": _yes_no(attribution.kind.state_actor) if attribution else "",
        "attribution_basis": attribution.basis.code if attribution and attribution.basis else "",
        "attribution_confidence": attribution.confidence if attribution else "",
        "visibility": person.visibility,
        "indirect_victims": relatives.get((event.pk, person.pk), 0),
        "updated_at": timezone.localtime(act.updated_at).isoformat(timespec="seconds"),
    }
    if identities:
        row.update(
            event_title=event.title,
            event_description=event.description,
            **_identity(person),
            source_reference=source.reference if source else "",
        )
    return row


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


def write_csv(organization, identities: bool, out, progress: Progress | None = None) -> int:
    """Write CSV (UTF-8 with a byte-order mark, for Excel) to the binary stream ``out``;
    returns the number of acts written."""
    acts = 0

    def counted():
        nonlocal acts
        for row in iter_act_rows(organization, identities, progress):
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


def write_xlsx(organization, identities: bool, out, progress: Progress | None = None) -> int:
    """Write an Excel workbook with one sheet of acts and one describing the columns.

    Built in memory: openpyxl's streaming mode spools to temporary files, and
    identities must never touch the disk in clear.
    """
    from openpyxl import Workbook

    columns = export_columns(identities)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "actos"
    sheet.append([c.key for c in columns])
    count = 0
    for row in iter_act_rows(organization, identities, progress):
        sheet.append([_safe_cell(row.get(c.key, "")) for c in columns])
        count += 1
    sheet.freeze_panes = "A2"
    about = workbook.create_sheet("columnas")
    about.append(["column", "description"])
    for column in columns:
        about.append([column.key, str(column.label)])
    workbook.save(out)
    return count


def iter_events(
    organization: Organization, identities: bool, progress: Progress | None = None
) -> Iterator[dict]:
    """Each event with everything that hangs from it, as plain JSON-ready data."""
    from memoria.cases import models as m

    person_fields = () if identities else IDENTITY_FIELDS["person"]
    events = (
        m.Event.objects.filter(organization=organization)
        .select_related("state", "municipality")
        .prefetch_related(
            "tags",
            Prefetch(
                "acts",
                queryset=m.Act.objects.select_related("violation_type", "situation", "victim")
                .defer(*(f"victim__{f}" for f in person_fields))
                .prefetch_related(
                    Prefetch(
                        "attributions",
                        queryset=m.Attribution.objects.select_related("kind", "basis"),
                    ),
                    "sources",
                )
                .order_by("id"),
            ),
            Prefetch(
                "indirect_victims",
                queryset=m.IndirectVictim.objects.select_related("person", "relationship")
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


WRITERS = {"csv": write_csv, "json": write_json, "xlsx": write_xlsx}


def export_records(
    organization: Organization,
    fmt: str,
    identities: bool,
    out,
    progress: Progress | None = None,
) -> int:
    """Write the organization's records in ``fmt`` to the binary stream ``out``.

    Returns the number of acts written (what the audit entry records)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}")
    return WRITERS[fmt](organization, identities, out, progress)
