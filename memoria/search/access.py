"""The one way search pages fetch records: for a viewer, or 404.

Search records are not shared with other organizations yet (a family's
consent per recipient is recorded; ``memoria.search.consent.shared_view`` is
what a future sharing must use): each
helper returns a record of the viewer's own organization with
``record.access`` (:func:`search_access`), or answers 404 — for another
organization's record, for a part (a mark, a contact, a dental finding…) that
does not belong to the file or remains in the URL, and for a write the
viewer's role does not allow.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404

from memoria.accounts.roles import Capability
from memoria.accounts.viewer import RecordAccess, Viewer
from memoria.search.actions import PARTS
from memoria.search.models import (
    AnteMortemFile,
    BrigadeDay,
    Candidate,
    FileSource,
    RemainsRecord,
    SearchPhoto,
    SearchSite,
)


def search_access(viewer: Viewer) -> RecordAccess:
    """Reading takes ``read_search``; writing takes ``edit_records`` as well."""
    read = viewer.can(Capability.READ_SEARCH)
    write = read and viewer.can(Capability.EDIT_RECORDS)
    return RecordAccess(read=read, write=write, identities=read)


def _int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("No such record") from None
    if not 0 < number < 2**63:
        raise Http404("No such record")
    return number


def _one(viewer: Viewer, queryset: QuerySet, object_id, *, write: bool) -> Model:
    access = search_access(viewer)
    if not access.read or (write and not access.write):
        raise Http404("No such record")
    record = queryset.filter(organization=viewer.organization, pk=_int(object_id)).first()
    if record is None:
        raise Http404("No such record")
    record.access = access
    return record


def files_of(viewer: Viewer) -> QuerySet[AnteMortemFile]:
    """The families' files (records imported from the registry are not one: see official)."""
    return AnteMortemFile.objects.filter(organization=viewer.organization, source=FileSource.FAMILY)


def sites_of(viewer: Viewer) -> QuerySet[SearchSite]:
    return SearchSite.objects.filter(organization=viewer.organization)


def brigade_days_of(viewer: Viewer) -> QuerySet[BrigadeDay]:
    return BrigadeDay.objects.filter(organization=viewer.organization)


def remains_of(viewer: Viewer) -> QuerySet[RemainsRecord]:
    return RemainsRecord.objects.filter(organization=viewer.organization)


def get_file(viewer: Viewer, file_id, *, write: bool = False) -> AnteMortemFile:
    queryset = AnteMortemFile.objects.filter(source=FileSource.FAMILY).select_related("person")
    return _one(viewer, queryset, file_id, write=write)


def get_site(viewer: Viewer, site_id, *, write: bool = False) -> SearchSite:
    return _one(viewer, SearchSite.objects.all(), site_id, write=write)


def get_brigade_day(viewer: Viewer, day_id, *, write: bool = False) -> BrigadeDay:
    return _one(viewer, BrigadeDay.objects.select_related("site"), day_id, write=write)


def get_remains(viewer: Viewer, remains_id, *, write: bool = False) -> RemainsRecord:
    return _one(viewer, RemainsRecord.objects.select_related("site"), remains_id, write=write)


def get_photo(viewer: Viewer, photo_id) -> SearchPhoto:
    return _one(viewer, SearchPhoto.objects.all(), photo_id, write=False)


def get_part(parent: AnteMortemFile | RemainsRecord, kind: str, part_id, *, write: bool = False):
    """A part of ``parent`` (fetched for the viewer first): it inherits the parent's access."""
    spec = PARTS.get(kind)
    if spec is None or not isinstance(
        parent, spec.model._meta.get_field(spec.parent).related_model
    ):
        raise Http404("No such kind of record")
    if write and not parent.access.write:
        raise Http404("No such record")
    record = spec.model.objects.filter(
        organization_id=parent.organization_id, **{spec.parent: parent}, pk=_int(part_id)
    ).first()
    if record is None:
        raise Http404("No such record")
    record.access = parent.access
    return record


def candidates_of(viewer: Viewer) -> QuerySet[Candidate]:
    """The organization's possible matches (reading them takes ``read_search``)."""
    return Candidate.objects.filter(organization=viewer.organization).select_related(
        "file__person", "remains"
    )


def get_candidate(viewer: Viewer, candidate_id, *, write: bool = False) -> Candidate:
    """A possible match; ``write`` (deciding on it) takes ``edit_records`` as well."""
    return _one(viewer, candidates_of(viewer), candidate_id, write=write)
