"""Register partners and agreements, send and receive bundles — each in one transaction.

Sending (``export_bundle``) computes, for an outgoing agreement, the same
projections an agreement within one installation copies: for each record of
the agreed kinds, ``memoria.sharing.rules.allowed_fields`` (the level, the
fields, bounded by the record's consent through the registry's ``consent``)
and ``Shareable.project``. Each bundle is a whole snapshot of what the
agreement shares now, numbered by ``sequence``.

Receiving (``import_bundle``) refuses a bundle it cannot trust before writing
anything (not a bundle, unknown or wrong signer, another recipient, no such
agreement here), then in one transaction: a bundle already imported changes
nothing; an older sequence than the last applied changes nothing and is
reported as a conflict; an agreement the sender reports revoked or expired
deletes the copies; otherwise the copies become the snapshot, each kept to
the kinds and fields the local terms allow (the rest is dropped and
reported). Every export and import is audited in the local organization's log,
and so is a refused import (``exchange.import_refused``, in the log of the
organization it was imported for, once its transaction is undone).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import uuid as uuidlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from memoria.accounts.models import Organization, User
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.exchange.bundle import (
    FINGERPRINT,
    REASONS,
    BundleError,
    PublicKeys,
    canonical,
    normalize_fingerprint,
    open_bundle,
    read_envelope,
    seal_bundle,
)
from memoria.exchange.identity import load_identity
from memoria.exchange.models import (
    Direction,
    Partner,
    ReceivedBundle,
    ReceivedRecord,
    RemoteAgreement,
)
from memoria.sharing import rules
from memoria.sharing.agreements import clean_fields
from memoria.sharing.models import AgreementLevel, AgreementStatus
from memoria.sharing.registry import Consent, shareable

ENDED = {AgreementStatus.REVOKED, AgreementStatus.EXPIRED}
UNKNOWN_KIND = "(unknown kind)"
# A record's id at the source, kept in clear: a number or a uuid as an export writes them.
SOURCE_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}")
UNKNOWN_FIELD = "(unknown field)"
Progress = Callable[[int, int], None]
# Why an import was refused, as its audit entry records it (docs/exchange.md).
REFUSAL_REASONS = frozenset(
    {
        *REASONS,
        "unknown_partner",
        "agreement_not_registered",
        "wrong_organization",
        "wrong_source_organization",
        "refused",
    }
)


class ExchangeError(Exception):
    """Nothing was done; the message says why, in one line.

    ``code`` names the reason among a fixed few: a refused import's audit entry
    records it, never the message (which may quote what the partner wrote).
    """

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


def _no_progress(done: int, total: int) -> None:
    pass


# --- partners and agreements --------------------------------------------------------------


def partner_keys(partner: Partner) -> PublicKeys:
    return PublicKeys(
        str(partner.installation),
        base64.b64decode(partner.signing_key),
        base64.b64decode(partner.exchange_key),
    )


@transaction.atomic
def add_partner(name: str, keys: PublicKeys, fingerprint_read: str) -> Partner:
    """Register another installation, once its fingerprint was read out of band."""
    if normalize_fingerprint(fingerprint_read) != keys.fingerprint:
        raise ExchangeError(
            f"the fingerprint given does not match the key file's ({keys.fingerprint}): "
            "the file may not come from the partner; nothing was registered"
        )
    if keys.installation == load_identity().installation:
        raise ExchangeError("that key file is this installation's own")
    if Partner.objects.filter(installation=keys.installation).exists():
        raise ExchangeError(f"installation {keys.installation} is already registered")
    if Partner.objects.filter(name=name).exists():
        raise ExchangeError(f"a partner named {name!r} is already registered")
    partner = Partner.objects.create(
        name=name,
        installation=keys.installation,
        signing_key=base64.b64encode(keys.signing).decode(),
        exchange_key=base64.b64encode(keys.exchange).decode(),
        fingerprint=keys.fingerprint,
    )
    audit(None, None, AuditAction.EXCHANGE_PARTNER_ADD, partner,
          installation=keys.installation, fingerprint=keys.fingerprint)  # fmt: skip
    return partner


@transaction.atomic
def replace_partner_keys(partner: Partner, keys: PublicKeys, fingerprint_read: str) -> Partner:
    """The partner made a new identity (its old one lost or stolen): trust only the new keys.

    Its agreements stay; bundles signed with the old keys are refused from now on.
    """
    if normalize_fingerprint(fingerprint_read) != keys.fingerprint:
        raise ExchangeError(
            f"the fingerprint given does not match the key file's ({keys.fingerprint}): "
            "the file may not come from the partner; nothing was changed"
        )
    if keys.installation == load_identity().installation:
        raise ExchangeError("that key file is this installation's own")
    if Partner.objects.filter(installation=keys.installation).exclude(pk=partner.pk).exists():
        raise ExchangeError(f"installation {keys.installation} is another registered partner")
    current = Partner.objects.select_for_update(no_key=True).get(pk=partner.pk)
    old = current.fingerprint
    current.installation = keys.installation
    current.signing_key = base64.b64encode(keys.signing).decode()
    current.exchange_key = base64.b64encode(keys.exchange).decode()
    current.fingerprint = keys.fingerprint
    current.save()
    audit(None, None, AuditAction.EXCHANGE_PARTNER_KEYS, current,
          installation=keys.installation, fingerprint=keys.fingerprint, old=old)  # fmt: skip
    return current


@transaction.atomic
def add_agreement(
    organization: Organization,
    partner: Partner,
    *,
    direction: str,
    partner_organization: str,
    level: str,
    fields: dict,
    purpose: str,
    valid_until: datetime.date,
    uuid: str | None = None,
    actor: User | None = None,
    request=None,
) -> RemoteAgreement:
    """Record the terms of an agreement with ``partner_organization`` at ``partner``.

    The sharing side registers it ``outgoing`` (a new uuid, unless given); the
    receiving side registers the same terms ``incoming`` with that uuid, which
    is its acceptance: nothing is imported under an agreement it has not
    registered, and nothing beyond its terms.
    """
    direction = Direction(direction)
    if level == AgreementLevel.AGGREGATE:
        raise ExchangeError("counts-only agreements are not exchanged between installations")
    try:
        fields = clean_fields(level, fields)
    except (ValueError, LookupError) as error:
        raise ExchangeError(str(error)) from error
    if valid_until < rules.today():
        raise ExchangeError("an agreement cannot end before today")
    if not purpose.strip():
        raise ExchangeError("an agreement needs a purpose")
    if direction == Direction.INCOMING and not uuid:
        raise ExchangeError("an incoming agreement needs the uuid the sharing side printed")
    try:
        agreement_id = uuidlib.UUID(uuid) if uuid else uuidlib.uuid4()
    except ValueError:
        raise ExchangeError(f"{uuid!r} is not a UUID") from None
    registered = list(
        RemoteAgreement.objects.filter(uuid=agreement_id).values_list("direction", flat=True)
    )
    if direction in registered:
        raise ExchangeError(f"agreement {agreement_id} is already registered here", "registered")
    if registered:
        # One code, one side: the same code both ways would let a bundle this
        # installation signed come back as one it receives.
        raise ExchangeError(
            f"agreement {agreement_id} is already registered here in the other direction "
            f"({registered[0]}): a code is either shared or received by an installation, never "
            "both. Register a new agreement with its own code",
            "other_direction",
        )
    agreement = RemoteAgreement.objects.create(
        uuid=agreement_id,
        direction=direction,
        organization=organization,
        partner=partner,
        partner_organization=partner_organization,
        level=level,
        fields=fields,
        purpose=purpose,
        valid_until=valid_until,
    )
    audit(actor, organization, AuditAction.EXCHANGE_AGREEMENT_ADD, agreement, request=request,
          direction=direction, partner=partner.pk, level=level, fields=fields,
          valid_until=valid_until)  # fmt: skip
    return agreement


def _end(agreement: RemoteAgreement, status: str) -> int:
    """Mark ``agreement`` ended; an incoming one loses its copies. Returns how many."""
    agreement.status = status
    agreement.ended_at = timezone.now()
    deleted, _ = agreement.records.all().delete()
    return deleted


@transaction.atomic
def revoke_agreement(
    agreement: RemoteAgreement, actor: User | None = None, *, request=None
) -> RemoteAgreement:
    """End the agreement on this side now (the next bundle tells the partner, if we share)."""
    current = RemoteAgreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)
    if current.status in ENDED:
        raise ExchangeError(f"agreement #{current.pk} has already ended ({current.status})")
    removed = _end(current, AgreementStatus.REVOKED)
    current.save()
    audit(actor, current.organization, AuditAction.EXCHANGE_AGREEMENT_REVOKE, current,
          request=request, direction=current.direction, records=removed)  # fmt: skip
    return current


def _expire_if_due(agreement: RemoteAgreement) -> bool:
    if agreement.status == AgreementStatus.ACTIVE and agreement.valid_until < rules.today():
        removed = _end(agreement, AgreementStatus.EXPIRED)
        agreement.save()
        audit(None, agreement.organization, AuditAction.EXCHANGE_AGREEMENT_EXPIRE, agreement,
              direction=agreement.direction, records=removed)  # fmt: skip
        return True
    return False


@transaction.atomic
def expire(agreement: RemoteAgreement) -> bool:
    """End ``agreement`` if its last day has passed (its copies go); whether it did."""
    if agreement.status != AgreementStatus.ACTIVE or agreement.valid_until >= rules.today():
        return False
    return _expire_if_due(
        RemoteAgreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)
    )


# --- sending ------------------------------------------------------------------------------


def content_hash(values: dict) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def shared_records(agreement: RemoteAgreement, progress: Progress = _no_progress) -> Iterator[dict]:
    """What ``agreement`` shares now, record by record, with each record's provenance."""
    specs = [shareable(kind) for kind in agreement.kinds()]
    querysets = [
        spec.model.objects.filter(organization_id=agreement.organization_id).order_by("pk")
        for spec in specs
    ]
    total = sum(queryset.count() for queryset in querysets)
    done = 0
    for spec, queryset in zip(specs, querysets, strict=True):
        for instance in queryset.iterator(chunk_size=200):
            done += 1
            progress(done, total)
            fields = rules.allowed_fields(agreement, spec, spec.consent(instance))
            if not fields:
                continue  # its people's consent does not allow it under these terms
            values = spec.project(instance, fields)
            updated_at = getattr(instance, "updated_at", None)
            yield {
                "kind": spec.kind,
                "id": str(instance.pk),
                "fields": fields,
                "values": values,
                "version": getattr(instance, "version", None),
                "updated_at": updated_at.isoformat() if updated_at else None,
                "content_hash": content_hash(values),
            }


