"""Case documentation, in the spirit of the HURIDOCS Events Standard Formats.

Every row belongs to one organization (``organization`` FK on every model, so
access helpers filter on it and the vault encrypts with that organization's
key). Fields marked *enc* are encrypted at rest: they can be read and written
from Python but never filtered, sorted or grouped in SQL. References marked
*enc ref* (``EncryptedReferenceField``) read like foreign keys (``act.situation``
is a Term, ``act.situation_id`` its id) but keep the id encrypted, empty or not.

Models and key fields:

* ``Vocabulary`` — ``code`` (``violation_type``, ``victim_situation``,
  ``perpetrator_kind``, ``attribution_basis``, ``source_kind``,
  ``relationship``, ``intervention_kind``, ``event_tag``), ``name_es``, ``name_en``.
* ``Term`` — one entry of a vocabulary: ``vocabulary``, ``organization``
  (NULL for the shared network-wide terms seeded by migration; set for terms an
  organization adds), ``code``, ``label_es``, ``label_en``, ``is_active``,
  ``position``, ``state_actor`` (perpetrator kinds that are state agents).
  ``term.label`` is the label in the current language.
* ``Event`` — what happened: ``organization``, ``number`` (per organization),
  ``title`` *enc*, ``description`` *enc*, ``start_date`` *enc* /
  ``start_precision`` *enc*, the same for ``end_*``, place (``state`` *enc ref*,
  ``municipality`` *enc ref*, ``locality`` *enc*, ``latitude`` *enc*, ``longitude`` *enc*),
  ``status`` *enc* (open, verifying, verified, closed), ``tags`` (Terms), ``version``.
* ``CaseIndexEntry`` — the encrypted case index the case list and dashboard
  read: one row per event (``seq``; ``data`` *enc*, empty once packed), the
  entries packed per range of event ids in ``CaseIndexBlock`` (``data`` *enc*),
  and ``CaseIndexClock`` (one per organization). Kept by ``caseindex.rebuild``.
* ``Person`` — ``given_names``, ``paternal_surname``, ``maternal_surname``,
  ``aliases``, ``sex``, ``gender_identity``, ``birth_date``, ``birth_precision``,
  ``age``, ``age_band``, ``nationality``, ``ethnicity``, ``occupation``,
  ``curp``, ``consent_note``, the risk-profile flags
  ``is_defender``, ``is_journalist``, ``is_searching_relative``, ``is_migrant``,
  ``is_indigenous_authority``, ``is_lgbttti``, ``is_child`` (all *enc*); ``visibility``
  (private, partners, aggregate, memorial), ``consent_recorded_at``, ``version``.
* ``PersonSearchToken`` — blind index of a person's name keys:
  ``organization``, ``person``, ``token`` (indexed on organization + token).
* ``Act`` — a violation suffered by a direct victim in an event: ``event``,
  ``victim`` (Person), ``violation_type`` (Term), ``situation`` (Term *enc ref*: still
  missing, found alive…), ``description`` *enc*, ``version``.
* ``IndirectVictim`` — a relative or dependant of a direct victim:
  ``event``, ``direct_victim`` and ``person`` (Persons), ``relationship`` (Term *enc ref*).
* ``Attribution`` — who is held responsible for an act: ``act``, ``event``,
  ``kind`` (Term *enc ref*, perpetrator kind), ``group_name`` *enc*, ``basis`` (Term: how
  it is known), ``confidence`` (high, medium, low), ``notes`` *enc*.
* ``Source`` — how we know: ``event``, ``kind`` (Term), ``date`` *enc*,
  ``reliability`` (high, medium, low, unknown), ``reference`` *enc*,
  ``summary`` *enc*, ``acts`` (the acts it supports).
* ``Attachment`` — a file of a source, stored encrypted in the database:
  ``source``, ``filename`` *enc*, ``content_type``, ``size``, ``content`` *enc*
  (base64).
* ``Intervention`` — follow-up: ``event``, ``victim`` (optional Person),
  ``kind`` (Term: complaint to the prosecutor, to a human-rights commission,
  referral, accompaniment…), ``authority`` *enc*, ``folio`` *enc*, ``date`` *enc*,
  ``notes`` *enc*.
* ``Change`` — history: ``organization``, ``event`` (the case it belongs to),
  ``person`` (set for a person's own changes), ``actor``, ``at``, ``kind``
  (model name), ``object_id``, ``action`` (created, changed, deleted),
  ``changes`` *enc* (``{field: [old, new]}``, values as shown to people).

Write through ``memoria.cases.actions`` (it keeps the version, the history and
the search index together). Bulk loaders that bypass it must set
``age_band``, and the search tokens with ``search.person_keys`` +
``blind_tokens``, and call ``caseindex.rebuild`` with the events they wrote.

Every editable model has ``version``: an edit form carries it, and a save whose
version is no longer current is refused (see ``actions.ConflictError``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from memoria.accounts.models import Organization
from memoria.places.models import Place
from memoria.vault.fields import (
    EncryptedBinaryField,
    EncryptedBooleanField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedReferenceField,
    EncryptedTextField,
)


class DatePrecision(models.TextChoices):
    DAY = "day", _("Exact day")
    MONTH = "month", _("Month only")
    YEAR = "year", _("Year only")
    UNKNOWN = "unknown", _("Unknown")


class Vocabulary(models.Model):
    """A controlled list, e.g. the violation types. Its terms are data, not code."""

    VIOLATION_TYPE = "violation_type"
    VICTIM_SITUATION = "victim_situation"
    PERPETRATOR_KIND = "perpetrator_kind"
    ATTRIBUTION_BASIS = "attribution_basis"
    SOURCE_KIND = "source_kind"
    RELATIONSHIP = "relationship"
    INTERVENTION_KIND = "intervention_kind"
    EVENT_TAG = "event_tag"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_es = models.CharField(_("name in Spanish"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("vocabulary")
        verbose_name_plural = _("vocabularies")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _pick_language(self.name_es, self.name_en)


def _pick_language(spanish: str, english: str) -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language.startswith("en"):
        return english or spanish
    return spanish or english


class TermQuerySet(models.QuerySet):
    def for_organization(self, organization: Organization, vocabulary_code: str):
        """Active terms of a vocabulary that ``organization`` may use: shared ones and its own."""
        return self.filter(
            models.Q(organization__isnull=True) | models.Q(organization=organization),
            vocabulary__code=vocabulary_code,
            is_active=True,
        ).order_by("position", "label_es")


class Term(models.Model):
    vocabulary = models.ForeignKey(
        Vocabulary, on_delete=models.CASCADE, related_name="terms", verbose_name=_("vocabulary")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the network's shared terms."),
    )
    code = models.SlugField(_("code"), max_length=60)
    label_es = models.CharField(_("label in Spanish"), max_length=160)
    label_en = models.CharField(_("label in English"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)
    state_actor = models.BooleanField(
        _("state agent"),
        default=False,
        help_text=_("For perpetrator kinds: whether it counts as state involvement."),
    )

    objects = TermQuerySet.as_manager()

    class Meta:
        ordering = ["vocabulary", "position", "label_es"]
        constraints = [
            models.UniqueConstraint(
                fields=["vocabulary", "organization", "code"], name="term_code_per_vocabulary"
            ),
            models.UniqueConstraint(
                fields=["vocabulary", "code"],
                condition=models.Q(organization__isnull=True),
                name="shared_term_code",
            ),
        ]
        verbose_name = _("term")
        verbose_name_plural = _("terms")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _pick_language(self.label_es, self.label_en)


class Versioned(models.Model):
    """An editable record: who made it, when, and a version for optimistic concurrency."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def vault_organization_id(self) -> int:
        return self.organization_id


