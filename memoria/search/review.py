"""The review of possible matches: candidates, decisions, re-matching, the confirmation alert.

A ``Candidate`` pairs an AM file with a remains record the matching engine
(``memoria.matching``) ranks together, with the engine's score (a log10
likelihood ratio, comparable across people) and its explanation, both
encrypted. People then review it along ``TRANSITIONS``::

    possible ─► under review ─► referred for confirmation ─► confirmed
        │             │          (DNA, dental, fingerprints)  └► rejected
        └─────────────┴─► excluded (with a reason) ─► under review again

:func:`decide` takes one step: the version check, the transition's rules,
a ``CandidateDecision`` row (who, when, why) and the audit entry, in one
transaction. The review's outcome sets the records' statuses
(:func:`sync_identification`): referred remains are a *possible identity*,
a confirmed match makes the remains *identified* and the file's person
*found without life*; rejecting (or withdrawing a confirmation) puts them
back when no other candidate holds them.

Confirming notifies the file's **designated person who receives news**
(:func:`notify_news_contact`), through the alerts engine on the
organization's first enabled channel that reaches them (e-mail, then SMS):
the message only asks them to contact the organization or come in person,
and carries nothing of the match — the news is given in person, never by an
automatic message. Without a designated person (or a channel that reaches
them) nobody is notified, the decision is still recorded, and the pages say
a member must arrange it. A member may also be chosen to receive the family
(:func:`notify_confirmation`, to the member's own address).

Re-matching is a worker job (``search.rematch``), queued by the search
actions whenever an AM file, remains or one of their parts is written
(:func:`queue_rematch`; one queued job per organization at a time). It ranks
the organization's files and remains again, updates the scores and reasons,
creates the new candidates, keeps every decision, removes only undecided
candidates the engine no longer proposes, and flags new strong ones
(:func:`strong_threshold`) for the reviewer's queue.
"""

from __future__ import annotations

import math
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from memoria import matching
from memoria.accounts.models import Organization, User
from memoria.accounts.roles import Capability
from memoria.alerts.actions import reaching_channel
from memoria.alerts.delivery import enqueue as enqueue_delivery
from memoria.alerts.models import Channel, Delivery
from memoria.alerts.recipients import Contact
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError
from memoria.jobs.models import Job
from memoria.jobs.queue import enqueue as enqueue_job
from memoria.jobs.registry import job_handler
from memoria.search.frames import AM_PREFIX, PM_PREFIX, missing_frame, record_id, remains_frame
from memoria.search.models import (
    AnteMortemFile,
    Candidate,
    CandidateDecision,
    CandidateStatus,
    ConfirmationMethod,
    FamilyContact,
    IdentificationStatus,
    RemainsRecord,
    SearchStatus,
)

Status = CandidateStatus
REMATCH = "search.rematch"
TOP = 10  # candidates kept per file and per remains record

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.POSSIBLE: frozenset({Status.UNDER_REVIEW, Status.EXCLUDED}),
    Status.UNDER_REVIEW: frozenset({Status.EXCLUDED, Status.REFERRED}),
    Status.EXCLUDED: frozenset({Status.UNDER_REVIEW}),
    Status.REFERRED: frozenset({Status.CONFIRMED, Status.REJECTED}),
    # Withdrawing a confirmation that proved wrong (with a reason).
    Status.CONFIRMED: frozenset({Status.REJECTED}),
    Status.REJECTED: frozenset(),
}
OPEN = frozenset({Status.POSSIBLE, Status.UNDER_REVIEW, Status.REFERRED})
NEEDS_REASON = frozenset({Status.EXCLUDED, Status.REJECTED})


class TransitionError(ValueError):
    """A step the review does not allow (from this status, or without what it needs)."""


class AlreadyIdentified(TransitionError):
    """The remains are confirmed as another person's: that confirmation must be withdrawn first."""


