"""The JSON API under /api/v1/: tokens, check-ins by link and by members, OpenAPI, schemathesis."""

from __future__ import annotations

import datetime as dt
import json
import re

import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from memoria.checkins import actions
from memoria.checkins.api import api
from memoria.checkins.models import ApiToken
from tests.web.base import MemoriaTestCase
from tests.web.checkins_fixtures import make_watch


class ApiTestCase(MemoriaTestCase):
    def setUp(self):
        self.watch, self.link, self.contacts, (self.email, self.webhook) = make_watch(
            self.org, self.coordinator
        )
        self.person = self.watch.person
        _, self.token = actions.create_api_token(self.documenter, "teléfono")
        _, self.coordinator_token = actions.create_api_token(self.coordinator, "bot")
        self.base = f"/api/v1/organizations/{self.org.slug}/people/{self.person.pk}"

    def call(self, method, path, body=None, token=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token or self.token}"}
        if method == "get":
            return self.client.get(path, **headers)
        return getattr(self.client, method)(
            path, data=json.dumps(body or {}), content_type="application/json", **headers
        )


class ApiTests(ApiTestCase):
    def test_it_serves_its_openapi_document(self):
        response = self.client.get("/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertTrue(document["openapi"].startswith("3."))
        paths = document["paths"]
        for path in (
            "/api/v1/organizations/{slug}/people/{person_id}/check-in",
            "/api/v1/organizations/{slug}/people/{person_id}/pause",
            "/api/v1/organizations/{slug}/people/{person_id}/panic",
            "/api/v1/organizations/{slug}/people/{person_id}/schedule",
            "/api/v1/organizations/{slug}/people/{person_id}/ladder",
            "/api/v1/organizations/{slug}/channels",
            "/api/v1/link/{token}",
        ):
            self.assertIn(path, paths)
        self.assertEqual(self.client.get("/api/v1/docs").status_code, 404)

    def test_it_refuses_requests_without_a_valid_token(self):
        self.assertEqual(self.client.get(self.base + "/watch").status_code, 401)
        self.assertEqual(self.call("get", self.base + "/watch", token="mem_wrong").status_code, 401)
        row = ApiToken.objects.get(user=self.documenter)
        actions.revoke_api_token(self.documenter, row.pk)
        self.assertEqual(self.call("get", self.base + "/watch").status_code, 401)

    def test_every_operation_but_the_document_and_the_link_asks_for_a_token(self):
        document = self.client.get("/api/v1/openapi.json").json()
        for path, operations in document["paths"].items():
            for method in operations:
                concrete = path.replace("{slug}", self.org.slug)
                concrete = concrete.replace("{person_id}", str(self.person.pk))
                concrete = concrete.replace("{token}", self.link)
                with self.subTest(method=method, path=path):
                    response = getattr(self.client, method)(concrete)
                    if path == "/api/v1/link/{token}":
                        self.assertIn(response.status_code, (400, 422))  # no body
                    else:
                        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.client.get("/api/v1/").status_code, 404)

    def test_it_stores_only_a_hash_of_each_token(self):
        row = ApiToken.objects.get(user=self.documenter)
        self.assertNotEqual(row.token_hash, self.token)
        self.assertTrue(self.token.startswith(row.prefix))

    def test_a_member_sets_a_schedule_and_a_ladder(self):
        response = self.call(
            "put",
            self.base + "/schedule",
            {"times": ["08:00", "20:00"], "grace_minutes": 30, "version": self.watch.version},
        )
        self.assertEqual(response.status_code, 200, response.content)
        watch = response.json()
        self.assertEqual(watch["times"], ["08:00", "20:00"])
        stale = self.call("put", self.base + "/schedule", {"every_hours": 4, "version": 1})
        self.assertEqual(stale.status_code, 409)
        ladder = {
            "version": watch["version"],
            "steps": [
                {
                    "audience": "circle",
                    "delay_minutes": 0,
                    "contacts": [self.contacts[0].pk],
                    "channels": [self.email.pk],
                },
                {"audience": "organization", "delay_minutes": 30, "channels": [self.webhook.pk]},
            ],
        }
        response = self.call("put", self.base + "/ladder", ladder)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            [s["audience"] for s in response.json()["steps"]], ["circle", "organization"]
        )
        ladder["steps"][0]["contacts"] = [999999]
        ladder["version"] = response.json()["version"]
        self.assertEqual(self.call("put", self.base + "/ladder", ladder).status_code, 400)

    def test_check_in_pause_and_panic_through_the_api(self):
        response = self.call("post", self.base + "/check-in")
        self.assertEqual(response.status_code, 200)
        self.assertIsNotNone(response.json()["next_deadline"])
        until = (timezone.now() + dt.timedelta(days=5)).isoformat()
        self.assertEqual(self.call("post", self.base + "/pause", {"until": until}).status_code, 200)
        self.assertEqual(self.call("post", self.base + "/panic").status_code, 200)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.reason, "panic")
        self.assertEqual(self.call("post", self.base + "/resolve").status_code, 200)

    def test_the_link_endpoint_answers_the_duress_code_like_the_check_in_code(self):
        actions.set_codes(self.coordinator, self.watch, code="rio-1234", duress_code="mar-9876")
        url = f"/api/v1/link/{self.link}"
        normal = self.client.post(url, {"act": "check_in", "code": "rio-1234"}, "application/json")
        forced = self.client.post(url, {"act": "check_in", "code": "mar-9876"}, "application/json")
        self.assertEqual(normal.status_code, forced.status_code)
        self.assertEqual(
            re.sub(r"\d", "0", normal.content.decode()), re.sub(r"\d", "0", forced.content.decode())
        )
        wrong = self.client.post(url, {"act": "check_in", "code": "xxxx"}, "application/json")
        self.assertEqual(wrong.status_code, 403)
        self.watch.refresh_from_db()
        self.assertEqual(self.watch.reason, "duress")

    def test_roles_and_organizations_are_enforced(self):
        _, reader_token = actions.create_api_token(self.reader, "r")
        self.assertEqual(
            self.call("get", self.base + "/watch", token=reader_token).status_code, 200
        )
        self.assertEqual(
            self.call("post", self.base + "/check-in", token=reader_token).status_code, 403
        )
        _, outsider_token = actions.create_api_token(self.outsider, "o")
        self.assertEqual(
            self.call("get", self.base + "/watch", token=outsider_token).status_code, 404
        )
        other = f"/api/v1/organizations/{self.other_org.slug}/people/{self.person.pk}/watch"
        self.assertEqual(self.call("get", other, token=outsider_token).status_code, 404)

    def test_analysts_see_no_one_at_risk_through_the_api(self):
        _, analyst_token = actions.create_api_token(self.analyst, "a")
        people = f"/api/v1/organizations/{self.org.slug}/people"
        for path in (
            people,
            self.base + "/watch",
            f"/api/v1/organizations/{self.org.slug}/channels",
        ):
            response = self.call("get", path, token=analyst_token)
            self.assertEqual(response.status_code, 403, path)
            self.assertNotIn(self.person.display_name, response.content.decode())

    def test_coordinators_add_channels_whose_secrets_never_come_back(self):
        path = f"/api/v1/organizations/{self.org.slug}/channels"
        body = {
            "kind": "webhook",
            "name": "Guardia",
            "config": {"url": "https://x.example/h", "secret": "muy-secreto-compartido"},
        }
        self.assertEqual(self.call("post", path, body).status_code, 403)  # a documenter
        response = self.call("post", path, body, token=self.coordinator_token)
        self.assertEqual(response.status_code, 201)
        listing = self.call("get", path)
        self.assertNotIn("muy-secreto-compartido", listing.content.decode())
        self.assertIn("Guardia", listing.content.decode())


