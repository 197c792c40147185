"""Uwazi's entity CSV: one entity per act, for a template "Acto (Memoria)".

Uwazi imports a CSV into one template, matching each column to a property by
its name (docs/formats.md lists the template's properties and their types).
Its conventions: ``title`` is required; dates are written ``YYYY/MM/DD``;
several values of a multiselect are separated by ``|``; a geolocation is
``lat|lon``; a select holds the label of the thesaurus value (a grouped
thesaurus ``Group::Value``). The vocabularies' terms are written with their
Spanish labels (any label or code is accepted back); fixed choices (status,
precisions, visibility, confidence, sex) with their codes.

A date in Uwazi is a whole day, so each date has a select beside it with its
precision (``day``, ``month``, ``year``): 2019/03/01 with ``month`` is March
2019 and comes back as March 2019.
"""

from __future__ import annotations

import csv
import io

from django.db.models import Q
from django.utils.translation import gettext as _

from memoria.accounts.models import Organization
from memoria.cases.io.esf import FormatError, FormatProblems, FormatReport, esf_document
from memoria.cases.io.esf import import_document as import_esf_document
from memoria.cases.io.exporter import _safe_cell
from memoria.cases.io.flat import (
    FlatColumn,
    cell,
    csv_name,
    document_from_rows,
    rows_from_document,
)
from memoria.cases.io.readers import UnreadableFile, read_table
from memoria.geo import fold

TEMPLATE = "Acto (Memoria)"
# fmt: off
COLUMNS: tuple[FlatColumn, ...] = (
    # Uwazi requires a title: the event's, or without identities its record number.
    FlatColumn("event_title", "title"),
    FlatColumn("event_record_number", "referencia_del_evento"),
    FlatColumn("event_description", "descripcion_del_evento", identity=True),
    FlatColumn("initial_date", "fecha_de_inicio"),
    FlatColumn("initial_date_precision", "precision_fecha_de_inicio"),
    FlatColumn("final_date", "fecha_de_fin"),
    FlatColumn("final_date_precision", "precision_fecha_de_fin"),
    FlatColumn("state_code", "estado"),
    FlatColumn("municipality_code", "municipio"),
    FlatColumn("locality", "localidad"),
    FlatColumn("geolocation", "ubicacion", identity=True),
    FlatColumn("status", "estatus"),
    FlatColumn("tags", "etiquetas"),
    FlatColumn("person_record_number", "referencia_de_la_persona"),
    FlatColumn("given_names", "nombres", identity=True),
    FlatColumn("paternal_surname", "apellido_paterno", identity=True),
    FlatColumn("maternal_surname", "apellido_materno", identity=True),
    FlatColumn("aliases", "alias", identity=True),
    FlatColumn("sex", "sexo"),
    FlatColumn("gender_identity", "identidad_de_genero", identity=True),
    FlatColumn("date_of_birth", "fecha_de_nacimiento", identity=True),
    FlatColumn("date_of_birth_precision", "precision_fecha_de_nacimiento"),
    FlatColumn("age", "edad"),
    FlatColumn("nationality", "nacionalidad"),
    FlatColumn("ethnic_background", "etnia_o_lengua"),
    FlatColumn("occupation", "ocupacion"),
    FlatColumn("curp", "curp", identity=True),
    FlatColumn("profile", "perfil"),
    FlatColumn("visibility", "visibilidad"),
    FlatColumn("consent_recorded_at", "consentimiento_registrado"),
    FlatColumn("consent_note", "nota_de_consentimiento", identity=True),
    FlatColumn("act_record_number", "referencia_del_acto"),
    FlatColumn("type_of_act", "tipo_de_violacion"),
    FlatColumn("victim_situation", "situacion_de_la_victima"),
    FlatColumn("act_description", "descripcion_del_acto", identity=True),
    FlatColumn("type_of_perpetrator", "perpetradores"),
    FlatColumn("perpetrator_group", "grupos_perpetradores"),
    FlatColumn("basis", "bases_de_la_atribucion"),
    FlatColumn("degree_of_confidence", "confianza_de_la_atribucion"),
)
# fmt: on
DATE_KEYS = ("initial_date", "final_date", "date_of_birth")
# Columns whose values are vocabulary terms, written with their Spanish labels.
TERM_KEYS = {
    "tags": "event_tag",
    "type_of_act": "violation_type",
    "victim_situation": "victim_situation",
    "type_of_perpetrator": "perpetrator_kind",
    "basis": "attribution_basis",
}
# Uwazi's property type of each column (for building the template).
PROPERTY_TYPES = {
    "title": "text", "descripcion_del_evento": "markdown", "fecha_de_inicio": "date",
    "fecha_de_fin": "date", "fecha_de_nacimiento": "date", "estado": "select",
    "municipio": "select (grouped: Estado::Municipio)", "ubicacion": "geolocation",
    "etiquetas": "multiselect", "perfil": "multiselect", "edad": "numeric",
    "tipo_de_violacion": "select", "situacion_de_la_victima": "select",
    "perpetradores": "multiselect", "grupos_perpetradores": "text (| between groups)",
    "bases_de_la_atribucion": "text (| between codes)",
    "confianza_de_la_atribucion": "text (| between codes)",
    "descripcion_del_acto": "markdown", "estatus": "select", "sexo": "select",
    "visibilidad": "select", "precision_fecha_de_inicio": "select",
    "precision_fecha_de_fin": "select", "precision_fecha_de_nacimiento": "select",
}  # fmt: skip