def _terms(agreement: RemoteAgreement) -> dict:
    return {
        "uuid": str(agreement.uuid),
        "status": agreement.status,
        "level": agreement.level,
        "fields": agreement.fields,
        "purpose": agreement.purpose,
        "valid_until": agreement.valid_until.isoformat(),
    }


@dataclass
class Sent:
    bundle: str
    sequence: int
    status: str
    records: int


def export_bundle(
    agreement: RemoteAgreement,
    deliver: Callable[[bytes], None],
    progress: Progress = _no_progress,
) -> Sent:
    """Seal what ``agreement`` shares now for its partner; ``deliver`` writes the file.

    The records are read first, outside the transaction: on SQLite a
    transaction holds the database's write lock, and a long export must not
    hold up the web's writes. Then, in one short transaction, the next sequence
    number, the audit entry and the file go together: if ``deliver`` fails, the
    sequence is not used and nothing is audited. A revocation committed while
    the records were read empties the bundle; any other change made meanwhile
    travels in the next one.
    """
    if agreement.direction != Direction.OUTGOING:
        raise ExchangeError(f"agreement #{agreement.pk} is one we receive under, not one we share")
    expire(agreement)
    agreement.refresh_from_db()
    records = []
    if agreement.status == AgreementStatus.ACTIVE:
        records = list(shared_records(agreement, progress))
    identity = load_identity(create=False)
    with transaction.atomic():
        current = (
            RemoteAgreement.objects.select_for_update(of=("self",))
            .select_related("organization", "partner")
            .get(pk=agreement.pk)
        )
        if current.status != AgreementStatus.ACTIVE:
            records = []
        current.sequence += 1
        payload = {
            "source": {
                "installation": identity.installation,
                "organization": current.organization.slug,
            },
            "recipient_organization": current.partner_organization,
            "agreement": _terms(current),
            "records": records,
        }
        header, data = seal_bundle(
            identity,
            partner_keys(current.partner),
            agreement=str(current.uuid),
            sequence=current.sequence,
            payload=payload,
            now=timezone.now(),
        )
        current.save()
        audit(None, current.organization, AuditAction.EXCHANGE_EXPORT, current,
              partner=current.partner_id, bundle=header["bundle"], sequence=current.sequence,
              status=current.status, records=len(records))  # fmt: skip
        deliver(data)
    return Sent(header["bundle"], current.sequence, current.status, len(records))


