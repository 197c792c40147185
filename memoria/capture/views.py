"""The capture page, its service worker, and the two requests it makes when online.

The page and the service worker carry nothing about any record: the page is
kept on the phone (the service worker's cache) so it opens without a
connection. It holds no CSRF token either, since a token kept for days would
expire with the session: the page asks ``token`` for a fresh one just before
sending (docs/offline.md).
"""

from __future__ import annotations

import hashlib
import json

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.capture.actions import DraftMismatch, receive_testimony
from memoria.capture.forms import DraftForm
from memoria.places.models import State

ASSETS = ("memoria/memoria.css", "capture/capture.css", "capture/capture.js", "memoria/favicon.svg")
MAX_BODY = 256 * 1024  # a draft is text: a long testimony is well under this


def _urls(slug: str) -> dict[str, str]:
    return {
        "page": reverse("capture:page", args=[slug]),
        "worker": reverse("capture:worker", args=[slug]),
        "token": reverse("capture:token", args=[slug]),
        "send": reverse("capture:send", args=[slug]),
        "cases": reverse("cases:list", args=[slug]),
    }


def _messages() -> dict[str, str]:
    """What the page's script says, translated here: the page works without the server."""
    return {
        "online": _("Connected."),
        "offline": _("No connection: drafts are kept on this phone, encrypted."),
        "stored": _("Drafts on this phone: %(count)s"),
        "locked": _("Locked. Enter your passphrase to write or send drafts."),
        "unlocked": _("Unlocked. Lock before you put the phone away."),
        "wrong": _("That passphrase does not open the drafts on this phone."),
        "mismatch": _("The two passphrases differ."),
        "short": _("Use at least 12 characters."),
        "saved": _("Draft saved on this phone, encrypted."),
        "nothing": _("There are no drafts to send."),
        "sent": _("Sent: case #%(number)s."),
        "again": _("Already received before: case #%(number)s."),
        "refused": _("Not sent, correct it: %(errors)s"),
        "conflict": _(
            "Not sent: a draft with the same identifier was received with another content "
            "(case #%(number)s)."
        ),
        "signin": _(
            "Your session ended. Sign in again, then come back to this page to send: "
            "the drafts stay on this phone, encrypted."
        ),
        "noconnection": _("No connection: the remaining drafts stay on this phone."),
        "forbidden": _("Your role does not allow sending testimonies."),
        "unsupported": _(
            "This browser cannot keep encrypted drafts (it lacks WebCrypto, IndexedDB or "
            "service workers). Use an up-to-date browser."
        ),
        "untitled": _("(untitled)"),
    }


@organization_view(Capability.EDIT_RECORDS)
@require_GET
def capture_page(request, membership):
    context = {
        "organization": membership.organization,
        "states": State.objects.order_by("name"),
        "urls": _urls(membership.organization.slug),
        "messages_for_script": _messages(),
    }
    return render(request, "capture/page.html", context)


@organization_view(Capability.EDIT_RECORDS)
@require_GET
def service_worker(request, membership):
    """The service worker, scoped to the capture page's path (its own folder)."""
    urls = _urls(membership.organization.slug)
    assets = [static(name) for name in ASSETS]
    # A new version (new asset names, a new page address) replaces the old cache.
    version = hashlib.sha256(json.dumps([urls["page"], assets]).encode()).hexdigest()[:12]
    context = {
        "cache_prefix": json.dumps(f"memoria-capture-{membership.organization.slug}-"),
        "version": json.dumps(version),
        "page": json.dumps(urls["page"]),
        "assets": json.dumps(assets),
    }
    return render(request, "capture/sw.js", context, content_type="text/javascript")


@organization_view(Capability.EDIT_RECORDS)
@require_GET
def token(request, membership):
    """A fresh CSRF token for the sending that follows (the cached page holds none)."""
    return JsonResponse({"token": get_token(request)})


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def send(request, membership):
    """Receive one draft (JSON). 201: a new case; 200: received before; 400/409: nothing written."""
    if len(request.body) > MAX_BODY:
        return JsonResponse({"errors": {"__all__": [_("The draft is too large.")]}}, status=400)
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse(
            {"errors": {"__all__": [_("The draft could not be read.")]}}, status=400
        )
    form = DraftForm(data={k: v for k, v in payload.items() if isinstance(v, str)})
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    try:
        received = receive_testimony(membership, form.cleaned_data, request=request)
    except DraftMismatch as mismatch:
        return JsonResponse(
            {"status": "conflict", "case": mismatch.receipt.event.number}, status=409
        )
    event = received.receipt.event
    body = {
        "status": "created" if received.created else "received_before",
        "case": event.number,
        "url": reverse("cases:case", args=[membership.organization.slug, event.pk]),
    }
    return JsonResponse(body, status=201 if received.created else 200)
