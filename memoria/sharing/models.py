"""A grant: one record of one organization, some of its fields, readable by another.

The copy of the granted fields is encrypted under the *recipient's* data key
(``organization`` is the recipient, so the vault picks that key). The
recipient's pages read only this copy: they never open the owner's rows, and
the owner's data key never decrypts anything for another organization. The
owner's writes refresh the copy in the same transaction; revoking deletes it.

An ``Agreement`` is the standing arrangement behind many grants (see
``memoria.sharing.agreements``); ``AgreementFigures`` is the copy of counts an
aggregate agreement carries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from memoria.vault.fields import EncryptedJSONField


class SharedRecord(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="shared_with_us",
        verbose_name=_("recipient"),
    )
    owner = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="shared_by_us",
        verbose_name=_("owner"),
    )
    kind = models.CharField(_("kind of record"), max_length=100)
    object_id = models.BigIntegerField()
    fields = models.JSONField(_("fields"), default=list)
    content = EncryptedJSONField(_("content"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField(default=timezone.now)
    # The agreements under which (some of) the fields are shared: the partner's
    # pages show them as the copy's provenance.
    agreements = models.ManyToManyField("Agreement", related_name="records", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "object_id"], name="sharing_one_grant_per_record"
            )
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="sharing_by_record")]
        verbose_name = _("shared record")
        verbose_name_plural = _("shared records")

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} → {self.organization_id}"


class AgreementLevel(models.TextChoices):
    """How much of each record an agreement lets the partner read."""

    AGGREGATE = "aggregate", _("Counts only")
    PSEUDONYMIZED = "pseudonymized", _("Record by record, without names")
    NAMED = "named", _("Record by record, with names (only with the family's consent)")


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("agreement", "Proposed")
    ACTIVE = "active", pgettext_lazy("agreement", "In force")
    DECLINED = "declined", pgettext_lazy("agreement", "Declined")
    REVOKED = "revoked", pgettext_lazy("agreement", "Revoked")
    EXPIRED = "expired", pgettext_lazy("agreement", "Expired")


class Agreement(models.Model):
    """One organization (``organization``, the owner) shares records with a ``partner``.

    ``fields`` maps each record kind (``cases.event``…) to the field names the
    partner may read; at ``aggregate`` level only the kinds count. Everything
    here describes an arrangement between two organizations, never a person,
    and both must read it: it is stored in clear (the purpose must not name
    anyone; the form says so).
    """

    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="agreements_given",
        verbose_name=_("organization that shares"),
    )
    partner = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="agreements_received",
        verbose_name=_("partner organization"),
    )
    level = models.CharField(_("level"), max_length=14, choices=AgreementLevel.choices)
    fields = models.JSONField(_("records and fields"), default=dict)
    purpose = models.TextField(_("purpose"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AgreementStatus.choices,
        default=AgreementStatus.PROPOSED,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "partner", "status"], name="agreement_parties"),
            models.Index(fields=["status", "valid_until"], name="agreement_expiry"),
        ]
        verbose_name = _("sharing agreement")
        verbose_name_plural = _("sharing agreements")

    def __str__(self) -> str:
        return f"#{self.pk}"

    def kinds(self) -> list[str]:
        return list(self.fields or {})


class AgreementFigures(models.Model):
    """The counts an aggregate agreement lets the partner read, under the partner's key.

    Computed on the owner's side (when the agreement comes into force and by the
    worker), so the partner's page never opens the owner's rows.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="figures")
    content = EncryptedJSONField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"figures of #{self.agreement_id}"