# --- receiving ----------------------------------------------------------------------------


@dataclass
class Received:
    """What an import did: counts and field names, never a value."""

    bundle: str
    sequence: int
    duplicate: bool = False
    outcome: str = ""
    status: str = AgreementStatus.ACTIVE
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    conflicts: int = 0
    applied_sequence: int = 0
    dropped_records: dict = field(default_factory=dict)  # kind -> how many records
    dropped_fields: list = field(default_factory=list)  # "kind.field" names
    terms_differ: bool = False

    def as_report(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "conflicts": self.conflicts,
            "dropped_records": self.dropped_records,
            "dropped_fields": self.dropped_fields,
            "terms_differ": self.terms_differ,
        }


def _payload_parts(payload: dict, header: dict) -> tuple[dict, dict, list]:
    source, terms, records = payload.get("source"), payload.get("agreement"), payload.get("records")
    if not isinstance(source, dict) or not isinstance(terms, dict) or not isinstance(records, list):
        raise ExchangeError("the bundle's content is malformed: nothing was imported", "damaged")
    if terms.get("uuid") != header["agreement"] or source.get("installation") != header["sender"]:
        raise ExchangeError(
            "the bundle's content contradicts its header: nothing was imported", "damaged"
        )
    status = terms.get("status")
    if not isinstance(status, str) or status not in {AgreementStatus.ACTIVE, *ENDED}:
        raise ExchangeError(
            "the bundle's agreement status is unknown: nothing was imported", "damaged"
        )
    for item in records:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("kind"), str)
            and isinstance(item.get("id"), str)
            and SOURCE_ID.fullmatch(item["id"])
            and isinstance(item.get("values"), dict)
            and all(_is_plain(value) for value in item["values"].values())
        ):
            raise ExchangeError(
                "a record in the bundle is malformed: nothing was imported", "damaged"
            )
    return source, terms, records


