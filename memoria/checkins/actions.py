"""Write paths for check-ins, each one transaction with its audit entry.

Configuration (``set_schedule``, ``set_ladder``, ``issue_link``, ``set_codes``)
is done by members, with the optimistic-concurrency ``version`` of the cases
actions. What the person does (``person_acts``: check in, cancel, pause,
danger) comes from the secret link or the API and is audited with no actor.
``escalate_due`` is the worker's loop: each due watch is advanced in its own
transaction that also queues the step's deliveries (idempotent keys) and
audits, so a worker killed half-way leaves nothing half-done and the next
run does the step once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from memoria.alerts.delivery import enqueue
from memoria.alerts.models import Channel
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.checkins import ladder
from memoria.checkins.models import (
    ApiToken,
    Audience,
    LadderStep,
    Watch,
    new_token,
    token_digest,
)
from memoria.protection.models import PersonAtRisk, SupportContact

MAX_WRONG_CODES = 5
CODE_LOCK = dt.timedelta(minutes=15)
MAX_STEPS = 8
ESCALATION_BATCH = 500

CHECK_IN = "check_in"
CANCEL = "cancel"
PAUSE = "pause"
PANIC = "panic"
PERSON_ACTS = (CHECK_IN, CANCEL, PAUSE, PANIC)


LOCATION_LENGTH = 300


class ConflictError(Exception):
    """The record changed since the form was opened."""


class WrongCode(Exception):
    """The code is neither the check-in code nor the duress code (or codes are locked)."""


class Refused(Exception):
    """The request makes no sense in this state (nothing to cancel, a pause in the past)."""


# -- configuration ---------------------------------------------------------------------


def _locked_watch(person: PersonAtRisk) -> Watch:
    watch = Watch.objects.select_for_update(no_key=True).filter(person=person).first()
    if watch is None:
        watch = Watch.objects.create(
            organization_id=person.organization_id, person=person, every_hours=24
        )
        watch = Watch.objects.select_for_update(no_key=True).get(pk=watch.pk)
    watch.person = person
    return watch


def _check_version(watch: Watch, version: int | None) -> None:
    if version is not None and version != watch.version:
        raise ConflictError


def set_schedule(
    user,
    person: PersonAtRisk,
    *,
    every_hours: int | None,
    times: list[str] | tuple[str, ...] = (),
    grace_minutes: int = 15,
    cancel_minutes: int = 10,
    enabled: bool = True,
    version: int | None = None,
    request=None,
    now: dt.datetime | None = None,
) -> Watch:
    """Create or change the person's schedule; the next deadline counts from now."""
    now = now or timezone.now()
    times = tuple(sorted({value.strip() for value in times if value.strip()}))
    schedule = ladder.Schedule(
        every_hours=None if times else every_hours,
        times=times,
        time_zone=person.time_zone,
        grace=dt.timedelta(minutes=grace_minutes),
        cancel_window=dt.timedelta(minutes=cancel_minutes),
    )  # ValueError if it is not a schedule
    with transaction.atomic():
        watch = _locked_watch(person)
        _check_version(watch, version)
        watch.every_hours = None if times else every_hours
        watch.times = " ".join(times)
        watch.grace_minutes = grace_minutes
        watch.cancel_minutes = cancel_minutes
        watch.enabled = enabled
        steps = watch.steps()
        if watch.status == ladder.ACTIVE:
            watch.deadline = schedule.next_deadline(now)
        watch.apply(watch.state(), steps)
        watch.version = F("version") + 1
        watch.updated_at = now
        watch.save()
        audit(user, person.organization, AuditAction.CHECKIN_SCHEDULE_SET, watch, request=request)
    watch.refresh_from_db()
    return watch


@dataclass
class StepInput:
    audience: str
    delay_minutes: int
    contacts: list[int]
    channels: list[int]
    include_location: bool = False


