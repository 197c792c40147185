"""Walk every URL pattern: outsiders get 404, roles without the right get 403.

New pages are covered without being listed: any view reached under /o/<slug>/
must be decorated with ``organization_view`` (which records its capability),
and any other view must be named below as public or as needing only a login.
"""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver

from memoria.accounts.roles import CAPABILITIES, Role
from tests.web.base import MemoriaTestCase

PUBLIC = {
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:accept_invitation",
    "alerts:acknowledge",
    "core:healthz",
    "set_language",
    # The person's secret check-in link: the token in the path is the credential.
    "checkins:page",
    # Anonymous reports from the public (memoria.reports): no sign-in by design, and
    # 404 for an organization that does not receive reports (tests/web/test_reports.py).
    "reports:public_form",
    "reports:public_add",
    "reports:public_feed",
    # The public site (memoria.public): aggregates after suppression and the consented
    # memorial, 404 until a coordinator publishes (tests/web/test_public.py).
    "public:home",
    "public:data",
    "public:csv",
    "public:hxl",
    "public:json",
    "public:memorial",
    "public:incidents",
}
# The JSON API (memoria.checkins.api) authenticates with API tokens, not sessions:
# tests/web/test_checkins_api.py checks each operation answers 401 without one.
API = {
    "api:api-root",
    "api:openapi-json",
    "api:list_people",
    "api:get_watch",
    "api:put_schedule",
    "api:put_ladder",
    "api:post_link",
    "api:staff_check_in",
    "api:staff_pause",
    "api:staff_panic",
    "api:staff_resolve",
    "api:list_channels",
    "api:create_channel",
    "api:link_act",
}
LOGIN_ONLY = {
    "core:home",
    "accounts:password_change",
    "accounts:password_change_done",
    "places:state_municipalities",
    "places:search",
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "accounts:reauth",
    "accounts:account",
    "accounts:recovery_codes",
    "checkins:api_tokens",
    "checkins:revoke_api_token",
}


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.callback


def fill(route: str, slug: str) -> str:
    """A concrete path for a route: the organization's slug, and 1 for other parameters."""
    path = route.replace("<slug:slug>", slug)
    path = re.sub(r"<int:\w+>", "1", path)
    path = re.sub(r"<(str|slug|uuid):\w+>", "x", path)
    return "/" + path.lstrip("^").rstrip("$")


def organization_routes():
    """The members' pages of an organization (not its public site, /p/<slug>/, nor its
    public report pages, /r/<slug>/)."""
    for name, route, callback in walk(get_resolver().url_patterns):
        if route.startswith("o/<slug:slug>"):
            yield name, route, callback


class UrlWalkTests(MemoriaTestCase):
    def test_it_classifies_every_url_pattern(self):
        for name, route, callback in walk(get_resolver().url_patterns):
            with self.subTest(name=name):
                if route.startswith("o/"):
                    self.assertTrue(
                        hasattr(callback, "required_capability"),
                        f"{name} is under /o/ but not protected by organization_view",
                    )
                else:
                    self.assertIn(name, PUBLIC | LOGIN_ONLY | API, f"{name} is not classified")

    def test_it_finds_organization_pages_to_check(self):
        self.assertGreaterEqual(len(list(organization_routes())), 5)

    def test_it_answers_404_to_outsiders_on_every_organization_page(self):
        self.client.force_login(self.outsider)
        for name, route, _callback in organization_routes():
            path = fill(route, self.org.slug)
            for method in ("get", "post"):
                with self.subTest(name=name, method=method):
                    response = getattr(self.client, method)(path)
                    self.assertEqual(response.status_code, 404)

    def test_it_answers_403_to_roles_without_the_capability(self):
        for role, user in self.personas().items():
            self.client.force_login(user)
            for name, route, callback in organization_routes():
                path = fill(route, self.org.slug)
                allowed = callback.required_capability in CAPABILITIES[role]
                for method in ("get", "post"):
                    with self.subTest(role=role, name=name, method=method):
                        status = getattr(self.client, method)(path).status_code
                        if allowed:
                            self.assertNotEqual(status, 403)
                        else:
                            self.assertEqual(status, 403)

    def test_it_sends_anonymous_visitors_to_the_login_page(self):
        for name, route, _callback in organization_routes():
            with self.subTest(name=name):
                response = self.client.get(fill(route, self.org.slug))
                self.assertEqual(response.status_code, 302)
                self.assertIn("/accounts/login/", response["Location"])

    def test_it_hides_organization_pages_for_unknown_slugs(self):
        self.client.force_login(self.coordinator)
        self.assertEqual(self.client.get("/o/no-existe/").status_code, 404)

    def test_it_gives_the_reader_read_only_access(self):
        # Reading only: the cases, the victims' path through the victims' law, protection,
        # the anonymous reports' queue and the search for the disappeared.
        self.assertEqual(
            set(CAPABILITIES[Role.READER]),
            {"read_records", "follow_victims", "read_protection", "read_reports", "read_search"},
        )
