"""Sharing agreements: proposed, answered, revoked, expired — each in one transaction.

The flow: a coordinator of the owner organization proposes (``propose``);
a coordinator of the partner accepts or declines (``answer``); an accepted
agreement is *in force* until its ``valid_until`` day has passed. Either side
revokes it at any moment (``revoke``), the owner also while it is only
proposed. Accepting copies the records at once (``apply``); revoking and
expiring delete the partner's copies in the same transaction (what a
referral still carries stays). The worker re-applies every agreement in
force (``refresh_all``: new records, consent changed by a bulk import) and
ends those whose day has passed; a read ends them too (``memoria.sharing.access``).
A consent withdrawn in a person's edit does not wait for that: the edit queues a
recount of the organization's counts-only agreements (``recount_soon``).

Every change is audited in both organizations' logs, by id only. Changes
carry the version the page showed: a stale one raises ``AgreementConflict``
and writes nothing (two coordinators answering at once, a revoke crossing an
acceptance).
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from memoria.accounts.models import Organization, User
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.jobs.registry import job_handler
from memoria.sharing import rules, suppressed
from memoria.sharing.actions import sync_grant
from memoria.sharing.models import (
    Agreement,
    AgreementFigures,
    AgreementLevel,
    AgreementStatus,
    SharedRecord,
)
from memoria.sharing.registry import Consent, shareable

EVERY_SECONDS = 600
RECOUNT = "sharing.figures"


class AgreementConflict(Exception):
    """Someone changed the agreement since the page was shown (or its state forbids this)."""

    def __init__(self, current: Agreement) -> None:
        super().__init__("the agreement changed meanwhile")
        self.current = current


def _audit_both(actor, agreement: Agreement, action: AuditAction, *, request=None, **details):
    for organization in (agreement.organization, agreement.partner):
        audit(actor, organization, action, agreement, request=request, **details)


def clean_fields(level: str, fields: dict) -> dict:
    """``fields`` ({kind: [field names]}) checked against the registry for ``level``."""
    AgreementLevel(level)
    cleaned = {}
    for kind, names in (fields or {}).items():
        spec = shareable(kind)
        names = [name for name in spec.fields if name in set(names or [])]
        unknown = set(fields[kind] or []) - set(spec.fields)
        if unknown:
            raise ValueError(f"fields that cannot be shared: {sorted(unknown)}")
        if level == AgreementLevel.PSEUDONYMIZED and set(names) & spec.identity_fields:
            raise ValueError("a pseudonymized agreement shares no identifying field")
        if level != AgreementLevel.AGGREGATE and not names:
            raise ValueError(f"no field of {kind} chosen")
        cleaned[kind] = [] if level == AgreementLevel.AGGREGATE else names
    if not cleaned:
        raise ValueError("an agreement shares at least one kind of record")
    return cleaned


@transaction.atomic
def propose(
    organization: Organization, actor: User | None, data: dict, *, request=None
) -> Agreement:
    """Propose to ``data["partner"]`` to share ``data["fields"]`` at ``data["level"]``."""
    partner = data["partner"]
    if partner.pk == organization.pk:
        raise ValueError("an organization does not share with itself")
    if data["valid_until"] < rules.today():
        raise ValueError("an agreement cannot end before today")
    agreement = Agreement.objects.create(
        organization=organization,
        partner=partner,
        level=data["level"],
        fields=clean_fields(data["level"], data["fields"]),
        purpose=data["purpose"],
        valid_until=data["valid_until"],
        proposed_by=actor,
    )
    _audit_both(actor, agreement, AuditAction.AGREEMENT_PROPOSE, request=request,
                owner=organization.pk, partner=partner.pk, level=agreement.level,
                fields=agreement.fields, valid_until=agreement.valid_until)  # fmt: skip
    return agreement


def _locked(agreement: Agreement, version: int, allowed: set[str]) -> Agreement:
    current = (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("organization", "partner")
        .get(pk=agreement.pk)
    )
    if current.version != version or current.status not in allowed:
        raise AgreementConflict(current)
    current.version += 1
    return current


@transaction.atomic
def answer(
    agreement: Agreement, actor: User | None, *, accept: bool, version: int, request=None
) -> Agreement:
    """The partner accepts (the records are shared at once) or declines a proposal."""
    current = _locked(agreement, version, {AgreementStatus.PROPOSED})
    if accept and current.valid_until < rules.today():
        raise AgreementConflict(current)  # it would end before it starts
    current.status = AgreementStatus.ACTIVE if accept else AgreementStatus.DECLINED
    current.answered_by, current.answered_at = actor, timezone.now()
    current.save()
    action = AuditAction.AGREEMENT_ACCEPT if accept else AuditAction.AGREEMENT_DECLINE
    _audit_both(actor, current, action, request=request)
    if accept:
        apply(current, actor, request=request)
    return current


def _withdraw(agreement: Agreement, actor: User | None, *, request=None) -> int:
    """Delete what ``agreement`` shared (what other sources share stays). Returns how many."""
    AgreementFigures.objects.filter(agreement=agreement).delete()
    count = 0
    for record in list(SharedRecord.objects.filter(agreements=agreement)):
        spec = shareable(record.kind)
        instance = spec.model.objects.filter(pk=record.object_id).first()
        if instance is None:
            record.delete()
        else:
            sync_grant(actor, instance, agreement.partner_id, request=request)
        count += 1
    return count


@transaction.atomic
def revoke(
    agreement: Agreement,
    actor: User | None,
    organization: Organization,
    *,
    version: int,
    request=None,
) -> Agreement:
    """Either side ends the agreement now: the partner's copies go in this transaction."""
    allowed = {AgreementStatus.ACTIVE}
    if organization.pk == agreement.organization_id:
        allowed.add(AgreementStatus.PROPOSED)  # the owner withdraws a proposal
    elif organization.pk != agreement.partner_id:
        raise ValueError("only the two organizations of an agreement revoke it")
    current = _locked(agreement, version, allowed)
    current.status = AgreementStatus.REVOKED
    current.ended_by, current.ended_at = actor, timezone.now()
    current.save()
    withdrawn = _withdraw(current, actor, request=request)
    _audit_both(actor, current, AuditAction.AGREEMENT_REVOKE, request=request,
                by=organization.pk, records=withdrawn)  # fmt: skip
    return current


