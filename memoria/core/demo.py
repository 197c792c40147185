"""The fictional demo network: three organizations in three states, a demo
user for every role. Idempotent: running it again changes nothing.

Everything here is invented. The organizations carry ``is_demo``, and every
page that shows their data says so in a banner.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from memoria.accounts.demo import ensure_demo_device
from memoria.accounts.models import Membership, Organization, User
from memoria.accounts.roles import Role
from memoria.places.models import State

# Printed by ``memoria demo``; the demo is refused in production.
DEMO_PASSWORD = "memoria-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoOrganization:
    slug: str
    name: str
    kind: str
    state_codes: tuple[str, ...]
    mail_domain: str
    description: str
    people: tuple[str, str, str, str]  # invented names: coordinator, documenter, analyst, reader


DEMO_ORGANIZATIONS = (
    DemoOrganization(
        slug="sierra-viva",
        name="Centro de Derechos Humanos Sierra Viva (demo)",
        kind=Organization.Kind.HUMAN_RIGHTS_CENTRE,
        state_codes=("08", "10"),
        mail_domain="sierra-viva.example",
        description="Centro ficticio que documenta desapariciones y ejecuciones en la sierra.",
        people=("Rosa Elena Quintero", "Martín Bustillos Ochoa", "Itzel Carrasco", "Joel Anchondo"),
    ),
    DemoOrganization(
        slug="voces-que-buscan",
        name="Colectivo Voces que Buscan (demo)",
        kind=Organization.Kind.SEARCH_COLLECTIVE,
        state_codes=("14", "18"),
        mail_domain="voces-que-buscan.example",
        description="Colectivo ficticio de familias que buscan a sus personas desaparecidas.",
        people=("Guadalupe Arreola", "Teresa Villaseñor", "Óscar Lomelí Durán", "Marisol Ceja"),
    ),
    DemoOrganization(
        slug="red-periodistas-golfo",
        name="Red de Periodistas del Golfo (demo)",
        kind=Organization.Kind.JOURNALISTS_NETWORK,
        state_codes=("30", "28"),
        mail_domain="periodistas-golfo.example",
        description="Red ficticia de periodistas que se acompañan con protocolos de seguridad.",
        people=("Noemí Xala Contreras", "Rubén Vázquez Tlapa", "Karla Huesca", "Emilio Pale Ortiz"),
    ),
)

# The local part of each demo user's address, by role.
DEMO_MAILBOXES = {
    Role.COORDINATOR: "coordinacion",
    Role.DOCUMENTER: "documentacion",
    Role.ANALYST: "analisis",
    Role.READER: "lectura",
}


@transaction.atomic
def load_demo_network(cases: int = 0, progress=None) -> dict[Organization, list[tuple[User, str]]]:
    """Create (or find) the demo organizations and users; return them for printing.

    Then the directory profiles, counts-only agreements between the organizations
    (their network figures), the search for the disappeared (files, sites, a
    brigade day, remains and their ranked candidates), anonymous reports, a
    published public site, four fictional lists whose linkage is queued for the
    worker, and a handful of a partner's fictional people shared by name with the
    linkage's organization: each app's ``demo`` module, through its actions.

    With ``cases``, each organization also gets that many fictional cases
    (``memoria.cases.demo``; skipped where it has some); ``progress(organization,
    done, total)`` hears how far each has got.
    """
    from memoria.analysis.demo import load_demo_linkage, load_demo_shared_people
    from memoria.cases.demo import load_demo_cases
    from memoria.network.demo import load_demo_agreements, load_demo_profiles
    from memoria.public.demo import load_demo_publication
    from memoria.reports.demo import load_demo_reports
    from memoria.search.demo import load_demo_search

    network = {}
    for spec in DEMO_ORGANIZATIONS:
        organization, _ = Organization.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "description": spec.description,
                "contact_email": f"contacto@{spec.mail_domain}",
                "is_demo": True,
            },
        )
        organization.states.add(*State.objects.filter(code__in=spec.state_codes))
        network[organization] = [
            (_demo_user(organization, spec, role, name), role)
            for role, name in zip(DEMO_MAILBOXES, spec.people, strict=True)
        ]
        if cases:
            report = (
                (lambda done, total, o=organization: progress(o, done, total)) if progress else None
            )
            load_demo_cases(organization, cases, progress=report)
    load_demo_profiles()
    load_demo_agreements()  # after the cases: the partners' counts are built from them
    load_demo_search()  # after the cases: the files are on their disappeared people
    load_demo_reports()
    load_demo_publication()  # after the cases: the figures are built from them
    load_demo_linkage()  # queued: the worker links the lists
    load_demo_shared_people()  # a partner's fictional people, offered to the linkage form
    return network


def _demo_user(organization: Organization, spec: DemoOrganization, role: str, name: str) -> User:
    email = f"{DEMO_MAILBOXES[role]}@{spec.mail_domain}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=f"{name} (demo)")
    Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": role})
    ensure_demo_device(user)  # every member signs in with a code; the demo's is published
    return user
