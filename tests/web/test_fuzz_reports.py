"""Hostile and random values posted to the public report forms, as an anonymous client.

The same values as the members' form fuzz (tests/web/fuzz.py), sent as raw
bodies: no response is a server error, no page echoes markup, a refused post
writes nothing at all, and an accepted one writes exactly one report (or one
addition) and nothing else, not even an audit entry.
"""

from __future__ import annotations

from django.test import override_settings
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from memoria.accounts.roles import Role
from memoria.cases.models import Event
from memoria.reports import actions as report_actions
from memoria.reports.models import Report, ReportChannel
from tests.web import fuzz
from tests.web.cases_fixtures import CaseFixtures
from tests.web.reports_fixtures import TOKEN_FIELD, open_channel, receive, report_data, reset_limits
from tests.web.test_fuzz_forms import (
    FUZZ_SETTINGS,
    FormFuzz,
    FuzzCase,
    Target,
    fuzz_test,
)

REPORT_FIELDS = [
    "what",
    "year",
    "month",
    "day",
    "state",
    "municipality",
    "violation_type",
    "contact",
    "form_token",
]
ADD_FIELDS = ["code", "text", "form_token"]
VALUES = st.one_of(
    st.sampled_from(fuzz.HOSTILE),
    st.text(max_size=40),
    st.text(max_size=40).map(lambda s: f"<script>{s}</script>"),
    st.integers(-(10**20), 10**20).map(str),
    st.binary(max_size=12),
)


def plans(fields: list[str]):
    """Which fields get a hostile value, which are left out, and which are sent twice."""
    return st.fixed_dictionaries(
        {
            "set": st.dictionaries(st.sampled_from(fields), VALUES, max_size=4),
            "drop": st.lists(st.sampled_from(fields), max_size=2, unique=True),
            "repeat": st.lists(st.sampled_from(fields), max_size=2, unique=True),
        }
    )


KNOWN_REPORT = {"set": {}, "drop": [], "repeat": []}
SCRIPT_EVERYWHERE = {
    "set": dict.fromkeys(REPORT_FIELDS[:-1], fuzz.SCRIPT),
    "drop": [],
    "repeat": [],
}


@override_settings(
    MEMORIA_REPORTS_FORM_MIN_SECONDS=0,
    MEMORIA_REPORTS_RATE_PER_ADDRESS=10**6,
    MEMORIA_REPORTS_RATE_PER_ORGANIZATION=10**6,
)
class PublicReportFuzz(HypothesisTestCase, CaseFixtures):
    def setUp(self):
        super().setUp()
        reset_limits()
        open_channel(self.org)
        self.code = receive(self.org).code

    def post(self, path: str, base: dict, plan: dict):
        page = self.client.get(path).content.decode()
        base = {**base, "form_token": TOKEN_FIELD.search(page)[1]}
        pairs = [
            (name, plan["set"].get(name, value))
            for name, value in base.items()
            if name not in plan["drop"]
        ]
        pairs += [(name, base[name]) for name in plan["repeat"] if name in base]
        body = fuzz.urlencoded([(k, v if isinstance(v, str | bytes) else str(v)) for k, v in pairs])
        before = fuzz.snapshot()
        response = self.client.post(path, body, content_type="application/x-www-form-urlencoded")
        after = fuzz.difference(before, fuzz.snapshot())
        self.assertLess(response.status_code, 500)
        self.assertFalse(fuzz.echoed_markup(pairs, response.content.decode(errors="replace")))
        return response, after

    @settings(max_examples=30, **FUZZ_SETTINGS)
    @given(plan=plans(REPORT_FIELDS))
    @example(plan=KNOWN_REPORT)
    @example(plan=SCRIPT_EVERYWHERE)
    def test_it_survives_hostile_values_in_the_report_form(self, plan):
        data = {**report_data(), "violation_type": str(report_data()["violation_type"])}
        response, after = self.post(f"/r/{self.org.slug}/", data, plan)
        if response.status_code == 200:
            self.assertEqual(after.models(), {"Report"}, after.describe())
            self.assertEqual(len(after.added["Report"]), 1)
        else:
            self.assertFalse(after, after.describe())

    @settings(max_examples=20, **FUZZ_SETTINGS)
    @given(plan=plans(ADD_FIELDS))
    @example(plan=KNOWN_REPORT)
    def test_it_survives_hostile_values_in_the_add_form(self, plan):
        data = {"code": self.code, "text": "Algo más"}
        response, after = self.post(f"/r/{self.org.slug}/add/", data, plan)
        if response.status_code == 200 and b'role="status"' in response.content:
            self.assertEqual(after.models(), {"ReportAddition"}, after.describe())
        else:
            self.assertFalse(after, after.describe())


# -- the moderators' forms, with the machinery of tests/web/test_fuzz_forms.py --------------

MODERATION_TARGETS = [
    Target("reports:verify", edits=(Report, "report"), form_on="reports:detail"),
    Target(
        "reports:reject",
        edits=(Report, "report"),
        form_on="reports:detail",
        valid=lambda case: {"reason": "Un rumor ya desmentido."},
    ),
    Target(
        "reports:duplicate",
        edits=(Report, "report"),
        form_on="reports:detail",
        valid=lambda case: {"original": case.original.pk},
    ),
    Target(
        "reports:case",
        creates=Event,
        form_on="reports:detail",
        route_fixtures={"report_id": "verified_report"},
        fieldless=True,
        examples=3,
    ),
    Target(
        "reports:channel",
        edits=(ReportChannel, "channel"),
        form_on="reports:queue",
        role=Role.COORDINATOR,
        fieldless=True,
        examples=3,
    ),
]


class ModerationFuzzCase(FuzzCase):
    """A new report, an original for it, a verified report, and another organization's."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.channel = ReportChannel.objects.create(organization=cls.org, is_open=True)
        cls.report = receive(cls.org, what="Golpearon a un reportero.").report
        cls.original = receive(cls.org).report
        cls.verified_report = receive(cls.org).report
        report_actions.verify(cls.verified_report, cls.documenter, 1)
        cls.verified_report.refresh_from_db()
        theirs = receive(cls.other_org).report
        cls.foreign_ids = sorted({*cls.foreign_ids, theirs.pk})

    def route_values(self, target: Target | None = None) -> dict:
        values = {**super().route_values(target), "report_id": self.report.pk}
        if target is not None:
            values.update(
                {key: getattr(self, name).pk for key, name in target.route_fixtures.items()}
            )
        return values


class ModerationFuzz(FormFuzz, ModerationFuzzCase):
    """One test per moderation form (added below)."""


for _target in MODERATION_TARGETS:
    _test = fuzz_test(_target)
    setattr(ModerationFuzz, _test.__name__, _test)
