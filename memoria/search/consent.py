"""A family's consent per recipient: what another organization may see of an AM file.

``RecipientConsent`` records, per organization, which parts of the file
(``FilePart``) the family agrees it may see. :func:`shared_view` is the one
door through which any part of a file may leave its organization: it returns
only the consented parts (nothing without a consent), so a sharing feature
built on it cannot send more than the family allowed.

Not enforced yet, because nothing shares search files today: the network's
grants (``memoria.sharing``) do not offer AM files, and the matching engine
only reads the organization's own records. A future sharing of AM files must
go through :func:`shared_view` (docs/search.md, "Consent").
"""

from __future__ import annotations

from memoria.search.models import AnteMortemFile, FilePart, RecipientConsent

# The file's fields in each part (parts kept in their own tables are listed in RELATED).
PART_FIELDS: dict[str, tuple[str, ...]] = {
    FilePart.LAST_SEEN: (
        "last_seen_date", "last_seen_precision", "state_id", "municipality_id", "locality",
    ),
    FilePart.CIRCUMSTANCES: ("circumstances",),
    FilePart.DESCRIPTION: (
        "sex", "age_at_disappearance", "stature_cm", "build", "skin", "hair_color",
        "hair_length", "eye_color", "other_features",
    ),
    FilePart.DENTAL: ("dental_notes",),
    FilePart.CLOTHING: ("clothing", "belongings"),
    FilePart.MEDICAL: ("medical_conditions",),
    FilePart.FOLIOS: ("rnpdno_folio", "prosecutor_file", "commission_file"),
}  # fmt: skip
RELATED: dict[str, tuple[str, tuple[str, ...]]] = {
    FilePart.MARKS: ("marks", ("kind", "region", "side", "motif", "text", "description")),
    FilePart.PHOTOS: ("photos", ("caption", "filename", "content_type")),
    FilePart.SAMPLES: (
        "samples",
        ("donor", "donor_relationship", "sample_kind", "taken_on", "held_by", "folio"),
    ),
    FilePart.CONTACTS: ("contacts", ("name", "relationship", "phone", "email", "receives_news")),
}


def consented_parts(file: AnteMortemFile, recipient) -> list[str]:
    """The parts of ``file`` the family lets ``recipient`` (an organization) see."""
    if recipient is None or recipient.pk == file.organization_id:
        return []
    consent = RecipientConsent.objects.filter(file=file, recipient=recipient).first()
    return [] if consent is None else [p for p in FilePart.values if p in consent.parts]


def shared_view(file: AnteMortemFile, recipient) -> dict:
    """What ``recipient`` may receive of ``file``: the consented parts only, by part.

    An empty dict when there is no consent. The person's name is not a part:
    a shared file is the file's number and its consented parts.
    """
    parts = consented_parts(file, recipient)
    view: dict = {}
    for part in parts:
        if part in PART_FIELDS:
            view[part] = {name: getattr(file, name) for name in PART_FIELDS[part]}
        else:
            relation, fields = RELATED[part]
            view[part] = [
                {name: getattr(row, name) for name in fields}
                for row in getattr(file, relation).all()
            ]
    return view
