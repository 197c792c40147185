"""Re-authentication for exports and key operations.

``@recent_auth_required`` lets a view run only if the user confirmed their
password (and their two-factor code, when they have a device) within the last
``REAUTH_WINDOW``; otherwise it redirects to the confirmation page, which
comes back to the same address. Stack it inside ``organization_view`` so an
outsider still gets 404 and a role without the capability 403 first::

    @organization_view(Capability.EXPORT_IDENTITIES)
    @recent_auth_required
    def export_people(request, membership): ...
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

REAUTH_WINDOW = timedelta(minutes=10)
REAUTH_SESSION_KEY = "memoria_reauth_at"


def mark_recent_auth(request) -> None:
    """Record that the user has just proved who they are (password and code)."""
    request.session[REAUTH_SESSION_KEY] = timezone.now().timestamp()


def has_recent_auth(request) -> bool:
    at = request.session.get(REAUTH_SESSION_KEY)
    if at is None:
        return False
    return 0 <= timezone.now().timestamp() - float(at) <= REAUTH_WINDOW.total_seconds()


def reauth_url(next_path: str) -> str:
    return f"{reverse('accounts:reauth')}?{urlencode({'next': next_path})}"


def recent_auth_required(view):
    """Decorate a view (any signature) that needs a fresh password and code."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not has_recent_auth(request):
            return redirect(reauth_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    wrapper.requires_recent_auth = True
    return wrapper
