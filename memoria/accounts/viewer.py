"""What a viewer may do with one record.

A *viewer* is a person looking through one organization: their ``Membership``
(``membership.user``, ``membership.organization``, ``membership.can(...)``).
Access helpers (``memoria.cases.access.get_event(viewer, event_id)``, and one
per kind of record) return the record with a ``RecordAccess`` in its
``access`` attribute, so a page and its template ask the record, never the
role, what the viewer may do.
"""

from __future__ import annotations

from dataclasses import dataclass

from memoria.accounts.models import Membership, Organization
from memoria.accounts.roles import Capability

Viewer = Membership


@dataclass(frozen=True)
class RecordAccess:
    read: bool
    write: bool
    identities: bool
    history: bool = False  # may read who changed what (shared copies never carry it)
    fields: frozenset[str] | None = None  # None: every field of the record
    shared_by: Organization | None = None  # set when another organization shared it

    @property
    def shared(self) -> bool:
        return self.shared_by is not None


def own_access(viewer: Viewer) -> RecordAccess:
    """Access to a record of the viewer's own organization: what their role allows.

    Whoever may change a record may read its history (what they and others
    changed before them); reading it without that takes the history capability.
    """
    read = viewer.can(Capability.READ_RECORDS)
    write = viewer.can(Capability.EDIT_RECORDS)
    history = write or viewer.can(Capability.VIEW_HISTORY)
    return RecordAccess(read=read, write=write, identities=read, history=history)
