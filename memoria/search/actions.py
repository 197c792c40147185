"""Write paths of the search for the disappeared, each one transaction with its audit entry.

Like the other apps: an edit carries the version it started from, and a stale
one raises ``memoria.cases.actions.ConflictError`` (with the saved and the
typed values side by side) and writes nothing. Views call these with a form's
``cleaned_data``. The audit entry names the record's kind and id, never a
person, a folio or a place.

The small parts of a file or of remains (marks, family contacts, DNA
reference samples, consents, dental findings) are one table, ``PARTS``: one
``add_part``, one ``update_part`` and one ``remove_part`` serve them all.

Every write the matching engine reads (a file, remains, a mark, a dental
finding) also queues the organization's re-matching in the same transaction
(``memoria.search.review.queue_rematch``, one waiting job at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone

from memoria.accounts.models import Organization, User
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError, update_if_current
from memoria.cases.models import Person
from memoria.search.models import (
    AnteMortemFile,
    AnteMortemMark,
    BrigadeDay,
    DentalFinding,
    FamilyContact,
    FilePart,
    PostMortemMark,
    RecipientConsent,
    ReferenceSample,
    RemainsRecord,
    SearchPhoto,
    SearchSite,
)
from memoria.search.review import queue_rematch
from memoria.vault.fields import EncryptedDecimalField

PLACE_FIELDS = ("state", "municipality", "locality", "latitude", "longitude")
FILE_FIELDS = (
    "last_seen_date",
    "last_seen_precision",
    *PLACE_FIELDS,
    "circumstances",
    "search_status",
    "sex",
    "age_at_disappearance",
    "stature_cm",
    "build",
    "skin",
    "hair_color",
    "hair_length",
    "eye_color",
    "other_features",
    "dental_notes",
    "clothing",
    "belongings",
    "medical_conditions",
    "rnpdno_folio",
    "prosecutor_file",
    "commission_file",
    "memorial_may_name",
    "memorial_consent_note",
    "notes",
)
MARK_FIELDS = ("kind", "region", "side", "motif", "text", "description")
CONTACT_FIELDS = ("name", "relationship", "phone", "email", "address", "notes", "receives_news")
SAMPLE_FIELDS = (
    "donor",
    "donor_relationship",
    "sample_kind",
    "taken_on",
    "held_by",
    "folio",
    "notes",
)
CONSENT_FIELDS = ("recipient", "parts", "given_by", "given_on", "notes")
DENTAL_FIELDS = ("tooth", "finding", "description")
SITE_FIELDS = (
    "name",
    "kind",
    "found_on",
    *PLACE_FIELDS,
    "found_by_kind",
    "found_by",
    "bodies",
    "fragments",
    "exhumation_status",
    "authority",
    "description",
)
BRIGADE_FIELDS = ("site", "date", "place", "participants", "findings", "notes")
REMAINS_FIELDS = (
    "site",
    "source",
    "semefo_folio",
    "found_on",
    *PLACE_FIELDS,
    "sex_estimate",
    "age_min",
    "age_max",
    "stature_min_cm",
    "stature_max_cm",
    "clothing",
    "belongings",
    "condition",
    "held_at_kind",
    "held_at",
    "dna_status",
    "identification_status",
    "notes",
)


# The parts the matching engine reads: writing one queues a re-matching (search.review).
MATCHED_PARTS = frozenset({"mark", "pm_mark", "dental"})


def _typed(model: type[models.Model], data: dict) -> dict:
    """Numbers as the record stores them (a form's 24 is the saved Decimal("24"))."""
    typed = dict(data)
    for name, value in data.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, EncryptedDecimalField) and value is not None:
            typed[name] = field.from_plaintext(field.to_plaintext(value))
    return typed


def _fill(instance: models.Model, data: dict, fields: Iterable[str]) -> models.Model:
    data = _typed(type(instance), data)
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])
    return instance


def _update(
    instance: models.Model,
    data: dict,
    fields: Iterable[str],
    version: int,
    before_save: Callable[[models.Model], None] | None = None,
):
    """Apply ``data`` if ``version`` is still current; ``ConflictError`` otherwise."""
    data = _typed(type(instance), data)
    return update_if_current(instance, data, fields, version, fill=_fill, before_save=before_save)


def _place_state(record) -> None:
    """A municipality implies its state (as ``Place.clean`` does for forms)."""
    if record.municipality_id and not record.state_id:
        record.state_id = record.municipality.state_id


# -- ante-mortem files ---------------------------------------------------------------------


