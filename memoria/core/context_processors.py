from __future__ import annotations

from django.conf import settings

from memoria.accounts.models import Organization
from memoria.accounts.roles import CAPABILITIES


def platform(request):
    """What the base template needs on every page: the user's organizations,
    what the current member may do, whether the install holds fictional demo
    data (then every page says so), and the languages to choose from."""
    memberships = []
    if request.user.is_authenticated:
        memberships = list(request.user.memberships.select_related("organization"))
    membership = getattr(request, "membership", None)
    return {
        "capabilities": CAPABILITIES.get(membership.role, frozenset()) if membership else (),
        "memberships": memberships,
        "current_organization": getattr(request, "organization", None),
        "shows_demo_data": Organization.objects.filter(is_demo=True).exists(),
        "available_languages": settings.LANGUAGES,
    }
