"""A victim's path through the General Victims' Law (Ley General de Víctimas, 2013).

Each record follows one person recorded in a case (``memoria.cases``), in the
role they have there: a direct victim (an ``Act`` names them) or an indirect
victim (an ``IndirectVictim`` names them). The role is read from the case, not
stored twice.

* ``Registration`` — a request to enter the National Registry of Victims
  (RENAVI) or a state registry: when it was filed, its folio, the body that
  must decide, its legal deadline, and what became of it (requested,
  registered, refused with a reason, appealed).
* ``CommissionRequest`` — a request to a victims' commission (the federal CEAV
  or a state's CEEAV) for immediate help, comprehensive reparation or a
  specific measure: dates, folio, deadline, resolution.
* ``Measure`` — one measure asked in a request (the five reparation measures
  and the kinds of immediate help), with the amounts asked and granted and its
  delivery (delivered, partly, not delivered) with dates.
* ``Appeal`` — an appeal or an amparo against a registration's or a request's
  outcome (or the lack of one).
* ``VictimDocument`` — a document given with a registration or a request,
  stored encrypted in the database.
* ``Reminder`` — a reminder already sent to the accompanying member about a
  deadline, so the worker sends each one once.

What a stolen database must not tell (docs/security.md): every folio, date,
amount, resolution, note, body, state and status is encrypted with the
organization's key. In clear stay only the organization, the links between
records (which person, which case, which request) and record keeping (who
created it, when, the version). So nothing can be filtered in SQL: the list of
what the state owes and the figures are computed in Python after decryption;
an organization's records are few.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.accounts.models import Organization
from memoria.cases.models import Event, Person, Versioned
from memoria.vault.fields import (
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedDecimalField,
    EncryptedTextField,
)


class Registry(models.TextChoices):
    RENAVI = "renavi", _("National Registry of Victims (RENAVI)")
    STATE = "state", _("State registry of victims")


class RegistrationStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested, awaiting a decision")
    REGISTERED = "registered", _("Registered as a victim")
    REFUSED = "refused", _("Refused")
    APPEALED = "appealed", _("Refusal appealed")


class Commission(models.TextChoices):
    CEAV = "ceav", _("Executive Commission for Attention to Victims (CEAV, federal)")
    CEEAV = "ceeav", _("State commission for attention to victims (CEEAV)")


class Purpose(models.TextChoices):
    IMMEDIATE_HELP = "immediate_help", _("Immediate help")
    REPARATION = "reparation", _("Comprehensive reparation")
    MEASURE = "measure", _("A specific measure")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a resolution")
    GRANTED = "granted", _("Granted")
    PARTLY_GRANTED = "partly_granted", _("Partly granted")
    REFUSED = "refused", _("Refused")
    APPEALED = "appealed", _("Resolution appealed")


class MeasureKind(models.TextChoices):
    # The five reparation measures of the law
    RESTITUTION = "restitution", _("Restitution")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    COMPENSATION = "compensation", _("Compensation")
    SATISFACTION = "satisfaction", _("Satisfaction")
    NON_REPETITION = "non_repetition", _("Guarantees of non-repetition")
    # Immediate help
    FOOD = "food", _("Food")
    LODGING = "lodging", _("Lodging")
    TRANSPORT = "transport", _("Transport")
    MEDICAL = "medical", _("Medical care")
    PSYCHOLOGICAL = "psychological", _("Psychological care")
    LEGAL_ADVICE = "legal_advice", _("Legal advice")


REPARATION_KINDS = frozenset(
    {
        MeasureKind.RESTITUTION,
        MeasureKind.REHABILITATION,
        MeasureKind.COMPENSATION,
        MeasureKind.SATISFACTION,
        MeasureKind.NON_REPETITION,
    }
)


class Decision(models.TextChoices):
    REQUESTED = "requested", _("Asked, not decided yet")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class Delivery(models.TextChoices):
    PENDING = "pending", _("Not delivered yet")
    DELIVERED = "delivered", _("Delivered")
    PARTLY = "partly", _("Partly delivered")
    NOT_DELIVERED = "not_delivered", _("Not delivered (the state failed)")


class AppealKind(models.TextChoices):
    APPEAL = "appeal", _("Appeal (recurso)")
    AMPARO = "amparo", _("Amparo")
    COMPLAINT = "complaint", _("Complaint to a human-rights commission")
    OTHER = "other", _("Other")


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    WON = "won", _("Decided in the victim's favour")
    LOST = "lost", _("Decided against the victim")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class VictimRecord(Versioned):
    """A record of one person's path, in the case where they are a victim."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    accompanied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accompanied by"),
    )
    filed_on = EncryptedDateField(_("date filed"), null=True, blank=True)
    folio = EncryptedCharField(_("folio"), max_length=120, blank=True)
    deadline = EncryptedDateField(_("legal deadline"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        abstract = True


class Registration(VictimRecord):
    registry = EncryptedCharField(
        _("registry"), max_length=10, choices=Registry.choices, default=Registry.RENAVI
    )
    state_code = EncryptedCharField(_("state"), max_length=2, blank=True)
    deciding_body = EncryptedCharField(_("body that must decide"), max_length=200, blank=True)
    status = EncryptedCharField(
        _("status"),
        max_length=12,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.REQUESTED,
    )
    decided_on = EncryptedDateField(_("date of the decision"), null=True, blank=True)
    refusal_reason = EncryptedTextField(_("reason given for the refusal"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("registration request")
        verbose_name_plural = _("registration requests")
        indexes = [models.Index(fields=["organization", "person"], name="registration_person")]

    def __str__(self) -> str:
        return str(self.get_registry_display())


class CommissionRequest(VictimRecord):
    commission = EncryptedCharField(
        _("commission"), max_length=6, choices=Commission.choices, default=Commission.CEAV
    )
    state_code = EncryptedCharField(_("state"), max_length=2, blank=True)
    purpose = EncryptedCharField(
        _("what is asked"), max_length=16, choices=Purpose.choices, default=Purpose.REPARATION
    )
    status = EncryptedCharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    resolved_on = EncryptedDateField(_("date of the resolution"), null=True, blank=True)
    resolution = EncryptedTextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("request to a victims' commission")
        verbose_name_plural = _("requests to victims' commissions")
        indexes = [
            models.Index(fields=["organization", "person"], name="commission_request_person")
        ]

    def __str__(self) -> str:
        return str(self.get_purpose_display())


class Measure(Versioned):
    request = models.ForeignKey(
        CommissionRequest, on_delete=models.CASCADE, related_name="measures"
    )
    kind = EncryptedCharField(_("measure"), max_length=16, choices=MeasureKind.choices)
    description = EncryptedTextField(_("what exactly"), blank=True)
    amount_requested = EncryptedDecimalField(
        _("amount asked (MXN)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    decision = EncryptedCharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.REQUESTED
    )
    amount_granted = EncryptedDecimalField(
        _("amount granted (MXN)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    due_on = EncryptedDateField(_("to be delivered by"), null=True, blank=True)
    delivery = EncryptedCharField(
        _("delivery"), max_length=14, choices=Delivery.choices, default=Delivery.PENDING
    )
    delivered_on = EncryptedDateField(_("date delivered"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["request", "id"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class Appeal(Versioned):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("against the registration request"),
    )
    request = models.ForeignKey(
        CommissionRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("against the request"),
    )
    kind = EncryptedCharField(
        _("kind"), max_length=10, choices=AppealKind.choices, default=AppealKind.APPEAL
    )
    authority = EncryptedCharField(_("court or authority"), max_length=200, blank=True)
    filed_on = EncryptedDateField(_("date filed"), null=True, blank=True)
    folio = EncryptedCharField(_("folio or file number"), max_length=120, blank=True)
    status = EncryptedCharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    resolved_on = EncryptedDateField(_("date of the ruling"), null=True, blank=True)
    notes = EncryptedTextField(_("notes and outcome"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("appeal or amparo")
        verbose_name_plural = _("appeals and amparos")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class VictimDocument(Versioned):
    """A document given with a registration or a request; its bytes live encrypted."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    request = models.ForeignKey(
        CommissionRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    filename = EncryptedCharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=120, default="application/octet-stream")
    size = models.PositiveIntegerField(default=0)
    content = EncryptedBinaryField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.filename


class Reminder(models.Model):
    """A deadline reminder sent to the accompanying member (sent once per deadline and stage)."""

    class Stage(models.TextChoices):  # never shown to people
        BEFORE = "before"
        AFTER = "after"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # registration, request, measure
    object_id = models.PositiveBigIntegerField()
    stage = models.CharField(max_length=6, choices=Stage.choices)
    deadline = EncryptedDateField(null=True, blank=True)  # the deadline it was about
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "kind", "object_id"], name="victims_reminder_of")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}:{self.stage}"
