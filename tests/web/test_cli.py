"""The ``memoria`` command: help everywhere, the demo network, and a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import closing

import pytest
from django.test import TestCase

from memoria.accounts.models import Membership, Organization, User
from memoria.cli import COMMANDS, build_parser
from memoria.core.demo import DEMO_ORGANIZATIONS, load_demo_network


def memoria(*args: str, env: dict | None = None, timeout: int = 120):
    return subprocess.run(
        [sys.executable, "-m", "memoria", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_every_subcommand_has_help():
    parser = build_parser()
    subparsers = parser._subparsers._group_actions[0].choices
    assert len(subparsers) == len(COMMANDS)
    for name, subparser in subparsers.items():
        assert subparser.format_help().startswith("usage: memoria"), name


def test_top_level_help_lists_the_commands():
    result = memoria("--help")
    assert result.returncode == 0
    for name in ("serve", "demo", "manage", "link", "estimate"):
        assert name in result.stdout


def test_bad_configuration_is_one_clear_line(tmp_path):
    result = memoria("demo", env={"MEMORIA_DATA_DIR": str(tmp_path), "MEMORIA_DEBUG": "maybe"})
    assert result.returncode == 2
    assert "MEMORIA_DEBUG must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_is_refused_in_production(tmp_path):
    env = {
        "MEMORIA_DATA_DIR": str(tmp_path),
        "MEMORIA_PRODUCTION": "1",
        "MEMORIA_SECRET_KEY": "s" * 64,
        "MEMORIA_ALLOWED_HOSTS": "memoria.example",
    }
    result = memoria("demo", env=env)
    assert result.returncode == 2
    assert "never loaded when MEMORIA_PRODUCTION is on" in result.stderr


class DemoNetworkTests(TestCase):
    def test_it_creates_three_fictional_organizations_with_every_role(self):
        load_demo_network()
        organizations = Organization.objects.filter(is_demo=True)
        self.assertEqual(organizations.count(), 3)
        self.assertEqual(
            {tuple(sorted(s.code for s in o.states.all())) for o in organizations},
            {tuple(sorted(spec.state_codes)) for spec in DEMO_ORGANIZATIONS},
        )
        for organization in organizations:
            roles = set(organization.memberships.values_list("role", flat=True))
            self.assertEqual(roles, {"coordinator", "documenter", "analyst", "reader"})

    def test_it_is_idempotent(self):
        load_demo_network()
        counts = (Organization.objects.count(), User.objects.count(), Membership.objects.count())
        load_demo_network()
        self.assertEqual(
            (Organization.objects.count(), User.objects.count(), Membership.objects.count()),
            counts,
        )


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return response.status, response.headers, response.read()


@pytest.mark.slow
def test_serve_runs_gunicorn_with_static_files(tmp_path):
    port = free_port()
    env = {**os.environ, "MEMORIA_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite in the data directory
    server = subprocess.Popen(
        [sys.executable, "-m", "memoria", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _headers, body = fetch(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("server did not start") from None
                time.sleep(0.5)
        assert (status, body) == (200, b"ok")
        status, headers, body = fetch(f"{base}/static/memoria/memoria.css")
        assert status == 200 and b"--accent" in body
        status, headers, body = fetch(f"{base}/accounts/login/")
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert b"Entrar" in body
        # A name typed into an address (an old bookmark of a search) stays out of the log.
        fetch(f"{base}/o/sierra-viva/people/?q=Zacar%C3%ADas+Tlacuache")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "gunicorn" in output.lower() or "Booting worker" in output
    assert "could not load the case indexes" not in output  # warmed at start without error
    assert '"GET /o/sierra-viva/people/" 302' in output  # the request is logged...
    assert "Tlacuache" not in output and "Zacar" not in output  # ...without what was typed