def strong_threshold(remains_count: int) -> float:
    """A strong candidate's least score: log10 of the number of remains (at least 10).

    The same rule as the engine's summary (docs/matching.md, "How strong is
    strong"): the evidence must outweigh the prior odds of one chance in that
    many remains.
    """
    return math.log10(max(remains_count, 10))


# -- decisions ------------------------------------------------------------------------------


def members_who_read(organization: Organization) -> list[User]:
    return [
        membership.user
        for membership in organization.memberships.select_related("user")
        if membership.can(Capability.READ_SEARCH) and membership.user.is_active
    ]


@transaction.atomic
def decide(
    candidate: Candidate,
    actor: User | None,
    to_status: str,
    version: int,
    *,
    reason: str = "",
    referred_to: list[str] | tuple[str, ...] = (),
    messenger: User | None = None,
    request=None,
) -> Candidate:
    """Move ``candidate`` to ``to_status`` if its version is still ``version``.

    Excluding and rejecting need a reason; referring needs the methods of
    confirmation (``ConfirmationMethod``). Confirming notifies the file's
    designated person (:func:`notify_news_contact`) and, if one is chosen,
    the member who will receive the family (``messenger``, a member who reads
    the search; :func:`notify_confirmation`). The file's and the remains'
    statuses follow (:func:`sync_identification`).
    """
    current = Candidate.objects.select_for_update(no_key=True).get(pk=candidate.pk)
    if current.version != version:
        raise ConflictError(current, [])
    if to_status not in TRANSITIONS.get(current.status, frozenset()):
        raise TransitionError(f"a candidate cannot go from {current.status} to {to_status}")
    reason = (reason or "").strip()
    if to_status in NEEDS_REASON and not reason:
        raise TransitionError("excluding or rejecting a candidate needs a reason")
    methods = [m for m in ConfirmationMethod.values if m in set(referred_to or ())]
    if set(referred_to or ()) - set(methods):
        raise TransitionError("unknown method of confirmation")
    if to_status == Status.REFERRED and not methods:
        raise TransitionError("say how the match is to be confirmed")
    if to_status == Status.CONFIRMED:
        # Remains are one person's: locked, then read, so two confirmations at once
        # of different files cannot both pass.
        RemainsRecord.objects.select_for_update(no_key=True).filter(pk=current.remains_id).first()
        others = Candidate.objects.filter(remains_id=current.remains_id).exclude(
            file_id=current.file_id
        )
        if any(other.status == Status.CONFIRMED for other in others):  # encrypted: in Python
            raise AlreadyIdentified("these remains are confirmed as another person's")
    if to_status == Status.CONFIRMED and messenger is not None:
        allowed = {user.pk for user in members_who_read(current.organization)}
        if messenger.pk not in allowed:
            raise TransitionError("the member who receives the family must read the search")
    decision = CandidateDecision.objects.create(
        organization=current.organization,
        candidate=current,
        from_status=current.status,
        to_status=to_status,
        reason=reason,
        referred_to=methods if to_status == Status.REFERRED else [],
        decided_by=actor if getattr(actor, "is_authenticated", False) else None,
        decided_at=timezone.now(),
    )
    current.status = to_status
    if to_status == Status.REFERRED:
        current.referred_to = methods
    current.flagged_at = None  # someone has acted on it
    current.version += 1
    current.updated_at = timezone.now()
    current.save()
    audit(
        actor,
        current.organization,
        AuditAction.SEARCH_CANDIDATE_DECIDED,
        current,
        request=request,
        decision=decision.pk,
    )
    sync_identification(current, actor, previous=decision.from_status, request=request)
    if to_status == Status.CONFIRMED:
        notify_news_contact(current, actor, request=request)
        if messenger is not None:
            notify_confirmation(current, messenger, actor, request=request)
    current.access = getattr(candidate, "access", None)
    return current


def email_channel(organization: Organization) -> Channel | None:
    return (
        Channel.objects.filter(organization=organization, kind=Channel.Kind.EMAIL, enabled=True)
        .order_by("pk")
        .first()
    )