def set_ladder(
    user, watch: Watch, steps: list[StepInput], *, version: int | None = None, request=None
) -> Watch:
    """Replace the watch's ladder. Contacts must be the person's; channels the organization's."""
    if len(steps) > MAX_STEPS:
        raise ValueError(f"at most {MAX_STEPS} steps")
    with transaction.atomic():
        watch = _locked_watch(watch.person)
        _check_version(watch, version)
        if watch.status in (ladder.ESCALATING, ladder.ESCALATED):
            raise Refused("the ladder is running")
        contacts = set(
            SupportContact.objects.filter(person=watch.person).values_list("pk", flat=True)
        )
        channels = set(
            Channel.objects.filter(organization_id=watch.organization_id).values_list(
                "pk", flat=True
            )
        )
        for step in steps:
            if step.audience not in Audience.values:
                raise ValueError("unknown audience")
            if not 0 <= step.delay_minutes <= 60 * 24 * 7:
                raise ValueError("a delay is between 0 minutes and a week")
            if not set(step.contacts) <= contacts or not set(step.channels) <= channels:
                raise ValueError("unknown contact or channel")
        watch.ladder_steps.all().delete()
        for position, step in enumerate(steps):
            row = LadderStep.objects.create(
                watch=watch,
                position=position,
                audience=step.audience,
                delay_minutes=step.delay_minutes,
                include_location=step.include_location,
            )
            row.contacts.set(step.contacts)
            row.channels.set(step.channels)
        watch.apply(watch.state(), watch.steps())
        watch.version = F("version") + 1
        watch.updated_at = timezone.now()
        watch.save()
        audit(
            user,
            watch.organization,
            AuditAction.CHECKIN_LADDER_SET,
            watch,
            request=request,
            steps=len(steps),
        )
    watch.refresh_from_db()
    return watch


def issue_link(user, watch: Watch, *, request=None) -> str:
    """A new secret link token (the old one stops working). Shown once, stored as a hash."""
    token = new_token()
    with transaction.atomic():
        Watch.objects.filter(pk=watch.pk).update(
            token_hash=token_digest(token), version=F("version") + 1
        )
        audit(user, watch.organization, AuditAction.CHECKIN_LINK_ISSUED, watch, request=request)
    watch.refresh_from_db()
    return token


def set_codes(user, watch: Watch, *, code: str, duress_code: str, request=None) -> Watch:
    """Set the check-in code and the duress code (hashed; they must differ)."""
    code, duress_code = code.strip(), duress_code.strip()
    if not 4 <= len(code) <= 64 or not 4 <= len(duress_code) <= 64:
        raise ValueError("codes are 4 to 64 characters")
    if code == duress_code:
        raise ValueError("the two codes must differ")
    with transaction.atomic():
        Watch.objects.filter(pk=watch.pk).update(
            code_hash=make_password(code),
            duress_hash=make_password(duress_code),
            version=F("version") + 1,
        )
        audit(user, watch.organization, AuditAction.CHECKIN_CODES_SET, watch, request=request)
    watch.refresh_from_db()
    return watch


def watch_for_token(token: str) -> Watch | None:
    if not token or len(token) > 100:
        return None
    return (
        Watch.objects.select_related("person", "organization")
        .filter(token_hash=token_digest(token), enabled=True)
        .first()
    )


# -- what the person does ----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the person is told: the same whether the code was the normal or the duress one."""

    act: str
    next_deadline: dt.datetime | None = None
    paused_until: dt.datetime | None = None


