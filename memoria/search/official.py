"""Official lists: the national registry (RNPDNO) and forensic services' lists of bodies.

Two kinds of public list come into the search as records marked with their
source (docs/search.md, "Official lists", lists the columns):

* the public version of the national registry of missing persons (RNPDNO):
  one **ante-mortem record** per folio, ``AnteMortemFile`` with
  ``source = rnpdno``, no case person and no family contacts (it is not a
  family's file), the registry's name if it publishes one, sex, age, date
  and place of the disappearance and the registry's status;
* a forensic service's list of unidentified bodies (SEMEFO): one
  **post-mortem record** per folio, ``RemainsRecord`` with
  ``source = forensic_list``.

The reading, the column mapping and the row checks reuse the case import's
(``memoria.cases.io``): the same readers (CSV in any common encoding, XLSX,
the same row limit), the same ``{field key: column header}`` mapping, the
same date and place rules and error messages. A file is written all or
nothing: one bad row and nothing is saved. Each record keeps the import batch
(``OfficialImport``) and a blind key of its folio (``folio_key``, see
``memoria.vault.blind``): importing the same folio again updates the record
instead of adding a second one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from memoria.accounts.models import Organization
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.io.bulk import bulk_create_sealed
from memoria.cases.io.mapping import MappingError, apply_mapping
from memoria.cases.io.readers import Table
from memoria.cases.io.schema import Column
from memoria.cases.io.validation import Lookups, PlaceIndex, RowChecker, RowError, _check_place
from memoria.cases.models import DatePrecision
from memoria.geo import fold
from memoria.search.models import (
    AnteMortemFile,
    Condition,
    FileSource,
    HeldAt,
    OfficialImport,
    OfficialListKind,
    RegistryDecision,
    RemainsRecord,
    RemainsSource,
    SearchStatus,
    SexEstimate,
)
from memoria.search.review import queue_rematch
from memoria.vault.blind import blind_tokens

Progress = Callable[[str, int, int], None]

# fmt: off
RNPDNO_COLUMNS: tuple[Column, ...] = (
    Column("folio", gettext_lazy("Registry folio"), required=True, aliases=(
        "folio", "folio rnpdno", "id", "id registro", "folio unico", "numero de folio")),
    Column("full_name", gettext_lazy("Full name"), identity=True, aliases=(
        "nombre completo", "nombre", "nombre de la persona")),
    Column("given_names", gettext_lazy("Given names"), identity=True, aliases=(
        "nombres", "nombre(s)")),
    Column("paternal_surname", gettext_lazy("Paternal surname"), identity=True, aliases=(
        "apellido paterno", "primer apellido", "paterno")),
    Column("maternal_surname", gettext_lazy("Maternal surname"), identity=True, aliases=(
        "apellido materno", "segundo apellido", "materno")),
    Column("sex", gettext_lazy("Sex"), aliases=("sexo",)),
    Column("age", gettext_lazy("Age"), aliases=(
        "edad", "edad al momento de la desaparicion", "edad al desaparecer")),
    Column("date", gettext_lazy("Date of disappearance"), aliases=(
        "fecha de desaparicion", "fecha de los hechos", "fecha", "fecha desaparicion",
        "fecha de no localizacion")),
    Column("state", gettext_lazy("State"), aliases=(
        "estado", "entidad", "entidad federativa", "cve ent", "entidad de desaparicion")),
    Column("municipality", gettext_lazy("Municipality"), aliases=(
        "municipio", "alcaldia", "municipio de desaparicion", "cve mun", "cvegeo")),
    Column("locality", gettext_lazy("Locality"), aliases=("localidad", "colonia")),
    Column("status", gettext_lazy("Status"), aliases=(
        "estatus", "situacion", "estatus de la persona", "status")),
)
FORENSIC_COLUMNS: tuple[Column, ...] = (
    Column("folio", gettext_lazy("Forensic service folio (SEMEFO)"), required=True, aliases=(
        "folio", "folio semefo", "numero de folio", "expediente", "carpeta", "id")),
    Column("date", gettext_lazy("Date found or received"), aliases=(
        "fecha", "fecha de hallazgo", "fecha de ingreso", "fecha de levantamiento")),
    Column("state", gettext_lazy("State"), aliases=(
        "estado", "entidad", "entidad federativa", "cve ent")),
    Column("municipality", gettext_lazy("Municipality"), aliases=(
        "municipio", "alcaldia", "municipio de hallazgo", "cve mun", "cvegeo")),
    Column("locality", gettext_lazy("Place found"), aliases=(
        "lugar", "lugar de hallazgo", "localidad", "colonia")),
    Column("sex", gettext_lazy("Sex"), aliases=("sexo", "sexo estimado")),
    Column("age_range", gettext_lazy("Age range"), aliases=(
        "edad", "edad aproximada", "edad estimada", "rango de edad")),
    Column("age_min", gettext_lazy("Age from"), aliases=("edad minima", "edad min")),
    Column("age_max", gettext_lazy("Age to"), aliases=("edad maxima", "edad max")),
    Column("stature_range", gettext_lazy("Stature (cm)"), aliases=(
        "estatura", "talla", "estatura aproximada")),
    Column("condition", gettext_lazy("Condition"), aliases=(
        "estado del cuerpo", "condicion", "estado de los restos")),
    Column("held_at", gettext_lazy("Held at"), aliases=(
        "ubicacion", "resguardo", "lugar de resguardo", "destino")),
    Column("clothing", gettext_lazy("Clothing and belongings"), identity=True, aliases=(
        "vestimenta", "ropa", "prendas", "pertenencias")),
    Column("notes", gettext_lazy("Distinguishing marks and notes"), identity=True, aliases=(
        "senas particulares", "observaciones", "notas", "media filiacion")),
)
# fmt: on
COLUMNS = {OfficialListKind.RNPDNO: RNPDNO_COLUMNS, OfficialListKind.FORENSIC: FORENSIC_COLUMNS}

SEXES = {
    "hombre": "male", "masculino": "male", "male": "male", "h": "male", "varon": "male",
    "mujer": "female", "femenino": "female", "female": "female", "f": "female",
    "indeterminado": "", "no especificado": "", "se desconoce": "", "desconocido": "",
    "no identificado": "",
}  # fmt: skip
# What lists write for "not known": read as empty, not as a bad value.
PLACEHOLDERS = frozenset({"n/d", "nd", "s/d", "sd", "sin dato", "se desconoce", "desconocido", "-"})
STATUSES = {
    "desaparecida": SearchStatus.SEARCHING,
    "desaparecido": SearchStatus.SEARCHING,
    "no localizada": SearchStatus.SEARCHING,
    "no localizado": SearchStatus.SEARCHING,
    "localizada con vida": SearchStatus.FOUND_ALIVE,
    "localizado con vida": SearchStatus.FOUND_ALIVE,
    "localizada sin vida": SearchStatus.FOUND_DECEASED,
    "localizado sin vida": SearchStatus.FOUND_DECEASED,
}
CONDITIONS = (
    ("esquelet", Condition.SKELETONIZED),
    ("osea", Condition.SKELETONIZED),
    ("fragment", Condition.FRAGMENTED),
    ("segment", Condition.FRAGMENTED),
    ("incomplet", Condition.PARTIAL),
    ("parcial", Condition.PARTIAL),
    ("complet", Condition.COMPLETE),
    ("integro", Condition.COMPLETE),
)
RANGE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:-|a|al|–)\s*(\d+(?:[.,]\d+)?)")
NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)")
FOLIO_KIND = {OfficialListKind.RNPDNO: "rnpdno_folio", OfficialListKind.FORENSIC: "semefo_folio"}


# -- the mapping ----------------------------------------------------------------------


def guess_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Map each field whose key or a usual header matches one column (the first wins)."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in COLUMNS[kind]:
        for header in headers:
            if header and header not in taken and (header == column.key or column.matches(header)):
                mapping[column.key] = header
                taken.add(header)
                break
    return mapping


def check_mapping(kind: str, mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """The mapping without empty entries, or ``MappingError`` saying what is wrong."""
    columns = {column.key: column for column in COLUMNS[kind]}
    cleaned = {key: header for key, header in mapping.items() if header}
    unknown = sorted(set(cleaned) - set(columns))
    if unknown:
        raise MappingError(
            _("Unknown fields in the mapping: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    missing_headers = sorted(set(cleaned.values()) - set(headers))
    if missing_headers:
        raise MappingError(
            _("The file has no column named %(columns)s.")
            % {"columns": ", ".join(f"“{h}”" for h in missing_headers)}
        )
    missing = [str(c.label) for c in columns.values() if c.required and c.key not in cleaned]
    if missing:
        raise MappingError(
            _("Choose a column for every required field: %(fields)s.")
            % {"fields": ", ".join(missing)}
        )
    return cleaned


def column_labels(kind: str) -> dict[str, str]:
    return {column.key: str(column.label) for column in COLUMNS[kind]}


# -- checking the rows -----------------------------------------------------------------


@dataclass
class OfficialReport:
    """The checked rows of one file (the values to save) and every problem found."""

    kind: str
    rows: list[tuple[int, str, dict]] = field(default_factory=list)  # (row, folio, values)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> list[tuple[int, list[RowError]]]:
        by_row: dict[int, list[RowError]] = {}
        for error in self.errors:
            by_row.setdefault(error.row, []).append(error)
        return sorted(by_row.items())


def _number(check: RowChecker, key: str, raw: str, low: int, high: int) -> int | None:
    match = NUMBER.search(raw)
    value = None
    if match:
        value = float(match.group(1).replace(",", "."))
        if key.startswith("stature") and value < 3:  # metres (1.70) rather than centimetres
            value *= 100
        value = round(value)
    if value is None or not low <= value <= high:
        check.error(
            key,
            _("“%(value)s” is not a number between %(low)s and %(high)s.")
            % {"value": raw, "low": low, "high": high},
        )
        return None
    return value


def _range(check: RowChecker, key: str, low: int, high: int) -> tuple[int | None, int | None]:
    raw = check.values.get(key, "").strip()
    if not raw or fold(raw) in PLACEHOLDERS:
        return None, None
    match = RANGE.search(fold(raw))
    if match:
        first = _number(check, key, match.group(1), low, high)
        second = _number(check, key, match.group(2), low, high)
        if first is not None and second is not None and first > second:
            first, second = second, first
        return first, second
    value = _number(check, key, raw, low, high)
    return value, value


def _sex(check: RowChecker) -> str:
    raw = check.values.get("sex", "").strip()
    if not raw or fold(raw) in PLACEHOLDERS:
        return ""
    if fold(raw) == "m":
        check.error("sex", _("“M” could mean man or woman; write Hombre or Mujer."))
        return ""
    if fold(raw) not in SEXES:
        check.error(
            "sex",
            _("“%(value)s” is not a sex; write Hombre, Mujer or leave it empty.") % {"value": raw},
        )
        return ""
    return SEXES[fold(raw)]


def _place(check: RowChecker, values: dict) -> None:
    place = SimpleNamespace(state_code=None, municipality_code=None, locality="")
    _check_place(check, place)
    values["state_id"] = place.state_code
    values["municipality_id"] = place.municipality_code
    values["locality"] = place.locality


def _registry_row(check: RowChecker) -> dict:
    values: dict = {}
    full = check.text("full_name", 300)
    given = check.text("given_names", 150)
    paternal = check.text("paternal_surname", 100)
    maternal = check.text("maternal_surname", 100)
    if not full and (given or paternal or maternal):
        # Surnames first with a comma: the linkage engine reads this order unambiguously.
        surnames = " ".join(part for part in (paternal, maternal) if part)
        full = f"{surnames}, {given}" if surnames and given else surnames or given
    values["official_name"] = full
    values["sex"] = _sex(check)
    raw_age = check.values.get("age", "").strip()
    values["age_at_disappearance"] = (
        _number(check, "age", raw_age, 0, 120)
        if raw_age and fold(raw_age) not in PLACEHOLDERS
        else None
    )
    date = check.date("date")
    values["last_seen_date"] = date.value
    values["last_seen_precision"] = date.precision if date.value else DatePrecision.UNKNOWN
    _place(check, values)
    raw_status = check.text("status", 120)
    values["official_status"] = raw_status
    status = SearchStatus.SEARCHING
    if raw_status:
        status = STATUSES.get(fold(raw_status))
        if status is None:
            check.error(
                "status",
                _(
                    "“%(value)s” is not a status of the registry. Write one of: Desaparecida, "
                    "No localizada, Localizada con vida, Localizada sin vida."
                )
                % {"value": raw_status},
            )
    values["search_status"] = status or SearchStatus.SEARCHING
    return values


def _forensic_row(check: RowChecker) -> dict:
    values: dict = {"source": RemainsSource.FORENSIC_LIST}
    date = check.date("date")
    values["found_on"] = date.value
    _place(check, values)
    raw_sex = _sex(check)
    values["sex_estimate"] = raw_sex or SexEstimate.UNDETERMINED
    age_min, age_max = _range(check, "age_range", 0, 120)
    for key in ("age_min", "age_max"):
        raw = check.values.get(key, "").strip()
        if raw:
            number = _number(check, key, raw, 0, 120)
            age_min, age_max = (number, age_max) if key == "age_min" else (age_min, number)
    if age_min is not None and age_max is not None and age_min > age_max:
        check.error("age_max", _("The age range ends before it starts."))
    values["age_min"], values["age_max"] = age_min, age_max
    values["stature_min_cm"], values["stature_max_cm"] = _range(check, "stature_range", 30, 240)
    raw_condition = fold(check.text("condition", 120))
    values["condition"] = Condition.PARTIAL
    if raw_condition:
        found = [code for stem, code in CONDITIONS if stem in raw_condition]
        if not found:
            check.error(
                "condition",
                _(
                    "“%(value)s” is not a condition of remains. Write completo, parcial, "
                    "esqueletizado or fragmentado."
                )
                % {"value": check.values.get("condition", "")},
            )
        else:
            values["condition"] = found[0]
    held_at = check.text("held_at", 200)
    values["held_at"] = held_at
    values["held_at_kind"] = HeldAt.COMMON_GRAVE if "fosa" in fold(held_at) else HeldAt.MORGUE
    values["clothing"] = check.text("clothing", 5000)
    values["notes"] = check.text("notes", 5000)
    return values


def check_official_table(
    table: Table,
    mapping: dict[str, str],
    kind: str,
    *,
    progress: Progress | None = None,
    places: PlaceIndex | None = None,
) -> OfficialReport:
    """Check every row of ``table``; nothing is written (``write_official`` does)."""
    mapping = check_mapping(kind, mapping, table.headers)
    lookups = Lookups(places or PlaceIndex.from_database(), {})
    report = OfficialReport(kind)
    seen: dict[str, int] = {}
    total = len(table.rows)
    parse = _registry_row if kind == OfficialListKind.RNPDNO else _forensic_row
    for done, (number, cells) in enumerate(table.rows, start=1):
        check = RowChecker(number, apply_mapping(mapping, table.headers, cells), lookups)
        folio = check.text("folio", 80)
        if not folio:
            check.error("folio", _("The folio is missing."))
        elif fold(folio) in seen:
            check.error(
                "folio",
                _("The folio %(folio)s is already in row %(row)s of this file.")
                % {"folio": folio, "row": seen[fold(folio)]},
            )
        else:
            seen[fold(folio)] = number
        values = parse(check)
        report.errors.extend(check.errors)
        report.rows.append((number, folio, values))
        if progress is not None and (done % 200 == 0 or done == total):
            progress("check", done, total)
    return report


# -- writing ------------------------------------------------------------------------------


def folio_key(organization_id: int, kind: str, folio: str) -> str:
    """The blind key of a folio: equal for the same folio, however it was spaced or cased."""
    return blind_tokens(organization_id, [" ".join(fold(folio).split())], kind=FOLIO_KIND[kind])[0]


def _plain(value):
    return "" if value is None else str(value)


@transaction.atomic
def write_official(
    report: OfficialReport,
    organization: Organization,
    actor,
    *,
    publisher: str = "",
    filename: str = "",
    via: str = "web",
) -> OfficialImport:
    """Save a checked report in one transaction with its audit entry: all rows or none.

    A folio imported before (same kind, same organization) is updated in place
    and moves to this batch; a new one is created.
    """
    if not report.ok:
        raise ValueError("a report with problems cannot be written")
    kind = report.kind
    batch = OfficialImport.objects.create(
        organization=organization,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        publisher=publisher,
        filename=filename,
        rows=len(report.rows),
    )
    keys = {
        folio_key(organization.pk, kind, folio): (folio, values) for _, folio, values in report.rows
    }
    if kind == OfficialListKind.RNPDNO:
        model = AnteMortemFile
        existing = AnteMortemFile.objects.filter(
            organization=organization, source=FileSource.RNPDNO, folio_key__in=list(keys)
        )
        folio_field = "rnpdno_folio"
        defaults = {"source": FileSource.RNPDNO, "person": None}
    else:
        model = RemainsRecord
        existing = RemainsRecord.objects.filter(organization=organization, folio_key__in=list(keys))
        folio_field = "semefo_folio"
        defaults = {}
    found = {record.folio_key: record for record in existing}
    new, updated = [], 0
    now = timezone.now()
    for key, (folio, values) in keys.items():
        values = {**values, folio_field: folio}
        record = found.get(key)
        if record is None:
            new.append(
                model(
                    organization=organization,
                    created_by=batch.created_by,
                    import_batch=batch,
                    folio_key=key,
                    **defaults,
                    **values,
                )
            )
            continue
        changed = [
            name for name, value in values.items() if _plain(getattr(record, name)) != _plain(value)
        ]
        record.import_batch = batch
        if changed:
            for name in changed:
                setattr(record, name, values[name])
            record.version += 1
            record.updated_at = now
            updated += 1
        record.save()
    bulk_create_sealed(model, new, organization.pk)
    batch.created, batch.updated = len(new), updated
    batch.save(update_fields=["created", "updated"])
    audit(
        actor,
        organization,
        AuditAction.SEARCH_OFFICIAL_IMPORT,
        batch,
        kind=kind,
        via=via,
        rows=batch.rows,
        created=batch.created,
        updated=batch.updated,
    )
    if batch.created or batch.updated:
        # Registry records and forensic lists feed the matching like the others.
        queue_rematch(organization, actor)
    return batch


# -- decisions on uncertain pairs ----------------------------------------------------------


@transaction.atomic
def decide_pair(
    file: AnteMortemFile, record: AnteMortemFile, actor, same: bool, *, request=None
) -> RegistryDecision:
    """Record (or change) whether a family's file and a registry record are one person."""
    if file.organization_id != record.organization_id:
        raise ValueError("the file and the registry record belong to different organizations")
    if file.source != FileSource.FAMILY or record.source != FileSource.RNPDNO:
        raise ValueError("a decision pairs a family's file with a registry record")
    decision = (
        RegistryDecision.objects.select_for_update(no_key=True)
        .filter(file=file, registry_record=record)
        .first()
    )
    if decision is None:
        decision = RegistryDecision(
            organization_id=file.organization_id,
            file=file,
            registry_record=record,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            same=same,
        )
    elif decision.same != same:
        decision.same = same
        decision.version += 1
        decision.updated_at = timezone.now()
    decision.save()
    audit(
        actor,
        file.organization,
        AuditAction.SEARCH_REGISTRY_DECISION,
        decision,
        request=request,
        file=file.pk,
        record=record.pk,
        same=same,
    )
    return decision
