"""The demo network's profiles in the directory (fictional, like the organizations)."""

from __future__ import annotations

import datetime

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.network import actions
from memoria.network.models import Capability, OrganizationProfile
from memoria.sharing import agreements, rules
from memoria.sharing.models import Agreement, AgreementLevel

DEMO_PROFILES = {
    "sierra-viva": {
        "capabilities": [Capability.LEGAL, Capability.ACCOMPANIMENT, Capability.FORENSIC],
        "languages": ["es", "tarahumara"],
        "summary": "Litigio y acompañamiento de familias de personas desaparecidas en la sierra.",
        "referral_note": "Indiquen el municipio, la fecha de los hechos y si hay denuncia.",
    },
    "voces-que-buscan": {
        "capabilities": [Capability.SEARCH, Capability.ACCOMPANIMENT, Capability.PSYCHOSOCIAL],
        "languages": ["es", "huichol"],
        "summary": "Brigadas de búsqueda en campo y grupos de apoyo entre familias.",
        "referral_note": "Digan si la familia quiere sumarse a las brigadas.",
    },
    "red-periodistas-golfo": {
        "capabilities": [Capability.MEDIA, Capability.SHELTER],
        "languages": ["es", "nahuatl", "totonaco"],
        "summary": "Difusión de casos y refugio temporal para periodistas en riesgo.",
        "referral_note": "",
    },
}


def load_demo_profiles() -> None:
    """Give each demo organization without a profile its fictional one."""
    for slug, values in DEMO_PROFILES.items():
        organization = Organization.objects.filter(slug=slug, is_demo=True).first()
        if organization is None:
            continue
        if OrganizationProfile.objects.filter(organization=organization).exists():
            continue
        states = list(organization.states.all())
        data = {**values, "states": states, "accepts_referrals": True}
        actions.save_profile(organization, None, data, None)


# Who shares its counts with whom (counts-only agreements): the demo's network figures.
DEMO_COUNT_SHARING = (
    ("voces-que-buscan", "sierra-viva"),
    ("red-periodistas-golfo", "sierra-viva"),
    ("sierra-viva", "voces-que-buscan"),
)


def _coordinator(organization: Organization):
    membership = organization.memberships.filter(role=Role.COORDINATOR).first()
    return membership.user if membership else None


def load_demo_agreements() -> None:
    """Counts-only agreements between demo organizations (proposed and accepted through
    the actions), so that their network figures add a partner's counts. Skipped where
    the two already have an agreement."""
    for owner_slug, partner_slug in DEMO_COUNT_SHARING:
        owner = Organization.objects.filter(slug=owner_slug, is_demo=True).first()
        partner = Organization.objects.filter(slug=partner_slug, is_demo=True).first()
        if owner is None or partner is None:
            continue
        if Agreement.objects.filter(organization=owner, partner=partner).exists():
            continue
        data = {
            "partner": partner,
            "level": AgreementLevel.AGGREGATE,
            "fields": {"cases.event": []},
            "purpose": "Sumar nuestras cifras a las de la red (demostración).",
            "valid_until": rules.today() + datetime.timedelta(days=365),
        }
        proposed = agreements.propose(owner, _coordinator(owner), data)
        agreements.answer(proposed, _coordinator(partner), accept=True, version=proposed.version)
