"""Anonymous reports from the public, their moderation, and the public feed.

* ``ReportChannel`` — whether an organization receives reports at
  ``/r/<slug>/`` (closed until a coordinator opens it).
* ``Report`` — one report: what happened *enc*, when (``occurred_on`` *enc*
  and its precision *enc*), where (``state`` and ``municipality`` *enc ref*,
  never a street or coordinates), the kind of violation (``violation_type``
  *enc ref*, a term of the cases' vocabulary), the contact the reporter chose
  to leave *enc*; the keyed digest of the receipt code; the moderation
  (``status``, ``decided_at``, ``decided_by``, ``reason`` *enc*,
  ``duplicate_of``, ``public_summary`` *enc*, the ``event`` it became).
* ``ReportAddition`` — what the reporter added later with the receipt code.

What is deliberately *not* stored (docs/reports.md): the address the report
came from, the User-Agent or any other header, a cookie, and the time of day:
``received_on`` is the day only, so a report cannot be matched to a
connection seen at a given minute. The reception is not in the audit log
either (its entry would hold the exact time); decisions by members are.

In clear stay the organization, the day received, the status and the
moderation dates, so the queue and the feed can be filtered in SQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from memoria.accounts.models import Organization
from memoria.cases.models import DatePrecision, Event
from memoria.places.models import Municipality, State
from memoria.vault.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedReferenceField,
    EncryptedTextField,
)


class ReportChannel(models.Model):
    """An organization's public reporting form: closed until a coordinator opens it."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    is_open = models.BooleanField(_("receives reports"), default=False)

    class Meta:
        verbose_name = _("reporting form")
        verbose_name_plural = _("reporting forms")

    def __str__(self) -> str:
        return f"reports of {self.organization_id}"


class Report(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("Waiting for moderation")
        VERIFIED = "verified", _("Verified")
        DUPLICATE = "duplicate", _("Duplicate of another report")
        REJECTED = "rejected", _("Rejected")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    received_on = models.DateField(_("received on"))
    receipt_digest = models.CharField(max_length=64, editable=False)
    what = EncryptedTextField(_("what happened"))
    occurred_on = EncryptedDateField(_("when it happened"), null=True, blank=True)
    occurred_precision = EncryptedCharField(
        _("precision of the date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
    )
    state = EncryptedReferenceField(State, verbose_name=_("state"), null=True, blank=True)
    municipality = EncryptedReferenceField(
        Municipality, verbose_name=_("municipality"), null=True, blank=True
    )
    violation_type = EncryptedReferenceField(
        "cases.Term", verbose_name=_("kind of violation"), null=True, blank=True
    )
    contact = EncryptedTextField(_("contact"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = EncryptedTextField(_("reason"), blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    public_summary = EncryptedTextField(_("public summary"), blank=True)
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "receipt_digest"], name="report_receipt_per_org"
            )
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"R-{self.pk}"


class ReportAddition(models.Model):
    """Information the reporter added later, with their receipt code."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="additions")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    received_on = models.DateField(_("received on"))
    text = EncryptedTextField(_("what was added"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("addition to a report")
        verbose_name_plural = _("additions to reports")

    def __str__(self) -> str:
        return f"R-{self.report_id} +{self.pk}"
