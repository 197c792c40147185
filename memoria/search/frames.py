"""An organization's AM files and remains as the matching engine's tables.

``memoria.matching`` reads two tables of text (``docs/matching.md``): one row
per missing person (``MISSING_COLUMNS``) and one per set of remains
(``REMAINS_COLUMNS``). :func:`missing_frame` and :func:`remains_frame` build
them from the encrypted rows of one organization (decrypted here, in the
process, never written anywhere), so::

    from memoria import matching
    am = matching.read_missing(missing_frame(org), source="AM files")
    pm = matching.read_remains(remains_frame(org), source="remains")
    result = matching.match(am, pm, top=10)

The structured marks and dental findings are written back into the Spanish
wording the engine's vocabulary reads ("tatuaje antebrazo derecho: rosa
"MARIA""; "ausencia ante mortem de pieza 21"), so a structured record and a
free-text one are compared the same way. Ids are ``AM-<file id>`` and
``PM-<remains id>``; :func:`record_id` turns one back into the row's id.

Only files still searched for and remains not yet identified are included,
unless asked otherwise: the others are nobody's candidates any more.

Records imported from the official lists (``memoria.search.official``) are
included like the others: remains from a forensic service's list are remains
records, and a registry (RNPDNO) record is a row of the missing table (with
what the registry publishes: sex, age, date and place). A registry record
already known to be one of the families' files is left out, so the same
person is not proposed twice: when the file carries its folio, or a reviewer
decided they are the same person (``RegistryDecision``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import pandas as pd

from memoria.accounts.models import Organization
from memoria.cases.models import DatePrecision
from memoria.matching.schema import MISSING_COLUMNS, REMAINS_COLUMNS
from memoria.search.models import (
    AnteMortemFile,
    AnteMortemMark,
    DentalFinding,
    DentalFindingKind,
    FileSource,
    IdentificationStatus,
    Mark,
    PostMortemMark,
    RegistryDecision,
    RemainsRecord,
    SearchStatus,
)

AM_PREFIX = "AM-"
PM_PREFIX = "PM-"

# One Spanish word the engine's vocabulary reads for each kind, region and side.
KIND_WORDS = {
    "tattoo": "tatuaje",
    "scar": "cicatriz",
    "mole": "lunar",
    "piercing": "perforación",
    "amputation": "amputación",
    "implant": "implante",
    "fracture": "fractura",
}
REGION_WORDS = {
    "head": "cabeza",
    "face": "cara",
    "ear": "oreja",
    "neck": "cuello",
    "shoulder": "hombro",
    "arm": "brazo",
    "forearm": "antebrazo",
    "wrist": "muñeca",
    "hand": "mano",
    "finger": "dedo",
    "chest": "pecho",
    "abdomen": "abdomen",
    "back": "espalda",
    "buttock": "glúteo",
    "hip": "cadera",
    "leg": "pierna",
    "thigh": "muslo",
    "knee": "rodilla",
    "calf": "pantorrilla",
    "ankle": "tobillo",
    "foot": "pie",
}
SIDE_WORDS = {"right": "derecho", "left": "izquierdo", "both": "ambos lados", "centre": ""}
DENTAL_WORDS = {
    DentalFindingKind.MISSING_AM: "ausencia ante mortem",
    DentalFindingKind.MISSING_PM: "ausencia post mortem",
    DentalFindingKind.CROWN: "corona",
    DentalFindingKind.FILLING: "obturación",
    DentalFindingKind.ROOT_CANAL: "endodoncia",
    DentalFindingKind.PROSTHESIS: "prótesis",
    DentalFindingKind.BRACES: "aparatología ortodóntica",
    DentalFindingKind.GAP: "diastema",
    DentalFindingKind.CROWDING: "apiñamiento",
    DentalFindingKind.OTHER: "",
}


def record_id(identifier: str) -> int:
    """The row id in ``AM-12`` or ``PM-40``."""
    for prefix in (AM_PREFIX, PM_PREFIX):
        if identifier.startswith(prefix):
            return int(identifier.removeprefix(prefix))
    raise ValueError(f"not an AM or PM id: {identifier!r}")


def _text(value) -> str:
    """A free-text value on one line, without the engine's item separator."""
    return " ".join(str(value or "").replace(";", ",").split())


def _number(value: Decimal | None) -> str:
    return "" if value is None else str(int(value))


def _date(value: datetime.date | None, precision: str = DatePrecision.DAY) -> str:
    if value is None or precision == DatePrecision.UNKNOWN:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def mark_text(mark: Mark) -> str:
    """One mark in the engine's wording: kind and region first, then what it shows."""
    where = " ".join(
        word for word in (REGION_WORDS.get(mark.region, ""), SIDE_WORDS.get(mark.side, "")) if word
    )
    head = " ".join(word for word in (KIND_WORDS[mark.kind], where) if word)
    details = [_text(mark.motif)]
    if mark.text:
        details.append('"' + _text(mark.text).replace('"', "") + '"')
    details.append(_text(mark.description))
    details = [detail for detail in details if detail]
    return f"{head}: {' '.join(details)}" if details else head