def _is_plain(value) -> bool:
    """A value as ``Shareable.project`` makes them: text, a number, yes/no, nothing, a list."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return value is None or isinstance(value, str | int | float | bool)


def _open(data: bytes, claimed: dict) -> tuple[dict, Partner, dict]:
    """The header, the registered partner that signed it, and the payload; or ExchangeError.

    ``claimed`` gathers, for the audit entry of a refusal, what the header says
    once it is known to be well formed: uuids, a number, fingerprints as such.
    """
    try:
        envelope = read_envelope(data)
    except BundleError as error:
        raise ExchangeError(f"{error}: nothing was imported", error.code) from error
    header = envelope.header
    # read_envelope checked these are uuids and a number: nothing else the partner wrote.
    claimed.update(bundle=header["bundle"], sender=header["sender"],
                   agreement=header["agreement"], sequence=header["sequence"])  # fmt: skip
    for name in ("sender_fingerprint", "recipient_fingerprint"):
        if FINGERPRINT.fullmatch(header[name]):
            claimed[name] = header[name]
    partner = Partner.objects.filter(installation=header["sender"]).first()
    if partner is None:
        raise ExchangeError(
            f"the bundle claims to come from installation {header['sender']}, which is not a "
            "registered partner: nothing was imported",
            "unknown_partner",
        )
    claimed["partner"] = partner.pk
    try:
        payload = open_bundle(envelope, partner_keys(partner), load_identity(create=False))
    except BundleError as error:
        raise ExchangeError(f"{error}: nothing was imported", error.code) from error
    return header, partner, payload


def _kept(mirror: RemoteAgreement, item: dict, received: Received) -> tuple[list, dict] | None:
    """The fields and values of ``item`` the local terms allow; None if nothing is left."""
    kind = item["kind"]
    try:
        known = shareable(kind)
    except LookupError:
        known = None
    # The report and the audit log are in clear: they name only kinds and fields known
    # here, never a text the partner wrote (which could be anything, a name included).
    label = kind if known is not None else UNKNOWN_KIND
    spec = known if kind in (mirror.fields or {}) else None
    if spec is None:
        received.dropped_records[label] = received.dropped_records.get(label, 0) + 1
        return None
    # The sender has applied the record's consent; here only the terms bound it.
    allowed = rules.allowed_fields(mirror, spec, Consent.NAMED)
    values = {name: value for name, value in item["values"].items() if name in allowed}
    for name in sorted(set(item["values"]) - set(allowed)):
        field_label = f"{kind}.{name if name in spec.fields else UNKNOWN_FIELD}"
        if field_label not in received.dropped_fields:
            received.dropped_fields.append(field_label)
    if not values:
        received.dropped_records[label] = received.dropped_records.get(label, 0) + 1
        return None
    return [name for name in allowed if name in values], values


def _version(item: dict) -> int | None:
    version = item.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and 0 <= version < 2**31:
        return version
    return None


def _updated_at(item: dict) -> datetime.datetime | None:
    """The record's last change at the source, if the bundle gives it with its time zone."""
    text = item.get("updated_at")
    try:
        moment = parse_datetime(text) if isinstance(text, str) else None
        if moment is None or not timezone.is_aware(moment):
            return None
        return moment.astimezone(datetime.UTC)  # as stored: a moment the calendar holds in UTC
    except (ValueError, OverflowError):
        return None


