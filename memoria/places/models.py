"""The INEGI catalogue as database rows, and the place every record carries."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from memoria.geo import fold
from memoria.vault.fields import EncryptedDecimalField, EncryptedReferenceField


class State(models.Model):
    code = models.CharField(_("INEGI code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=80)
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=6, unique=True)
    population_total = models.PositiveIntegerField(_("population (Census 2020)"))
    population_male = models.PositiveIntegerField()
    population_female = models.PositiveIntegerField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("state")
        verbose_name_plural = _("states")

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    cvegeo = models.CharField(_("INEGI code"), max_length=5, primary_key=True)
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="municipalities")
    code = models.CharField(_("municipal code"), max_length=3)
    name = models.CharField(_("name"), max_length=120)
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    population_total = models.PositiveIntegerField(_("population (Census 2020)"))
    population_male = models.PositiveIntegerField()
    population_female = models.PositiveIntegerField()

    class Meta:
        ordering = ["state__name", "name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)


class Place(models.Model):
    """Where something happened: state, municipality, locality and coordinates.

    Abstract: records that have a place inherit these fields. The locality and
    exact coordinates are optional. Every part is encrypted: the state and
    municipality are ``EncryptedReferenceField`` (``record.state`` is the
    ``State``, ``record.state_id`` its INEGI code, as with a foreign key), the
    coordinates ``EncryptedDecimalField``; so a model that inherits this needs
    an organization (see ``memoria.vault.fields``), and none of them can be
    filtered, sorted or counted in SQL (the case list and statistics read the
    cases' encrypted index). Models that inherit this may encrypt ``locality``
    too (the cases' ``Event`` does).
    """

    state = EncryptedReferenceField(State, verbose_name=_("state"), null=True, blank=True)
    municipality = EncryptedReferenceField(
        Municipality, verbose_name=_("municipality"), null=True, blank=True
    )
    locality = models.CharField(_("locality"), max_length=200, blank=True)
    latitude = EncryptedDecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(14), MaxValueValidator(33)],
    )
    longitude = EncryptedDecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-119), MaxValueValidator(-86)],
    )  # fmt: skip

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.municipality_id and self.state_id and self.municipality.state_id != self.state_id:
            raise ValidationError(
                {"municipality": _("This municipality is not in the chosen state.")}
            )
        if self.municipality_id and not self.state_id:
            self.state_id = self.municipality.state_id
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
