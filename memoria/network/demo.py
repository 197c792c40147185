"""The demo network's profiles in the directory (fictional, like the organizations)."""

from __future__ import annotations

from memoria.accounts.models import Organization
from memoria.network import actions
from memoria.network.models import Capability, OrganizationProfile

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
