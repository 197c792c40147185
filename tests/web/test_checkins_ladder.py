"""The check-in rules with a controlled clock (memoria.checkins.ladder: no database)."""

import datetime as dt

import pytest

from memoria.checkins import ladder
from memoria.checkins.ladder import Schedule, Step

T0 = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
EVERY_6 = Schedule(every_hours=6, grace=15 * MIN, cancel_window=10 * MIN)
STEPS = (
    Step(0 * MIN, "person"),
    Step(5 * MIN, "circle"),
    Step(30 * MIN, "organization"),
    Step(60 * MIN, "lawyers"),
)


def run(state, now, steps=STEPS, schedule=EVERY_6):
    return ladder.advance(state, schedule, steps, now)


def audiences(fires):
    return [fire.step.audience for fire in fires]


def test_it_sets_the_next_deadline_every_n_hours():
    assert EVERY_6.next_deadline(T0) == T0 + dt.timedelta(hours=6)


def test_it_sets_the_next_deadline_at_set_times_in_the_persons_time_zone():
    schedule = Schedule(times=("08:00", "20:00"), time_zone="America/Tijuana")
    # 12:00 UTC is 04:00 in Tijuana (UTC-8 in December): next is 08:00 there, 16:00 UTC.
    assert schedule.next_deadline(T0) == dt.datetime(2026, 12, 3, 16, 0, tzinfo=dt.UTC)
    # Just after 20:00 local it is 08:00 the next day.
    late = dt.datetime(2026, 12, 4, 4, 1, tzinfo=dt.UTC)
    assert schedule.next_deadline(late) == dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)


def test_it_refuses_a_schedule_that_is_both_or_neither():
    with pytest.raises(ValueError):
        Schedule(every_hours=3, times=("08:00",))
    with pytest.raises(ValueError):
        Schedule()
    with pytest.raises(ValueError):
        Schedule(times=("25:99x",))


def test_it_waits_for_the_grace_period_before_starting_the_ladder():
    state = ladder.start(EVERY_6, T0)
    deadline = T0 + dt.timedelta(hours=6)
    state, fires = run(state, deadline + 14 * MIN)
    assert state.status == ladder.ACTIVE and fires == []
    state, fires = run(state, deadline + 15 * MIN)
    assert state.status == ladder.ESCALATING
    assert audiences(fires) == ["person"]
    assert ladder.next_action_at(state, EVERY_6, STEPS) == deadline + 25 * MIN


def test_it_holds_contacts_back_during_the_cancel_window_then_climbs_each_step():
    state = ladder.start(EVERY_6, T0)
    missed = T0 + dt.timedelta(hours=6, minutes=15)
    state, _ = run(state, missed)
    # The circle's own delay is 5 minutes but the cancel window is 10.
    state, fires = run(state, missed + 9 * MIN)
    assert fires == []
    state, fires = run(state, missed + 10 * MIN)
    assert audiences(fires) == ["circle"]
    state, fires = run(state, missed + 10 * MIN)
    assert fires == []  # never twice
    state, fires = run(state, missed + 2 * dt.timedelta(hours=1))
    assert audiences(fires) == ["organization", "lawyers"]
    assert state.status == ladder.ESCALATED
    assert ladder.next_action_at(state, EVERY_6, STEPS) is None


def test_a_cancel_inside_the_window_stops_the_alarm_before_contacts_are_told():
    state = ladder.start(EVERY_6, T0)
    missed = T0 + dt.timedelta(hours=6, minutes=15)
    state, _ = run(state, missed)
    state = ladder.cancel(state, EVERY_6, missed + 3 * MIN)
    assert state.status == ladder.ACTIVE
    state, fires = run(state, missed + 20 * MIN)
    assert fires == []


def test_a_cancel_after_the_window_is_refused():
    state = ladder.start(EVERY_6, T0)
    missed = T0 + dt.timedelta(hours=6, minutes=15)
    state, _ = run(state, missed)
    with pytest.raises(ladder.Refused):
        ladder.cancel(state, EVERY_6, missed + 11 * MIN)
    with pytest.raises(ladder.Refused):
        ladder.cancel(ladder.start(EVERY_6, T0), EVERY_6, T0)