NEWS_KEY = "search.news:{pk}"  # the designated person's delivery, once per candidate
MEMBER_KEY = "search.confirmed:{pk}"  # the chosen member's, once per candidate


def sync_identification(candidate: Candidate, actor, *, previous: str, request=None) -> None:
    """Set the file's search status and the remains' identification from the review.

    Remains with a confirmed candidate are *identified*, with one referred for
    confirmation a *possible identity*; a file with a confirmed candidate is
    *found without life*. When the last such candidate is rejected (or its
    confirmation withdrawn), the statuses the review had set go back to *not
    identified* and *still searched for*. A status the review did not set (a
    file found alive, remains identified outside this review) is left alone:
    only a withdrawn confirmation (``previous`` is the candidate's status before
    the decision) undoes *identified* and *found without life*, and a rejected
    referral only the *possible identity* it had set.
    Each change raises the record's version (an edit form opened before it is
    then a conflict) and is audited; the change is queued for re-matching.
    """
    # The record is locked before its candidates are read: a decision on another candidate
    # of the same remains (or file) committed meanwhile must count (PostgreSQL reads what
    # was committed when each statement starts).
    changed = False
    remains = RemainsRecord.objects.select_for_update(no_key=True).get(pk=candidate.remains_id)
    statuses = {
        "remains": [c.status for c in Candidate.objects.filter(remains_id=candidate.remains_id)]
    }
    if Status.CONFIRMED in statuses["remains"]:
        wanted = IdentificationStatus.IDENTIFIED
    elif Status.REFERRED in statuses["remains"]:
        # A referral raises "not identified" to "possible"; it lowers "identified" only
        # when this decision withdraws the confirmation that set it.
        withdrawn = candidate.status == Status.REJECTED and previous == Status.CONFIRMED
        if remains.identification_status == IdentificationStatus.UNIDENTIFIED or withdrawn:
            wanted = IdentificationStatus.POSSIBLE
        else:
            wanted = remains.identification_status
    elif candidate.status == Status.REJECTED and (
        remains.identification_status
        in {
            Status.CONFIRMED: (IdentificationStatus.POSSIBLE, IdentificationStatus.IDENTIFIED),
            Status.REFERRED: (IdentificationStatus.POSSIBLE,),
        }.get(previous, ())
    ):
        wanted = IdentificationStatus.UNIDENTIFIED
    else:
        wanted = remains.identification_status
    if wanted != remains.identification_status:
        remains.identification_status = wanted
        _bump(remains)
        audit(
            actor,
            remains.organization,
            AuditAction.SEARCH_REMAINS_UPDATE,
            remains,
            request=request,
            fields=["identification_status"],
            candidate=candidate.pk,
        )
        changed = True
    file = AnteMortemFile.objects.select_for_update(no_key=True).get(pk=candidate.file_id)
    statuses["file"] = [c.status for c in Candidate.objects.filter(file_id=candidate.file_id)]
    if Status.CONFIRMED in statuses["file"]:
        wanted = SearchStatus.FOUND_DECEASED
    elif (
        file.search_status == SearchStatus.FOUND_DECEASED
        and candidate.status == Status.REJECTED
        and previous == Status.CONFIRMED
    ):
        wanted = SearchStatus.SEARCHING
    else:
        wanted = file.search_status
    if wanted != file.search_status:
        file.search_status = wanted
        _bump(file)
        audit(actor, file.organization, AuditAction.SEARCH_AM_UPDATE, file,
              request=request, fields=["search_status"], candidate=candidate.pk)  # fmt: skip
        changed = True
    if changed:
        queue_rematch(candidate.organization, actor)


def _bump(record) -> None:
    record.version += 1
    record.updated_at = timezone.now()
    record.save()


def news_contact(file: AnteMortemFile) -> FamilyContact | None:
    """The file's designated person who receives news, if one is recorded."""
    return FamilyContact.objects.filter(file_id=file.pk, receives_news=True).first()