def person_acts(
    watch: Watch,
    act: str,
    *,
    code: str = "",
    until: dt.datetime | None = None,
    via: str = "link",
    user=None,
    trusted: bool = False,
    location: str = "",
    now: dt.datetime | None = None,
    request=None,
) -> Outcome:
    """The person checks in, cancels, pauses or presses the danger button.

    ``location``, if the person gave one, is kept (encrypted) with its time and
    goes only into the messages of ladder steps that include the location.

    A duress code gives back exactly the Outcome the normal code gives, and
    starts the ladder silently. ``trusted`` (a member acting through the API
    on the person's behalf) needs no code. Raises ``WrongCode`` or ``Refused``.
    """
    if act not in PERSON_ACTS:
        raise ValueError("unknown act")
    now = now or timezone.now()
    with transaction.atomic():
        watch = (
            Watch.objects.select_for_update(no_key=True)
            .select_related("person", "organization")
            .get(pk=watch.pk)
        )
        said = "normal" if act == PANIC or trusted else _code_says(watch, code, now)
        if not said:
            _count_wrong_code(watch, now, via, request)
    if not said:
        raise WrongCode
    locked_duress = said == "duress_locked"
    if locked_duress:
        said = "duress"
    with transaction.atomic():
        watch = (
            Watch.objects.select_for_update(no_key=True)
            .select_related("person", "organization")
            .get(pk=watch.pk)
        )
        organization = watch.organization
        schedule = watch.schedule()
        state = watch.state()
        refusal = None
        if said == "duress":
            # Whoever forced the code must not learn it was the duress code: where the
            # normal code would be refused (nothing to cancel, no pause now), refuse
            # alike, after the silent escalation is saved.
            refusal = _normal_refusal(act, state, schedule, until, now)
            state = ladder.duress(state, schedule, now)
            action = AuditAction.CHECKIN_DURESS
        else:
            action = {
                CHECK_IN: AuditAction.CHECKIN_CHECKED_IN,
                CANCEL: AuditAction.CHECKIN_CANCELLED,
                PAUSE: AuditAction.CHECKIN_PAUSED,
                PANIC: AuditAction.CHECKIN_PANIC,
            }[act]
        try:
            if act == CHECK_IN:
                state = ladder.check_in(state, schedule, now)
                outcome = Outcome(act, next_deadline=schedule.next_deadline(now))
            elif act == CANCEL:
                state = ladder.cancel(state, schedule, now)
                outcome = Outcome(act, next_deadline=schedule.next_deadline(now))
            elif act == PAUSE:
                if until is None:
                    raise ladder.Refused("a pause needs an end")
                state = ladder.pause(state, schedule, until, now)
                outcome = Outcome(act, paused_until=until)
            else:
                state = ladder.panic(state, schedule, now)
                outcome = Outcome(act)
        except ladder.Refused as refused:
            raise Refused(str(refused)) from None
        fields = watch.apply(state, watch.steps())
        location = " ".join(location.split())[:LOCATION_LENGTH]
        if location:
            watch.last_location = location
            watch.last_location_at = now
            fields += ["last_location", "last_location_at"]
        if act != PANIC:
            watch.last_check_in_at = now
            watch.wrong_codes = 0
            fields += ["last_check_in_at", "wrong_codes"]
        watch.save(update_fields=fields)
        audit(user, organization, action, watch, request=request, via=via)
    if locked_duress:
        raise WrongCode
    if refusal is not None:
        raise Refused(refusal)
    return outcome


def _normal_refusal(act: str, state, schedule, until, now: dt.datetime) -> str | None:
    """What the normal code would be told for ``act`` in ``state``: a refusal, or None."""
    try:
        if act == CANCEL:
            ladder.cancel(state, schedule, now)
        elif act == PAUSE:
            if until is None:
                raise ladder.Refused("a pause needs an end")
            ladder.pause(state, schedule, until, now)
    except ladder.Refused as refused:
        return str(refused)
    return None


def _code_says(watch: Watch, code: str, now: dt.datetime) -> str:
    """ "normal", "duress", "duress_locked" or "" (wrong, or codes locked).

    Both hashes are always checked."""
    if not watch.code_hash:
        return "normal"
    code = (code or "").strip()[:64]
    normal = check_password(code, watch.code_hash)
    forced = bool(watch.duress_hash) and check_password(code, watch.duress_hash)
    locked = bool(watch.codes_locked_until and now < watch.codes_locked_until)
    if forced and not normal:
        # Even while wrong codes have locked the codes: whoever holds the phone must
        # not be able to switch the duress code off by typing five wrong ones. The
        # answer is then the locked answer, as for the normal code.
        return "duress_locked" if locked else "duress"
    if locked:
        return ""
    return "normal" if normal else ""


