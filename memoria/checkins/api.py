"""The JSON API, version 1: check-ins, pauses, the danger button, schedules, ladders, channels.

Built with django-ninja, which generates the OpenAPI 3 document served at
``/api/v1/openapi.json`` from these functions and schemas. Two kinds of
credentials:

- a member's API token (``Authorization: Bearer mem_...``, created on the
  account page) for the organization endpoints, with the member's roles;
- a person's secret link token in the path for ``/api/v1/link/{token}/...``
  (what a phone app or a Signal bot uses on the person's behalf). There the
  duress code answers exactly like the check-in code.

Writes go through ``memoria.checkins.actions`` (audited, versioned).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import Http404
from ninja import Field, NinjaAPI, Path, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import AwareDatetime

from memoria.accounts.models import Membership
from memoria.accounts.roles import Capability
from memoria.alerts.actions import save_channel
from memoria.alerts.forms import ChannelForm
from memoria.alerts.models import Channel
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.checkins import actions
from memoria.checkins.models import Watch
from memoria.protection.models import PersonAtRisk


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        user = actions.user_for_api_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Memoria API",
    version="1",
    description="Check-ins, pauses and the danger button; schedules, escalation ladders "
    "and channels. See docs/checkins.md.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,  # the interactive page loads third-party assets: the JSON is enough
    openapi_url="/openapi.json",
)


# -- path parameters and schemas -----------------------------------------------------------

Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]{1,60}$")]
Id = Annotated[int, Path(ge=1, le=2**53)]
LinkToken = Annotated[str, Path(pattern=r"^[-A-Za-z0-9_]{20,100}$")]
RecordId = Annotated[int, Field(ge=1, le=2**53)]

Act = Literal["check_in", "cancel", "pause", "panic"]


class Error(Schema):
    detail: str


class StepOut(Schema):
    position: int
    audience: str
    delay_minutes: int
    contacts: list[int]
    channels: list[int]
    include_location: bool


class WatchOut(Schema):
    person: int
    version: int
    enabled: bool
    every_hours: int | None
    times: list[str]
    time_zone: str
    grace_minutes: int
    cancel_minutes: int
    status: str
    reason: str
    deadline: dt.datetime | None
    paused_until: dt.datetime | None
    has_link: bool
    has_codes: bool
    steps: list[StepOut]


class PersonOut(Schema):
    id: int
    name: str
    watch: WatchOut | None


class ScheduleIn(Schema):
    every_hours: int | None = Field(None, ge=1, le=168)
    times: list[Annotated[str, Field(pattern=r"^[0-2]?[0-9]:[0-5][0-9]$")]] = Field(
        default_factory=list, max_length=12
    )
    grace_minutes: int = Field(15, ge=0, le=1440)
    cancel_minutes: int = Field(10, ge=0, le=1440)
    enabled: bool = True
    version: int | None = Field(None, ge=0, le=2**31 - 1)


class StepIn(Schema):
    audience: Literal["person", "circle", "organization", "lawyers"]
    delay_minutes: int = Field(ge=0, le=10080)
    contacts: list[RecordId] = Field(default_factory=list, max_length=50)
    channels: list[RecordId] = Field(default_factory=list, max_length=10)
    include_location: bool = False


class LadderIn(Schema):
    steps: list[StepIn] = Field(max_length=actions.MAX_STEPS)
    version: int | None = Field(None, ge=0, le=2**31 - 1)


class PauseIn(Schema):
    until: AwareDatetime


class PersonActIn(Schema):
    act: Act
    code: str = Field("", max_length=64)
    until: AwareDatetime | None = None
    # Where the person is, if they choose to say; sent only by ladder steps that
    # include the location.
    location: str = Field("", max_length=300)


class OutcomeOut(Schema):
    act: str
    next_deadline: dt.datetime | None
    paused_until: dt.datetime | None


class LinkOut(Schema):
    link_token: str


class ChannelIn(Schema):
    kind: Literal["email", "webhook", "sms", "signal"]
    name: str = Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$")
    config: dict[str, str | int | bool] = Field(default_factory=dict, max_length=20)


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    enabled: bool
    last_error: str


# -- helpers ------------------------------------------------------------------------------


def _membership(request, slug: str, capability: Capability) -> Membership:
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=request.auth, organization__slug=slug)
        .first()
    )
    if membership is None:
        raise HttpError(404, "Not found")
    if not membership.can(capability):
        raise HttpError(403, "Your role does not allow this")
    return membership


def _person(membership: Membership, person_id: int) -> PersonAtRisk:
    person = PersonAtRisk.objects.filter(organization=membership.organization, pk=person_id).first()
    if person is None:
        raise HttpError(404, "Not found")
    return person


def _watch_out(watch: Watch | None) -> WatchOut | None:
    if watch is None:
        return None
    return WatchOut(
        person=watch.person_id,
        version=watch.version,
        enabled=watch.enabled,
        every_hours=watch.every_hours,
        times=watch.times.split() if watch.times else [],
        time_zone=watch.person.time_zone,
        grace_minutes=watch.grace_minutes,
        cancel_minutes=watch.cancel_minutes,
        status=watch.status,
        reason=watch.reason,
        deadline=watch.deadline,
        paused_until=watch.paused_until,
        has_link=bool(watch.token_hash),
        has_codes=bool(watch.code_hash),
        steps=[
            StepOut(
                position=step.position,
                audience=step.audience,
                delay_minutes=step.delay_minutes,
                contacts=sorted(c.pk for c in step.contacts.all()),
                channels=sorted(c.pk for c in step.channels.all()),
                include_location=step.include_location,
            )
            for step in watch.steps()
        ],
    )


def _watch(person: PersonAtRisk) -> Watch:
    watch = Watch.objects.select_related("person").filter(person=person).first()
    if watch is None:
        raise HttpError(404, "No schedule yet")
    return watch


def _outcome(outcome: actions.Outcome) -> OutcomeOut:
    return OutcomeOut(
        act=outcome.act, next_deadline=outcome.next_deadline, paused_until=outcome.paused_until
    )


# -- organization endpoints ------------------------------------------------------------------


@api.get(
    "/organizations/{slug}/people",
    response={200: list[PersonOut], 403: Error, 404: Error},
    tags=["people"],
)
def list_people(request, slug: Slug):
    """The organization's active people at risk and their check-in state."""
    membership = _membership(request, slug, Capability.READ_PROTECTION)
    people = list(
        PersonAtRisk.objects.filter(organization=membership.organization, status="active")
    )
    watches = {
        w.person_id: w
        for w in Watch.objects.select_related("person").filter(organization=membership.organization)
    }
    audit(request.auth, membership.organization, AuditAction.CHECKIN_LIST, shown=len(people))
    return [
        PersonOut(id=p.pk, name=p.display_name, watch=_watch_out(watches.get(p.pk))) for p in people
    ]