def news_route(file: AnteMortemFile) -> tuple[FamilyContact | None, Channel | None, str]:
    """The designated person, the channel that reaches them and their address there.

    The organization's first enabled channel of a kind the person has an
    address for: e-mail, then SMS (``memoria.alerts.actions.reaching_channel``,
    as urgent alerts reach support contacts).
    """
    contact = news_contact(file)
    if contact is None:
        return None, None, ""
    channels = list(
        Channel.objects.filter(organization_id=file.organization_id, enabled=True).order_by("pk")
    )
    route = reaching_channel(
        channels,
        Contact(key=f"search:{contact.pk}", label=contact.name,
                email=contact.email or "", phone=contact.phone or ""),
    )  # fmt: skip
    if route is None:
        return contact, None, ""
    return contact, route[0], route[1]


def news_message(organization: Organization) -> tuple[str, str]:
    """What the designated person receives: a request to get in touch, and nothing else."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Please get in touch with %(organization)s") % {
            "organization": organization.name
        }
        body = "\n\n".join(
            [
                _(
                    "%(organization)s asks you to get in touch with the organization, or to "
                    "come in person, as soon as you can."
                )
                % {"organization": organization.name},
                _(
                    "This message carries no other information on purpose. Please do not "
                    "answer it with personal details: call or come in person."
                ),
            ]
        )
    return subject, body


def notify_news_contact(candidate: Candidate, actor, *, request=None) -> Delivery | None:
    """Ask the file's designated person to contact the organization (a confirmed match).

    Queued once per candidate (``NEWS_KEY``) in the caller's transaction; the
    worker delivers it at least once. The message (:func:`news_message`) names
    no one and says nothing of the match: the news itself is given in person.
    Returns the delivery, or None when no designated person is recorded or no
    enabled channel reaches them; both outcomes are audited, and the
    candidate's page then says nobody was notified.
    """
    organization = candidate.organization
    contact, channel, address = news_route(candidate.file)
    if channel is None:
        audit(
            actor,
            organization,
            AuditAction.SEARCH_NEWS_CONTACT_MISSING,
            candidate,
            request=request,
            why="no_contact" if contact is None else "unreachable",
        )
        return None
    subject, body = news_message(organization)
    delivery = enqueue_delivery(
        organization,
        channel,
        recipient=address,
        subject=subject,
        body=body,
        key=NEWS_KEY.format(pk=candidate.pk),
    )
    audit(
        actor,
        organization,
        AuditAction.SEARCH_NEWS_CONTACT_NOTIFIED,
        candidate,
        request=request,
        contact=contact.pk,
        channel=channel.pk,
        delivery=delivery.pk,
    )
    return delivery


def news_status(candidate: Candidate) -> dict:
    """For the candidate's page: who would be or was notified, and how it went."""
    contact, channel, _address = news_route(candidate.file)
    delivery = (
        Delivery.objects.filter(
            organization_id=candidate.organization_id,
            idempotency_key=NEWS_KEY.format(pk=candidate.pk),
        )
        .select_related("channel")
        .first()
    )
    return {"contact": contact, "channel": channel, "delivery": delivery}


