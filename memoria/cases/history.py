"""History entries as the history page shows them: labels and names, not field names and ids."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from memoria.accounts.roles import Capability
from memoria.cases import models, naming

KINDS = {
    "event": (models.Event, gettext_lazy("Case")),
    "person": (models.Person, gettext_lazy("Person")),
    "act": (models.Act, gettext_lazy("Violation")),
    "attribution": (models.Attribution, gettext_lazy("Perpetrator")),
    "indirectvictim": (models.IndirectVictim, gettext_lazy("Relative")),
    "source": (models.Source, gettext_lazy("Source")),
    "attachment": (models.Attachment, gettext_lazy("Attachment")),
    "intervention": (models.Intervention, gettext_lazy("Intervention")),
}
KIND_LABELS = dict(KINDS.values())  # model → what the history calls it
# Entries that name no model field: what the history page calls them.
EXTRA_LABELS = {
    "consent_recorded_at": gettext_lazy("consent recorded"),
    "size": gettext_lazy("size in bytes"),
    "import": gettext_lazy(
        "imported from the file"
    ),  # the importer's entry for each event it creates
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
    subject: str = ""  # the record changed, named as members know it ("" once removed)


def field_label(model, name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - an old history row may name a field since removed
        return name


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - an old history row may name a field since removed
        return None


def _target(field):
    """The model a field refers to: a foreign key's, or an encrypted reference's."""
    if field is None:
        return None
    if field.is_relation:
        return field.related_model
    return getattr(field, "target", None)


def display_value(model, name: str, value):
    """Choice values (``"verifying"``) as their labels ("Under verification")."""
    field = _field(model, name)
    if field is None:
        return value
    if field.choices and isinstance(value, str):
        return dict(field.flatchoices).get(value, value)
    return value


def _values(value) -> list:
    return value if isinstance(value, list) else [value]


class _Namer:
    """Names the records one page of history mentions, fetched in a few queries.

    History rows store a related record as its id (``direct_victim``, a
    source's ``acts``) or, for terms, as the label it had then, in the language
    of whoever made the change; both are shown as members know them now, in
    the reader's language.
    """

    def __init__(self, organization, changes, identities: bool) -> None:
        self.organization = organization
        self.identities = identities
        wanted: dict[type, set] = {}
        labels: set[str] = set()
        for change in changes:
            model = KINDS.get(change.kind, (None, None))[0]
            if model is None:
                continue
            wanted.setdefault(model, set()).add(change.object_id)
            for name, pair in (change.changes or {}).items():
                target = _target(_field(model, name))
                if target is None:
                    continue
                for value in (v for side in pair for v in _values(side)):
                    if isinstance(value, int):
                        wanted.setdefault(target, set()).add(value)
                    elif target is models.Term:
                        labels.add(value)
        self.records = {m: naming.fetch(organization, m, ids) for m, ids in wanted.items()}
        self.terms = naming.terms_by_label(organization, labels)

    def subject(self, change) -> str:
        model = KINDS.get(change.kind, (None, None))[0]
        record = self.records.get(model, {}).get(change.object_id)
        return naming.record_name(record, identities=self.identities) if record else ""

    def value(self, model, name: str, value):
        field = _field(model, name) if model else None
        if field is None or value is None:
            return value
        if isinstance(value, list):
            return [self.value(model, name, item) for item in value]
        if _target(field) is not None:
            return self._related(_target(field), value)
        # Dates stay as stored (2019-03-01): only the precision beside them says whether
        # the day is known. A moment (when consent was recorded) is exact: shown in words.
        if isinstance(value, str) and field.get_internal_type() == "DateTimeField":
            return _formatted(value, "DATETIME_FORMAT", _local_datetime)
        return display_value(model, name, value)

    def _related(self, model, value):
        if isinstance(value, int):
            record = self.records.get(model, {}).get(value)
            if record is None:
                kind = KIND_LABELS.get(model, model._meta.verbose_name)
                return _("%(kind)s no longer recorded") % {"kind": kind}
            return naming.record_name(record, identities=self.identities)
        if model is models.Term and value in self.terms:
            return self.terms[value].label
        return value


def _local_datetime(text: str) -> datetime.datetime:
    return timezone.localtime(datetime.datetime.fromisoformat(text))


def _formatted(text: str, format_name: str, parse) -> str:
    try:
        return formats.date_format(parse(text), format_name)
    except ValueError:  # not what this field stores today: show it as it was kept
        return text


def history_entries(changes, viewer=None) -> list[HistoryEntry]:
    """The changes as the history page shows them, for ``viewer`` (the reader's ``Membership``)."""
    changes = list(changes)
    if not changes:
        return []
    identities = viewer is None or viewer.can(Capability.READ_RECORDS)
    organization = viewer.organization if viewer is not None else changes[0].organization
    namer = _Namer(organization, changes, identities)
    entries = []
    for change in changes:
        model, kind_label = KINDS.get(change.kind, (None, change.kind))
        fields = [
            FieldChange(
                field_label(model, name) if model else name,
                namer.value(model, name, before),
                namer.value(model, name, after),
            )
            for name, (before, after) in sorted((change.changes or {}).items())
        ]
        subject = namer.subject(change)
        if model is models.Event and subject:  # "Case #3 · Changed", not "Case: Case #3"
            kind_label, subject = subject, ""
        entries.append(HistoryEntry(change, str(kind_label), fields, subject))
    return entries