def _count_wrong_code(watch: Watch, now: dt.datetime, via: str, request) -> None:
    """Count a wrong code; five in a row lock the codes for 15 minutes."""
    watch.wrong_codes += 1
    fields = ["wrong_codes"]
    if watch.wrong_codes >= MAX_WRONG_CODES:
        watch.codes_locked_until = now + CODE_LOCK
        watch.wrong_codes = 0
        fields.append("codes_locked_until")
    watch.save(update_fields=fields)
    audit(None, watch.organization, AuditAction.CHECKIN_WRONG_CODE, watch, request=request, via=via)


def resolve(user, watch: Watch, *, request=None, now: dt.datetime | None = None) -> Watch:
    """A member closes an escalation (the person is safe)."""
    now = now or timezone.now()
    with transaction.atomic():
        watch = _locked_watch(watch.person)
        state = ladder.resolve(watch.state(), watch.schedule(), now)
        watch.apply(state, watch.steps())
        watch.save()
        audit(user, watch.organization, AuditAction.CHECKIN_RESOLVED, watch, request=request)
    return watch


# -- the worker's escalation loop -----------------------------------------------------------


def escalate_due(
    now: dt.datetime | None = None,
    only: list[int] | None = None,
    batch: int = ESCALATION_BATCH,
    should_stop=lambda: False,
) -> int:
    """Advance every watch whose next action is due; return how many steps were sent.

    Each watch is its own transaction (locked with SKIP LOCKED on PostgreSQL,
    behind SQLite's write lock otherwise), re-checked as still due inside it,
    so several workers never advance one twice.
    """
    now = now or timezone.now()
    # A person no longer accompanied (closed) has no check-ins to miss.
    due = Watch.objects.filter(
        enabled=True, next_action_at__lte=now, person__status=PersonAtRisk.Status.ACTIVE
    )
    if only is not None:
        due = due.filter(pk__in=only)
    sent = 0
    while True:
        ids = list(due.order_by("next_action_at", "pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return sent
        for pk in ids:
            if should_stop():
                return sent
            sent += _advance_one(pk, now)
        if len(ids) < batch:
            return sent


def _advance_one(pk: int, now: dt.datetime) -> int:
    with transaction.atomic():
        rows = Watch.objects.filter(pk=pk, enabled=True, next_action_at__lte=now)
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        watch = rows.select_related("person", "organization").first()
        if watch is None:
            return 0  # another worker has it, or it was done meanwhile
        steps = list(
            watch.ladder_steps.order_by("position", "pk").prefetch_related("channels", "contacts")
        )
        schedule = watch.schedule()
        before = watch.state()
        state, fires = ladder.advance(before, schedule, [s.as_step() for s in steps], now)
        organization = watch.organization
        if before.status == ladder.PAUSED and state.status != ladder.PAUSED:
            audit(None, organization, AuditAction.CHECKIN_RESUMED, watch)
        if (
            before.status != ladder.ESCALATING
            and state.reason == ladder.MISSED
            and (before.reason != ladder.MISSED)
        ):
            audit(None, organization, AuditAction.CHECKIN_MISSED, watch, round=state.round)
        for fire in fires:
            step = steps[fire.index]
            count = _send_step(watch, step, fire)
            audit(
                None,
                organization,
                AuditAction.CHECKIN_STEP,
                watch,
                step=step.pk,
                position=fire.index,
                reason=fire.reason,
                round=fire.round,
                deliveries=count,
            )
        fields = watch.apply(state, steps)
        watch.save(update_fields=fields)
    return len(fires)


RECIPIENT_FIELDS = {
    Channel.Kind.EMAIL: ("accepts_email", "email"),
    Channel.Kind.SMS: ("accepts_sms", "phone"),
    Channel.Kind.SIGNAL: ("accepts_signal", "signal_number"),
}


def _send_step(watch: Watch, step: LadderStep, fire: ladder.Fire) -> int:
    """Queue the step's messages (in the caller's transaction); return how many."""
    subject, body = _message(watch, fire)
    location = _location(watch)
    channels = list(step.channels.all())
    contacts = [contact for contact in step.contacts.all() if contact.is_active]
    count = 0
    for channel in channels:
        # (label, recipient, endpoint, endpoint secret)
        targets: list[tuple[str, str, str, str]] = []
        if channel.kind == Channel.Kind.WEBHOOK:
            # The channel's receiver (the organization's system) gets one message,
            # and each contact who has a receiver of their own gets theirs there.
            targets.append(("c", "", "", ""))
            for contact in contacts:
                if contact.accepts_webhook and contact.webhook_url and contact.webhook_secret:
                    targets.append(
                        (f"k{contact.pk}", "", contact.webhook_url, contact.webhook_secret)
                    )
        elif contacts:
            accepts, field = RECIPIENT_FIELDS[channel.kind]
            for contact in contacts:
                address = getattr(contact, field)
                if getattr(contact, accepts) and address:
                    targets.append((f"k{contact.pk}", address, "", ""))
        else:
            targets.append(("c", "", "", ""))
        for label, address, endpoint, secret in targets:
            key = f"checkin:{watch.pk}:{fire.round}:{step.pk}:{channel.pk}-{label}"
            enqueue(
                watch.organization,
                channel,
                recipient=address,
                subject=subject,
                body=body,
                key=key,
                include_location=step.include_location,
                location=location,
                endpoint=endpoint,
                endpoint_secret=secret,
            )
            count += 1
    return count


def _location(watch: Watch) -> str:
    """The last location the person gave, with when they gave it (in their time zone)."""
    if not watch.last_location or watch.last_location_at is None:
        return ""
    zone = ZoneInfo(watch.schedule().time_zone)
    when = watch.last_location_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    with translation.override("es-mx"):
        return _("%(place)s (given %(when)s)") % {"place": watch.last_location, "when": when}


def _message(watch: Watch, fire: ladder.Fire) -> tuple[str, str]:
    with translation.override("es-mx"):
        if fire.step.tells_person:
            return (
                _("Check-in reminder"),
                _("Your check-in is overdue. Please check in now from your link."),
            )
        name = watch.person.display_name
        if fire.reason == ladder.PANIC:
            subject = _("Danger: %(name)s asked for help") % {"name": name}
            body = _("%(name)s pressed the danger button. Follow the agreed protocol now.")
        elif fire.reason == ladder.DURESS:
            subject = _("Alert: %(name)s may be under duress") % {"name": name}
            body = _(
                "%(name)s checked in with the duress code: they may be under threat. "
                "Do not call them openly; follow the agreed protocol."
            )
        else:
            subject = _("Alert: %(name)s missed a check-in") % {"name": name}
            body = _(
                "%(name)s has not checked in since the agreed time. "
                "Try to reach them and tell the organization that accompanies them."
            )
        return subject, body % {"name": name}


# -- API tokens ---------------------------------------------------------------------------


def create_api_token(user, name: str, *, request=None) -> tuple[ApiToken, str]:
    token = "mem_" + new_token()
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user, name=name.strip()[:80], token_hash=token_digest(token), prefix=token[:8]
        )
        audit(user, None, AuditAction.API_TOKEN_CREATED, row, request=request)
    return row, token


def revoke_api_token(user, token_id: int, *, request=None) -> bool:
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            audit(
                user,
                None,
                AuditAction.API_TOKEN_REVOKED,
                ApiToken.objects.get(pk=token_id),
                request=request,
            )
    return bool(changed)


def user_for_api_token(token: str):
    if not token or not token.startswith("mem_") or len(token) > 100:
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
