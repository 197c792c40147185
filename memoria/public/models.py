"""What an organization publishes on its public site (``/p/<slug>/``).

* ``Publication`` — one per organization: ``published`` (nothing is public
  until a coordinator publishes), ``sections`` (which figures), the period
  (``start_year``, ``end_year``), ``threshold`` (k: counts from 1 to k − 1 are
  shown as "fewer than k"), ``licence``, ``memorial`` (whether the memorial
  page is on), ``figures`` (the suppressed figures as published: built when a
  coordinator publishes, so the public pages never read the cases), ``built_at``,
  ``generation`` (part of every public cache key: publishing, and any change
  to a person, event or act of the organization, raises it), ``version``.

Only aggregates after suppression are stored here, never a count that the
suppression hid (``figures`` holds "small" or "hidden" in its place).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.accounts.models import Organization
from memoria.disclosure import DEFAULT_K

DEFAULT_THRESHOLD = DEFAULT_K
DEFAULT_LICENCE = _(
    "Creative Commons Attribution 4.0 International (CC BY 4.0): you may share and "
    "adapt these figures for any purpose if you name the organization as their source."
)


class Section(models.TextChoices):
    PLACES = "places", _("Cases by state and year (map, chart and table)")
    VIOLATIONS = "violations", _("Cases by type of violation")
    PERPETRATORS = "perpetrators", _("Cases by kind of perpetrator")
    VICTIMS = "victims", _("Direct victims by sex and by age band")
    PROFILES = "profiles", _("Cases with victims of each risk profile")


class Publication(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="publication"
    )
    published = models.BooleanField(_("publish the public site"), default=False)
    sections = models.JSONField(_("figures to publish"), default=list, blank=True)
    start_year = models.PositiveSmallIntegerField(_("from year"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    threshold = models.PositiveSmallIntegerField(
        _("smallest count shown (k)"), default=DEFAULT_THRESHOLD
    )
    licence = models.TextField(_("licence of the figures and open data"), blank=True)
    memorial = models.BooleanField(_("publish the memorial"), default=False)
    figures = models.JSONField(default=dict, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    generation = models.PositiveBigIntegerField(default=1)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("publication")

    def __str__(self) -> str:
        return f"{self.organization} ({'published' if self.published else 'not published'})"

    @property
    def licence_text(self) -> str:
        return self.licence or str(DEFAULT_LICENCE)

    def shows(self, section: str) -> bool:
        return section in self.sections
