"""Search for the disappeared: the families' files, graves and remains.

Three kinds of record, after Interpol's disaster-victim-identification forms
(the yellow ante-mortem form, the pink post-mortem one), kept by a search
collective or the organization that accompanies the families. Every row
belongs to one organization (``organization``, from
``memoria.cases.models.Versioned``) and is encrypted with its key. Fields
marked *enc* are encrypted at rest: they cannot be filtered or sorted in SQL,
so pages and ``memoria.search.frames`` read an organization's rows and sort
them in Python. In clear stay only the organization, the links between rows,
``version``, who recorded what and when, and the few flags named below.

Ante mortem (what the family knows):

* ``AnteMortemFile`` — one per disappeared person, linked to the case person
  (``person``, a ``memoria.cases.models.Person`` of the same organization,
  unique). When and where last seen: ``last_seen_date`` *enc*,
  ``last_seen_precision`` *enc*, the place (``state``, ``municipality``
  *enc ref*, ``locality``, ``latitude``, ``longitude`` *enc*, from
  ``memoria.places.models.Place``), ``circumstances`` *enc*. Description:
  ``sex``, ``age_at_disappearance``, ``stature_cm``, ``build``, ``skin``,
  ``hair_color``, ``hair_length``, ``eye_color``, ``other_features`` (all
  *enc*). ``dental_notes``, ``clothing``, ``belongings``,
  ``medical_conditions`` *enc*. Official folios: ``rnpdno_folio``,
  ``prosecutor_file``, ``commission_file`` *enc*. ``search_status`` *enc*
  (searching, found alive, found without life). Public memorial:
  ``memorial_may_name`` (clear, like ``Person.visibility``: a public page
  must be able to ask it; the memorial names the person only when it and the
  case records' consent both say yes) and ``memorial_consent_note`` *enc*. ``notes`` *enc*.
* ``AnteMortemMark`` — one distinguishing mark the family describes (see
  ``Mark``).
* ``FamilyContact`` — a relative or friend to reach: ``name``,
  ``relationship``, ``phone``, ``email``, ``address``, ``notes`` *enc*;
  ``receives_news`` (clear): the designated person who is told, in person,
  of a finding (a confirmed match asks them, through the alerts engine, to
  get in touch; ``memoria.search.review.notify_news_contact``). At most one
  per file (a partial unique constraint).
* ``ReferenceSample`` — a DNA reference sample a relative gave: ``donor``,
  ``donor_relationship``, ``sample_kind``, ``taken_on``, ``held_by`` (the
  laboratory or institution), ``folio``, ``notes`` *enc*.
* ``RecipientConsent`` — what the family agreed another organization may
  see of the file: ``recipient`` (an ``Organization``, clear: the sharing
  layer must find the grants), ``parts`` (clear list of ``FilePart`` codes),
  ``given_by``, ``given_on``, ``notes`` *enc*. One per file and recipient.
  Nothing shares search files yet; ``memoria.search.consent.shared_view``
  gives another organization only the consented parts, for a future sharing.

Graves and brigades:

* ``SearchSite`` — a grave or search site: ``name`` *enc* (how the
  collective calls it), ``kind`` *enc* (clandestine grave, crematorium site,
  well, open field, mass grave), ``found_on`` *enc*, the place (as above;
  coordinates *enc*), ``found_by_kind`` *enc* (collective, authority,
  press), ``found_by`` *enc*, ``bodies`` and ``fragments`` *enc* (counts),
  ``exhumation_status`` *enc*, ``authority`` *enc* (in charge of the
  exhumation), ``description`` *enc*.
* ``BrigadeDay`` — one day of a brigade, written on a phone in the field:
  ``site`` (optional), ``date`` *enc*, ``place`` *enc*, ``participants`` *enc*
  (who went), ``findings`` *enc* (what was found), ``notes`` *enc*.

Post mortem (what brigades and forensic services find):

* ``RemainsRecord`` — one set of remains: ``site`` (optional: the grave it
  came from), ``source`` *enc* (a brigade's find, a forensic service's list),
  ``semefo_folio`` *enc*, ``found_on`` *enc*, the place (as above),
  ``sex_estimate`` *enc*, ``age_min``/``age_max`` *enc*,
  ``stature_min_cm``/``stature_max_cm`` *enc*, ``clothing``, ``belongings``
  *enc*, ``condition`` *enc* (complete, partial, skeletonized, fragmented),
  ``held_at_kind`` *enc* (morgue, common grave, forensic institute),
  ``held_at`` *enc*, ``dna_status`` *enc*, ``identification_status`` *enc*,
  ``notes`` *enc*.
* ``PostMortemMark`` — a mark seen on the remains (see ``Mark``).
* ``DentalFinding`` — one finding on one tooth: ``tooth`` *enc* (an FDI
  number, validated by ``memoria.search.dental``; empty for the whole
  mouth), ``finding`` *enc*, ``description`` *enc*.

Shared by both sides:

* ``Mark`` (abstract) — ``kind`` *enc* (tattoo, scar, mole, piercing,
  amputation, implant, old fracture), ``region`` *enc* (a coarse body
  region, the same list as ``memoria.matching.vocabulary.REGION_GROUPS``),
  ``side`` *enc*, ``motif`` *enc* and ``text`` *enc* (for tattoos: what it
  shows, the letters written in it), ``description`` *enc*.
* ``SearchPhoto`` — a photo of a file, a site or remains: its bytes live
  encrypted in the database (``content`` *enc*, ``filename`` *enc*,
  ``caption`` *enc*), like case attachments. Exactly one of
  ``ante_mortem_file``, ``site``, ``remains`` is set.

Review of possible matches:

* ``Candidate`` — one AM file × one remains record the matching engine ranks
  together: ``score`` *enc*, ``reasons`` *enc*, ``status`` *enc*
  (``CandidateStatus``), ``referred_to`` *enc*; ``flagged_at`` and
  ``matched_at`` in clear. ``CandidateDecision`` — each step of its review
  (from, to, reason, methods *enc*; who and when in clear). Written by
  ``memoria.search.review``.

Write through ``memoria.search.actions`` (version check, audit entry).
``memoria.search.frames`` turns these rows into the matching engine's tables.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from memoria.accounts.models import Organization
from memoria.cases.models import DatePrecision, Person, Versioned
from memoria.places.models import Place
from memoria.search.dental import validate_fdi
from memoria.vault.fields import (
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedDecimalField,
    EncryptedJSONField,
    EncryptedTextField,
)

# -- vocabularies ------------------------------------------------------------------------


class Sex(models.TextChoices):
    """Sex as the family reports it (the matching engine reads female and male)."""

    FEMALE = "female", _("Woman")
    MALE = "male", _("Man")
    UNKNOWN = "", _("Not recorded")


class SexEstimate(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNDETERMINED = "undetermined", _("Undetermined")


class Build(models.TextChoices):
    THIN = "thin", _("Thin")
    MEDIUM = "medium", pgettext_lazy("build", "Medium")
    HEAVY = "heavy", _("Heavy")


class Skin(models.TextChoices):
    LIGHT = "light", _("Light")
    MEDIUM = "medium", pgettext_lazy("skin", "Medium")
    DARK = "dark", _("Dark")


class SearchStatus(models.TextChoices):
    SEARCHING = "searching", _("Still being searched for")
    FOUND_ALIVE = "found_alive", _("Found alive")
    FOUND_DECEASED = "found_deceased", _("Found without life")


class MarkKind(models.TextChoices):
    TATTOO = "tattoo", _("Tattoo")
    SCAR = "scar", _("Scar")
    MOLE = "mole", _("Mole or birthmark")
    PIERCING = "piercing", _("Piercing")
    AMPUTATION = "amputation", _("Amputation")
    IMPLANT = "implant", _("Implant, plate or prosthesis")
    FRACTURE = "fracture", _("Old fracture")


# Kinds a skeletonized body can no longer show (matching.vocabulary.SKIN_KINDS).
SKIN_MARKS = frozenset({MarkKind.TATTOO, MarkKind.SCAR, MarkKind.MOLE, MarkKind.PIERCING})


class BodyRegion(models.TextChoices):
    """Coarse regions: the ones the matching engine compares (vocabulary.REGION_GROUPS)."""

    HEAD = "head", _("Head")
    FACE = "face", _("Face")
    EAR = "ear", _("Ear")
    NECK = "neck", _("Neck")
    SHOULDER = "shoulder", _("Shoulder")
    ARM = "arm", _("Upper arm")
    FOREARM = "forearm", _("Forearm")
    WRIST = "wrist", _("Wrist")
    HAND = "hand", _("Hand")
    FINGER = "finger", _("Finger")
    CHEST = "chest", _("Chest")
    ABDOMEN = "abdomen", _("Abdomen")
    BACK = "back", _("Back")
    BUTTOCK = "buttock", _("Buttock")
    HIP = "hip", _("Hip")
    LEG = "leg", _("Leg")
    THIGH = "thigh", _("Thigh")
    KNEE = "knee", _("Knee")
    CALF = "calf", _("Calf or shin")
    ANKLE = "ankle", _("Ankle")
    FOOT = "foot", _("Foot")


class Side(models.TextChoices):
    RIGHT = "right", _("Right")
    LEFT = "left", _("Left")
    BOTH = "both", _("Both sides")
    CENTRE = "centre", _("Centre")


class FilePart(models.TextChoices):
    """The parts of an AM file a family may let another organization see."""

    LAST_SEEN = "last_seen", _("When and where last seen")
    CIRCUMSTANCES = "circumstances", _("Circumstances")
    DESCRIPTION = "description", _("Physical description")
    MARKS = "marks", _("Distinguishing marks")
    PHOTOS = "photos", _("Photos")
    DENTAL = "dental", _("Dental notes")
    CLOTHING = "clothing", _("Clothing and belongings")
    MEDICAL = "medical", _("Medical conditions")
    SAMPLES = "samples", _("DNA reference samples")
    FOLIOS = "folios", _("Official folios")
    CONTACTS = "contacts", _("Family contacts")


class SampleKind(models.TextChoices):
    BUCCAL = "buccal", _("Cheek swab")
    BLOOD = "blood", _("Blood")
    OTHER = "other", pgettext_lazy("sample", "Other")


class SiteKind(models.TextChoices):
    CLANDESTINE_GRAVE = "clandestine_grave", _("Clandestine grave")
    CREMATORIUM = "crematorium", _("Crematorium site")
    WELL = "well", _("Well")
    OPEN_FIELD = "open_field", _("Open field")
    MASS_GRAVE = "mass_grave", _("Mass grave")
    OTHER = "other", pgettext_lazy("site", "Other")


class FinderKind(models.TextChoices):
    COLLECTIVE = "collective", _("A search collective")
    AUTHORITY = "authority", _("An authority")
    PRESS = "press", _("The press")
    OTHER = "other", pgettext_lazy("finder", "Other")


class ExhumationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    SUSPENDED = "suspended", _("Suspended")
    DONE = "done", _("Finished")


class RemainsSource(models.TextChoices):
    BRIGADE = "brigade", _("Found by a brigade or at a site")
    FORENSIC_LIST = "forensic_list", _("A forensic service's list")


class Condition(models.TextChoices):
    """The state of the remains (the matching engine's CONDITIONS)."""

    COMPLETE = "complete", _("Complete body")
    PARTIAL = "partial", _("Partial")
    SKELETONIZED = "skeletonized", _("Skeletonized")
    FRAGMENTED = "fragmented", _("Fragmented")


class HeldAt(models.TextChoices):
    MORGUE = "morgue", _("Morgue (SEMEFO)")
    COMMON_GRAVE = "common_grave", _("Common grave")
    FORENSIC_INSTITUTE = "forensic_institute", _("Forensic institute or identification centre")
    RETURNED = "returned", _("Returned to the family")
    OTHER = "other", pgettext_lazy("held at", "Other")


class DnaStatus(models.TextChoices):
    NOT_TAKEN = "not_taken", _("No sample taken")
    SAMPLED = "sampled", _("Sample taken, no profile yet")
    PROFILED = "profiled", _("Genetic profile obtained")
    IN_DATABASE = "in_database", _("Profile in the national forensic database")
    FAILED = "failed", _("No profile could be obtained")


class IdentificationStatus(models.TextChoices):
    UNIDENTIFIED = "unidentified", _("Not identified")
    POSSIBLE = "possible", _("Possible identity under review")
    IDENTIFIED = "identified", _("Identified")


class FileSource(models.TextChoices):
    FAMILY = "family", _("The family's file")
    RNPDNO = "rnpdno", _("National registry (RNPDNO)")


class OfficialListKind(models.TextChoices):
    RNPDNO = "rnpdno", _("National registry of missing persons (RNPDNO)")
    FORENSIC = "forensic", _("A forensic service's list of unidentified bodies")


class DentalFindingKind(models.TextChoices):
    """Findings, each with the Spanish wording the matching engine reads (frames.py)."""

    MISSING_AM = "missing_am", _("Lost in life (ante mortem)")
    MISSING_PM = "missing_pm", _("Lost after death (post mortem)")
    CROWN = "crown", _("Crown")
    FILLING = "filling", _("Filling")
    ROOT_CANAL = "root_canal", _("Root canal")
    PROSTHESIS = "prosthesis", _("Bridge or prosthesis")
    BRACES = "braces", _("Braces")
    GAP = "gap", _("Gap between teeth")
    CROWDING = "crowding", _("Crowded teeth")
    OTHER = "other", pgettext_lazy("dental", "Other")


# -- shared parts -------------------------------------------------------------------------


class Mark(Versioned):
    """A distinguishing mark, with the same structure in life (AM) and after death (PM)."""

    kind = EncryptedCharField(_("kind of mark"), max_length=10, choices=MarkKind.choices)
    region = EncryptedCharField(
        _("body region"), max_length=10, choices=BodyRegion.choices, blank=True
    )
    side = EncryptedCharField(_("side"), max_length=6, choices=Side.choices, blank=True)
    motif = EncryptedCharField(
        _("motif"),
        max_length=200,
        blank=True,
        help_text=_("For a tattoo, what it shows (a rose, the Virgin, a name...)."),
    )
    text = EncryptedCharField(
        _("text written in it"),
        max_length=200,
        blank=True,
        help_text=_("Letters or numbers in the tattoo, as written."),
    )
    description = EncryptedTextField(_("description"), blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.get_kind_display())


class PlaceWithLocality(Place):
    """The shared place fields with the locality encrypted too (as ``Event`` does)."""

    locality = EncryptedCharField(_("locality or address"), max_length=200, blank=True)

    class Meta:
        abstract = True


# -- ante mortem --------------------------------------------------------------------------


class AnteMortemFile(Versioned, PlaceWithLocality):
    """The family's file on one disappeared person (Interpol's yellow form)."""

    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="ante_mortem_files",
        verbose_name=_("person in the case records"),
        # Empty only for a record imported from an official list (``source``).
        null=True,
        blank=True,
    )
    # Where the record comes from: the family, or an official list imported
    # (memoria.search.official). An official record has no case person and no
    # family contacts; it keeps its import batch and the blind key of its folio.
    source = models.CharField(
        _("source"), max_length=8, choices=FileSource.choices, default=FileSource.FAMILY
    )
    import_batch = models.ForeignKey(
        "OfficialImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ante_mortem_files",
        verbose_name=_("import"),
    )
    folio_key = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    official_name = EncryptedCharField(
        _("name as the registry publishes it"), max_length=300, blank=True
    )
    official_status = EncryptedCharField(_("status in the registry"), max_length=120, blank=True)
    last_seen_date = EncryptedDateField(_("date last seen"), null=True, blank=True)
    last_seen_precision = EncryptedCharField(
        _("precision of the date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    circumstances = EncryptedTextField(_("circumstances of the disappearance"), blank=True)
    search_status = EncryptedCharField(
        _("search status"),
        max_length=14,
        choices=SearchStatus.choices,
        default=SearchStatus.SEARCHING,
    )
    # Physical description
    sex = EncryptedCharField(_("sex"), max_length=6, choices=Sex.choices, blank=True)
    age_at_disappearance = EncryptedDecimalField(
        _("age at disappearance"),
        max_digits=3,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
    )
    stature_cm = EncryptedDecimalField(
        _("stature (cm)"),
        max_digits=3,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(40), MaxValueValidator(240)],
    )
    build = EncryptedCharField(_("build"), max_length=6, choices=Build.choices, blank=True)
    skin = EncryptedCharField(_("skin colour"), max_length=6, choices=Skin.choices, blank=True)
    hair_color = EncryptedCharField(_("hair colour"), max_length=80, blank=True)
    hair_length = EncryptedCharField(_("hair length"), max_length=80, blank=True)
    eye_color = EncryptedCharField(_("eye colour"), max_length=80, blank=True)
    other_features = EncryptedTextField(_("other features"), blank=True)
    # What else identifies them
    dental_notes = EncryptedTextField(
        _("dental notes"),
        blank=True,
        help_text=_("Missing teeth, crowns, fillings, braces... in the family's words."),
    )
    clothing = EncryptedTextField(
        _("clothing when last seen"), blank=True, help_text=_("Separate garments with commas.")
    )
    belongings = EncryptedTextField(_("belongings when last seen"), blank=True)
    medical_conditions = EncryptedTextField(
        _("medical conditions"), blank=True, help_text=_("Illnesses, operations, medicines.")
    )
    # Official folios
    rnpdno_folio = EncryptedCharField(_("RNPDNO folio"), max_length=80, blank=True)
    prosecutor_file = EncryptedCharField(
        _("prosecutor's file (carpeta de investigación)"), max_length=120, blank=True
    )
    commission_file = EncryptedCharField(_("search commission file"), max_length=120, blank=True)
    # Memorial
    memorial_may_name = models.BooleanField(
        _("a public memorial may name this person"), default=False
    )
    memorial_consent_note = EncryptedTextField(_("memorial consent given by, and how"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ante-mortem file")
        verbose_name_plural = _("ante-mortem files")
        constraints = [
            models.UniqueConstraint(fields=["person"], name="search_am_file_per_person"),
            models.CheckConstraint(
                condition=Q(source="family", person__isnull=False)
                | Q(~Q(source="family"), person__isnull=True),
                name="search_am_family_has_person",
            ),
        ]

    def __str__(self) -> str:
        if self.person_id is None:
            return self.rnpdno_folio or f"#{self.pk}"
        return self.person.full_name or f"#{self.pk}"


class AnteMortemMark(Mark):
    file = models.ForeignKey(AnteMortemFile, on_delete=models.CASCADE, related_name="marks")

    class Meta:
        ordering = ["file", "id"]
        verbose_name = _("distinguishing mark")
        verbose_name_plural = _("distinguishing marks")


class FamilyContact(Versioned):
    file = models.ForeignKey(AnteMortemFile, on_delete=models.CASCADE, related_name="contacts")
    name = EncryptedCharField(_("name"), max_length=200)
    relationship = EncryptedCharField(_("relationship"), max_length=120, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    email = EncryptedCharField(_("e-mail"), max_length=254, blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    receives_news = models.BooleanField(
        _("designated person who receives news"),
        default=False,
        help_text=_("The one person the organization tells, in person, of any finding."),
    )

    class Meta:
        ordering = ["file", "-receives_news", "id"]
        verbose_name = _("family contact")
        verbose_name_plural = _("family contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["file"], condition=Q(receives_news=True), name="search_one_news_contact"
            )
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class ReferenceSample(Versioned):
    file = models.ForeignKey(AnteMortemFile, on_delete=models.CASCADE, related_name="samples")
    donor = EncryptedCharField(_("given by"), max_length=200)
    donor_relationship = EncryptedCharField(
        _("relationship to the disappeared person"), max_length=120, blank=True
    )
    sample_kind = EncryptedCharField(
        _("sample"), max_length=6, choices=SampleKind.choices, default=SampleKind.BUCCAL
    )
    taken_on = EncryptedDateField(_("date taken"), null=True, blank=True)
    held_by = EncryptedCharField(_("held by (laboratory or institution)"), max_length=200)
    folio = EncryptedCharField(_("folio"), max_length=120, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["file", "id"]
        verbose_name = _("DNA reference sample")
        verbose_name_plural = _("DNA reference samples")

    def __str__(self) -> str:
        return self.donor or f"#{self.pk}"


class RecipientConsent(Versioned):
    file = models.ForeignKey(AnteMortemFile, on_delete=models.CASCADE, related_name="consents")
    recipient = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organization that may see it"),
    )
    parts = models.JSONField(_("parts it may see"), default=list, blank=True)
    given_by = EncryptedCharField(_("consent given by"), max_length=200)
    given_on = EncryptedDateField(_("date given"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["file", "id"]
        verbose_name = _("consent to share")
        verbose_name_plural = _("consents to share")
        constraints = [
            models.UniqueConstraint(fields=["file", "recipient"], name="search_consent_once")
        ]

    def __str__(self) -> str:
        return str(self.recipient)

    def part_labels(self) -> list[str]:
        labels = dict(FilePart.choices)
        return [str(labels[part]) for part in self.parts if part in labels]


# -- graves and brigades ------------------------------------------------------------------


class SearchSite(Versioned, PlaceWithLocality):
    """A grave or a search site found by a brigade, an authority or the press."""

    name = EncryptedCharField(
        _("name"), max_length=200, help_text=_("How the collective refers to the site.")
    )
    kind = EncryptedCharField(
        _("kind of site"),
        max_length=17,
        choices=SiteKind.choices,
        default=SiteKind.CLANDESTINE_GRAVE,
    )
    found_on = EncryptedDateField(_("date found"), null=True, blank=True)
    found_by_kind = EncryptedCharField(
        _("found by"), max_length=10, choices=FinderKind.choices, default=FinderKind.COLLECTIVE
    )
    found_by = EncryptedCharField(_("who found it"), max_length=200, blank=True)
    bodies = EncryptedDecimalField(
        _("bodies"),
        max_digits=5,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    fragments = EncryptedDecimalField(
        _("fragments"),
        max_digits=6,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    exhumation_status = EncryptedCharField(
        _("exhumation"),
        max_length=11,
        choices=ExhumationStatus.choices,
        default=ExhumationStatus.NOT_STARTED,
    )
    authority = EncryptedCharField(_("authority in charge"), max_length=200, blank=True)
    description = EncryptedTextField(_("description"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("grave or search site")
        verbose_name_plural = _("graves and search sites")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class BrigadeDay(Versioned):
    """A brigade's day in the field: who went, where, what was found."""

    site = models.ForeignKey(
        SearchSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="brigade_days",
        verbose_name=_("site"),
    )
    date = EncryptedDateField(_("date"))
    place = EncryptedCharField(_("where"), max_length=300, blank=True)
    participants = EncryptedTextField(_("who went"), blank=True)
    findings = EncryptedTextField(_("what was found"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("brigade day")
        verbose_name_plural = _("brigade days")

    def __str__(self) -> str:
        return str(self.date or f"#{self.pk}")


# -- post mortem --------------------------------------------------------------------------


class RemainsRecord(Versioned, PlaceWithLocality):
    """One set of unidentified remains (Interpol's pink form)."""

    site = models.ForeignKey(
        SearchSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="remains",
        verbose_name=_("grave or site"),
    )
    source = EncryptedCharField(
        _("source"), max_length=13, choices=RemainsSource.choices, default=RemainsSource.BRIGADE
    )
    semefo_folio = EncryptedCharField(
        _("forensic service folio (SEMEFO)"), max_length=120, blank=True
    )
    found_on = EncryptedDateField(_("date found"), null=True, blank=True)
    sex_estimate = EncryptedCharField(
        _("estimated sex"),
        max_length=12,
        choices=SexEstimate.choices,
        default=SexEstimate.UNDETERMINED,
    )
    age_min = EncryptedDecimalField(
        _("age from"),
        max_digits=3,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
    )
    age_max = EncryptedDecimalField(
        _("age to"),
        max_digits=3,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
    )
    stature_min_cm = EncryptedDecimalField(
        _("stature from (cm)"),
        max_digits=3,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(30), MaxValueValidator(240)],
    )
    stature_max_cm = EncryptedDecimalField(
        _("stature to (cm)"),
        max_digits=3,
        decimal_places=0,
        null=True,
        blank=True,
        validators=[MinValueValidator(30), MaxValueValidator(240)],
    )
    clothing = EncryptedTextField(
        _("clothing found"), blank=True, help_text=_("Separate garments with semicolons.")
    )
    belongings = EncryptedTextField(_("belongings found"), blank=True)
    condition = EncryptedCharField(
        _("condition"), max_length=12, choices=Condition.choices, default=Condition.PARTIAL
    )
    held_at_kind = EncryptedCharField(
        _("held at"), max_length=18, choices=HeldAt.choices, default=HeldAt.MORGUE
    )
    held_at = EncryptedCharField(_("which one"), max_length=200, blank=True)
    dna_status = EncryptedCharField(
        _("DNA profile"), max_length=11, choices=DnaStatus.choices, default=DnaStatus.NOT_TAKEN
    )
    identification_status = EncryptedCharField(
        _("identification"),
        max_length=12,
        choices=IdentificationStatus.choices,
        default=IdentificationStatus.UNIDENTIFIED,
    )
    notes = EncryptedTextField(
        _("notes"), blank=True, help_text=_("Context of the find; hair if it could be seen.")
    )
    import_batch = models.ForeignKey(
        "OfficialImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remains",
        verbose_name=_("import"),
    )
    folio_key = models.CharField(max_length=16, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("remains record")
        verbose_name_plural = _("remains records")

    def __str__(self) -> str:
        return self.semefo_folio or f"PM-{self.pk}"


class PostMortemMark(Mark):
    remains = models.ForeignKey(RemainsRecord, on_delete=models.CASCADE, related_name="marks")

    class Meta:
        ordering = ["remains", "id"]
        verbose_name = _("mark seen on the remains")
        verbose_name_plural = _("marks seen on the remains")


class DentalFinding(Versioned):
    remains = models.ForeignKey(
        RemainsRecord, on_delete=models.CASCADE, related_name="dental_findings"
    )
    tooth = EncryptedCharField(
        _("tooth (FDI number)"),
        max_length=2,
        blank=True,
        validators=[validate_fdi],
        help_text=_("Two digits, 11 to 48 (51 to 85 for milk teeth); empty for the whole mouth."),
    )
    finding = EncryptedCharField(_("finding"), max_length=10, choices=DentalFindingKind.choices)
    description = EncryptedCharField(
        _("details"), max_length=300, blank=True, help_text=_("Material, colour, extent.")
    )

    class Meta:
        ordering = ["remains", "id"]
        verbose_name = _("dental finding")
        verbose_name_plural = _("dental findings")

    def __str__(self) -> str:
        return f"{self.tooth} {self.get_finding_display()}".strip()


# -- photos -------------------------------------------------------------------------------


class SearchPhoto(Versioned):
    """A photo of a file, a site or remains. Its bytes live encrypted in the database."""

    MAX_SIZE = 10 * 1024 * 1024

    ante_mortem_file = models.ForeignKey(
        AnteMortemFile, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    site = models.ForeignKey(
        SearchSite, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    remains = models.ForeignKey(
        RemainsRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    caption = EncryptedCharField(_("caption"), max_length=300, blank=True)
    filename = EncryptedCharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=120, default="application/octet-stream")
    size = models.PositiveIntegerField(default=0)
    content = EncryptedBinaryField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(ante_mortem_file__isnull=False, site__isnull=True, remains__isnull=True)
                    | Q(ante_mortem_file__isnull=True, site__isnull=False, remains__isnull=True)
                    | Q(ante_mortem_file__isnull=True, site__isnull=True, remains__isnull=False)
                ),
                name="search_photo_of_one_record",
            )
        ]

    def __str__(self) -> str:
        return self.filename


# -- review of possible matches ------------------------------------------------------------


class CandidateStatus(models.TextChoices):
    """Where a possible match stands. Only a laboratory or a dental or fingerprint
    comparison confirms an identification; the engine's score only says where to look."""

    POSSIBLE = "possible", _("Possible")
    UNDER_REVIEW = "under_review", _("Under review")
    EXCLUDED = "excluded", _("Excluded")
    REFERRED = "referred", _("Referred for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected by the confirmation")


class ConfirmationMethod(models.TextChoices):
    DNA = "dna", _("DNA")
    DENTAL = "dental", _("Dental comparison")
    FINGERPRINTS = "fingerprints", _("Fingerprints")


class Candidate(Versioned):
    """A possible match: one AM file and one remains record the engine ranks together.

    ``score`` *enc* is the engine's log10 likelihood ratio (comparable across
    people; ``None`` when the engine now excludes the pair), ``reasons`` *enc*
    its explanation (evidence with weights, exclusions with their reasons),
    ``status`` *enc* the review's stage, ``referred_to`` *enc* the methods of
    confirmation asked for. In clear: the two records, ``flagged_at`` (a new
    strong candidate the reviewer has not acted on yet) and ``matched_at``
    (the last re-matching that scored it). Written by ``memoria.search.review``.
    """

    file = models.ForeignKey(AnteMortemFile, on_delete=models.CASCADE, related_name="candidates")
    remains = models.ForeignKey(RemainsRecord, on_delete=models.CASCADE, related_name="candidates")
    score = EncryptedJSONField(_("score"), null=True, blank=True)
    reasons = EncryptedJSONField(_("reasons"), default=dict, blank=True)
    status = EncryptedCharField(
        _("status"),
        max_length=12,
        choices=CandidateStatus.choices,
        default=CandidateStatus.POSSIBLE,
    )
    referred_to = EncryptedJSONField(_("confirmation by"), default=list, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["file", "remains"]
        verbose_name = _("possible match")
        verbose_name_plural = _("possible matches")
        constraints = [
            models.UniqueConstraint(fields=["file", "remains"], name="search_candidate_once")
        ]

    def __str__(self) -> str:
        return f"AM-{self.file_id} × PM-{self.remains_id}"

    def referred_labels(self) -> list[str]:
        labels = dict(ConfirmationMethod.choices)
        return [str(labels[code]) for code in self.referred_to or [] if code in labels]


class CandidateDecision(models.Model):
    """One step of a candidate's review: from which status to which, by whom, when, why."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="decisions")
    from_status = EncryptedCharField(max_length=12, choices=CandidateStatus.choices)
    to_status = EncryptedCharField(max_length=12, choices=CandidateStatus.choices)
    reason = EncryptedTextField(_("reason"), blank=True)
    referred_to = EncryptedJSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["candidate", "decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.from_status} → {self.to_status}"

    @property
    def vault_organization_id(self) -> int:
        return self.organization_id


# -- official lists (memoria.search.official) -------------------------------------------


class OfficialImport(Versioned):
    """One import of an official list: the batch its records keep.

    ``publisher`` *enc* (which forensic service, which registry cut),
    ``filename`` *enc*; the counts are clear (they name no one).
    """

    kind = models.CharField(_("list"), max_length=8, choices=OfficialListKind.choices)
    publisher = EncryptedCharField(_("published by"), max_length=200, blank=True)
    filename = EncryptedCharField(_("file"), max_length=255, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("official list import")
        verbose_name_plural = _("official list imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class RegistryDecision(Versioned):
    """A reviewer's decision on a pair: a family's file and a registry record.

    ``same`` says whether they are the same person. The absence report reads
    these before the linkage scores: a decided pair is never uncertain again.
    """

    file = models.ForeignKey(
        AnteMortemFile, on_delete=models.CASCADE, related_name="registry_decisions"
    )
    registry_record = models.ForeignKey(AnteMortemFile, on_delete=models.CASCADE, related_name="+")
    same = models.BooleanField(_("same person"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("registry decision")
        verbose_name_plural = _("registry decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["file", "registry_record"], name="search_registry_decision_once"
            )
        ]
