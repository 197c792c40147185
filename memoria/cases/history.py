"""History entries as the history page shows them: field labels instead of names."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from memoria.cases import models

KINDS = {
    "event": (models.Event, _("Case")),
    "person": (models.Person, _("Person")),
    "act": (models.Act, _("Violation")),
    "attribution": (models.Attribution, _("Perpetrator")),
    "indirectvictim": (models.IndirectVictim, _("Relative")),
    "source": (models.Source, _("Source")),
    "attachment": (models.Attachment, _("Attachment")),
    "intervention": (models.Intervention, _("Intervention")),
}
# Entries that name no model field: what the history page calls them.
EXTRA_LABELS = {
    "consent_recorded_at": _("consent recorded"),
    "size": _("size in bytes"),
    "import": _("imported from the file"),  # the importer's entry for each event it creates
}


@dataclass
class FieldChange:
    label: str
    before: object
    after: object


@dataclass
class HistoryEntry:
    change: models.Change
    kind_label: str
    fields: list[FieldChange]


def field_label(model, name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - an old history row may name a field since removed
        return name


def display_value(model, name: str, value):
    """Choice values (``"verifying"``) as their labels ("Under verification")."""
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001
        return value
    if field.choices and isinstance(value, str):
        return dict(field.flatchoices).get(value, value)
    return value


def history_entries(changes, viewer=None) -> list[HistoryEntry]:
    entries = []
    for change in changes:
        model, kind_label = KINDS.get(change.kind, (None, change.kind))
        fields = [
            FieldChange(
                field_label(model, name) if model else name,
                display_value(model, name, before) if model else before,
                display_value(model, name, after) if model else after,
            )
            for name, (before, after) in sorted((change.changes or {}).items())
        ]
        entries.append(HistoryEntry(change, str(kind_label), fields))
    return entries
