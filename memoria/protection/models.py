"""Protection: people at risk, their circle, risk assessments, and what the state owes.

Every row belongs to one organization, the one that accompanies the person
(``organization`` FK, from ``memoria.cases.models.Versioned``), and is
encrypted with that organization's key. Fields marked *enc* are encrypted at
rest: they cannot be filtered or sorted in SQL; the pages and the overdue task
read a person's (small) set of rows and sort them in Python. In clear are only
the organization, the links between rows, the record's status (active,
closed), ``version`` and who recorded what and when.

Models and key fields:

* ``PersonAtRisk`` — ``display_name`` *enc* (a name or a pseudonym),
  ``profile`` *enc* (defender, journalist, searching relative...), ``notes``
  *enc*; optional links to a ``memoria.cases.models.Person`` of the same
  organization (``case_person``) or to a member of the network
  (``member``, a user); ``time_zone`` (an IANA name, for check-ins at set
  times); ``status`` (active, closed), ``closed_at``; ``version``.
* ``SupportContact`` — someone of the person's circle to tell: ``person``,
  ``name`` *enc*, ``relationship`` *enc*, ``email`` *enc*, ``phone`` *enc*,
  ``signal_number`` *enc*, ``webhook_url`` *enc*, ``webhook_secret`` *enc*,
  ``notes`` *enc*; the channels they accept (``accepts_email``,
  ``accepts_sms``, ``accepts_signal``, ``accepts_webhook``), ``is_active``,
  ``position``; ``version``.
* ``RiskAssessment`` — one assessment of a person's risk: ``assessed_on``
  *enc*, ``level`` *enc* (low, medium, high, extreme), ``review_due`` *enc*
  (set by the level, ``settings.MEMORIA_PROTECTION_REVIEW_DAYS``),
  ``summary`` *enc*, ``assessed_by`` (the member who made it). Assessments are
  never overwritten: a new one is the person's current risk, the older ones
  their history.
* ``RiskFactor`` — one itemized row of an assessment: ``kind`` (threat,
  vulnerability, capacity), ``description`` *enc*, ``date`` *enc*, ``source``
  *enc*.
* ``ProtectionRequest`` — a request to the federal mechanism or a state one:
  ``mechanism`` *enc*, ``state`` *enc*, ``procedure`` *enc* (ordinary,
  extraordinary), ``filed_at`` *enc*, ``file_number`` *enc*, ``outcome``
  *enc* (pending, granted, denied, withdrawn), ``decided_on`` *enc*,
  ``notes`` *enc*.
* ``ProtectionMeasure`` — a measure granted: ``request`` (optional),
  ``category`` *enc* (urgent, protection, preventive), ``kind`` *enc* (panic
  button, escort, relocation, cameras, patrols...), ``description`` *enc*,
  ``granted_at`` *enc*, ``implement_by`` *enc* (the legal deadline, from
  ``memoria.protection.terms``), ``implemented_on`` *enc*, ``review_on``
  *enc*, ``ended_on`` *enc*.
* ``OverdueAlert`` — one alert to the accompanying organization per overdue
  item and kind (``kind``, ``item_key``, unique together): ``due_at`` *enc*,
  ``raised_at``, ``notified_at``, ``acknowledged_at`` / ``acknowledged_by``,
  ``resolved_at``.

Write through ``memoria.protection.actions`` (version check, audit entry).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from memoria.cases.models import Person, Versioned
from memoria.protection.fields import EncryptedDateTimeField
from memoria.vault.fields import EncryptedCharField, EncryptedDateField, EncryptedTextField


class Profile(models.TextChoices):
    DEFENDER = "defender", _("Human-rights defender")
    JOURNALIST = "journalist", _("Journalist")
    SEARCHING_RELATIVE = "searching_relative", _("Searching relative")
    OTHER = "other", pgettext_lazy("profile", "Other")


class PersonAtRisk(Versioned):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    display_name = EncryptedCharField(
        _("name or pseudonym"),
        max_length=200,
        help_text=_("How the organization refers to this person; a pseudonym is enough."),
    )
    profile = EncryptedCharField(
        _("profile"), max_length=20, choices=Profile.choices, default=Profile.DEFENDER
    )
    notes = EncryptedTextField(_("notes"), blank=True)
    case_person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risk_records",
        verbose_name=_("person in the case records"),
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risk_records",
        verbose_name=_("member of the network"),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/Mexico_City")
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("person at risk")
        verbose_name_plural = _("people at risk")
        indexes = [models.Index(fields=["organization", "status"], name="atrisk_org_status")]

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class SupportContact(Versioned):
    """Someone of a person's support circle: who to tell, and how."""

    person = models.ForeignKey(
        PersonAtRisk, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("person")
    )
    name = EncryptedCharField(_("name"), max_length=200)
    relationship = EncryptedCharField(_("relationship"), max_length=120, blank=True)
    email = EncryptedCharField(_("e-mail"), max_length=254, blank=True)
    phone = EncryptedCharField(_("phone (SMS)"), max_length=40, blank=True)
    signal_number = EncryptedCharField(_("Signal number"), max_length=40, blank=True)
    webhook_url = EncryptedCharField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = EncryptedCharField(
        _("webhook signing secret"), max_length=200, blank=True, editable=False
    )
    notes = EncryptedTextField(_("notes"), blank=True)
    accepts_email = models.BooleanField(_("by e-mail"), default=True)
    accepts_sms = models.BooleanField(_("by SMS"), default=False)
    accepts_signal = models.BooleanField(_("by Signal"), default=False)
    accepts_webhook = models.BooleanField(_("by webhook"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["person", "position", "id"]
        verbose_name = _("support contact")
        verbose_name_plural = _("support contacts")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    @property
    def channels(self) -> list[str]:
        """The channels this contact accepts and has an address for."""
        pairs = (
            ("email", self.accepts_email, self.email),
            ("sms", self.accepts_sms, self.phone),
            ("signal", self.accepts_signal, self.signal_number),
            ("webhook", self.accepts_webhook, self.webhook_url),
        )
        return [channel for channel, accepted, address in pairs if accepted and address]


class Level(models.TextChoices):
    LOW = "low", pgettext_lazy("risk level", "Low")
    MEDIUM = "medium", pgettext_lazy("risk level", "Medium")
    HIGH = "high", pgettext_lazy("risk level", "High")
    EXTREME = "extreme", pgettext_lazy("risk level", "Extreme")


# From the lowest to the highest, for sorting after decryption.
LEVEL_RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2, Level.EXTREME: 3}


class RiskAssessment(Versioned):
    person = models.ForeignKey(
        PersonAtRisk,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("person"),
    )
    assessed_on = EncryptedDateField(_("date of the assessment"))
    level = EncryptedCharField(_("risk level"), max_length=8, choices=Level.choices)
    review_due = EncryptedDateField(_("review due"), null=True, blank=True)
    summary = EncryptedTextField(_("summary"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assessed by"),
    )

    class Meta:
        ordering = ["person", "-created_at", "-id"]
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")

    def __str__(self) -> str:
        return f"{self.get_level_display()} ({self.assessed_on})"


class RiskFactor(Versioned):
    class Kind(models.TextChoices):
        THREAT = "threat", _("Threat")
        VULNERABILITY = "vulnerability", _("Vulnerability")
        CAPACITY = "capacity", _("Capacity")

    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="factors")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    description = EncryptedTextField(_("description"))
    date = EncryptedDateField(_("date"), null=True, blank=True)
    source = EncryptedCharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["assessment", "kind", "id"]
        verbose_name = _("risk factor")
        verbose_name_plural = _("risk factors")

    def __str__(self) -> str:
        return self.get_kind_display()


class Mechanism(models.TextChoices):
    FEDERAL = "federal", _("Federal protection mechanism")
    STATE = "state", _("State protection mechanism")


class Procedure(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    EXTRAORDINARY = "extraordinary", _("Extraordinary")


class ProtectionRequest(Versioned):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Measures granted")
        DENIED = "denied", _("Denied")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    person = models.ForeignKey(
        PersonAtRisk, on_delete=models.CASCADE, related_name="requests", verbose_name=_("person")
    )
    mechanism = EncryptedCharField(
        _("mechanism"), max_length=8, choices=Mechanism.choices, default=Mechanism.FEDERAL
    )
    state = EncryptedCharField(_("state (for a state mechanism)"), max_length=2, blank=True)
    procedure = EncryptedCharField(
        _("procedure"), max_length=13, choices=Procedure.choices, default=Procedure.ORDINARY
    )
    filed_at = EncryptedDateTimeField(_("filed"))
    file_number = EncryptedCharField(_("file number"), max_length=120, blank=True)
    outcome = EncryptedCharField(
        _("outcome"), max_length=9, choices=Outcome.choices, default=Outcome.PENDING
    )
    decided_on = EncryptedDateField(_("decided on"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["person", "-created_at", "-id"]
        verbose_name = _("protection request")
        verbose_name_plural = _("protection requests")

    def __str__(self) -> str:
        return f"{self.get_mechanism_display()} ({self.get_procedure_display()})"


class MeasureCategory(models.TextChoices):
    URGENT = "urgent", _("Urgent protection measure")
    PROTECTION = "protection", _("Protection measure")
    PREVENTIVE = "preventive", _("Preventive measure")


class MeasureKind(models.TextChoices):
    PANIC_BUTTON = "panic_button", _("Panic button")
    ESCORT = "escort", _("Escort")
    RELOCATION = "relocation", _("Temporary relocation")
    CAMERAS = "cameras", _("Security cameras")
    PATROLS = "patrols", _("Patrols")
    PHONE = "phone", _("Phone (mobile or satellite)")
    LOCKS = "locks", _("Locks, lighting or fences at home")
    VEHICLE = "vehicle", _("Armoured vehicle")
    VEST = "vest", _("Bulletproof vest")
    SELF_PROTECTION = "self_protection", _("Self-protection training")
    OTHER = "other", pgettext_lazy("measure", "Other")


class ProtectionMeasure(Versioned):
    person = models.ForeignKey(
        PersonAtRisk, on_delete=models.CASCADE, related_name="measures", verbose_name=_("person")
    )
    request = models.ForeignKey(
        ProtectionRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("granted on the request"),
    )
    category = EncryptedCharField(_("category"), max_length=10, choices=MeasureCategory.choices)
    kind = EncryptedCharField(_("measure"), max_length=16, choices=MeasureKind.choices)
    description = EncryptedTextField(_("details"), blank=True)
    granted_at = EncryptedDateTimeField(_("granted"))
    implement_by = EncryptedDateTimeField(_("legal deadline to implement"), null=True, blank=True)
    implemented_on = EncryptedDateField(_("implemented on"), null=True, blank=True)
    review_on = EncryptedDateField(_("review due"), null=True, blank=True)
    ended_on = EncryptedDateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["person", "-created_at", "-id"]
        verbose_name = _("protection measure")
        verbose_name_plural = _("protection measures")

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def is_implemented(self) -> bool:
        return self.implemented_on is not None


class OverdueAlert(models.Model):
    """One alert to the accompanying organization: an item the state (or we) let pass.

    Raised once per item and kind by the worker's ``protection.overdue`` task;
    ``resolved_at`` is set when the item is no longer overdue.
    """

    class Kind(models.TextChoices):
        URGENT_MEASURES = "urgent_measures", _("Urgent measures not granted in time")
        DECISION = "decision", _("Request not decided in time")
        IMPLEMENTATION = "implementation", _("Measure not implemented in time")
        MEASURE_REVIEW = "measure_review", _("Measure past its review date")
        ASSESSMENT_REVIEW = "assessment_review", _("Risk assessment past its review date")

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(PersonAtRisk, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # "<model>:<id>" of the overdue item, e.g. "measure:12".
    item_key = models.CharField(max_length=40)
    due_at = EncryptedDateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "item_key"], name="overdue_alert_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "acknowledged_at", "resolved_at"],
                name="overdue_alert_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_key}"

    @property
    def vault_organization_id(self) -> int:
        return self.organization_id