def _apply(mirror, records, sequence, received: Received, progress: Progress) -> None:
    held = {
        (record.kind, record.source_id): record
        for record in ReceivedRecord.objects.select_for_update().filter(agreement=mirror)
    }
    seen = set()
    for done, item in enumerate(records, start=1):
        progress(done, len(records))
        kept = _kept(mirror, item, received)
        if kept is None:
            continue
        fields, values = kept
        key = (item["kind"], item["id"])
        if key in seen:
            raise ExchangeError(
                "the bundle carries a record twice: nothing was imported", "damaged"
            )
        seen.add(key)
        record = held.get(key)
        version, updated_at = _version(item), _updated_at(item)
        if record is None:
            record = ReceivedRecord(
                organization_id=mirror.organization_id,
                agreement=mirror,
                kind=item["kind"],
                source_id=item["id"],
            )
            received.added += 1
        elif (record.fields, record.content, record.source_version) == (fields, values, version):
            received.unchanged += 1
            continue
        else:
            received.updated += 1
        record.fields, record.content = fields, values
        record.source_version, record.source_updated_at = version, updated_at
        record.sequence, record.received_at = sequence, timezone.now()
        record.save()
    gone = [record.pk for key, record in held.items() if key not in seen]
    received.removed = ReceivedRecord.objects.filter(pk__in=gone).delete()[0]


def _conflicts(mirror: RemoteAgreement, records: list, received: Received) -> int:
    """How many records of an older bundle differ from the copies held (none is overwritten)."""
    held = {
        (record.kind, record.source_id): record.content
        for record in ReceivedRecord.objects.filter(agreement=mirror)
    }
    count = 0
    for item in records:
        kept = _kept(mirror, item, received)
        if kept is not None and held.get((item["kind"], item["id"])) != kept[1]:
            count += 1
    return count


def import_bundle(
    organization: Organization, data: bytes, progress: Progress = _no_progress
) -> Received:
    """Check ``data`` and apply it to ``organization``'s copies, in one transaction.

    A refusal (``ExchangeError``) writes nothing of the bundle, and is recorded
    in ``organization``'s audit log once the import's transaction is undone.
    """
    claimed: dict = {}
    try:
        return _import_bundle(organization, data, progress, claimed)
    except ExchangeError as error:
        try:
            record_refused_import(organization, error.code, **claimed)
        except DatabaseError as failure:  # the refusal stands; the operator learns it is unlogged
            raise ExchangeError(
                f"{error} (and the refusal could not be written to the audit log: {failure})",
                error.code,
            ) from error
        raise