def columns(identities: bool) -> list[FlatColumn]:
    return [c for c in COLUMNS if identities or not c.identity]


def _uwazi_date(value: str) -> str:
    """ "2019-03" → "2019/03/01": Uwazi's dates are whole days (the precision is beside)."""
    if not value:
        return ""
    parts = [*value.split("-"), "01", "01"][:3]
    return "/".join(parts)


def export_rows(organization: Organization, identities: bool) -> tuple[list[str], list[list]]:
    """The header and the rows of the Uwazi CSV."""
    from memoria.cases.models import Term
    from memoria.places.models import Municipality, State

    doc = esf_document(organization, identities)
    labels = {
        (term.vocabulary.code, term.code): term.label_es
        for term in Term.objects.filter(
            Q(organization__isnull=True) | Q(organization=organization)
        ).select_related("vocabulary")
    }
    states = dict(State.objects.values_list("code", "name"))
    municipalities = dict(Municipality.objects.values_list("cvegeo", "name"))
    chosen = columns(identities)
    out = []
    for row in rows_from_document(doc):
        for key in DATE_KEYS:
            row[key] = _uwazi_date(row.get(key, ""))
        for key, vocabulary in TERM_KEYS.items():
            value = row[key]
            if isinstance(value, list):
                row[key] = [labels.get((vocabulary, code), code) if code else "" for code in value]
            elif value:
                row[key] = labels.get((vocabulary, value), value)
        state = states.get(row["state_code"], "")
        municipality = municipalities.get(row["municipality_code"], "")
        row["state_code"] = state
        row["municipality_code"] = f"{state}::{municipality}" if municipality else ""
        if row.get("latitude") and row.get("longitude"):
            row["geolocation"] = f"{row['latitude']}|{row['longitude']}"
        if not identities:
            row["event_title"] = row["event_record_number"]  # Uwazi requires a title
        out.append([_safe_cell(cell(row.get(c.key, ""))) for c in chosen])
    return [c.name for c in chosen], out


def write_uwazi(organization, identities: bool, out, progress=None, language=None) -> int:
    """Write the Uwazi CSV (UTF-8, comma-separated) to ``out``; returns the acts written."""
    header, rows = export_rows(organization, identities)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    out.write(buffer.getvalue().encode("utf-8"))
    return len(rows)


def _key_for(header: str) -> str | None:
    """The row key of a column, as Uwazi matches it ("Fecha de inicio" = fecha_de_inicio)."""
    name = fold(header).strip().replace(" ", "_").split("__")[0]
    for column in COLUMNS:
        if column.name == name:
            return column.key
    return None


def read_rows(content: bytes, filename: str = "uwazi.csv") -> tuple[list[tuple[int, dict]], list]:
    """The file's rows as ``(row number, values by key)``; ``FormatProblems`` if unreadable."""
    try:
        table = read_table(content, csv_name(filename))
    except UnreadableFile as error:
        raise FormatProblems(str(error)) from error
    keys = [_key_for(header) for header in table.headers]
    if "event_title" not in keys:
        raise FormatProblems(_("An Uwazi CSV needs its “title” column."))
    rows = []
    errors: list[FormatError] = []
    for number, cells in table.rows:
        values = {key: text for key, text in zip(keys, cells, strict=False) if key}
        geolocation = values.pop("geolocation", "")
        if geolocation:
            parts = geolocation.split("|")
            if len(parts) != 2:
                errors.append(
                    FormatError(
                        _("row %(row)s") % {"row": number},
                        "ubicacion",
                        geolocation,
                        _("A geolocation is written latitude|longitude (19.43|-99.13)."),
                    )
                )
            else:
                values["latitude"], values["longitude"] = (p.strip() for p in parts)
        municipality = values.get("municipality_code", "")
        if "::" in municipality:
            state, municipality = municipality.split("::", 1)
            values["municipality_code"] = municipality
            values["state_code"] = values.get("state_code") or state
        rows.append((number, values))
    return rows, errors


def import_uwazi(
    content: bytes, organization, actor=None, *, via="web", dry_run=False, filename="uwazi.csv"
) -> FormatReport:
    """Check every row of an Uwazi CSV, then write them all, or nothing."""
    rows, errors = read_rows(content, filename)
    doc, grouping = document_from_rows(rows)
    return import_esf_document(
        doc, organization, actor, fmt="uwazi", via=via, dry_run=dry_run, errors=errors + grouping
    )
