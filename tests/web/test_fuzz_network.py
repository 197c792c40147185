"""Hostile and random values sent to every form of the network's pages.

The same fuzz as the case forms (``tests/web/test_fuzz_forms.py``): every
response below 500, a refused request writes nothing, a success writes its
record and its audit entries, nothing echoes a script. A referral's entries
go to both organizations' logs: the partner's are checked here, the rest by
the shared check. ``test_it_fuzzes_every_form_of_the_network`` walks the URL
conf: a new page of the app fails it until it is fuzzed here or named as
having no form.
"""

from __future__ import annotations

import datetime
import uuid

from django.urls import get_resolver

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.cases import actions as case_actions
from memoria.exchange import actions as exchange
from memoria.exchange.bundle import Identity
from memoria.exchange.models import RemoteAgreement
from memoria.network import actions
from memoria.network.models import OrganizationProfile, Referral
from memoria.sharing import agreements
from memoria.sharing.models import Agreement
from tests.web.base import make_member
from tests.web.test_fuzz_forms import EveryFormFuzzed, FormFuzz, FuzzCase, Target, fuzz_test, walk

# A refused answer shows the referral again, with what travelled: that read is audited.
# (``share.viewed`` in the sender's log, ``share.read`` in the reader's).
SHOWS_REFERRAL = frozenset({"referral.view", "share.viewed", "share.read"})

TARGETS = [
    Target(
        "network:directory",
        method="get",
        succeeds=lambda response: response.status_code == 200,
        always_writes=False,
        audited=False,
        examples=5,
    ),
    Target(
        "network:figures",
        method="get",
        succeeds=lambda response: response.status_code == 200,
        always_writes=False,
        audited=False,  # a read of partners' counts is audited; counts only, nobody named
        examples=5,
    ),
    Target(
        "network:referrals",
        method="get",
        succeeds=lambda response: response.status_code == 200,
        always_writes=False,
        examples=3,
    ),
    Target(
        "network:profile_edit",
        role=Role.COORDINATOR,
        edits=(OrganizationProfile, "profile"),
        valid=lambda case: {"capabilities": "legal", "states": "08"},
        examples=5,
    ),
    Target(
        "network:new_case",
        creates=Referral,
        valid=lambda case: {"recipient": case.partner.pk, "capability": "legal"},
        examples=5,
    ),
    Target(
        "network:new_person",
        creates=Referral,
        valid=lambda case: {"recipient": case.partner.pk, "capability": "shelter"},
        examples=5,
    ),
    Target(
        "network:answer",
        edits=(Referral, "incoming"),
        form_on="network:referral",
        refusal_audit=SHOWS_REFERRAL,
        route_fixtures={"referral_id": "incoming"},
        valid=lambda case: {"decision": "accept"},
        examples=5,
    ),
    Target(
        "network:progress",
        edits=(Referral, "accepted"),
        form_on="network:referral",
        refusal_audit=SHOWS_REFERRAL,
        route_fixtures={"referral_id": "accepted"},
        fieldless=True,
    ),
    Target(
        "network:close",
        edits=(Referral, "outgoing"),
        form_on="network:referral",
        refusal_audit=SHOWS_REFERRAL,
        route_fixtures={"referral_id": "outgoing"},
        fieldless=True,
    ),
    Target(
        "network:follow_up",
        edits=(Referral, "outgoing"),
        form_on="network:referral",
        refusal_audit=SHOWS_REFERRAL,
        route_fixtures={"referral_id": "outgoing"},
        valid=lambda case: {"follow_up_on": "2026-05-01"},
        examples=5,
    ),
]

# A refused answer or revoke shows the agreement again: that read is audited.
SHOWS_AGREEMENT = frozenset({"agreement.view"})

TARGETS += [
    Target(
        "network:agreement_new",
        role=Role.COORDINATOR,
        creates=Agreement,
        valid=lambda case: {
            "partner": case.partner.pk,
            "level": "named",
            "kinds": "cases.event",
            "event_fields": "title",
            "purpose": "Acompañamiento",
            "valid_until": "2099-01-01",
        },
        examples=8,
    ),
    Target(
        "network:agreement_answer",
        role=Role.COORDINATOR,
        edits=(Agreement, "incoming_agreement"),
        form_on="network:agreement",
        refusal_audit=SHOWS_AGREEMENT,
        route_fixtures={"agreement_id": "incoming_agreement"},
        valid=lambda case: {"decision": "decline"},
        examples=5,
    ),
    Target(
        "network:agreement_revoke",
        role=Role.COORDINATOR,
        edits=(Agreement, "our_agreement"),
        form_on="network:agreement",
        refusal_audit=SHOWS_AGREEMENT,
        route_fixtures={"agreement_id": "our_agreement"},
        fieldless=True,
    ),
    Target(
        "network:remote_agreement_new",
        role=Role.COORDINATOR,
        creates=RemoteAgreement,
        valid=lambda case: {
            "partner": case.remote_agreement.partner_id,
            "partner_organization": "centro",
            "direction": "outgoing",
            "level": "named",
            "kinds": "cases.event",
            "event_fields": "title",
            "purpose": "Acompañamiento",
            "valid_until": "2099-01-01",
        },
        examples=8,
    ),
    Target(
        "network:remote_agreement_revoke",
        role=Role.COORDINATOR,
        edits=(RemoteAgreement, "remote_agreement"),
        form_on="network:remote_agreement",
        refusal_audit=frozenset({"exchange.agreement_view"}),
        route_fixtures={"agreement_id": "remote_agreement"},
        fieldless=True,
    ),
]

