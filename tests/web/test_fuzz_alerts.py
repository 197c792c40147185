"""Hostile and random values posted to every form of the alerts app.

The same fuzz as the case forms (``tests/web/test_fuzz_forms.py``): every
response below 500, a refused request writes nothing, a success writes its
record and its audit entry in this organization, nothing echoes a script.
``test_it_fuzzes_every_form_of_the_alerts_app`` walks the URL conf: a new
page of the app fails it until it is fuzzed here or named as having no form.
"""

from __future__ import annotations

from django.urls import get_resolver

from memoria.accounts.roles import Role
from memoria.alerts import actions as alert_actions
from memoria.alerts.models import AlertTemplate, Channel, Delivery, UrgentAlert
from tests.web.test_fuzz_forms import EveryFormFuzzed, FormFuzz, FuzzCase, Target, fuzz_test, walk

COORDINATOR = Role.COORDINATOR

TARGETS = [
    Target(
        "alerts:channel_new",
        role=COORDINATOR,
        creates=Channel,
        route={"kind": "webhook"},
        valid=lambda case: {"name": "Bot", "enabled": "on", "url": "https://bot.example/h"},
    ),
    Target(
        "alerts:channel_new",
        role=COORDINATOR,
        creates=Channel,
        route={"kind": "email"},
        valid=lambda case: {"name": "Correo", "enabled": "on", "smtp_port": "25"},
    ),
    Target(
        "alerts:channel_new",
        role=COORDINATOR,
        creates=Channel,
        route={"kind": "sms"},
        valid=lambda case: {"name": "SMS", "gateway_url": "https://gw.example", "token": "t"},
    ),
    Target(
        "alerts:channel_new",
        role=COORDINATOR,
        creates=Channel,
        route={"kind": "signal"},
        valid=lambda case: {
            "name": "Signal",
            "signal_url": "http://127.0.0.1:8080",
            "sender": "+525512345678",
        },
    ),
    Target("alerts:channel", role=COORDINATOR, edits=(Channel, "channel"), examples=15),
    Target(
        "alerts:channel_test",
        role=COORDINATOR,
        creates=Delivery,
        form_on="alerts:channel",
        always_writes=False,  # a test with nowhere to go is refused with a message
        succeeds=lambda response: response.status_code == 302,
    ),
    Target(
        "alerts:template_new",
        role=COORDINATOR,
        creates=AlertTemplate,
        valid=lambda case: {"name": "T", "language": "es-mx", "subject": "S", "body": "B"},
    ),
    Target("alerts:template_edit", role=COORDINATOR, edits=(AlertTemplate, "template")),
    Target(
        "alerts:new",
        role=COORDINATOR,
        creates=UrgentAlert,
        valid=lambda case: {"subject": "S", "body": "B", "channels": [str(case.channel.pk)]},
        examples=15,
    ),
]

# Pages without a form of their own. The acknowledgement link's one button is
# posted by anyone holding the link (no member: its audit entry has no actor),
# so tests/web/test_alerts_pages.py checks it instead.
NO_FORM = {
    "alerts:list",
    "alerts:alert",
    "alerts:channels",
    "alerts:templates",
    "alerts:acknowledge",
}


def alerts_routes() -> dict:
    return {
        name: pattern
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__.startswith("memoria.alerts")
    }


class AlertsFuzzCase(FuzzCase):
    """A channel, a template and an urgent alert, and the same in another organization."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.channel, cls.template, cls.alert = cls.alert_records(cls.org)
        foreign = cls.alert_records(cls.other_org)
        cls.foreign_ids = sorted({*cls.foreign_ids, *(record.pk for record in foreign)})

    @classmethod
    def alert_records(cls, organization):
        channel = alert_actions.save_channel(
            organization,
            {"name": "Guardia", "kind": "webhook",
             "config": {"url": "http://127.0.0.1:9/", "secret": "s" * 20}},
        )  # fmt: skip
        template = alert_actions.save_template(
            organization, {"name": "T", "language": "es-mx", "subject": "S", "body": "B"}
        )
        alert = alert_actions.send_urgent_alert(
            organization,
            subject="S",
            body="B",
            targets=[alert_actions.Target("channel", channel.name, channel)],
            base_url="http://testserver/",
        )
        return channel, template, alert

    def route_values(self, target: Target | None = None) -> dict:
        values = {
            "slug": self.org.slug,
            "channel_id": self.channel.pk,
            "template_id": self.template.pk,
            "urgent_alert_id": self.alert.pk,
            "kind": "webhook",
            "token": "unknown",
        }
        if target is not None:
            values.update(target.route)
        return values


class AlertsFuzz(FormFuzz, AlertsFuzzCase):
    """One test per form of the alerts app (added below)."""


for _target in TARGETS:
    _test = fuzz_test(_target)
    setattr(AlertsFuzz, _test.__name__, _test)


class AlertsFuzzCoverageTests(EveryFormFuzzed, AlertsFuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "the alerts app"
    fuzz_file = "tests/web/test_fuzz_alerts.py"

    def routes(self):
        return alerts_routes()