class Event(Versioned, Place):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        VERIFYING = "verifying", _("Under verification")
        VERIFIED = "verified", _("Verified")
        CLOSED = "closed", _("Closed")

    number = models.PositiveIntegerField(_("number"))
    title = EncryptedCharField(_("title"), max_length=300)
    description = EncryptedTextField(_("description"), blank=True)
    start_date = EncryptedDateField(_("start date"), null=True, blank=True)
    start_precision = EncryptedCharField(
        _("precision of the start date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
    )
    end_date = EncryptedDateField(_("end date"), null=True, blank=True)
    end_precision = EncryptedCharField(
        _("precision of the end date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
    )
    locality = EncryptedCharField(_("locality"), max_length=200, blank=True)
    status = EncryptedCharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    tags = models.ManyToManyField(Term, verbose_name=_("tags"), blank=True, related_name="+")

    class Meta:
        # The case list orders by date from the encrypted case index (listing.py).
        ordering = ["-number"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="event_number_per_org")
        ]

    def __str__(self) -> str:
        return f"#{self.number}"


class CaseIndexEntry(models.Model):
    """What the case list and the dashboard need of one event, encrypted (derived; never
    edit by hand).

    ``data`` is a short JSON list written by ``memoria.cases.caseindex.rebuild``
    (number, state, municipality, start date and precision, status, violation
    types, perpetrator kinds, whether any is a state agent, the victims'
    profile codes, the acts with a state-agent attribution); servers decrypt
    every entry of an organization into memory and filter, sort and count
    there. ``seq`` is the organization's change number when it was written.
    """

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, primary_key=True, related_name="index_entry"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    data = EncryptedJSONField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "seq"], name="case_index_seq"),
            # The few entries not yet packed in their block (a process loading the index
            # finds them without reading every row).
            models.Index(
                fields=["organization"],
                condition=models.Q(data__isnull=False),
                name="case_index_unpacked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}@{self.seq}"


class CaseIndexBlock(models.Model):
    """The index entries of the organization's events whose ids fall in one range
    (``number`` × ``caseindex.BLOCK_SIZE`` to the next), packed column by column and
    encrypted as one value (derived; never edit by hand).

    A process loads an organization's index by decrypting one block per few
    thousand events instead of one entry per event. ``seq`` is the clock's value
    when the block was last sealed, ``generation`` the clock's generation then (a
    block of another generation is ignored), ``stale`` says an event of the range
    was deleted since (its entry row is gone, its packed entry not yet).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    number = models.BigIntegerField()
    generation = models.CharField(max_length=16)
    seq = models.BigIntegerField()
    stale = models.BooleanField(default=False)
    data = EncryptedBinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="case_index_block")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.number}@{self.seq}"


class CaseIndexClock(models.Model):
    """An organization's index clock: ``seq`` grows with every entry written, ``epoch``
    with every event deleted; a new row gets a new ``generation``. A server compares
    them with what it holds in memory (``memoria.cases.caseindex.snapshot``)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    generation = models.CharField(max_length=16)
    seq = models.BigIntegerField(default=0)
    epoch = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.epoch}:{self.seq}"


