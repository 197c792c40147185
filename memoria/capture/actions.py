"""Turn a testimony captured on the road into a case, once.

``receive_testimony`` writes, in one transaction, a case (``register_case``,
status "under verification") with the testimony as its source
(``add_source``, kind "testimony"), the receipt of the draft and an audit
entry. Either all of it lands or none of it does. A draft whose identifier
already has a receipt creates nothing and answers with its case; one whose
identifier has a receipt for another content is refused (``DraftMismatch``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from memoria.accounts.models import Organization
from memoria.accounts.viewer import Viewer
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.capture.models import CapturedTestimony
from memoria.cases.actions import add_source, register_case
from memoria.cases.models import Event, Term, Vocabulary
from memoria.vault.blind import blind_tokens

DRAFT_FIELDS = (
    "title",
    "testimony",
    "recorded_on",
    "occurred_on",
    "precision",
    "state",
    "locality",
    "reference",
)


class DraftMismatch(Exception):
    """A draft with this identifier was received before, saying something else."""

    def __init__(self, receipt: CapturedTestimony) -> None:
        super().__init__(f"draft {receipt.client_id} was received with another content")
        self.receipt = receipt


@dataclass(frozen=True)
class Received:
    receipt: CapturedTestimony
    created: bool


def draft_digest(organization: Organization, data: dict) -> str:
    """A keyed digest of what the draft says (nothing of it is kept in clear)."""
    values = {}
    for field in DRAFT_FIELDS:
        value = data.get(field)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        values[field] = value or ""
    content = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    (digest,) = blind_tokens(organization.pk, [content], kind="capture")
    return digest


def receive_testimony(viewer: Viewer, data: dict, *, request=None) -> Received:
    """Record the draft ``data`` (a ``DraftForm``'s cleaned data) of ``viewer``'s organization.

    Idempotent: the same draft sent twice, or by two requests at once,
    makes one case.
    """
    try:
        return _receive(viewer, data, request=request)
    except IntegrityError:
        # Another request with the same draft won the race (its receipt is unique):
        # this one wrote nothing, the other's case is the answer.
        return _receive(viewer, data, request=request)


@transaction.atomic
def _receive(viewer: Viewer, data: dict, *, request=None) -> Received:
    organization = viewer.organization
    # Serialize senders of one organization: the receipt is looked up under the lock.
    Organization.objects.select_for_update(no_key=True).filter(pk=organization.pk).first()
    digest = draft_digest(organization, data)
    existing = (
        CapturedTestimony.objects.select_related("event")
        .filter(organization=organization, client_id=data["id"])
        .first()
    )
    if existing is not None:
        if existing.digest != digest:
            raise DraftMismatch(existing)
        return Received(existing, created=False)
    event = register_case(
        organization,
        viewer.user,
        {
            "title": data["title"],
            "start_date": data.get("occurred_on"),
            "start_precision": data["precision"],
            "state": data.get("state"),
            "locality": data.get("locality") or "",
            "status": Event.Status.VERIFYING,
        },
        request=request,
    )
    testimony = Term.objects.get(
        vocabulary__code=Vocabulary.SOURCE_KIND, organization=None, code="testimony"
    )
    source = add_source(
        event,
        viewer.user,
        {
            "kind": testimony,
            "date": data["recorded_on"],
            "reference": data.get("reference") or "",
            "summary": data["testimony"],
        },
        request=request,
    )
    receipt = CapturedTestimony.objects.create(
        organization=organization,
        client_id=data["id"],
        event=event,
        source=source,
        digest=digest,
        sent_by=viewer.user,
    )
    audit(viewer.user, organization, AuditAction.CAPTURE_RECEIVED, event, request=request)
    return Received(receipt, created=True)
