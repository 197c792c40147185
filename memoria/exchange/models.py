"""Exchange between separate installations: partners, the agreements' terms, what arrived.

* ``Partner`` — another installation this one exchanges with: its id, its
  public keys (Ed25519 to check its signatures, X25519 to encrypt for it) and
  their fingerprint, verified out of band by the operator who registered it.
* ``RemoteAgreement`` — the terms of a sharing agreement between a local
  organization and an organization of a partner installation, held by each
  side: ``outgoing`` on the sharing side (what it sends), ``incoming`` on the
  receiving side (the terms its organization accepted: the mirror). Both carry
  the same ``uuid``; the columns are ``memoria.sharing.Agreement``'s terms
  (level, fields, purpose, last day, status), checked by the same
  ``clean_fields`` and evaluated by the same ``memoria.sharing.rules``.
  ``sequence`` is the last bundle sent (outgoing) or applied (incoming).
* ``ReceivedBundle`` — each bundle imported, by its uuid: a second import of
  the same file is recognized and changes nothing.
* ``ReceivedRecord`` — a copy received under an incoming agreement, read-only,
  its values (*enc*, under the local organization's key) with its provenance
  (source organization, kind, source id, source version and last change,
  the bundle sequence that wrote it).

Write through ``memoria.exchange.actions``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.sharing.models import AgreementLevel, AgreementStatus
from memoria.vault.fields import EncryptedJSONField


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    installation = models.UUIDField(_("installation id"), unique=True)
    signing_key = models.CharField(max_length=64)  # Ed25519 public key, base64
    exchange_key = models.CharField(max_length=64)  # X25519 public key, base64
    fingerprint = models.CharField(_("fingerprint"), max_length=40)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner installation")
        verbose_name_plural = _("partner installations")

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    OUTGOING = "outgoing", _("We share")
    INCOMING = "incoming", _("We receive")


class RemoteAgreement(models.Model):
    uuid = models.UUIDField()
    direction = models.CharField(max_length=8, choices=Direction.choices)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="remote_agreements"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements")
    partner_organization = models.SlugField(_("organization at the partner"), max_length=60)
    level = models.CharField(_("level"), max_length=14, choices=AgreementLevel.choices)
    fields = models.JSONField(_("records and fields"), default=dict)
    purpose = models.TextField(_("purpose"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE
    )
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["uuid", "direction"], name="exchange_one_side_each")
        ]
        verbose_name = _("agreement with another installation")
        verbose_name_plural = _("agreements with other installations")

    def __str__(self) -> str:
        return f"#{self.pk} {self.direction} {self.uuid}"

    def kinds(self) -> list[str]:
        return list(self.fields or {})


class ReceivedBundle(models.Model):
    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        CONFLICT = "conflict", _("Older than one already applied: nothing changed")
        ENDED = "ended", _("The agreement ended: the copies were deleted")

    uuid = models.UUIDField(unique=True)
    agreement = models.ForeignKey(RemoteAgreement, on_delete=models.CASCADE, related_name="bundles")
    sequence = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    report = models.JSONField(default=dict)  # counts and field names, never values
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.uuid)


class ReceivedRecord(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="received_records"
    )
    agreement = models.ForeignKey(RemoteAgreement, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(max_length=100)
    source_id = models.CharField(max_length=64)
    fields = models.JSONField(default=list)
    content = EncryptedJSONField(null=True, blank=True)
    source_version = models.PositiveIntegerField(null=True)
    source_updated_at = models.DateTimeField(null=True)
    sequence = models.PositiveIntegerField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "kind", "source_id"], name="exchange_one_copy_per_record"
            )
        ]
        verbose_name = _("record received from another installation")
        verbose_name_plural = _("records received from other installations")

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} ← {self.agreement_id}"
