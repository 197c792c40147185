"""How a viewer reads what another organization shared with theirs."""

from __future__ import annotations

from django.db import models

from memoria.accounts.roles import Capability
from memoria.accounts.viewer import RecordAccess, Viewer
from memoria.sharing.models import SharedRecord
from memoria.sharing.registry import shareable


class SharedView:
    """What the recipient sees of a shared record: the granted fields, read-only.

    It is not a model instance: nothing on it reaches the owner's rows.
    """

    def __init__(self, record: SharedRecord) -> None:
        spec = shareable(record.kind)
        self.pk = record.object_id
        self.kind = record.kind
        self.owner = record.owner
        self.shared = record
        self.values = dict(record.content or {})
        granted = frozenset(record.fields)
        self.access = RecordAccess(
            read=True,
            write=False,
            identities=bool(granted & spec.identity_fields),
            fields=granted,
            shared_by=record.owner,
        )
        self.rows = [
            (spec.fields[name], self.values.get(name))
            for name in record.fields
            if name in spec.fields
        ]

    def __getattr__(self, name: str):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)


def shared_with(viewer: Viewer, model: type[models.Model], object_id) -> SharedView | None:
    """The record ``object_id`` as shared with the viewer's organization, or None."""
    if not viewer.can(Capability.READ_RECORDS):
        return None
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        return None
    record = (
        SharedRecord.objects.select_related("owner")
        .filter(
            organization=viewer.organization,
            kind=model._meta.label_lower,
            object_id=object_id,
        )
        .first()
    )
    return SharedView(record) if record is not None else None