@transaction.atomic
def expire(agreement: Agreement) -> bool:
    """End ``agreement`` if its last day has passed; whether it did."""
    current = Agreement.objects.select_for_update(of=("self",)).get(pk=agreement.pk)
    if current.status != AgreementStatus.ACTIVE or current.valid_until >= rules.today():
        return False
    current.status = AgreementStatus.EXPIRED
    current.ended_at = timezone.now()
    current.version += 1
    current.save()
    withdrawn = _withdraw(current, None)
    _audit_both(None, current, AuditAction.AGREEMENT_EXPIRE, records=withdrawn)
    return True


def apply(agreement: Agreement, actor: User | None = None, *, request=None) -> int:
    """Share (or refresh) every record ``agreement`` covers; returns how many were looked at."""
    if not rules.is_in_force(agreement):
        return 0
    if agreement.level == AgreementLevel.AGGREGATE:
        save_figures(agreement)
        return 0
    count = 0
    for kind in agreement.kinds():
        spec = shareable(kind)
        ids = spec.model.objects.filter(organization_id=agreement.organization_id).values_list(
            "pk", flat=True
        )
        for instance in spec.model.objects.filter(pk__in=list(ids)):
            with transaction.atomic():
                sync_grant(actor, instance, agreement.partner_id, request=request)
            count += 1
    return count


def small_count() -> int:
    """k: counts from 1 to k − 1 leave as "fewer than k" (``MEMORIA_NETWORK_SMALL_COUNT``)."""
    return settings.MEMORIA_NETWORK_SMALL_COUNT


def _counts(agreement: Agreement) -> dict:
    """Per kind, the suppressed counts of the records whose people allow it.

    A kind registered with ``figures`` (cases) carries those; the others, one series
    per dimension, all with the kind's total (so they hide it together).
    """
    k = small_count()
    figures = {}
    for kind in agreement.kinds():
        spec = shareable(kind)
        if spec.extra.get("figures"):
            figures[kind] = spec.extra["figures"](agreement.organization, k)
            continue
        dimensions = spec.extra.get("aggregates", {})
        counters = {name: Counter() for name in dimensions}
        for instance in spec.model.objects.filter(organization_id=agreement.organization_id):
            if spec.consent(instance) < Consent.AGGREGATE:
                continue
            for name, (_label, value_of) in dimensions.items():
                counters[name][str(value_of(instance) or "")] += 1
        kind_figures = {name: suppressed.series(c, k, total=True) for name, c in counters.items()}
        suppressed.hide_together(list(kind_figures.values()))
        figures[kind] = kind_figures
    return figures


@transaction.atomic
def save_figures(agreement: Agreement) -> AgreementFigures:
    """Count on the owner's side and store the counts under the partner's key."""
    figures, _created = AgreementFigures.objects.update_or_create(
        agreement=agreement,
        defaults={
            "organization_id": agreement.partner_id,
            "content": _counts(agreement),
            "computed_at": timezone.now(),
        },
    )
    return figures


def recount_soon(organization: Organization) -> None:
    """Once the current transaction commits, have the worker recount what the
    organization's counts-only agreements in force carry (a consent just withdrawn
    leaves the partners' counts within seconds, not at the next periodic refresh)."""
    from memoria.jobs.queue import enqueue

    aggregate = rules.in_force().filter(organization=organization, level=AgreementLevel.AGGREGATE)
    if not aggregate.exists():
        return
    key = f"{RECOUNT}:{organization.pk}:{uuid.uuid4().hex}"

    def queue() -> None:
        # One recount waiting is enough: it counts everything committed when it runs
        # (an import adding many people queues one, not one per case).
        from memoria.jobs.models import Job

        waiting = Job.objects.filter(
            kind=RECOUNT, organization=organization, status=Job.Status.QUEUED
        )
        if not waiting.exists():
            enqueue(RECOUNT, key, organization=organization)

    transaction.on_commit(queue)


@job_handler(RECOUNT)
def _recount(job, context) -> dict:
    """The worker's recount of one organization's counts-only agreements in force."""
    agreements = rules.in_force().filter(
        organization_id=job.organization_id, level=AgreementLevel.AGGREGATE
    )
    done = 0
    for agreement in agreements:
        save_figures(agreement)
        done += 1
    return {"agreements": done}


def refresh_all(day: datetime.date | None = None) -> int:
    """The worker's task: end expired agreements, re-apply those in force. Returns a count."""
    day = day or rules.today()
    done = 0
    for agreement in Agreement.objects.filter(status=AgreementStatus.ACTIVE, valid_until__lt=day):
        done += expire(agreement)
    for agreement in rules.in_force(day).select_related("organization", "partner"):
        apply(agreement)
        done += 1
    return done