def _marks(marks: Iterable[Mark]) -> str:
    return "; ".join(mark_text(mark) for mark in marks)


def dental_text(finding: DentalFinding) -> str:
    """One finding in the engine's wording ("corona de oro en pieza 11")."""
    words = [DENTAL_WORDS.get(finding.finding, ""), _text(finding.description)]
    if finding.tooth:
        words.append(f"en pieza {finding.tooth}")
    return " ".join(word for word in words if word)


def _joined(*parts: str, separator: str) -> str:
    return separator.join(_text(part) for part in parts if _text(part))


def _grouped(model, parent: str, ids: list[int]) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in model.objects.filter(**{f"{parent}_id__in": ids}).order_by("id"):
        grouped[getattr(row, f"{parent}_id")].append(row)
    return grouped


def known_registry_records(organization: Organization, files: list[AnteMortemFile]) -> set[int]:
    """Registry records that are one of the families' ``files``: same folio, or decided so."""
    from memoria.search.official import folio_key  # official imports the review, which imports us

    keys = {
        folio_key(organization.pk, "rnpdno", file.rnpdno_folio)
        for file in files
        if file.source == FileSource.FAMILY and file.rnpdno_folio
    }
    known = set(
        AnteMortemFile.objects.filter(
            organization=organization, source=FileSource.RNPDNO, folio_key__in=list(keys)
        ).values_list("pk", flat=True)
    )
    known |= set(
        RegistryDecision.objects.filter(organization=organization, same=True).values_list(
            "registry_record_id", flat=True
        )
    )
    return known


def missing_frame(
    organization: Organization, *, only_searching: bool = True, registry: bool = True
) -> pd.DataFrame:
    """The organization's AM files as ``missing.csv`` rows (strings; empty = unknown).

    ``registry``: include the records imported from the national registry
    (except those known to be a family's file, :func:`known_registry_records`).
    """
    sources = [FileSource.FAMILY, FileSource.RNPDNO] if registry else [FileSource.FAMILY]
    files = list(
        AnteMortemFile.objects.filter(organization=organization, source__in=sources)
        .select_related("person")
        .order_by("id")
    )
    if registry:
        known = known_registry_records(organization, files)
        files = [f for f in files if f.pk not in known]
    if only_searching:
        files = [f for f in files if f.search_status == SearchStatus.SEARCHING]
    marks = _grouped(AnteMortemMark, "file", [f.pk for f in files])
    rows = []
    for file in files:
        person = file.person
        rows.append(
            {
                "missing_id": f"{AM_PREFIX}{file.pk}",
                "sex": file.sex if file.sex in ("female", "male") else "",
                "birth_date": ""
                if person is None
                else _date(person.birth_date, person.birth_precision),
                "age_at_disappearance": _number(file.age_at_disappearance),
                "last_seen_date": _date(file.last_seen_date, file.last_seen_precision),
                "last_seen_state": file.state_id or "",
                "last_seen_municipality": file.municipality_id or "",
                "stature_cm": _number(file.stature_cm),
                "build": file.build,
                "skin": file.skin,
                "hair_color": _text(file.hair_color),
                "hair_length": _text(file.hair_length),
                "eye_color": _text(file.eye_color),
                "marks": _marks(marks[file.pk]),
                "dental": _text(file.dental_notes),
                "clothing": _joined(file.clothing, file.belongings, separator=", "),
                "notes": _text(file.circumstances),
            }
        )
    return pd.DataFrame(rows, columns=list(MISSING_COLUMNS), dtype=str)


def remains_frame(organization: Organization, *, only_unidentified: bool = True) -> pd.DataFrame:
    """The organization's remains records as ``remains.csv`` rows.

    Records without a date found are left out: the engine needs it (the
    remains cannot be placed in time against a disappearance).
    """
    records = list(RemainsRecord.objects.filter(organization=organization).order_by("id"))
    records = [r for r in records if r.found_on is not None]
    if only_unidentified:
        records = [r for r in records if r.identification_status != IdentificationStatus.IDENTIFIED]
    ids = [r.pk for r in records]
    marks = _grouped(PostMortemMark, "remains", ids)
    dental = _grouped(DentalFinding, "remains", ids)
    rows = []
    for record in records:
        rows.append(
            {
                "remains_id": f"{PM_PREFIX}{record.pk}",
                "found_date": _date(record.found_on),
                "found_state": record.state_id or "",
                "found_municipality": record.municipality_id or "",
                "sex_estimate": record.sex_estimate,
                "age_min": _number(record.age_min),
                "age_max": _number(record.age_max),
                "stature_min_cm": _number(record.stature_min_cm),
                "stature_max_cm": _number(record.stature_max_cm),
                "marks": _marks(marks[record.pk]),
                "dental": "; ".join(dental_text(f) for f in dental[record.pk]),
                "clothing": _joined(record.clothing, record.belongings, separator="; "),
                "condition": record.condition,
                "notes": _text(record.notes),
            }
        )
    return pd.DataFrame(rows, columns=list(REMAINS_COLUMNS), dtype=str)
