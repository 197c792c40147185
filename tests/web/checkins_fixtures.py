"""A journalist at risk with a support circle, channels and a two-step ladder (check-in tests)."""

from __future__ import annotations

import datetime as dt

from memoria.alerts.models import Channel
from memoria.checkins import actions
from memoria.checkins.actions import StepInput
from memoria.protection.models import PersonAtRisk, SupportContact

PERSON_NAME = "Lucía Reportera Fernández"
ORG_NAME_PART = "Centro Norte"


def make_watch(
    organization,
    user,
    *,
    webhook_url: str = "http://127.0.0.1:9/hook",
    webhook_secret: str = "s" * 32,
    smtp: tuple[str, int] | None = None,
    now: dt.datetime | None = None,
    every_hours: int = 6,
    grace_minutes: int = 15,
    cancel_minutes: int = 10,
):
    """Return (watch, link token, contacts, (email channel, webhook channel))."""
    person = PersonAtRisk.objects.create(
        organization=organization, display_name=PERSON_NAME, profile="journalist"
    )
    sister = SupportContact.objects.create(
        organization=organization,
        person=person,
        name="Hermana de Lucía",
        email="hermana@circulo.example",
        accepts_email=True,
        accepts_webhook=True,
    )
    email_config = {"from_address": "alertas@memoria.example"}
    if smtp:
        email_config.update({"smtp_host": smtp[0], "smtp_port": smtp[1]})
    email = Channel.objects.create(
        organization=organization, kind="email", name="Correo", config=email_config
    )
    webhook = Channel.objects.create(
        organization=organization,
        kind="webhook",
        name="Bot del círculo",
        config={"url": webhook_url, "secret": webhook_secret},
    )
    watch = actions.set_schedule(
        user,
        person,
        every_hours=every_hours,
        grace_minutes=grace_minutes,
        cancel_minutes=cancel_minutes,
        now=now,
    )
    watch = actions.set_ladder(
        user,
        watch,
        [
            StepInput("person", 0, [], [webhook.pk]),
            StepInput("circle", 5, [sister.pk], [webhook.pk, email.pk]),
        ],
    )
    token = actions.issue_link(user, watch)
    return watch, token, [sister], (email, webhook)