def record_refused_import(organization: Organization, reason: str, **claimed) -> None:
    """Audit a refused bundle in ``organization``'s log, in a transaction of its own.

    ``reason`` is one of the codes of ``BundleError``/``ExchangeError`` (any other
    is recorded as "refused"); ``claimed`` holds only what ``_open`` checked the
    form of: the bundle, sender and agreement uuids, the sequence, fingerprints,
    the registered partner's id. What the header claims is unproven when the
    signature is what failed: the entry says "claimed".
    """
    if reason not in REFUSAL_REASONS:
        reason = "refused"
    details = {f"claimed_{name}": value for name, value in claimed.items() if name != "partner"}
    if "partner" in claimed:
        details["partner"] = claimed["partner"]
    with transaction.atomic():
        audit(None, organization, AuditAction.EXCHANGE_IMPORT_REFUSED, reason=reason, **details)


def _import_bundle(organization: Organization, data: bytes, progress: Progress, claimed: dict):
    header, partner, payload = _open(data, claimed)
    source, terms, records = _payload_parts(payload, header)
    sequence = header["sequence"]
    received = Received(bundle=header["bundle"], sequence=sequence, status=terms["status"])
    with transaction.atomic():
        # Already imported — by this organization: another one is told it has no such agreement.
        imported = ReceivedBundle.objects.filter(
            uuid=header["bundle"], agreement__organization=organization
        )
        before = imported.first()
        if before is not None:
            received.duplicate = True
            received.outcome = before.outcome
            return received
        mirror = (
            RemoteAgreement.objects.select_for_update(no_key=True)
            .filter(
                uuid=header["agreement"],
                direction=Direction.INCOMING,
                organization=organization,
                partner=partner,
            )
            .first()
        )
        if mirror is None:
            raise ExchangeError(
                f"{organization.slug} has not registered agreement {header['agreement']} with "
                f"{partner.name}: nothing was imported",
                "agreement_not_registered",
            )
        before = imported.first()
        if before is not None:  # imported by another process while we waited for the lock
            received.duplicate, received.outcome = True, before.outcome
            return received
        if payload.get("recipient_organization") != organization.slug:
            raise ExchangeError(
                f"the bundle is for organization {payload.get('recipient_organization')!r} here, "
                f"not {organization.slug!r}: nothing was imported",
                "wrong_organization",
            )
        if source.get("organization") != mirror.partner_organization:
            raise ExchangeError(
                f"the bundle comes from organization {source.get('organization')!r}, not from "
                f"{mirror.partner_organization!r} as agreed: nothing was imported",
                "wrong_source_organization",
            )
        received.terms_differ = (terms.get("level"), terms.get("fields")) != (
            mirror.level,
            mirror.fields,
        )
        received.applied_sequence = mirror.sequence
        _expire_if_due(mirror)
        if sequence <= mirror.sequence:
            received.outcome = ReceivedBundle.Outcome.CONFLICT
            received.conflicts = _conflicts(mirror, records, received)
        elif terms["status"] in ENDED or mirror.status in ENDED:
            if mirror.status == AgreementStatus.ACTIVE:
                received.removed = _end(mirror, terms["status"])
            received.outcome = ReceivedBundle.Outcome.ENDED
            received.status = mirror.status
            mirror.sequence = sequence
        else:
            _apply(mirror, records, sequence, received, progress)
            received.outcome = ReceivedBundle.Outcome.APPLIED
            mirror.sequence = sequence
        mirror.save()
        ReceivedBundle.objects.create(
            uuid=header["bundle"],
            agreement=mirror,
            sequence=sequence,
            outcome=received.outcome,
            report=received.as_report(),
        )
        audit(None, organization, AuditAction.EXCHANGE_IMPORT, mirror, partner=partner.pk,
              bundle=header["bundle"], sequence=sequence, outcome=received.outcome,
              **received.as_report())  # fmt: skip
    return received