def test_a_late_check_in_stops_the_remaining_steps():
    state = ladder.start(EVERY_6, T0)
    missed = T0 + dt.timedelta(hours=6, minutes=15)
    state, _ = run(state, missed + 10 * MIN)
    state = ladder.check_in(state, EVERY_6, missed + 12 * MIN)
    state, fires = run(state, missed + 2 * dt.timedelta(hours=1))
    assert fires == [] and state.status == ladder.ACTIVE


def test_a_duress_code_looks_like_a_check_in_but_escalates_silently():
    state = ladder.start(EVERY_6, T0)
    now = T0 + dt.timedelta(hours=1)
    normal = ladder.check_in(state, EVERY_6, now)
    forced = ladder.duress(state, EVERY_6, now)
    assert ladder.visible_deadline(forced) == ladder.visible_deadline(normal)
    state, fires = run(forced, now)
    # No reminder to the person (the phone is not theirs now) and no cancel window.
    assert fires == []  # the circle's delay (5 minutes) has not passed
    state, fires = run(state, now + 5 * MIN)
    assert audiences(fires) == ["circle"]
    # Whatever is done from the phone afterwards answers as usual and stops nothing.
    again = ladder.check_in(state, EVERY_6, now + 6 * MIN)
    again = ladder.cancel(again, EVERY_6, now + 7 * MIN)
    again = ladder.pause(again, EVERY_6, now + dt.timedelta(days=2), now + 8 * MIN)
    assert again.status == ladder.ESCALATING and again.reason == ladder.DURESS
    _, fires = run(again, now + 30 * MIN)
    assert audiences(fires) == ["organization"]


def test_the_danger_button_starts_the_ladder_at_once():
    state = ladder.start(EVERY_6, T0)
    state = ladder.panic(state, EVERY_6, T0 + MIN)
    immediate = (Step(0 * MIN, "person"), Step(0 * MIN, "circle"), Step(30 * MIN, "organization"))
    state, fires = run(state, T0 + MIN, steps=immediate)
    assert audiences(fires) == ["circle"]
    assert state.reason == ladder.PANIC


def test_a_pause_holds_the_deadline_until_it_ends():
    state = ladder.start(EVERY_6, T0)
    until = T0 + dt.timedelta(days=3)
    state = ladder.pause(state, EVERY_6, until, T0)
    state, fires = run(state, T0 + dt.timedelta(days=2))
    assert state.status == ladder.PAUSED and fires == []
    state, fires = run(state, until)
    assert state.status == ladder.ACTIVE
    assert state.deadline == until + dt.timedelta(hours=6)
    with pytest.raises(ladder.Refused):
        ladder.pause(state, EVERY_6, T0, until)  # in the past
    with pytest.raises(ladder.Refused):
        ladder.pause(state, EVERY_6, until + dt.timedelta(days=61), until)


def test_each_escalation_has_its_own_round_so_delivery_keys_never_collide():
    state = ladder.start(EVERY_6, T0)
    state, first = run(state, T0 + dt.timedelta(hours=7))
    state = ladder.check_in(state, EVERY_6, T0 + dt.timedelta(hours=7))
    state, second = run(state, T0 + dt.timedelta(hours=14))
    assert first[0].round != second[0].round


def test_set_times_across_the_spring_forward_keep_the_earliest_real_deadline():
    """America/Tijuana springs forward on 2027-03-14 at 02:00: 02:30 does not exist that day."""
    schedule = ladder.Schedule(times=("02:30", "03:15"), time_zone="America/Tijuana")
    after = dt.datetime(2027, 3, 14, 9, 0, tzinfo=dt.UTC)  # 01:00 local, before the jump
    deadline = schedule.next_deadline(after)
    # 03:15 PDT (UTC-7) is 10:15 UTC; the nonexistent 02:30 must not come first by wall time.
    assert deadline <= dt.datetime(2027, 3, 14, 10, 15, tzinfo=dt.UTC)
    assert deadline > after