class Sex(models.TextChoices):
    FEMALE = "female", _("Woman")
    MALE = "male", _("Man")
    INTERSEX = "intersex", _("Intersex")
    UNKNOWN = "unknown", _("Not recorded")


class AgeBand(models.TextChoices):
    CHILD = "0-11", _("0 to 11 years")
    ADOLESCENT = "12-17", _("12 to 17 years")
    YOUNG = "18-29", _("18 to 29 years")
    ADULT = "30-44", _("30 to 44 years")
    MIDDLE = "45-59", _("45 to 59 years")
    OLDER = "60+", _("60 years or more")
    UNKNOWN = "", _("Age unknown")


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Private to the organization")
    PARTNERS = "partners", _("Shareable with partner organizations")
    AGGREGATE = "aggregate", _("Public in aggregate statistics only")
    MEMORIAL = "memorial", _("Public by name (memorial), with the family's recorded consent")


# The risk-profile flags, in the order forms and filters show them.
PROFILE_FLAGS = (
    ("is_defender", _("Human-rights defender")),
    ("is_journalist", _("Journalist")),
    ("is_searching_relative", _("Searching relative")),
    ("is_migrant", _("Migrant")),
    ("is_indigenous_authority", _("Indigenous authority")),
    ("is_lgbttti", _("LGBTTTI person")),
    ("is_child", _("Child or adolescent")),
)