def notify_confirmation(candidate: Candidate, messenger: User, actor, *, request=None):
    """Alert ``messenger`` (a member) that a match was confirmed and the family is coming.

    Queued once per candidate on the organization's first enabled e-mail
    channel, in the caller's transaction, to the member's own address. It
    names no one: the file's number, the organization and where to look.
    Returns the delivery, or None when the organization has no e-mail channel
    or the member no address.
    """
    organization = candidate.organization
    channel = email_channel(organization)
    if channel is None or not messenger.email:
        return None
    notified = Delivery.objects.filter(
        organization=organization, idempotency_key=NEWS_KEY.format(pk=candidate.pk)
    ).exists()
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A match was confirmed: the family must be told in person")
        body = "\n\n".join(
            [
                _(
                    "The identification of the person of ante-mortem file %(file)s in "
                    "%(organization)s was confirmed, and you were chosen to receive the family."
                )
                % {"file": f"{AM_PREFIX}{candidate.file_id}", "organization": organization.name},
                _(
                    "The file's designated person was asked to get in touch with the "
                    "organization (the message says nothing else). Tell them in person, with "
                    "the support the family needs."
                )
                if notified
                else _(
                    "Nobody in the family was notified: arrange with the file's designated "
                    "person how to tell the family in person."
                ),
                _("See the file and the match in Memoria: %(path)s")
                % {"path": reverse("search:candidate", args=[organization.slug, candidate.pk])},
                _("This message names no one on purpose: the details are only in Memoria."),
            ]
        )
    delivery = enqueue_delivery(
        organization,
        channel,
        recipient=messenger.email,
        subject=subject,
        body=body,
        key=MEMBER_KEY.format(pk=candidate.pk),
    )
    audit(
        actor,
        organization,
        AuditAction.SEARCH_MATCH_NOTIFIED,
        candidate,
        request=request,
        member=messenger.pk,
        delivery=delivery.pk,
    )
    return delivery


# -- re-matching ----------------------------------------------------------------------------


def queue_rematch(organization: Organization, actor=None) -> Job:
    """Queue the organization's re-matching, unless one is already waiting to start."""
    waiting = Job.objects.filter(
        kind=REMATCH, organization=organization, status=Job.Status.QUEUED
    ).first()
    if waiting is not None:
        return waiting
    key = f"{REMATCH}:{organization.pk}:{timezone.now().timestamp():.6f}:{secrets.token_hex(4)}"
    return enqueue_job(REMATCH, key, organization=organization, created_by=actor)


def _reasons(explanation: matching.Explanation) -> dict:
    return {
        "evidence": [
            {"code": e.code, "weight": e.weight, "detail": e.detail} for e in explanation.evidence
        ],
        "exclusions": [{"code": e.code, "detail": e.detail} for e in explanation.exclusions],
    }


def rank(organization: Organization, progress=None) -> dict:
    """Score the organization's files against its remains (reads only).

    Returns ``{"pairs": {(file_id, remains_id): (score, reasons)}, "remains":
    n, "files": ids, "remains_ids": ids}``: the engine's top candidates each
    way, and every candidate already stored whose records are still compared,
    scored again (the ids are those of the records compared).
    """
    am_frame, pm_frame = missing_frame(organization), remains_frame(organization)
    compared = {
        "files": {record_id(i) for i in am_frame["missing_id"]},
        "remains_ids": {record_id(i) for i in pm_frame["remains_id"]},
    }
    if am_frame.empty or pm_frame.empty:
        return {"pairs": {}, "remains": len(pm_frame), **compared}
    am = matching.read_missing(am_frame, source="AM files")
    pm = matching.read_remains(pm_frame, source="remains")
    result = matching.match(am, pm, top=TOP, reverse=True, progress=progress)
    wanted = set(zip(result.candidates["missing_id"], result.candidates["remains_id"], strict=True))
    if result.reverse is not None:
        wanted |= set(zip(result.reverse["missing_id"], result.reverse["remains_id"], strict=True))
    for file_id, remains_id in Candidate.objects.filter(organization=organization).values_list(
        "file_id", "remains_id"
    ):
        wanted.add((f"{AM_PREFIX}{file_id}", f"{PM_PREFIX}{remains_id}"))
    am_at = {str(identifier): i for i, identifier in enumerate(am.ids)}
    pm_at = {str(identifier): j for j, identifier in enumerate(pm.ids)}
    pairs = {}
    for missing_id, remains_id in wanted:
        i, j = am_at.get(str(missing_id)), pm_at.get(str(remains_id))
        if i is None or j is None:
            continue  # a file found alive, remains identified: left as they are
        why = matching.explain(result.model, am, pm, i, j)
        score = None if why.excluded else round(why.score, 2)
        pairs[(record_id(str(missing_id)), record_id(str(remains_id)))] = (score, _reasons(why))
    return {"pairs": pairs, "remains": len(pm), **compared}


