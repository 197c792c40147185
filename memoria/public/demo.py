"""The demo network's public site (fictional figures, like the organizations).

``sierra-viva`` publishes every section of its figures at ``/p/sierra-viva/``,
saved through the coordinator's action (audited, figures built from its demo
cases and suppressed as in real use). Idempotent: a publication already
published, or changed by someone, is left alone.
"""

from __future__ import annotations

from memoria.accounts.demo import demo_member
from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.public import actions
from memoria.public.models import DEFAULT_THRESHOLD, Publication, Section

DEMO_PUBLIC_ORGANIZATION = "sierra-viva"


def load_demo_publication() -> Publication | None:
    """Publish the figures of ``sierra-viva``; None when there was nothing to do."""
    organization = Organization.objects.filter(slug=DEMO_PUBLIC_ORGANIZATION, is_demo=True).first()
    if organization is None:
        return None
    publication = actions.publication_of(organization)
    if publication.published or publication.version > 1:
        return None
    return actions.save_publication(
        organization,
        demo_member(organization, Role.COORDINATOR),
        {
            "published": True,
            "sections": list(Section.values),
            "start_year": None,
            "end_year": None,
            "threshold": DEFAULT_THRESHOLD,
            "licence": "",
            "memorial": False,
        },
        publication.version,
    )