@transaction.atomic
def open_file(person: Person, actor: User | None, data: dict, *, request=None) -> AnteMortemFile:
    """Open the ante-mortem file of ``person`` (a person of the organization's cases).

    ``ConflictError`` if someone opened it meanwhile (a form sent twice at once).
    """
    Person.objects.select_for_update(no_key=True).filter(pk=person.pk).first()
    existing = AnteMortemFile.objects.filter(person=person).first()
    if existing is not None:
        raise ConflictError(existing, [])
    file = _fill(
        AnteMortemFile(organization=person.organization, person=person, created_by=actor),
        data,
        FILE_FIELDS,
    )
    _place_state(file)
    file.save()
    audit(actor, person.organization, AuditAction.SEARCH_AM_CREATE, file, request=request)
    queue_rematch(person.organization, actor)
    return file


@transaction.atomic
def update_file(
    file: AnteMortemFile, actor: User | None, data: dict, version: int, *, request=None
) -> AnteMortemFile:
    file, changed = _update(file, data, FILE_FIELDS, version, _place_state)
    audit(
        actor,
        file.organization,
        AuditAction.SEARCH_AM_UPDATE,
        file,
        request=request,
        fields=changed,
    )
    if changed:
        queue_rematch(file.organization, actor)
    return file


# -- parts: marks, contacts, samples, consents, dental findings ----------------------------


def _one_news_contact(contact: FamilyContact) -> None:
    """The designated person is one: choosing another one unsets the previous."""
    if contact.receives_news:
        # Lock the file first: two people designating at once (with no one designated yet,
        # no contact row to lock) would otherwise both insert, and the second would fail
        # on the one-per-file constraint instead of replacing the first.
        AnteMortemFile.objects.select_for_update(no_key=True).filter(pk=contact.file_id).first()
        others = FamilyContact.objects.filter(file_id=contact.file_id, receives_news=True)
        if contact.pk is not None:
            others = others.exclude(pk=contact.pk)
        for other in others.select_for_update(no_key=True):
            other.receives_news = False
            other.version += 1
            other.updated_at = timezone.now()
            other.save(update_fields=["receives_news", "version", "updated_at"])


def _known_parts(consent: RecipientConsent) -> None:
    parts = list(dict.fromkeys(consent.parts or []))
    unknown = set(parts) - set(FilePart.values)
    if unknown:
        raise ValueError(f"unknown parts of a file: {sorted(unknown)}")
    if consent.recipient_id == consent.organization_id:
        raise ValueError("an organization needs no consent to see its own files")
    # One consent per recipient: two sent at once would both pass the form's check,
    # and the second would fail on the constraint. Lock the file, then look again.
    AnteMortemFile.objects.select_for_update(no_key=True).filter(pk=consent.file_id).first()
    taken = (
        RecipientConsent.objects.filter(file_id=consent.file_id, recipient_id=consent.recipient_id)
        .exclude(pk=consent.pk)
        .first()
    )
    if taken is not None:
        # The form shown again says the recipient is taken; an edit keeps its own version.
        mine = RecipientConsent.objects.filter(pk=consent.pk).first() if consent.pk else None
        raise ConflictError(mine or taken, [])
    consent.parts = [part for part in FilePart.values if part in parts]


@dataclass(frozen=True)
class Part:
    model: type[models.Model]
    parent: str  # the field naming the record the part belongs to
    fields: tuple[str, ...]
    before_save: Callable[[models.Model], None] | None = None


PARTS: dict[str, Part] = {
    "mark": Part(AnteMortemMark, "file", MARK_FIELDS),
    "contact": Part(FamilyContact, "file", CONTACT_FIELDS, _one_news_contact),
    "sample": Part(ReferenceSample, "file", SAMPLE_FIELDS),
    "consent": Part(RecipientConsent, "file", CONSENT_FIELDS, _known_parts),
    "pm_mark": Part(PostMortemMark, "remains", MARK_FIELDS),
    "dental": Part(DentalFinding, "remains", DENTAL_FIELDS),
}


@transaction.atomic
def add_part(
    parent: AnteMortemFile | RemainsRecord,
    kind: str,
    actor: User | None,
    data: dict,
    *,
    request=None,
) -> models.Model:
    """Add a part of ``kind`` (a key of ``PARTS``) to an AM file or a remains record."""
    spec = PARTS[kind]
    part = spec.model(organization=parent.organization, created_by=actor)
    setattr(part, spec.parent, parent)
    _fill(part, data, spec.fields)
    if spec.before_save is not None:
        spec.before_save(part)
    part.save()
    audit(
        actor,
        parent.organization,
        AuditAction.SEARCH_PART_CREATE,
        part,
        request=request,
        parent=parent.pk,
    )
    if kind in MATCHED_PARTS:
        queue_rematch(parent.organization, actor)
    return part


@transaction.atomic
def update_part(
    part: models.Model, kind: str, actor: User | None, data: dict, version: int, *, request=None
) -> models.Model:
    spec = PARTS[kind]
    part, changed = _update(part, data, spec.fields, version, spec.before_save)
    audit(
        actor,
        part.organization,
        AuditAction.SEARCH_PART_UPDATE,
        part,
        request=request,
        fields=changed,
    )
    if changed and kind in MATCHED_PARTS:
        queue_rematch(part.organization, actor)
    return part


