"""Writes of the public site: a coordinator's publication settings, in one transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.public import figures
from memoria.public.models import Publication

SETTINGS = ("published", "sections", "start_year", "end_year", "threshold", "licence", "memorial")


class ConflictError(Exception):
    """Someone saved the settings after this edit began; nothing was written."""

    def __init__(self, current: Publication) -> None:
        super().__init__("the publication changed meanwhile")
        self.current = current


def publication_of(organization) -> Publication:
    """The organization's publication settings (unpublished ones, the first time)."""
    publication, _created = Publication.objects.get_or_create(organization=organization)
    return publication


@transaction.atomic
def save_publication(organization, actor, data: dict, version: int, request=None) -> Publication:
    """Save the settings; when published, build the figures afresh (a new snapshot).

    Every save raises the cache generation, so the public pages change at once.
    """
    publication_of(organization)
    publication = Publication.objects.select_for_update(no_key=True).get(organization=organization)
    if publication.version != version:
        raise ConflictError(publication)
    was_published = publication.published
    for name in SETTINGS:
        if name in data:
            setattr(publication, name, data[name])
    publication.sections = list(publication.sections)
    if publication.published:
        publication.figures = figures.build(publication)
        publication.built_at = timezone.now()
    else:
        publication.figures = {}
        publication.built_at = None
    publication.version = F("version") + 1
    publication.generation = F("generation") + 1
    publication.updated_at = timezone.now()
    publication.updated_by = actor
    publication.save()
    publication.refresh_from_db()
    if publication.published:
        action = AuditAction.PUBLIC_PUBLISHED
    elif was_published:
        action = AuditAction.PUBLIC_WITHDRAWN
    else:
        action = AuditAction.PUBLIC_UPDATED
    audit(
        actor,
        organization,
        action,
        target=publication,
        request=request,
        sections=list(publication.sections),
        threshold=publication.threshold,
        memorial=publication.memorial,
    )
    return publication
