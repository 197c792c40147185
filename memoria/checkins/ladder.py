"""The check-in schedule and escalation ladder as plain Python, with the clock passed in.

No Django here: every function takes ``now`` (an aware datetime) and returns
the new state, so tests drive the clock and the worker, the page and the API
share one set of rules.

A watch is in one of four states:

- ``active``: the person must check in by ``deadline``; after ``deadline +
  grace`` the ladder starts (reason ``missed``);
- ``paused``: travelling until ``paused_until``, then active again;
- ``escalating``: the ladder runs from ``started_at``; step *i* is due at
  ``started_at + delay_i``. For a missed check-in, steps that tell anyone but
  the person wait for the cancel window too (``started_at + cancel_window``),
  so the person can say "I'm fine" before contacts are alarmed;
- ``escalated``: every step has fired; only a coordinator closes it.

A **duress** code answers exactly like a check-in (same new deadline) but
starts the ladder at once, silently: no step addressed to the person, no
cancel window, and nothing the person (or whoever holds the phone) does later
stops it or shows that it runs. **Panic** ("I am in danger") also starts at
once, without the cancel window and without reminding the person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

ACTIVE = "active"
PAUSED = "paused"
ESCALATING = "escalating"
ESCALATED = "escalated"

MISSED = "missed"
DURESS = "duress"
PANIC = "panic"

PERSON = "person"  # the step reminds the person themself

MAX_PAUSE = dt.timedelta(days=60)


class Refused(Exception):
    """The request cannot be honoured in this state (shown to the person as a plain message)."""


@dataclass(frozen=True)
class Schedule:
    """Every ``every_hours`` hours, or at ``times`` (``HH:MM``) in ``time_zone``."""

    every_hours: int | None = None
    times: tuple[str, ...] = ()
    time_zone: str = "America/Mexico_City"
    grace: dt.timedelta = dt.timedelta(minutes=15)
    cancel_window: dt.timedelta = dt.timedelta(minutes=10)

    def __post_init__(self) -> None:
        if bool(self.every_hours) == bool(self.times):
            raise ValueError("a schedule is either every N hours or at set times")
        if self.every_hours is not None and not 1 <= self.every_hours <= 24 * 7:
            raise ValueError("every_hours must be between 1 and 168")
        for value in self.times:
            parse_time(value)
        ZoneInfo(self.time_zone)

    def next_deadline(self, after: dt.datetime) -> dt.datetime:
        """The first deadline strictly after ``after`` (aware, in UTC)."""
        if self.every_hours:
            return (after + dt.timedelta(hours=self.every_hours)).astimezone(dt.UTC)
        zone = ZoneInfo(self.time_zone)
        local = after.astimezone(zone)
        candidates = []
        for day in range(0, 3):
            date = local.date() + dt.timedelta(days=day)
            for value in self.times:
                at = dt.datetime.combine(date, parse_time(value), tzinfo=zone)
                if at > after:
                    # In UTC: datetimes of one zone compare by wall time, and a time
                    # that does not exist on a spring-forward day would win wrongly.
                    candidates.append(at.astimezone(dt.UTC))
        return min(candidates)


def parse_time(value: str) -> dt.time:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a time of day: {value!r}")
    return dt.time(int(hours), int(minutes))


@dataclass(frozen=True)
class Step:
    """One rung: who is told (``audience``) and how long after the start."""

    delay: dt.timedelta
    audience: str = "circle"  # person | circle | organization | lawyers

    @property
    def tells_person(self) -> bool:
        return self.audience == PERSON


@dataclass(frozen=True)
class State:
    status: str = ACTIVE
    deadline: dt.datetime | None = None
    paused_until: dt.datetime | None = None
    reason: str = ""
    started_at: dt.datetime | None = None
    next_step: int = 0
    # The escalation's identity in delivery keys: the missed deadline, or the moment
    # of a panic or duress, as whole seconds.
    round: int = 0
    fired: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class Fire:
    """A step to send now, for escalation ``round``."""

    index: int
    step: Step
    round: int
    reason: str


def start(schedule: Schedule, now: dt.datetime) -> State:
    return State(status=ACTIVE, deadline=schedule.next_deadline(now))


def _secret_escalation(state: State) -> bool:
    return state.status in (ESCALATING, ESCALATED) and state.reason == DURESS


def check_in(state: State, schedule: Schedule, now: dt.datetime) -> State:
    """The person is fine. Stops a missed-check-in ladder; never a duress or panic one."""
    if state.status in (ESCALATING, ESCALATED) and state.reason in (DURESS, PANIC):
        # Nothing visible changes for whoever holds the phone; the ladder goes on.
        return replace(state, deadline=schedule.next_deadline(now))
    return State(status=ACTIVE, deadline=schedule.next_deadline(now))


def duress(state: State, schedule: Schedule, now: dt.datetime) -> State:
    """Looks like ``check_in`` (same new deadline); starts the ladder silently."""
    deadline = schedule.next_deadline(now)
    if _secret_escalation(state):
        return replace(state, deadline=deadline)
    return State(
        status=ESCALATING,
        deadline=deadline,
        reason=DURESS,
        started_at=now,
        round=int(now.timestamp()),
    )


def panic(state: State, schedule: Schedule, now: dt.datetime) -> State:
    """ "I am in danger": the ladder starts at once (a running one carries on)."""
    if state.status in (ESCALATING, ESCALATED) and state.reason in (DURESS, PANIC):
        return state
    return State(
        status=ESCALATING,
        deadline=state.deadline or schedule.next_deadline(now),
        reason=PANIC,
        started_at=now,
        round=int(now.timestamp()),
    )


def in_cancel_window(state: State, schedule: Schedule, now: dt.datetime) -> bool:
    return (
        state.status in (ESCALATING, ESCALATED)
        and state.reason == MISSED
        and state.started_at is not None
        and now < state.started_at + schedule.cancel_window
    )


def cancel(state: State, schedule: Schedule, now: dt.datetime) -> State:
    """Call off a missed-check-in alarm within the cancel window (it counts as a check-in).

    Under duress it answers the same and changes nothing visible.
    """
    if _secret_escalation(state):
        return replace(state, deadline=schedule.next_deadline(now))
    if not in_cancel_window(state, schedule, now):
        raise Refused("nothing to cancel")
    return check_in(state, schedule, now)


def pause(state: State, schedule: Schedule, until: dt.datetime, now: dt.datetime) -> State:
    """No check-ins until ``until`` (a journey). Not while contacts are being told."""
    if until <= now or until - now > MAX_PAUSE:
        raise Refused("the end of a pause must be in the next 60 days")
    if _secret_escalation(state):
        return replace(state, deadline=until)
    if state.status in (ESCALATING, ESCALATED) and not in_cancel_window(state, schedule, now):
        raise Refused("the ladder is running")
    return State(status=PAUSED, deadline=until, paused_until=until)


def resolve(state: State, schedule: Schedule, now: dt.datetime) -> State:
    """A coordinator closes an escalation (the person is safe): back to active."""
    return State(status=ACTIVE, deadline=schedule.next_deadline(now))


def step_due_at(state: State, schedule: Schedule, step: Step) -> dt.datetime:
    assert state.started_at is not None
    due = state.started_at + step.delay
    if state.reason == MISSED and not step.tells_person:
        due = max(due, state.started_at + schedule.cancel_window)
    return due


def _skipped(state: State, step: Step) -> bool:
    return step.tells_person and state.reason in (DURESS, PANIC)


def advance(
    state: State, schedule: Schedule, steps: list[Step] | tuple[Step, ...], now: dt.datetime
) -> tuple[State, list[Fire]]:
    """Move the watch forward to ``now``; return the new state and the steps to send."""
    if state.status == PAUSED and state.paused_until and now >= state.paused_until:
        state = State(status=ACTIVE, deadline=schedule.next_deadline(state.paused_until))
    if state.status == ACTIVE and state.deadline and now >= state.deadline + schedule.grace:
        missed = state.deadline + schedule.grace
        state = State(
            status=ESCALATING,
            deadline=state.deadline,
            reason=MISSED,
            started_at=missed,
            round=int(state.deadline.timestamp()),
        )
    fires: list[Fire] = []
    if state.status != ESCALATING:
        return state, fires
    index = state.next_step
    while index < len(steps):
        step = steps[index]
        if not _skipped(state, step):
            if now < step_due_at(state, schedule, step):
                break
            fires.append(Fire(index, step, state.round, state.reason))
        index += 1
    status = ESCALATED if index >= len(steps) else ESCALATING
    state = replace(state, next_step=index, status=status)
    return state, fires


def next_action_at(state: State, schedule: Schedule, steps) -> dt.datetime | None:
    """When ``advance`` next has something to do (the worker's index), or None."""
    if state.status == PAUSED:
        return state.paused_until
    if state.status == ACTIVE:
        return state.deadline + schedule.grace if state.deadline else None
    if state.status == ESCALATING:
        for step in steps[state.next_step :]:
            if not _skipped(state, step):
                return step_due_at(state, schedule, step)
        return state.started_at
    return None


def visible_deadline(state: State) -> dt.datetime | None:
    """The deadline the check-in page shows: identical after a check-in and a duress code."""
    return state.deadline
