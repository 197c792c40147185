"""Hostile and random values posted to every form of the check-ins app.

The same fuzz as the case forms (``tests/web/test_fuzz_forms.py``): every
response below 500, a refused request writes nothing, a success writes its
record and its audit entry, nothing echoes a script.
``test_it_fuzzes_every_form_of_the_checkins_app`` walks the URL conf: a new
page of the app fails it until it is fuzzed here or named as having no form.
"""

from __future__ import annotations

import re

from django.urls import get_resolver

from memoria.accounts.roles import Role
from memoria.checkins import actions
from memoria.checkins.models import ApiToken, Watch
from tests.web.checkins_fixtures import make_watch
from tests.web.test_fuzz_forms import EveryFormFuzzed, FormFuzz, FuzzCase, Target, fuzz_test, walk

TARGETS = [
    Target(
        "checkins:watch",
        edits=(Watch, "watch"),
        valid=lambda case: {"every_hours": "8", "times": "", "grace_minutes": "20"},
        # The page shows the person's schedule again, and that view is audited.
        refusal_audit=frozenset({"checkin.view"}),
        examples=15,
    ),
    Target(
        "checkins:set_codes",
        edits=(Watch, "watch"),
        form_on="checkins:watch",
        # Refused codes come back to the schedule page with a message, as saved ones do.
        always_writes=False,
        valid=lambda case: {"code": "rio-1234", "duress_code": "mar-9876"},
    ),
    Target(
        "checkins:issue_link",
        edits=(Watch, "watch"),
        form_on="checkins:watch",
        fieldless=True,
    ),
    Target(
        "checkins:resolve",
        form_on="checkins:watch",
        fieldless=True,
        # Closing an escalation changes the watch's state, not the schedule's version.
        bookkeeping=frozenset({"Watch"}),
        prepare=lambda case: actions.person_acts(case.watch, actions.PANIC),
    ),
    Target(
        "checkins:api_tokens",
        creates=ApiToken,
        # The new token is shown once, whole (the list shows only prefixes).
        succeeds=lambda response: bool(re.search(rb"mem_[-\w]{20,}", response.content)),
        valid=lambda case: {"name": "Bot"},
        in_organization=False,
    ),
    Target(
        "checkins:revoke_api_token",
        role=Role.DOCUMENTER,
        edits=(ApiToken, "api_token"),
        form_on="checkins:api_tokens",
        fieldless=True,
        in_organization=False,
    ),
]

# The person's secret page is posted without a session by whoever holds the link:
# tests/web/test_checkins.py sends it hostile values (test_hostile_posts_...).
NO_FORM = {"checkins:list", "checkins:page"}


def checkins_routes() -> dict:
    return {
        name: pattern
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__.startswith("memoria.checkins")
    }


class CheckinsFuzzCase(FuzzCase):
    """A watched person with a ladder and an API token, and the same in another organization."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.watch, _token, _contacts, _channels = make_watch(cls.org, cls.coordinator)
        cls.api_token, _secret = actions.create_api_token(cls.documenter, "Bot de Signal")
        foreign, _token, _contacts, _channels = make_watch(cls.other_org, cls.outsider)
        foreign_token, _secret = actions.create_api_token(cls.outsider, "Ajeno")
        cls.foreign_ids = sorted(
            {*cls.foreign_ids, foreign.pk, foreign.person_id, foreign_token.pk}
        )

    def route_values(self, target: Target | None = None) -> dict:
        return {
            "slug": self.org.slug,
            "person_id": self.watch.person_id,
            "token_id": self.api_token.pk,
            "token": "unknown",
        }


class CheckinsFuzz(FormFuzz, CheckinsFuzzCase):
    """One test per form of the check-ins app (added below)."""


for _target in TARGETS:
    _test = fuzz_test(_target)
    setattr(CheckinsFuzz, _test.__name__, _test)


class CheckinsFuzzCoverageTests(EveryFormFuzzed, CheckinsFuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "the check-ins app"
    fuzz_file = "tests/web/test_fuzz_checkins.py"
    browse_as = "documenter"
    not_browsed = frozenset({"checkins:page"})

    def routes(self):
        return checkins_routes()
