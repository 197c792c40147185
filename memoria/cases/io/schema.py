"""The columns Memoria imports and exports (documented in docs/export-schema.md).

One row of a spreadsheet is one act: a direct victim of one violation in one
event. Rows that share an ``event_reference`` belong to the same event; a row
without one is an event of its own. The same columns come out of an export
with identities, so an export can be imported again into another installation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from memoria.geo import fold

SCHEMA_VERSION = "memoria.cases/1"


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy translation
    required: bool = False
    identity: bool = False  # left out of exports without identities
    aliases: tuple[str, ...] = ()

    def matches(self, header: str) -> bool:
        folded = fold(header).replace("_", " ").strip(" :*")
        return folded in {fold(self.key).replace("_", " "), *self.aliases}


# fmt: off
IMPORT_COLUMNS: tuple[Column, ...] = (
    Column("event_reference", _("Event reference"), aliases=(
        "referencia", "folio interno", "id evento", "evento id", "clave del evento", "caso",
        "numero de caso", "no. caso", "event id", "reference")),
    Column("event_title", _("Event title"), required=True, identity=True, aliases=(
        "titulo", "titulo del evento", "evento", "hechos", "title")),
    Column("event_date", _("Date of the event"), aliases=(
        "fecha", "fecha de los hechos", "fecha del evento", "fecha de inicio",
        "fecha de desaparicion", "fecha hechos", "date", "start date")),
    Column("event_end_date", _("End date of the event"), aliases=(
        "fecha final", "fecha de fin", "fecha de termino", "end date")),
    Column("state", _("State"), aliases=(
        "estado", "entidad", "entidad federativa", "cve ent", "cve_ent", "clave de entidad")),
    Column("municipality", _("Municipality"), aliases=(
        "municipio", "alcaldia", "municipio o alcaldia", "cvegeo", "clave de municipio",
        "clave inegi", "cve mun")),
    Column("locality", _("Locality"), aliases=(
        "localidad", "colonia", "comunidad", "lugar")),
    Column("event_description", _("Description of the event"), identity=True, aliases=(
        "descripcion", "descripcion de los hechos", "narracion", "relato", "description")),
    Column("event_status", _("Status of the event"), aliases=(
        "estatus", "estado del caso", "situacion del caso", "status")),
    Column("given_names", _("Given names"), identity=True, aliases=(
        "nombre", "nombres", "nombre(s)", "nombre de la victima", "first name", "given name")),
    Column("paternal_surname", _("Paternal surname"), identity=True, aliases=(
        "apellido paterno", "primer apellido", "paterno", "ap paterno", "surname",
        "last name")),
    Column("maternal_surname", _("Maternal surname"), identity=True, aliases=(
        "apellido materno", "segundo apellido", "materno", "ap materno")),
    Column("aliases", _("Aliases"), identity=True, aliases=(
        "alias", "apodo", "apodos", "sobrenombre", "nickname")),
    Column("sex", _("Sex"), aliases=("sexo", "genero", "sex")),
    Column("age", _("Age"), aliases=("edad", "edad al momento de los hechos", "age")),
    Column("birth_date", _("Birth date"), identity=True, aliases=(
        "fecha de nacimiento", "nacimiento", "f nacimiento", "fecha nac", "fecha nac.",
        "fecha de nac", "fecha de nac.", "fec nac", "f nac", "birth date", "date of birth")),
    Column("curp", _("CURP"), identity=True, aliases=("curp", "clave curp")),
    Column("nationality", _("Nationality"), aliases=("nacionalidad", "pais de origen")),
    Column("occupation", _("Occupation"), aliases=(
        "ocupacion", "profesion", "oficio", "occupation")),
    Column("violation_type", _("Violation type"), required=True, aliases=(
        "tipo de violacion", "violacion", "tipo de hecho", "delito", "hecho victimizante",
        "violation")),
    Column("victim_situation", _("Situation of the victim"), aliases=(
        "situacion", "situacion de la victima", "estatus de la victima", "paradero")),
    Column("perpetrator_kind", _("Perpetrator"), aliases=(
        "perpetrador", "presunto responsable", "responsable", "autoridad responsable",
        "tipo de perpetrador", "perpetrator")),
    Column("perpetrator_group", _("Perpetrator group"), aliases=(
        "grupo", "grupo criminal", "nombre del grupo", "corporacion")),
    Column("source_kind", _("Source kind"), aliases=(
        "tipo de fuente", "fuente tipo", "source type")),
    Column("source_reference", _("Source reference"), identity=True, aliases=(
        "fuente", "referencia de la fuente", "url", "enlace", "liga", "source")),
    Column("source_date", _("Source date"), aliases=("fecha de la fuente", "fecha fuente")),
)
# fmt: on
COLUMNS_BY_KEY = {column.key: column for column in IMPORT_COLUMNS}

# What an export adds to the import columns: stable identifiers and timestamps.
EXPORT_ONLY_COLUMNS: tuple[Column, ...] = (
    Column("event_id", _("Event number")),
    Column("person_id", _("Person number")),
    Column("act_id", _("Act number")),
    Column("state_code", _("State INEGI code")),
    Column("municipality_code", _("Municipality INEGI code")),
    Column("event_date_precision", _("Precision of the event date")),
    Column("perpetrator_is_state_agent", _("State agent")),
    Column("attribution_basis", _("How the attribution is known")),
    Column("attribution_confidence", _("Confidence of the attribution")),
    Column("visibility", _("Visibility")),
    Column("indirect_victims", _("Indirect victims")),
    Column("updated_at", _("Last change")),
)

# Labels in the reader's language beside the codes (the codes stay, for machines).
LABEL_COLUMNS: tuple[Column, ...] = (
    Column("event_status_label", _("Status of the event (label)")),
    Column("sex_label", _("Sex (label)")),
    Column("violation_type_label", _("Violation type (label)")),
    Column("victim_situation_label", _("Situation of the victim (label)")),
    Column("perpetrator_kind_label", _("Perpetrator (label)")),
    Column("source_kind_label", _("Source kind (label)")),
    Column("event_date_precision_label", _("Precision of the event date (label)")),
    Column("attribution_basis_label", _("How the attribution is known (label)")),
    Column("attribution_confidence_label", _("Confidence of the attribution (label)")),
    Column("visibility_label", _("Visibility (label)")),
)


def export_columns(identities: bool) -> list[Column]:
    """The export's columns in order; identity columns only when asked for.

    The label columns come last, so the columns before them keep their places.
    """
    columns = [
        *EXPORT_ONLY_COLUMNS[:3],
        *IMPORT_COLUMNS,
        *EXPORT_ONLY_COLUMNS[3:],
        *LABEL_COLUMNS,
    ]
    return [c for c in columns if identities or not c.identity]