def _is_strong(score, threshold: float) -> bool:
    return score is not None and score >= threshold


@transaction.atomic
def store_ranking(organization: Organization, ranked: dict) -> dict:
    """Write a ranking (:func:`rank`): keep decisions, update scores, flag new strong ones."""
    now = timezone.now()
    threshold = strong_threshold(ranked["remains"])
    pairs = ranked["pairs"]
    files = set(
        AnteMortemFile.objects.filter(organization=organization).values_list("pk", flat=True)
    )
    remains = set(
        RemainsRecord.objects.filter(organization=organization).values_list("pk", flat=True)
    )
    existing = {
        (c.file_id, c.remains_id): c
        for c in Candidate.objects.filter(organization=organization).select_for_update()
    }
    decided = set(
        CandidateDecision.objects.filter(organization=organization).values_list(
            "candidate_id", flat=True
        )
    )
    counts = {"created": 0, "updated": 0, "flagged": 0, "removed": 0}
    for (file_id, remains_id), (score, reasons) in pairs.items():
        if file_id not in files or remains_id not in remains:
            continue  # deleted since it was read
        candidate = existing.get((file_id, remains_id))
        strong = _is_strong(score, threshold)
        if candidate is None:
            if score is None:
                continue  # the engine excludes it and nobody reviewed it
            Candidate.objects.create(
                organization=organization,
                file_id=file_id,
                remains_id=remains_id,
                score=score,
                reasons=reasons,
                matched_at=now,
                flagged_at=now if strong else None,
            )
            counts["created"] += 1
            counts["flagged"] += strong
            continue
        was_strong = _is_strong(candidate.score, threshold)
        changed = candidate.score != score or candidate.reasons != reasons
        candidate.matched_at = now
        fields = ["matched_at"]
        if changed:
            candidate.score, candidate.reasons = score, reasons
            fields += ["score", "reasons"]
            counts["updated"] += 1
        if strong and not was_strong and candidate.status == Status.POSSIBLE:
            candidate.flagged_at = now  # new evidence made it strong: the reviewer should know
            fields.append("flagged_at")
            counts["flagged"] += 1
        candidate.save(update_fields=fields)
    for key, candidate in existing.items():
        proposed = key in pairs and pairs[key][0] is not None
        compared = key[0] in ranked["files"] and key[1] in ranked["remains_ids"]
        if (
            compared
            and not proposed
            and candidate.status == Status.POSSIBLE
            and candidate.pk not in decided
        ):
            candidate.delete()  # nobody reviewed it and the engine no longer proposes it
            counts["removed"] += 1
    audit(None, organization, AuditAction.SEARCH_REMATCHED, **counts)
    return counts


def _rank_job(job, context) -> dict:
    organization = Organization.objects.get(pk=job.organization_id)
    return rank(
        organization, progress=lambda done, total: context.progress("matching", done, total)
    )


@job_handler(REMATCH, prepare=_rank_job)
def _store_job(job, context) -> dict:
    """The ranking's writes and the job's "done" mark, in one transaction."""
    return store_ranking(Organization.objects.get(pk=job.organization_id), context.prepared)


def rematch_now(organization: Organization) -> dict:
    """Rank and store at once, in this process (tests, ``memoria`` commands)."""
    return store_ranking(organization, rank(organization))


# -- reading --------------------------------------------------------------------------------


def score_key(candidate: Candidate) -> tuple:
    """Best first; those the engine now excludes last."""
    return (candidate.score is None, -(candidate.score or 0.0), candidate.pk)


def queue_key(candidate: Candidate) -> tuple:
    """The reviewer's queue: new strong candidates first, then what waits for a
    confirmation, then by score."""
    return (
        candidate.flagged_at is None,
        candidate.status != Status.REFERRED,
        *score_key(candidate),
    )