class TokenPageTests(MemoriaTestCase):
    def test_a_member_creates_and_revokes_a_token_from_the_account_page(self):
        self.client.force_login(self.documenter)
        response = self.client.post("/accounts/api-tokens/", {"name": "Bot de Signal"})
        token = re.search(r"mem_[-\w]+", response.content.decode()).group(0)
        self.assertIn("no-store", response["Cache-Control"])
        row = ApiToken.objects.get(user=self.documenter)
        self.assertNotContains(self.client.get("/accounts/api-tokens/"), token)
        self.client.post(f"/accounts/api-tokens/{row.pk}/revoke/")
        row.refresh_from_db()
        self.assertIsNotNone(row.revoked_at)
        self.client.force_login(self.outsider)
        self.client.post(f"/accounts/api-tokens/{row.pk}/revoke/")  # not theirs: nothing


SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))


class SchemathesisTests(ApiTestCase):
    """Schemathesis generates requests from the OpenAPI document; no answer may be a 5xx."""

    EXAMPLES = 25

    def test_no_operation_answers_with_a_server_error(self):
        application = get_wsgi_application()
        # The WSGI handler would close the test's connection after each request.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        self.addCleanup(request_started.connect, close_old_connections)
        self.addCleanup(request_finished.connect, close_old_connections)
        operations = [result.ok() for result in SCHEMA.get_all_operations()]
        self.assertGreaterEqual(len(operations), 12)
        failures = []
        seen = {}
        for operation in operations:

            @settings(
                max_examples=self.EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=st.one_of(
                    operation.as_strategy(GenerationMode.POSITIVE),
                    operation.as_strategy(GenerationMode.NEGATIVE),
                ),
                real=st.sampled_from([True, True, True, False]),
                token=st.sampled_from([True, True, True, False]),
            )
            def run(case, real, token):
                params = case.path_parameters or {}
                if real and "slug" in params:
                    params["slug"] = self.org.slug
                if real and "person_id" in params:
                    params["person_id"] = self.person.pk
                if real and "token" in params:
                    params["token"] = self.link
                headers = {"Authorization": f"Bearer {self.coordinator_token}"} if token else {}
                response = case.call(app=application, headers=headers)
                seen[(case.operation.label, response.status_code)] = (
                    seen.get((case.operation.label, response.status_code), 0) + 1
                )
                if response.status_code >= 500:
                    failures.append((case.operation.label, case.as_curl_command()))

            run()
        self.assertEqual(failures, [])
        # The requests reached the code, not only the authentication and validation.
        self.assertTrue({status for _, status in seen} >= {200, 401, 404, 422}, seen)
