"""Case records as CSV tagged with HXL hashtags (the Humanitarian Exchange Language).

One row per act (``flat``): the first row names the columns, the second holds
their HXL hashtags. The tags reuse those of the public open-data tables
(``#adm1+code``, ``#adm1+name``, ``#event``, ``#affected``, ``#indicator``,
``#meta``: memoria.public.datasets) and the record-level ones HXL defines
(``#date``, ``#adm2``, ``#loc``, ``#geo``, ``#status``, ``#group``); lists are
``+list`` columns separated by ``|``. Codes are written, not labels; dates as
``2019-03-14``, ``2019-03`` or ``2019``, at their precision.

Without identities it is the open-data shape of the records (no names, CURP,
birth dates, titles, descriptions or coordinates). With identities it can be
imported again: the import finds the hashtag row, matches columns by their
tags (attributes in any order, case ignored, as HXL says) and ignores tags it
does not know.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from memoria.accounts.models import Organization
from memoria.cases.io.esf import FormatProblems, FormatReport, esf_document
from memoria.cases.io.esf import import_document as import_esf_document
from memoria.cases.io.exporter import _safe_cell
from memoria.cases.io.flat import cell, csv_name, document_from_rows, rows_from_document
from memoria.cases.io.readers import UnreadableFile, read_table

# (row key, HXL hashtag, identity)
# fmt: off
TAGS: tuple[tuple[str, str, bool], ...] = (
    ("event_record_number", "#event+id", False),
    ("event_title", "#event+name", True),
    ("event_description", "#event+description", True),
    ("initial_date", "#date+start", False),
    ("initial_date_precision", "#date+start+precision", False),
    ("final_date", "#date+end", False),
    ("final_date_precision", "#date+end+precision", False),
    ("state_code", "#adm1+code", False),
    ("state_name", "#adm1+name", False),
    ("municipality_code", "#adm2+code", False),
    ("municipality_name", "#adm2+name", False),
    ("locality", "#loc+name", False),
    ("latitude", "#geo+lat", True),
    ("longitude", "#geo+lon", True),
    ("status", "#status+code", False),
    ("tags", "#event+tag+list", False),
    ("person_record_number", "#affected+id", False),
    ("given_names", "#affected+name+given", True),
    ("paternal_surname", "#affected+name+paternal", True),
    ("maternal_surname", "#affected+name+maternal", True),
    ("aliases", "#affected+name+alias", True),
    ("sex", "#affected+sex+code", False),
    ("gender_identity", "#affected+gender", True),
    ("date_of_birth", "#date+birth", True),
    ("date_of_birth_precision", "#date+birth+precision", False),
    ("age", "#affected+age", False),
    ("nationality", "#affected+nationality", False),
    ("ethnic_background", "#affected+ethnicity", False),
    ("occupation", "#affected+occupation", False),
    ("curp", "#affected+curp", True),
    ("profile", "#affected+profile+list", False),
    ("visibility", "#meta+visibility", False),
    ("consent_recorded_at", "#date+consent", False),
    ("consent_note", "#meta+consent+note", True),
    ("act_record_number", "#indicator+act+id", False),
    ("type_of_act", "#indicator+violation+code", False),
    ("victim_situation", "#affected+situation+code", False),
    ("act_description", "#description+act", True),
    ("type_of_perpetrator", "#group+perpetrator+code+list", False),
    ("perpetrator_group", "#group+perpetrator+name+list", False),
    ("basis", "#meta+basis+code+list", False),
    ("degree_of_confidence", "#meta+confidence+list", False),
)
# fmt: on
OUTPUT_ONLY = {"state_name", "municipality_name"}


def columns(identities: bool) -> list[tuple[str, str]]:
    return [(key, tag) for key, tag, identity in TAGS if identities or not identity]


def normalize(tag: str) -> str:
    """``#Affected +Name +given`` and ``#affected+given+name`` are the same tag."""
    parts = [p.strip().lower() for p in tag.strip().split("+")]
    if not parts or not parts[0].startswith("#"):
        return ""
    return "+".join([parts[0], *sorted(p for p in parts[1:] if p)])


KEYS_BY_TAG = {normalize(tag): key for key, tag, _identity in TAGS if key not in OUTPUT_ONLY}


def export_rows(organization: Organization, identities: bool) -> list[list[str]]:
    """The header row, the hashtag row and one row per act."""
    from memoria.places.models import Municipality, State

    doc = esf_document(organization, identities)
    states = dict(State.objects.values_list("code", "name"))
    municipalities = dict(Municipality.objects.values_list("cvegeo", "name"))
    chosen = columns(identities)
    lines = [[key for key, _tag in chosen], [tag for _key, tag in chosen]]
    for row in rows_from_document(doc):
        row["state_name"] = states.get(row["state_code"], "")
        row["municipality_name"] = municipalities.get(row["municipality_code"], "")
        lines.append([_safe_cell(cell(row.get(key, ""))) for key, _tag in chosen])
    return lines


def write_hxl(organization, identities: bool, out, progress=None, language=None) -> int:
    """Write the HXL-tagged CSV (UTF-8) to ``out``; returns the number of acts written."""
    lines = export_rows(organization, identities)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    out.write(buffer.getvalue().encode("utf-8"))
    return len(lines) - 2


def _is_hashtag_row(cells: list[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return bool(filled) and all(normalize(c) for c in filled)


def read_rows(content: bytes, filename: str = "cases.hxl.csv") -> list[tuple[int, dict]]:
    """The rows under the hashtag row as ``(row number, values by key)``."""
    try:
        table = read_table(content, csv_name(filename))
    except UnreadableFile as error:
        raise FormatProblems(str(error)) from error
    if _is_hashtag_row(table.headers):
        tags, data = table.headers, table.rows
    else:
        found = next(
            (i for i, (_n, cells) in enumerate(table.rows[:25]) if _is_hashtag_row(cells)), None
        )
        if found is None:
            raise FormatProblems(
                _(
                    "The file has no row of HXL hashtags (#event+id, #affected+id…) "
                    "in its first rows."
                )
            )
        tags, data = table.rows[found][1], table.rows[found + 1 :]
    keys = [KEYS_BY_TAG.get(normalize(tag)) for tag in tags]
    if not {"event_title", "type_of_act"} <= set(keys):
        raise FormatProblems(
            _(
                "The file cannot be imported as case records: it needs the columns tagged "
                "#event+name (the title, an identity) and #indicator+violation+code."
            )
        )
    return [
        (number, {key: text for key, text in zip(keys, cells, strict=False) if key})
        for number, cells in data
    ]


def import_hxl(
    content: bytes, organization, actor=None, *, via="web", dry_run=False, filename="cases.hxl.csv"
) -> FormatReport:
    """Check every row of an HXL-tagged CSV, then write them all, or nothing."""
    doc, grouping = document_from_rows(read_rows(content, filename))
    return import_esf_document(
        doc, organization, actor, fmt="hxl", via=via, dry_run=dry_run, errors=grouping
    )
