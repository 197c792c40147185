"""Which spreadsheet column feeds which field.

A mapping is a plain ``{field key: column header}`` dictionary, so the web
form, a saved ``mapping.json`` for ``memoria import --mapping`` and the
automatic guess all speak the same language. Fields left out are not imported.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.utils.translation import gettext as _

from memoria.cases.io.schema import COLUMNS_BY_KEY, IMPORT_COLUMNS


class MappingError(ValueError):
    """A mapping that cannot be used; the message says why, for the user."""


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Map every field whose name or a usual Spanish or English header matches.

    Each header feeds one field at most; the first matching field wins.
    """
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    # Headers that are exactly a field's key (Memoria's own exports) go first.
    for column in IMPORT_COLUMNS:
        if column.key in headers:
            mapping[column.key] = column.key
            taken.add(column.key)
    for column in IMPORT_COLUMNS:
        if column.key in mapping:
            continue
        for header in headers:
            if header and header not in taken and column.matches(header):
                mapping[column.key] = header
                taken.add(header)
                break
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """Return the mapping without empty entries, or raise ``MappingError``."""
    cleaned = {key: header for key, header in mapping.items() if header}
    unknown_fields = sorted(set(cleaned) - set(COLUMNS_BY_KEY))
    if unknown_fields:
        raise MappingError(
            _("Unknown fields in the mapping: %(fields)s.") % {"fields": ", ".join(unknown_fields)}
        )
    missing_headers = sorted(set(cleaned.values()) - set(headers))
    if missing_headers:
        raise MappingError(
            _("The file has no column named %(columns)s.")
            % {"columns": ", ".join(f"“{h}”" for h in missing_headers)}
        )
    missing = [str(c.label) for c in IMPORT_COLUMNS if c.required and c.key not in cleaned]
    if missing:
        raise MappingError(
            _("Choose a column for every required field: %(fields)s.")
            % {"fields": ", ".join(missing)}
        )
    if not {"given_names", "paternal_surname", "maternal_surname"} & set(cleaned):
        raise MappingError(_("Choose a column for the given names or a surname of the victims."))
    return cleaned


def load_mapping_file(path: Path) -> dict[str, str]:
    """Read a ``{"field key": "column header"}`` JSON file."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise MappingError(
            _("The mapping file cannot be read: %(error)s") % {"error": error}
        ) from error
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str | None) for k, v in data.items()
    ):
        raise MappingError(_("The mapping file must be a JSON object of field: column header."))
    return {k: v for k, v in data.items() if v}


def apply_mapping(mapping: dict[str, str], headers: list[str], cells: list[str]) -> dict[str, str]:
    """The values of one row by field key (empty string for unmapped fields)."""
    index = {header: i for i, header in enumerate(headers)}
    return {key: cells[index[header]] for key, header in mapping.items()}
