"""A change to a person, case, act or search file raises a published memorial's generation.

The figures are frozen when a coordinator publishes, but the memorial is read
live: a family's consent withdrawn must take the name off at once, in every
process, so the generation (part of every public cache key) is in the database.
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.signals import post_delete, post_save


def invalidate(organization_id: int | None, memorial_only: bool = True) -> None:
    """Raise the generation (``memorial_only``: only where a memorial is published, the
    only public page read live, so that other organizations' writes take no lock)."""
    from memoria.public.models import Publication

    if organization_id is None:
        return
    publications = Publication.objects.filter(organization_id=organization_id)
    if memorial_only:
        publications = publications.filter(published=True, memorial=True)
    publications.update(generation=F("generation") + 1)


def _changed(sender, instance, **kwargs) -> None:
    invalidate(getattr(instance, "organization_id", None))


def connect() -> None:
    from memoria.cases.models import Act, Event, IndirectVictim, Person
    from memoria.search.models import AnteMortemFile  # its memorial consent (memorial.py)

    for model in (Person, Event, Act, IndirectVictim, AnteMortemFile):
        post_save.connect(_changed, sender=model, dispatch_uid=f"public-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"public-{model.__name__}-delete")