@api.get(
    "/organizations/{slug}/people/{person_id}/watch",
    response={200: WatchOut, 403: Error, 404: Error},
    tags=["check-ins"],
)
def get_watch(request, slug: Slug, person_id: Id):
    """A person's schedule, ladder and current state."""
    membership = _membership(request, slug, Capability.READ_PROTECTION)
    return _watch_out(_watch(_person(membership, person_id)))


@api.put(
    "/organizations/{slug}/people/{person_id}/schedule",
    response={200: WatchOut, 400: Error, 403: Error, 404: Error, 409: Error},
    tags=["check-ins"],
)
def put_schedule(request, slug: Slug, person_id: Id, payload: ScheduleIn):
    """Set the schedule: every N hours, or at set times (HH:MM) in the person's time zone."""
    membership = _membership(request, slug, Capability.EDIT_RECORDS)
    person = _person(membership, person_id)
    try:
        watch = actions.set_schedule(
            request.auth,
            person,
            every_hours=payload.every_hours,
            times=payload.times,
            grace_minutes=payload.grace_minutes,
            cancel_minutes=payload.cancel_minutes,
            enabled=payload.enabled,
            version=payload.version,
            request=request,
        )
    except actions.ConflictError:
        raise HttpError(409, "The schedule changed meanwhile: read it again") from None
    except ValueError:
        raise HttpError(400, "Give either every_hours or times (HH:MM)") from None
    return _watch_out(watch)


@api.put(
    "/organizations/{slug}/people/{person_id}/ladder",
    response={200: WatchOut, 400: Error, 403: Error, 404: Error, 409: Error},
    tags=["check-ins"],
)
def put_ladder(request, slug: Slug, person_id: Id, payload: LadderIn):
    """Replace the escalation ladder (not while it runs)."""
    membership = _membership(request, slug, Capability.EDIT_RECORDS)
    watch = _watch(_person(membership, person_id))
    steps = [
        actions.StepInput(
            audience=step.audience,
            delay_minutes=step.delay_minutes,
            contacts=step.contacts,
            channels=step.channels,
            include_location=step.include_location,
        )
        for step in payload.steps
    ]
    try:
        watch = actions.set_ladder(
            request.auth, watch, steps, version=payload.version, request=request
        )
    except (actions.ConflictError, actions.Refused):
        raise HttpError(409, "The ladder changed meanwhile, or it is running") from None
    except ValueError:
        raise HttpError(400, "Unknown contact or channel, or a delay out of range") from None
    return _watch_out(watch)