NO_FORM = {
    "network:partner",
    "network:report",
    "network:referral",
    "network:agreements",
    "network:agreement",
    "network:remote_agreement",
}


def network_routes() -> dict:
    return {
        name: pattern
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__.startswith("memoria.network")
    }


class NetworkFuzzCase(FuzzCase):
    """A partner organization; referrals to it and from it; the organization's profile."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.partner = Organization.objects.create(
            name="Organización aliada", slug="aliada", kind=Organization.Kind.OTHER
        )
        partner_user = make_member(cls.partner, "p@aliada.example", Role.DOCUMENTER, "Pía")
        cls.profile = actions.save_profile(
            cls.org, cls.coordinator, {"capabilities": ["forensic"], "summary": "Peritajes"}, None
        )
        cls.outgoing = actions.send_referral(
            cls.org,
            cls.documenter,
            {"recipient": cls.partner, "capability": "legal", "event_fields": ["title"]},
            event=cls.event,
        )
        their_case = case_actions.register_case(
            cls.partner, partner_user, {"title": "Caso aliado", "status": "open"}
        )
        cls.incoming, cls.accepted = (
            actions.send_referral(
                cls.partner,
                partner_user,
                {"recipient": cls.org, "capability": "search", "event_fields": ["title"]},
                event=their_case,
            )
            for _ in range(2)
        )
        cls.accepted = actions.answer_referral(
            cls.accepted, cls.documenter, accept=True, version=cls.accepted.version
        )
        foreign = actions.send_referral(
            cls.other_org,
            cls.outsider,
            {"recipient": cls.partner, "capability": "legal"},
            event=case_actions.register_case(
                cls.other_org, cls.outsider, {"title": "Ajeno", "status": "open"}
            ),
        )
        terms = {"fields": {"cases.event": ["title"]}, "purpose": "Acompañamiento",
                 "valid_until": datetime.date(2099, 1, 1), "level": "named"}  # fmt: skip
        cls.our_agreement = agreements.propose(
            cls.org, cls.coordinator, {**terms, "partner": cls.partner}
        )
        cls.incoming_agreement = agreements.propose(
            cls.partner, partner_user, {**terms, "partner": cls.org}
        )
        foreign_agreement = agreements.propose(
            cls.other_org, cls.outsider, {**terms, "partner": cls.partner}
        )
        partner_keys = Identity.generate().public
        installation = exchange.add_partner("coalicion", partner_keys, partner_keys.fingerprint)
        cls.remote_agreement = exchange.add_agreement(
            cls.org, installation, direction="incoming", partner_organization="centro",
            uuid=str(uuid.uuid4()), **{**terms, "level": "pseudonymized",
                                       "fields": {"cases.event": ["status"]}},
        )  # fmt: skip
        cls.foreign_ids = sorted(
            {*cls.foreign_ids, foreign.pk, cls.partner.pk, foreign_agreement.pk}
        )

    def route_values(self, target: Target | None = None) -> dict:
        values = super().route_values(target)
        values.setdefault("referral_id", self.outgoing.pk)
        values.setdefault("agreement_id", self.our_agreement.pk)
        values["partner"] = self.partner.slug
        return values


class NetworkFuzz(FormFuzz, NetworkFuzzCase):
    """One test per form of the network (added below)."""

    def check_write(self, target, plan, before, after, diff, where) -> None:
        added = diff.added.get("AuditEntry", set())
        partners = {
            pk for pk in added if after["AuditEntry"][pk]["organization_id"] == self.partner.pk
        }
        for pk in partners:
            self.assertEqual(after["AuditEntry"][pk]["actor_id"], self.user.pk, where)
        if partners:
            diff.added["AuditEntry"] = added - partners
        super().check_write(target, plan, before, after, diff, where)


for _target in TARGETS:
    _test = fuzz_test(_target)
    setattr(NetworkFuzz, _test.__name__, _test)


class NetworkFuzzCoverageTests(EveryFormFuzzed, NetworkFuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "the network"
    fuzz_file = "tests/web/test_fuzz_network.py"

    def routes(self):
        return network_routes()