class Person(Versioned):
    given_names = EncryptedCharField(_("given names"), max_length=200, blank=True)
    paternal_surname = EncryptedCharField(_("paternal surname"), max_length=120, blank=True)
    maternal_surname = EncryptedCharField(_("maternal surname"), max_length=120, blank=True)
    aliases = EncryptedCharField(_("aliases or nicknames"), max_length=300, blank=True)
    # Sex, age band and the precision of the birth date are encrypted: with the
    # case's place and month they singled out most victims (docs/security.md).
    sex = EncryptedCharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    gender_identity = EncryptedCharField(_("gender identity"), max_length=120, blank=True)
    birth_date = EncryptedDateField(_("birth date"), null=True, blank=True)
    birth_precision = EncryptedCharField(
        _("precision of the birth date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
    )
    age = EncryptedJSONField(_("age in years"), null=True, blank=True)
    age_band = EncryptedCharField(
        _("age band"), max_length=5, choices=AgeBand.choices, blank=True, default=""
    )
    nationality = EncryptedCharField(_("nationality"), max_length=80, blank=True)
    ethnicity = EncryptedCharField(
        _("ethnicity or indigenous language"), max_length=160, blank=True
    )
    occupation = EncryptedCharField(_("occupation"), max_length=160, blank=True)
    curp = EncryptedCharField(_("CURP"), max_length=18, blank=True)
    # The risk profile is encrypted, "no" as well as "yes" (docs/security.md).
    is_defender = EncryptedBooleanField(_("human-rights defender"), default=False)
    is_journalist = EncryptedBooleanField(_("journalist"), default=False)
    is_searching_relative = EncryptedBooleanField(_("searching relative"), default=False)
    is_migrant = EncryptedBooleanField(_("migrant"), default=False)
    is_indigenous_authority = EncryptedBooleanField(_("indigenous authority"), default=False)
    is_lgbttti = EncryptedBooleanField(_("LGBTTTI"), default=False)
    is_child = EncryptedBooleanField(_("child or adolescent"), default=False)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    consent_recorded_at = models.DateTimeField(_("consent recorded"), null=True, blank=True)
    consent_note = EncryptedTextField(_("consent given by, and how"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.full_name or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        parts = (self.given_names, self.paternal_surname, self.maternal_surname)
        return " ".join(part for part in parts if part)

    @property
    def profile_labels(self) -> list[str]:
        return [label for flag, label in PROFILE_FLAGS if getattr(self, flag)]


class PersonSearchToken(models.Model):
    """One blind (keyed-hash) search key of a person's name; see ``search.py``."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="search_tokens")
    token = models.CharField(max_length=64)

    class Meta:
        # Covering (person last): a search reads only the index, never the table.
        indexes = [
            models.Index(fields=["organization", "token", "person"], name="person_token_lookup")
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "token"], name="one_token_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.token}"


class Act(Versioned):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="acts")
    victim = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="acts", verbose_name=_("direct victim")
    )
    violation_type = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="+", verbose_name=_("violation")
    )
    situation = EncryptedReferenceField(
        Term, null=True, blank=True, verbose_name=_("situation afterwards")
    )
    description = EncryptedTextField(_("what happened to this person"), blank=True)

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("act")
        verbose_name_plural = _("acts")
        indexes = [
            models.Index(fields=["organization", "violation_type", "event"], name="act_org_type"),
        ]

    def __str__(self) -> str:
        return f"{self.violation_type} ({self.event})"


class IndirectVictim(Versioned):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="indirect_victims")
    direct_victim = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="relatives", verbose_name=_("relative of")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="relative_of", verbose_name=_("person")
    )
    relationship = EncryptedReferenceField(Term, verbose_name=_("relationship"))

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("indirect victim")
        verbose_name_plural = _("indirect victims")

    def __str__(self) -> str:
        return str(self.person)


class Confidence(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Attribution(Versioned):
    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="attributions")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attributions")
    kind = EncryptedReferenceField(Term, verbose_name=_("perpetrator"))
    group_name = EncryptedCharField(_("group or unit name"), max_length=200, blank=True)
    basis = models.ForeignKey(
        Term,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("how it is known"),
    )
    confidence = models.CharField(
        _("confidence"), max_length=6, choices=Confidence.choices, default=Confidence.MEDIUM
    )
    notes = EncryptedTextField(_("notes"), blank=True)

    class Meta:
        ordering = ["act", "id"]
        verbose_name = _("perpetrator attribution")
        verbose_name_plural = _("perpetrator attributions")

    def __str__(self) -> str:
        return str(self.kind)


class Reliability(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    UNKNOWN = "unknown", _("Not assessed")


class Source(Versioned):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sources")
    kind = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind of source")
    )
    date = EncryptedDateField(_("date of the source"), null=True, blank=True)
    reliability = models.CharField(
        _("reliability"), max_length=8, choices=Reliability.choices, default=Reliability.UNKNOWN
    )
    reference = EncryptedCharField(_("reference or URL"), max_length=500, blank=True)
    summary = EncryptedTextField(_("content or testimony"), blank=True)
    acts = models.ManyToManyField(
        Act, related_name="sources", blank=True, verbose_name=_("acts it supports")
    )

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return str(self.kind)


class Attachment(Versioned):
    """A file of a source. Its bytes live encrypted in the database, never on disk."""

    MAX_SIZE = 10 * 1024 * 1024

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="attachments")
    filename = EncryptedCharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=120, default="application/octet-stream")
    size = models.PositiveIntegerField(default=0)
    content = EncryptedBinaryField(blank=True)

    class Meta:
        ordering = ["source", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class Intervention(Versioned):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="interventions")
    victim = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("on behalf of"),
    )
    kind = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind of intervention")
    )
    authority = EncryptedCharField(_("authority or institution"), max_length=200, blank=True)
    folio = EncryptedCharField(_("folio or file number"), max_length=120, blank=True)
    date = EncryptedDateField(_("date"), null=True, blank=True)
    notes = EncryptedTextField(_("notes and outcome"), blank=True)

    class Meta:
        # The date is encrypted: pages sort a case's interventions by date in Python.
        ordering = ["event", "id"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")

    def __str__(self) -> str:
        return str(self.kind)


class Change(models.Model):
    """One change to a case record: who, when, and field by field what changed."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        DELETED = "deleted", _("Deleted")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    changes = EncryptedJSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "event", "at"], name="change_org_event"),
            models.Index(fields=["organization", "person", "at"], name="change_org_person"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.action}"

    @property
    def vault_organization_id(self) -> int:
        return self.organization_id


class ImportedReference(models.Model):
    """Which case a row of an imported file became, so a second import of it is noticed.

    ``key`` is a keyed digest (the organization's blind-index key) of the
    row's own reference as the file gives it (``ref:<reference>``, e.g.
    IMP-001) or, for a row without one, of the file's content and the row's
    number; ``file_digest`` is a keyed digest of the whole file's content.
    Neither the file's name (file names carry victims' names) nor anything in
    clear is kept: ``reference`` is encrypted and only shown to the members.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="imported_as")
    key = models.CharField(max_length=64)
    file_digest = models.CharField(max_length=64)
    reference = EncryptedCharField(_("reference in the file"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "key"], name="imported_ref_key"),
            models.Index(fields=["organization", "file_digest"], name="imported_ref_file"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.key}"

    @property
    def vault_organization_id(self) -> int:
        return self.organization_id