@api.post(
    "/organizations/{slug}/people/{person_id}/link",
    response={200: LinkOut, 403: Error, 404: Error},
    tags=["check-ins"],
)
def post_link(request, slug: Slug, person_id: Id):
    """A new secret link token for the person (the old one stops working); shown once."""
    membership = _membership(request, slug, Capability.EDIT_RECORDS)
    watch = _watch(_person(membership, person_id))
    return LinkOut(link_token=actions.issue_link(request.auth, watch, request=request))


def _staff_act(request, slug, person_id, act, until=None):
    membership = _membership(request, slug, Capability.EDIT_RECORDS)
    watch = _watch(_person(membership, person_id))
    try:
        outcome = actions.person_acts(
            watch, act, until=until, via="api", user=request.auth, trusted=True, request=request
        )
    except actions.Refused:
        raise HttpError(409, "Not possible in this state") from None
    return _outcome(outcome)


STAFF_RESPONSES = {200: OutcomeOut, 403: Error, 404: Error, 409: Error}


@api.post(
    "/organizations/{slug}/people/{person_id}/check-in",
    response=STAFF_RESPONSES,
    tags=["check-ins"],
)
def staff_check_in(request, slug: Slug, person_id: Id):
    """Check in on the person's behalf (they called the organization)."""
    return _staff_act(request, slug, person_id, actions.CHECK_IN)


@api.post(
    "/organizations/{slug}/people/{person_id}/pause", response=STAFF_RESPONSES, tags=["check-ins"]
)
def staff_pause(request, slug: Slug, person_id: Id, payload: PauseIn):
    """Pause check-ins until a date (a journey), at most 60 days ahead."""
    return _staff_act(request, slug, person_id, actions.PAUSE, until=payload.until)


@api.post(
    "/organizations/{slug}/people/{person_id}/panic", response=STAFF_RESPONSES, tags=["check-ins"]
)
def staff_panic(request, slug: Slug, person_id: Id):
    """Start the ladder at once: the person is in danger."""
    return _staff_act(request, slug, person_id, actions.PANIC)


@api.post(
    "/organizations/{slug}/people/{person_id}/resolve",
    response={200: WatchOut, 403: Error, 404: Error},
    tags=["check-ins"],
)
def staff_resolve(request, slug: Slug, person_id: Id):
    """Close an escalation: the person is safe; check-ins go on."""
    membership = _membership(request, slug, Capability.EDIT_RECORDS)
    watch = _watch(_person(membership, person_id))
    return _watch_out(actions.resolve(request.auth, watch, request=request))


@api.get(
    "/organizations/{slug}/channels",
    response={200: list[ChannelOut], 403: Error, 404: Error},
    tags=["channels"],
)
def list_channels(request, slug: Slug):
    """The organization's channels (their configuration is never returned)."""
    membership = _membership(request, slug, Capability.READ_PROTECTION)
    return [
        ChannelOut(id=c.pk, kind=c.kind, name=c.name, enabled=c.enabled, last_error=c.last_error)
        for c in Channel.objects.filter(organization=membership.organization)
    ]


@api.post(
    "/organizations/{slug}/channels",
    response={201: ChannelOut, 400: Error, 403: Error, 404: Error},
    tags=["channels"],
)
def create_channel(request, slug: Slug, payload: ChannelIn):
    """Add a channel (coordinators): e-mail, signed webhook, SMS gateway or Signal.
    ``config`` holds the settings of the channels page, checked as that page checks them."""
    membership = _membership(request, slug, Capability.MANAGE_ORGANIZATION)
    form = ChannelForm({"name": payload.name, "enabled": "on", **payload.config}, kind=payload.kind)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        raise HttpError(400, problems)
    channel = save_channel(
        membership.organization, form.action_data(), actor=request.auth, request=request
    )
    out = ChannelOut(
        id=channel.pk,
        kind=channel.kind,
        name=channel.name,
        enabled=channel.enabled,
        last_error=channel.last_error,
    )
    return Status(201, out)


# -- the person's link ---------------------------------------------------------------------


@api.post(
    "/link/{token}",
    auth=None,
    response={200: OutcomeOut, 400: Error, 403: Error, 404: Error, 409: Error},
    tags=["the person"],
)
def link_act(request, token: LinkToken, payload: PersonActIn):
    """What the check-in page does, for apps and bots: check in, cancel, pause, panic.

    The duress code answers exactly like the check-in code.
    """
    watch = actions.watch_for_token(token)
    if watch is None:
        raise HttpError(404, "Not found")
    if payload.act == actions.PAUSE and payload.until is None:
        raise HttpError(400, "A pause needs 'until'")
    try:
        outcome = actions.person_acts(
            watch,
            payload.act,
            code=payload.code,
            until=payload.until,
            location=payload.location,
            via="api",
            request=request,
        )
    except actions.WrongCode:
        raise HttpError(403, "Wrong code") from None
    except actions.Refused:
        raise HttpError(409, "Not possible now") from None
    return _outcome(outcome)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found"}, status=404)
