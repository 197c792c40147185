"""Fixtures for the web tests: Playwright driving Debian's chromium, and process platforms.

Chromium is never downloaded by Playwright here; it comes from the system
(``apt-get install chromium``). Without it the browser tests are skipped on a
developer's machine and fail in CI (CI=true), where .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MEMORIA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium not found at {CHROMIUM}; .ci/run must install it")
        pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the test's ORM
    # calls are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    """A phone-sized page that records every request leaving for another host."""
    yield from _page(browser)


@pytest.fixture
def audit_page(browser):
    """Like phone_page, but lets the test inject axe-core despite the site's CSP."""
    yield from _page(browser, bypass_csp=True)


def _page(browser, **options):
    context = browser.new_context(viewport=PHONE, locale="es-MX", **options)
    page = context.new_page()
    page.external_requests = []

    def watch(request):
        if not request.url.startswith(("http://localhost", "http://127.0.0.1", "data:")):
            page.external_requests.append(request.url)

    page.on("request", watch)
    yield page
    context.close()


AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def accessibility_violations(page, impacts=("serious", "critical")) -> list[str]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; describe serious violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]


@pytest.fixture(scope="session")
def platform_template(tmp_path_factory):
    """One migrated platform per test process; each process test's platform is a copy."""
    from tests.web.test_jobs_process import Platform, postgres_server_url

    template = Platform(tmp_path_factory.mktemp("plantilla"), postgres_server_url())
    yield template
    template.close()
