"""The network: who does what where (the directory), and referrals between organizations.

Models and key fields (*enc*: encrypted at rest, under the key of the row's
``organization``; never filtered or sorted in SQL):

* ``OrganizationProfile`` — one per organization (``organization``, one to
  one), what the network needs to find it: ``capabilities`` (legal,
  psychosocial, forensic...), ``languages`` (Spanish, indigenous languages,
  sign language), ``states`` and ``municipalities`` where it works,
  ``summary``, ``referral_note`` (what to send with a referral) and
  ``accepts_referrals``; ``version``. It describes an organization, never a
  person, and must be searchable: it is stored in clear. There is no phone
  number or personal address: organizations reach each other through
  referrals on the platform.
* ``Referral`` — a family or a case one organization (``organization``, the
  sender) refers to another (``recipient``) for one ``capability``: the
  ``event`` and/or ``person`` of the sender's case records, which of their
  fields travel (``event_fields``, ``person_fields``: field names only; the
  values travel as ``memoria.sharing`` copies under the recipient's key),
  ``status`` (sent, accepted, declined, in progress, closed), ``message``
  *enc*, the sender's ``follow_up_on`` *enc*, ``decline_reason`` *enc*,
  ``sent_at``, ``answered_at`` / ``answered_by``, ``closed_at``; ``version``
  (one counter for both sides' edits).
* ``ReferralReceipt`` — the recipient's side of a referral (its
  ``organization`` is the recipient, so its fields are under the recipient's
  key): ``message`` *enc* (the sender's note, copied), ``follow_up_on``
  *enc* (the recipient's own date), ``decline_reason`` *enc*.
* ``ReferralReminder`` — one reminder sent to one side about its follow-up
  date (``side``, ``follow_up_on`` *enc*): a date moved later is reminded again.

A row is only decrypted with its own organization's key: the sender's pages
read ``Referral``, the recipient's ``ReferralReceipt`` and the shared copies.
Write through ``memoria.network.actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from memoria.accounts.models import Organization
from memoria.cases.models import Event, Person, Versioned
from memoria.vault.fields import EncryptedDateField, EncryptedTextField


class Capability(models.TextChoices):
    """What an organization can do for a family (what a referral asks for)."""

    LEGAL = "legal", _("Legal representation and advice")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    FORENSIC = "forensic", _("Forensic expertise")
    SEARCH = "search", _("Search brigades")
    ACCOMPANIMENT = "accompaniment", _("Accompaniment")
    SHELTER = "shelter", _("Shelter")
    MEDIA = "media", _("Media and communication")


class Language(models.TextChoices):
    """Languages an organization works in: Spanish, the most spoken indigenous languages
    of INALI's catalogue (by linguistic group; codes are ours, not ISO), Mexican Sign
    Language and English."""

    SPANISH = "es", _("Spanish")
    NAHUATL = "nahuatl", "Náhuatl"
    MAYA = "maya", "Maya"
    TSELTAL = "tseltal", "Tseltal"
    TSOTSIL = "tsotsil", "Tsotsil"
    MIXTECO = "mixteco", "Mixteco (Tu'un savi)"
    ZAPOTECO = "zapoteco", "Zapoteco"
    OTOMI = "otomi", "Otomí (Hñähñu)"
    TOTONACO = "totonaco", "Totonaco (Tutunakú)"
    CHOL = "chol", "Ch'ol"
    MAZATECO = "mazateco", "Mazateco"
    HUASTECO = "huasteco", "Huasteco (Teenek)"
    MAZAHUA = "mazahua", "Mazahua (Jñatrjo)"
    TLAPANECO = "tlapaneco", "Tlapaneco (Me'phaa)"
    CHINANTECO = "chinanteco", "Chinanteco"
    PUREPECHA = "purepecha", "Purépecha"
    MIXE = "mixe", "Mixe (Ayuuk)"
    TARAHUMARA = "tarahumara", "Tarahumara (Rarámuri)"
    ZOQUE = "zoque", "Zoque"
    TOJOLABAL = "tojolabal", "Tojolabal"
    CHATINO = "chatino", "Chatino"
    HUICHOL = "huichol", "Huichol (Wixárika)"
    AMUZGO = "amuzgo", "Amuzgo"
    TRIQUI = "triqui", "Triqui"
    YAQUI = "yaqui", "Yaqui (Yoem Noki)"
    MAYO = "mayo", "Mayo (Yoreme)"
    CORA = "cora", "Cora (Náayeri)"
    SIGN = "sign", _("Mexican Sign Language")
    ENGLISH = "en", _("English")


class OrganizationProfile(models.Model):
    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        related_name="network_profile",
        verbose_name=_("organization"),
    )
    capabilities = models.JSONField(_("what it offers"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    states = models.ManyToManyField(
        "places.State", verbose_name=_("states where it works"), blank=True, related_name="+"
    )
    municipalities = models.ManyToManyField(
        "places.Municipality",
        verbose_name=_("municipalities where it works"),
        blank=True,
        related_name="+",
    )
    summary = models.TextField(_("what it does"), blank=True)
    referral_note = models.TextField(_("what to send with a referral"), blank=True)
    accepts_referrals = models.BooleanField(_("accepts referrals"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("profile in the network")
        verbose_name_plural = _("profiles in the network")

    def __str__(self) -> str:
        return str(self.organization)

    def capability_labels(self) -> list[str]:
        return [str(Capability(c).label) for c in self.capabilities if c in Capability.values]

    def language_labels(self) -> list[str]:
        return [str(Language(c).label) for c in self.languages if c in Language.values]


class Status(models.TextChoices):
    SENT = "sent", pgettext_lazy("referral", "Sent")
    ACCEPTED = "accepted", pgettext_lazy("referral", "Accepted")
    DECLINED = "declined", pgettext_lazy("referral", "Declined")
    IN_PROGRESS = "in_progress", pgettext_lazy("referral", "In progress")
    CLOSED = "closed", pgettext_lazy("referral", "Closed")


# While a referral is open the recipient reads what travelled with it.
OPEN = frozenset({Status.SENT, Status.ACCEPTED, Status.IN_PROGRESS})


class Referral(Versioned):
    recipient = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="referrals_received",
        verbose_name=_("referred to"),
    )
    capability = models.CharField(_("for"), max_length=20, choices=Capability.choices)
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("case"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("person"),
    )
    event_fields = models.JSONField(default=list, blank=True)
    person_fields = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SENT
    )
    message = EncryptedTextField(_("message to the other organization"), blank=True)
    follow_up_on = EncryptedDateField(_("follow up on"), null=True, blank=True)
    decline_reason = EncryptedTextField(_("reason for declining"), blank=True)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["organization", "status"], name="referral_sent_status"),
            models.Index(fields=["recipient", "status"], name="referral_received_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class ReferralReceipt(models.Model):
    """The recipient's side of a referral, under the recipient's key."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="receipt")
    message = EncryptedTextField(_("message from the other organization"), blank=True)
    follow_up_on = EncryptedDateField(_("follow up on"), null=True, blank=True)
    decline_reason = EncryptedTextField(_("reason for declining"), blank=True)

    def __str__(self) -> str:
        return f"receipt of #{self.referral_id}"


class ReferralReminder(models.Model):
    """A reminder about one side's follow-up date (sent once per date)."""

    class Side(models.TextChoices):  # never shown to people
        SENDER = "sender"
        RECIPIENT = "recipient"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="reminders")
    side = models.CharField(max_length=10, choices=Side.choices)
    follow_up_on = EncryptedDateField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.referral_id}:{self.side}"
