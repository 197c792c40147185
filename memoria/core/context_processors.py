from __future__ import annotations

from django.conf import settings

from memoria.accounts.models import Organization
from memoria.accounts.roles import CAPABILITIES, Capability
from memoria.protection.overdue import open_alert_count

# Which entry of the navigation a page belongs to, by URL name (the rest: none).
NAV_SECTIONS = {
    "accounts:dashboard": "dashboard",
    "cases:people": "people",
    "cases:person": "people",
    "cases:person_edit": "people",
    "cases:person_to_case": "people",
    "cases:statistics": "figures",
    "public:settings": "public",
    "accounts:members": "members",
    "accounts:invite": "members",
    "audit:log": "audit",
    "core:home": "home",
    "accounts:account": "account",
    "accounts:password_change": "account",
    "accounts:password_change_done": "account",
    "accounts:two_factor_setup": "account",
    "accounts:recovery_codes": "account",
}


def _nav_section(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.view_name in NAV_SECTIONS:
        return NAV_SECTIONS[match.view_name]
    if match.namespace in ("cases", "cases_io"):
        return "cases"
    if match.namespace == "victims":
        return "figures" if match.url_name.startswith("figures") else "victims"

    if match.namespace == "checkins" and match.url_name in ("list", "watch"):
        return "checkins"
    if match.namespace == "alerts":
        return "alerts"
    if match.namespace == "protection":
        return "protection"
    if match.namespace == "analysis":
        return "analysis"
    if match.namespace == "network":
        return "network"
    if match.namespace == "reports" and not match.url_name.startswith("public"):
        return "reports"
    if match.namespace == "search":
        return "search"
    return ""


def platform(request):
    """What the base template needs on every page: the user's organizations,
    what the current member may do, whether the install holds fictional demo
    data (then every page says so), and the languages to choose from.

    The navigation names the current organization, or on pages outside any
    organization (the account page) the member's only one.
    """
    memberships = []
    if request.user.is_authenticated:
        memberships = list(request.user.memberships.select_related("organization"))
    membership = getattr(request, "membership", None)
    nav_membership = membership or (memberships[0] if len(memberships) == 1 else None)
    nav_capabilities = CAPABILITIES.get(nav_membership.role, ()) if nav_membership else ()
    nav_protection_alerts = 0
    if Capability.READ_PROTECTION in nav_capabilities:
        nav_protection_alerts = open_alert_count(nav_membership.organization)
    return {
        "capabilities": CAPABILITIES.get(membership.role, frozenset()) if membership else (),
        "memberships": memberships,
        "current_organization": getattr(request, "organization", None),
        "nav_organization": nav_membership.organization if nav_membership else None,
        "nav_capabilities": nav_capabilities,
        "nav_protection_alerts": nav_protection_alerts,
        "nav_section": _nav_section(request),
        "shows_demo_data": Organization.objects.filter(is_demo=True).exists(),
        "available_languages": settings.LANGUAGES,
    }
