"""Shared fixtures of the anonymous-reports tests."""

from __future__ import annotations

import re

from django.core.cache import cache

from memoria.reports import actions
from memoria.reports.models import ReportChannel
from tests.web.cases_fixtures import term

ADDRESS = "203.0.113.77"
USER_AGENT = "MemoriaZyxwvutBrowser/9.9 (Quetzalcoatl Phone)"
TOKEN_FIELD = re.compile(r'name="form_token" value="([^"]+)"')
CODE = re.compile(r"<output>([A-Z0-9-]+)</output>")


def open_channel(organization) -> None:
    ReportChannel.objects.update_or_create(organization=organization, defaults={"is_open": True})


def form_token(client, path: str) -> str:
    response = client.get(path)
    return TOKEN_FIELD.search(response.content.decode()).group(1)


def report_data(**overrides) -> dict:
    data = {
        "what": "Hombres armados se llevaron al locutor de la radio comunitaria frente al mercado.",
        "year": "2026",
        "month": "5",
        "day": "",
        "state": "08",
        "municipality": "08017",
        "violation_type": term("violation_type", "enforced_disappearance").pk,
        "contact": "",
    }
    data.update(overrides)
    return data


def submit(client, organization, **overrides):
    """Send a report through the public form as a browser would (form first, then post)."""
    path = f"/r/{organization.slug}/"
    data = report_data(form_token=form_token(client, path), **overrides)
    return client.post(path, data, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=USER_AGENT)


def receipt_code(response) -> str:
    return CODE.search(response.content.decode()).group(1)


def receive(organization, **overrides):
    """A report stored directly through the action, with its receipt."""
    from memoria.reports.forms import ReportForm

    data = report_data(form_token="x", **overrides)
    form = ReportForm(data, organization=organization)
    assert form.is_valid(), form.errors
    return actions.receive_report(organization, form.cleaned_data)


def reset_limits() -> None:
    cache.clear()