@transaction.atomic
def remove_part(
    part: models.Model, kind: str, actor: User | None, version: int, *, request=None
) -> None:
    """Remove a part, unless someone changed it since the viewer saw it."""
    spec = PARTS[kind]
    current = spec.model.objects.select_for_update().get(pk=part.pk)
    if current.version != version:
        raise ConflictError(current, [])
    audit(
        actor,
        current.organization,
        AuditAction.SEARCH_PART_DELETE,
        current,
        request=request,
        kind=kind,
    )
    current.delete()
    if kind in MATCHED_PARTS:
        queue_rematch(current.organization, actor)


# -- photos ---------------------------------------------------------------------------------

# Photos are shown in a page only when their first bytes say they are one of these.
IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def image_type(content: bytes) -> str | None:
    """The image type the bytes really are (JPEG or PNG), whatever the upload claimed."""
    for signature, content_type in IMAGE_SIGNATURES:
        if content.startswith(signature):
            return content_type
    return None


@transaction.atomic
def add_photo(
    record: AnteMortemFile | SearchSite | RemainsRecord,
    actor: User | None,
    upload,
    caption: str = "",
    *,
    request=None,
) -> SearchPhoto:
    """Store a photo of an AM file, a site or remains, encrypted in the database."""
    link = {
        AnteMortemFile: "ante_mortem_file",
        SearchSite: "site",
        RemainsRecord: "remains",
    }[type(record)]
    content = upload.read()
    photo = SearchPhoto.objects.create(
        organization=record.organization,
        created_by=actor,
        caption=caption,
        filename=upload.name[:255],
        content_type=image_type(content) or "application/octet-stream",
        size=len(content),
        content=content,
        **{link: record},
    )
    audit(
        actor,
        record.organization,
        AuditAction.SEARCH_PHOTO_CREATE,
        photo,
        request=request,
        size=photo.size,
    )
    return photo


# -- graves, sites and brigade days ----------------------------------------------------------


@transaction.atomic
def record_site(
    organization: Organization, actor: User | None, data: dict, *, request=None
) -> SearchSite:
    site = _fill(SearchSite(organization=organization, created_by=actor), data, SITE_FIELDS)
    _place_state(site)
    site.save()
    audit(actor, organization, AuditAction.SEARCH_SITE_CREATE, site, request=request)
    return site


@transaction.atomic
def update_site(
    site: SearchSite, actor: User | None, data: dict, version: int, *, request=None
) -> SearchSite:
    site, changed = _update(site, data, SITE_FIELDS, version, _place_state)
    audit(
        actor,
        site.organization,
        AuditAction.SEARCH_SITE_UPDATE,
        site,
        request=request,
        fields=changed,
    )
    return site


def _same_organization(record, related: str) -> None:
    linked = getattr(record, related)
    if linked is not None and linked.organization_id != record.organization_id:
        raise ValueError(f"{related} belongs to another organization")


@transaction.atomic
def record_brigade_day(
    organization: Organization, actor: User | None, data: dict, *, request=None
) -> BrigadeDay:
    day = _fill(BrigadeDay(organization=organization, created_by=actor), data, BRIGADE_FIELDS)
    _same_organization(day, "site")
    day.save()
    audit(actor, organization, AuditAction.SEARCH_BRIGADE_CREATE, day, request=request)
    return day


@transaction.atomic
def update_brigade_day(
    day: BrigadeDay, actor: User | None, data: dict, version: int, *, request=None
) -> BrigadeDay:
    day, changed = _update(
        day, data, BRIGADE_FIELDS, version, lambda d: _same_organization(d, "site")
    )
    audit(
        actor,
        day.organization,
        AuditAction.SEARCH_BRIGADE_UPDATE,
        day,
        request=request,
        fields=changed,
    )
    return day


# -- remains ----------------------------------------------------------------------------------


def _derive_remains(remains: RemainsRecord) -> None:
    _place_state(remains)
    _same_organization(remains, "site")


@transaction.atomic
def record_remains(
    organization: Organization, actor: User | None, data: dict, *, request=None
) -> RemainsRecord:
    remains = _fill(
        RemainsRecord(organization=organization, created_by=actor), data, REMAINS_FIELDS
    )
    _derive_remains(remains)
    remains.save()
    audit(actor, organization, AuditAction.SEARCH_REMAINS_CREATE, remains, request=request)
    queue_rematch(organization, actor)
    return remains


@transaction.atomic
def update_remains(
    remains: RemainsRecord, actor: User | None, data: dict, version: int, *, request=None
) -> RemainsRecord:
    remains, changed = _update(remains, data, REMAINS_FIELDS, version, _derive_remains)
    audit(
        actor,
        remains.organization,
        AuditAction.SEARCH_REMAINS_UPDATE,
        remains,
        request=request,
        fields=changed,
    )
    if changed:
        queue_rematch(remains.organization, actor)
    return remains
