"""Writes of the reports app: receive, add, decide, turn into a case.

The two public writes (``receive_report``, ``add_to_report``) record nothing
about the sender and write no audit entry (docs/reports.md). Every decision
by a member is one transaction with its audit entry, and carries the version
the member saw: a stale one raises ``ConflictError`` and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from memoria.accounts.models import Organization, User
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases import actions as case_actions
from memoria.cases.actions import ConflictError
from memoria.cases.models import DatePrecision, Event
from memoria.reports import guard
from memoria.reports.models import Report, ReportAddition, ReportChannel

REPORT_FIELDS = (
    "what",
    "occurred_on",
    "occurred_precision",
    "state",
    "municipality",
    "violation_type",
    "contact",
)


class NotAllowed(Exception):
    """The decision does not apply to the report as it is now (e.g. a case of a rejected one)."""


# -- the public side -------------------------------------------------------------------------


def channel_is_open(organization: Organization) -> bool:
    return ReportChannel.objects.filter(organization=organization, is_open=True).exists()


@dataclass(frozen=True)
class Receipt:
    report: Report
    code: str  # shown once, never stored


@transaction.atomic
def receive_report(organization: Organization, data: dict) -> Receipt:
    """Store a report from the public form; return it with its receipt code.

    Only the day is kept, not the time, and nothing about who sent it.
    """
    for _attempt in range(3):
        code = guard.new_receipt_code()
        report = Report(
            organization=organization,
            received_on=timezone.localdate(),
            receipt_digest=guard.receipt_digest(organization.pk, code),
        )
        for field in REPORT_FIELDS:
            if field in data:
                setattr(report, field, data[field])
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:  # the same code drawn twice: about 2**-98, but cheap to handle
            continue
        return Receipt(report, code)
    raise RuntimeError("could not draw a unique receipt code")


def report_for_code(organization: Organization, code: str) -> Report | None:
    """The organization's report whose receipt code is ``code``, if any."""
    if not guard.normalize_receipt_code(code):
        return None
    digest = guard.receipt_digest(organization.pk, code)
    return Report.objects.filter(organization=organization, receipt_digest=digest).first()


@transaction.atomic
def add_to_report(report: Report, text: str) -> ReportAddition:
    """Information the reporter adds later; a rejected report takes none."""
    return ReportAddition.objects.create(
        report=report,
        organization_id=report.organization_id,
        received_on=timezone.localdate(),
        text=text,
    )


# -- the moderation queue -------------------------------------------------------------------


@transaction.atomic
def set_channel(organization: Organization, actor: User, is_open: bool, *, request=None) -> None:
    channel, _created = ReportChannel.objects.select_for_update(no_key=True).get_or_create(
        organization=organization
    )
    if channel.is_open == is_open:
        return
    channel.is_open = is_open
    channel.save(update_fields=["is_open"])
    action = AuditAction.REPORT_CHANNEL_OPENED if is_open else AuditAction.REPORT_CHANNEL_CLOSED
    audit(actor, organization, action, request=request)


def _current(report: Report, version: int) -> Report:
    current = Report.objects.select_for_update(no_key=True).get(pk=report.pk)
    if current.version != version:
        raise ConflictError(current, [])
    return current


def _decide(current: Report, actor: User, status: str) -> None:
    current.status = status
    current.decided_at = timezone.now()
    current.decided_by = actor
    current.version += 1


@transaction.atomic
def verify(
    report: Report, actor: User, version: int, *, public_summary: str = "", request=None
) -> Report:
    """The organization confirmed what the report says; the feed shows it after the delay."""
    current = _current(report, version)
    if current.status not in (Report.Status.NEW, Report.Status.VERIFIED):
        raise NotAllowed
    _decide(current, actor, Report.Status.VERIFIED)
    current.public_summary = public_summary
    current.save()
    audit(actor, current.organization, AuditAction.REPORT_VERIFIED, current, request=request)
    return current


@transaction.atomic
def mark_duplicate(
    report: Report, actor: User, version: int, original: Report, *, request=None
) -> Report:
    """Merge: the report is kept, linked to ``original``, and shown on its page."""
    current = _current(report, version)
    if original.pk == current.pk or original.organization_id != current.organization_id:
        raise NotAllowed
    # Never a chain or a loop: point at the original's own original.
    while original.duplicate_of_id is not None:
        original = original.duplicate_of
        if original.pk == current.pk:
            raise NotAllowed
    if current.event_id is not None:
        raise NotAllowed
    _decide(current, actor, Report.Status.DUPLICATE)
    current.duplicate_of = original
    current.save()
    # Reports that pointed at this one now point at the original.
    Report.objects.filter(duplicate_of=current).update(duplicate_of=original)
    audit(
        actor,
        current.organization,
        AuditAction.REPORT_DUPLICATE,
        current,
        request=request,
        original=original.pk,
    )
    return current


@transaction.atomic
def reject(report: Report, actor: User, version: int, reason: str, *, request=None) -> Report:
    current = _current(report, version)
    if current.event_id is not None:
        raise NotAllowed
    _decide(current, actor, Report.Status.REJECTED)
    current.reason = reason
    current.duplicate_of = None
    current.save()
    audit(actor, current.organization, AuditAction.REPORT_REJECTED, current, request=request)
    return current


def _case_description(report: Report) -> str:
    parts = [report.what]
    for addition in report.additions.all():
        parts.append(
            _("Added by the reporter on %(day)s:") % {"day": addition.received_on.isoformat()}
            + "\n"
            + addition.text
        )
    for duplicate in report.duplicates.all():
        parts.append(
            _("Duplicate report R-%(number)s:") % {"number": duplicate.pk} + "\n" + duplicate.what
        )
    return "\n\n".join(parts)


@transaction.atomic
def create_case(report: Report, actor: User, version: int, *, request=None) -> Event:
    """A case (``Event``) with the verified report's text, date and place.

    The case, its history and the report's link are written with both audit
    entries (the case's and the report's) in this one transaction. The kind
    of violation goes into the text: an act needs a victim, whom a documenter
    records afterwards.
    """
    current = _current(report, version)
    if current.status != Report.Status.VERIFIED or current.event_id is not None:
        raise NotAllowed
    kind = current.violation_type.label if current.violation_type else ""
    title = (
        _("Anonymous report R-%(number)s: %(kind)s") % {"number": current.pk, "kind": kind}
        if kind
        else _("Anonymous report R-%(number)s") % {"number": current.pk}
    )
    data = {
        "title": title[:300],
        "description": _case_description(current),
        "start_date": current.occurred_on,
        "start_precision": current.occurred_precision or DatePrecision.UNKNOWN,
        "state": current.state,
        "municipality": current.municipality,
        "status": Event.Status.VERIFYING,
    }
    event = case_actions.register_case(current.organization, actor, data, request=request)
    current.event = event
    current.version += 1
    current.save()
    audit(
        actor,
        current.organization,
        AuditAction.REPORT_CASE_CREATED,
        current,
        request=request,
        event=event.pk,
    )
    return event
