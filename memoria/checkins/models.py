"""Check-ins: a watch per person at risk, its escalation ladder, and API tokens.

* ``Watch`` — one per ``protection.PersonAtRisk``: the schedule (``every_hours``
  or ``times`` *enc*, in the person's time zone), ``grace_minutes``,
  ``cancel_minutes``; the secret link's ``token_hash`` (SHA-256 of the token:
  the token itself is shown once and never stored); the check-in and duress
  codes, hashed like passwords; and the state the ladder works on
  (``memoria.checkins.ladder``): ``status``, ``deadline``, ``paused_until``,
  ``reason``, ``started_at``, ``next_step``, ``round``, with ``next_action_at``
  indexed so the worker finds what is due in one query.
* ``LadderStep`` — a rung: ``position``, ``audience`` (person, circle,
  organization, lawyers), ``delay_minutes`` from the start of the escalation,
  the ``contacts`` (``protection.SupportContact``) and ``channels``
  (``alerts.Channel``) it tells, ``include_location``.
* ``ApiToken`` — a member's token for ``/api/v1/``: ``token_hash`` (SHA-256),
  ``prefix`` (to recognise it), ``name``, ``last_used_at``, ``revoked_at``.

In clear: the state columns the worker needs (no name, no content).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.alerts.models import Channel
from memoria.cases.models import Versioned
from memoria.checkins import ladder
from memoria.protection.models import PersonAtRisk, SupportContact
from memoria.vault.fields import EncryptedCharField

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Audience(models.TextChoices):
    PERSON = "person", _("The person (a reminder)")
    CIRCLE = "circle", _("Their support circle")
    ORGANIZATION = "organization", _("The organization on duty")
    LAWYERS = "lawyers", _("Lawyers or the protection mechanism")


class Watch(Versioned):
    class Status(models.TextChoices):
        ACTIVE = ladder.ACTIVE, _("Waiting for the next check-in")
        PAUSED = ladder.PAUSED, _("Paused")
        ESCALATING = ladder.ESCALATING, _("Escalating")
        ESCALATED = ladder.ESCALATED, _("Every step sent")

    class Reason(models.TextChoices):
        NONE = "", _("None")
        MISSED = ladder.MISSED, _("Missed check-in")
        DURESS = ladder.DURESS, _("Duress code")
        PANIC = ladder.PANIC, _("Danger button")

    person = models.OneToOneField(
        PersonAtRisk, on_delete=models.CASCADE, related_name="watch", verbose_name=_("person")
    )
    every_hours = models.PositiveSmallIntegerField(_("every (hours)"), null=True, blank=True)
    times = EncryptedCharField(_("at set times"), max_length=200, blank=True)
    grace_minutes = models.PositiveSmallIntegerField(_("grace period (minutes)"), default=15)
    cancel_minutes = models.PositiveSmallIntegerField(_("cancel window (minutes)"), default=10)
    enabled = models.BooleanField(_("enabled"), default=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    code_hash = models.CharField(max_length=200, blank=True)
    duress_hash = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    deadline = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=8, choices=Reason.choices, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    next_step = models.PositiveSmallIntegerField(default=0)
    round = models.BigIntegerField(default=0)
    next_action_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    # Where the person said they were, if they chose to say (the check-in page's
    # optional field); it travels only in the messages of steps that include it.
    last_location = EncryptedCharField(_("last location given"), max_length=300, blank=True)
    last_location_at = models.DateTimeField(_("location given at"), null=True, blank=True)
    wrong_codes = models.PositiveSmallIntegerField(default=0)
    codes_locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("check-in watch")
        verbose_name_plural = _("check-in watches")

    def __str__(self) -> str:
        return f"#{self.pk}"

    # -- the plain-Python view of this row -------------------------------------------

    def schedule(self) -> ladder.Schedule:
        times = tuple(self.times.split()) if self.times else ()
        return ladder.Schedule(
            every_hours=None if times else self.every_hours,
            times=times,
            time_zone=self.person.time_zone,
            grace=dt.timedelta(minutes=self.grace_minutes),
            cancel_window=dt.timedelta(minutes=self.cancel_minutes),
        )

    def steps(self) -> list[LadderStep]:
        return list(self.ladder_steps.order_by("position", "pk"))

    def state(self) -> ladder.State:
        return ladder.State(
            status=self.status,
            deadline=self.deadline,
            paused_until=self.paused_until,
            reason=self.reason,
            started_at=self.started_at,
            next_step=self.next_step,
            round=self.round,
        )

    def apply(self, state: ladder.State, steps) -> list[str]:
        """Copy ``state`` onto this row (not saved); return the changed fields."""
        fields = []
        for name in ("status", "deadline", "paused_until", "reason", "started_at"):
            value = getattr(state, name)
            if getattr(self, name) != value:
                setattr(self, name, value)
                fields.append(name)
        for name in ("next_step", "round"):
            value = getattr(state, name)
            if getattr(self, name) != value:
                setattr(self, name, value)
                fields.append(name)
        plain = [step.as_step() for step in steps]
        self.next_action_at = (
            ladder.next_action_at(state, self.schedule(), plain) if self.enabled else None
        )
        fields.append("next_action_at")
        return fields


class LadderStep(models.Model):
    watch = models.ForeignKey(Watch, on_delete=models.CASCADE, related_name="ladder_steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    audience = models.CharField(
        _("who is told"), max_length=12, choices=Audience.choices, default=Audience.CIRCLE
    )
    delay_minutes = models.PositiveIntegerField(_("minutes after the alarm starts"), default=0)
    contacts = models.ManyToManyField(SupportContact, blank=True, related_name="+")
    channels = models.ManyToManyField(Channel, blank=True, related_name="+")
    include_location = models.BooleanField(_("include the location"), default=False)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")

    def __str__(self) -> str:
        return f"{self.position}: {self.audience}"

    def as_step(self) -> ladder.Step:
        return ladder.Step(dt.timedelta(minutes=self.delay_minutes), self.audience)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}…"
