"""How a viewer reads what another organization shared with theirs.

A copy shared under an agreement carries its provenance (``view.agreements``:
the agreements in force it is shared under). An agreement whose last day has
passed is ended here, before the read, if the worker has not ended it yet: an
expired agreement never shows a record, even for a minute.
"""

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
        self.agreements = list(record.agreements.all())
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
    found = SharedRecord.objects.select_related("owner").filter(
        organization=viewer.organization,
        kind=model._meta.label_lower,
        object_id=object_id,
    )
    record = found.first()
    if record is not None and _ends_expired(record):
        record = found.first()  # what is left of it once the expired agreements are ended
    return SharedView(record) if record is not None else None


def shared_records(organization, model: type[models.Model], owner=None):
    """Every record of ``model`` shared with ``organization`` under an agreement (by
    ``owner`` only, when given), once the expired agreements that shared them are
    ended: a bulk read (a linkage run over a partner's people) follows the rule of a
    single read. Read their values with ``agreed_values``."""
    from memoria.sharing import rules
    from memoria.sharing.agreements import expire
    from memoria.sharing.models import Agreement, AgreementStatus

    expired = Agreement.objects.filter(
        partner=organization, status=AgreementStatus.ACTIVE, valid_until__lt=rules.today()
    )
    if owner is not None:
        expired = expired.filter(organization=owner)
    for agreement in expired:
        expire(agreement)
    under_agreement = SharedRecord.agreements.through.objects.filter(
        sharedrecord_id=models.OuterRef("pk")
    )
    found = SharedRecord.objects.filter(
        models.Exists(under_agreement), organization=organization, kind=model._meta.label_lower
    )
    return found if owner is None else found.filter(owner=owner)


def shared_records_granting(organization, model: type[models.Model], fields, owner=None):
    """The ``shared_records`` whose agreements in force grant at least one of ``fields``:
    found from the agreements' terms, no copy decrypted (a count on a page). A record
    counts even where those fields are empty in its copy: read the values
    (``agreed_values``) to know. What a referral alone carries never counts.

    An agreement is among ``record.agreements`` only while the person's consent lets
    it share something, so its level and fields alone say what it grants.
    """
    from memoria.sharing import rules
    from memoria.sharing.registry import Consent

    spec = shareable(model)
    found = shared_records(organization, model, owner)  # ends the expired agreements first
    agreements = rules.in_force().filter(partner=organization)
    if owner is not None:
        agreements = agreements.filter(organization=owner)
    wanted = set(fields)
    granting = [
        agreement.pk
        for agreement in agreements
        if wanted & set(rules.allowed_fields(agreement, spec, Consent.NAMED))
    ]
    under = SharedRecord.agreements.through.objects.filter(
        sharedrecord_id=models.OuterRef("pk"), agreement_id__in=granting
    )
    return found.filter(models.Exists(under))


def agreed_values(record: SharedRecord) -> dict:
    """What of ``record``'s copy its agreements in force grant: the copy also holds what
    open referrals carry (one person, for one service), which a bulk read must not use.

    An agreement is among ``record.agreements`` only while the person's consent lets
    it share something, so its level alone says which of its fields it grants.
    """
    from memoria.sharing import rules
    from memoria.sharing.registry import Consent

    spec = shareable(record.kind)
    granted: set[str] = set()
    for agreement in record.agreements.all():
        if rules.is_in_force(agreement):
            granted.update(rules.allowed_fields(agreement, spec, Consent.NAMED))
    return {key: value for key, value in (record.content or {}).items() if key in granted}


def _ends_expired(record: SharedRecord) -> bool:
    """End the expired agreements ``record`` is still shared under; whether there were any."""
    from memoria.sharing import rules
    from memoria.sharing.agreements import expire

    expired = [a for a in record.agreements.all() if not rules.is_in_force(a)]
    for agreement in expired:
        expire(agreement)
    return bool(expired)
