"""Forms of case documentation.

Plain ``forms.Form`` classes (not model forms): encrypted model fields are
written by the actions in ``actions.py``, which take a form's ``cleaned_data``.
Dates that may be partial are three small fields (year, month, day); their
precision follows from which ones are filled. Long forms declare
``fieldsets`` so templates show them in groups a phone can scroll through.
"""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.cases import access
from memoria.cases.ages import check_birth_and_age, shown
from memoria.cases.caseindex import month_of
from memoria.cases.curp import curp_error
from memoria.cases.models import (
    PROFILE_FLAGS,
    Confidence,
    DatePrecision,
    Event,
    Person,
    Reliability,
    Sex,
    Term,
    Visibility,
    Vocabulary,
)
from memoria.places.forms import PlaceFormMixin, posted_state_code
from memoria.places.models import Municipality, State

MONTHS = [
    ("", _("— month —")),
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]


def validate_curp(value: str) -> None:
    """Refuse a CURP saying which of its checks failed (length, format, date, state, digit)."""
    error = curp_error(value)
    if error is not None:
        raise ValidationError(error, code="curp")


def term_choices(organization, vocabulary: str, keep=(), *, retired: bool = False):
    """The terms a form offers: those in use, the record's own (``keep``: terms or
    ids, e.g. the current violation type) even once retired, and with
    ``retired`` every retired one (for filters, which must still find old records)."""
    keep_ids = [getattr(term, "pk", term) for term in keep if term is not None]
    terms = Term.objects.filter(
        Q(organization__isnull=True) | Q(organization=organization), vocabulary__code=vocabulary
    )
    if not retired:
        terms = terms.filter(Q(is_active=True) | Q(pk__in=keep_ids))
    return terms.order_by("position", "label_es")


def term_label(term: Term) -> str:
    if term.is_active:
        return term.label
    return _("%(label)s (retired)") % {"label": term.label}


class TermChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", _("— choose —"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Term) -> str:
        return term_label(obj)


class BoundedIdsMixin:
    """Refuse an id no database column can hold before it reaches a query.

    ``ModelMultipleChoiceField`` looks the chosen ids up with ``pk__in``, which
    SQLite cannot bind past 64 bits (``OverflowError``, a 500): a posted
    ``tags=99999999999999999999`` is an invalid choice like any unknown id.
    """

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # Django's own check refuses it
            if not -(2**63) <= number < 2**63:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class TermMultipleChoiceField(BoundedIdsMixin, forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Term) -> str:
        return term_label(obj)


class GroupedForm(forms.Form):
    """A form whose visible fields are shown in fieldsets: ``[(legend, [names])]``."""

    fieldsets: list[tuple[str, list[str]]] = []

    def grouped_fields(self):
        shown = set()
        groups = []
        for legend, names in self.fieldsets:
            fields = [self[name] for name in names if name in self.fields]
            fields = [field for field in fields if not field.is_hidden]
            shown.update(field.name for field in fields)
            if fields:
                groups.append((legend, fields))
        rest = [f for f in self.visible_fields() if f.name not in shown]
        if rest:
            groups.append(("", rest))
        return groups


class VersionedFormMixin:
    """The version the edit started from; the save is refused if it is stale."""

    def add_version(self, version: int | None) -> None:
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, initial=version)


def partial_date_fields(prefix: str) -> dict:
    return {
        f"{prefix}_year": forms.IntegerField(
            label=_("Year"),
            min_value=1900,
            max_value=2100,
            required=False,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        ),
        f"{prefix}_month": forms.TypedChoiceField(
            label=_("Month"), choices=MONTHS, coerce=int, empty_value=None, required=False
        ),
        f"{prefix}_day": forms.IntegerField(
            label=_("Day"),
            min_value=1,
            max_value=31,
            required=False,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        ),
    }


def combine_partial_date(form: forms.Form, prefix: str) -> tuple[datetime.date | None, str]:
    """(date, precision) from the year/month/day fields; adds errors to ``form``."""
    year = form.cleaned_data.get(f"{prefix}_year")
    month = form.cleaned_data.get(f"{prefix}_month")
    day = form.cleaned_data.get(f"{prefix}_day")
    if year is None:
        if month or day:
            form.add_error(f"{prefix}_year", _("Give the year too, or leave the date empty."))
        return None, DatePrecision.UNKNOWN
    if day and not month:
        form.add_error(f"{prefix}_month", _("Give the month of that day."))
        return None, DatePrecision.UNKNOWN
    try:
        date = datetime.date(year, month or 1, day or 1)
    except ValueError:
        form.add_error(f"{prefix}_day", _("That month has no such day."))
        return None, DatePrecision.UNKNOWN
    if date > timezone.localdate():
        form.add_error(f"{prefix}_year", _("The date cannot be in the future."))
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    return date, precision


def partial_date_initial(prefix: str, date: datetime.date | None, precision: str) -> dict:
    if date is None or precision == DatePrecision.UNKNOWN:
        return {}
    initial = {f"{prefix}_year": date.year}
    if precision in (DatePrecision.MONTH, DatePrecision.DAY):
        initial[f"{prefix}_month"] = date.month
    if precision == DatePrecision.DAY:
        initial[f"{prefix}_day"] = date.day
    return initial


# -- events ---------------------------------------------------------------------------


class EventForm(VersionedFormMixin, PlaceFormMixin, GroupedForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=300,
        help_text=_("A short description of what happened, e.g. “Disappearance on the highway”."),
    )
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea, required=False)
    state = forms.ModelChoiceField(label=_("State"), queryset=State.objects.none(), required=False)
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), required=False
    )
    locality = forms.CharField(
        label=_("Locality, neighbourhood or place"), max_length=200, required=False
    )
    latitude = forms.DecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, required=False,
        min_value=14, max_value=33,
    )  # fmt: skip
    longitude = forms.DecimalField(
        label=_("Longitude"), max_digits=9, decimal_places=6, required=False,
        min_value=-119, max_value=-86,
    )  # fmt: skip
    status = forms.ChoiceField(
        label=_("Status"), choices=Event.Status.choices, initial=Event.Status.OPEN
    )
    tags = TermMultipleChoiceField(
        label=_("Tags"),
        queryset=Term.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    fieldsets = [
        (_("The event"), ["title", "description", "status"]),
        (_("When it began"), ["start_year", "start_month", "start_day"]),
        (_("When it ended (if it did)"), ["end_year", "end_month", "end_day"]),
        (_("Where"), ["state", "municipality", "locality", "latitude", "longitude"]),
        (_("Tags"), ["tags"]),
    ]

    def __init__(self, *args, organization, instance: Event | None = None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields.update(partial_date_fields("start"))
        self.fields.update(partial_date_fields("end"))
        self.setup_place_fields()
        current_tags = instance.tags.all() if instance is not None else ()
        self.fields["tags"].queryset = term_choices(
            organization, Vocabulary.EVENT_TAG, keep=current_tags
        )
        if instance is not None:
            self.add_version(instance.version)

    @staticmethod
    def initial_from(event: Event) -> dict:
        initial = {
            "title": event.title,
            "description": event.description,
            "state": event.state_id,
            "municipality": event.municipality_id,
            "locality": event.locality,
            "latitude": event.latitude,
            "longitude": event.longitude,
            "status": event.status,
            "tags": list(event.tags.all()),
        }
        initial.update(partial_date_initial("start", event.start_date, event.start_precision))
        initial.update(partial_date_initial("end", event.end_date, event.end_precision))
        return initial

    def clean(self):
        data = super().clean()
        data["start_date"], data["start_precision"] = combine_partial_date(self, "start")
        data["end_date"], data["end_precision"] = combine_partial_date(self, "end")
        start, end = data["start_date"], data["end_date"]
        if start and end and end < start:
            self.add_error("end_year", _("The end cannot come before the start."))
        if self.instance is not None and start and not self.has_error("start_year"):
            self.check_direct_victims_born(start, data["start_precision"])
        return data

    def check_direct_victims_born(self, start: datetime.date, precision: str) -> None:
        """Refuse a start before the birth of any direct victim of this case.

        Each victim's partial birth date is a range, as in the victim form: only
        a birth after every day the start may mean is refused.
        """
        victims = Person.objects.filter(acts__event=self.instance).distinct()
        births = {(p.birth_date, p.birth_precision) for p in victims if p.birth_date}
        for birth_date, birth_precision in sorted(births):
            problem = check_birth_and_age(birth_date, birth_precision, None, start, precision)
            if problem is not None and problem.field == "birth_date":
                self.add_error(
                    "start_year",
                    _(
                        "A direct victim of this case (born %(birth)s) was born after this "
                        "date. Check this date, or the victim's birth date."
                    )
                    % {"birth": shown(birth_date, birth_precision)},
                )


# -- people ---------------------------------------------------------------------------

PERSON_FIELDSETS = [
    (_("Name"), ["given_names", "paternal_surname", "maternal_surname", "aliases"]),
    (
        _("About the person"),
        [
            "sex",
            "gender_identity",
            "birth_year",
            "birth_month",
            "birth_day",
            "age",
            "nationality",
            "ethnicity",
            "occupation",
            "curp",
        ],
    ),
    (_("Risk profile"), [flag for flag, _label in PROFILE_FLAGS]),
    (_("Consent and visibility"), ["visibility", "consent_recorded", "consent_note"]),
]


def person_fields() -> dict:
    fields = {
        "given_names": forms.CharField(label=_("Given names"), max_length=200, required=False),
        "paternal_surname": forms.CharField(
            label=_("Paternal surname"), max_length=120, required=False
        ),
        "maternal_surname": forms.CharField(
            label=_("Maternal surname"), max_length=120, required=False
        ),
        "aliases": forms.CharField(
            label=_("Aliases or nicknames"),
            max_length=300,
            required=False,
            help_text=_("Separate several with commas."),
        ),
        "sex": forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN),
        "gender_identity": forms.CharField(
            label=_("Gender identity (optional)"), max_length=120, required=False
        ),
    }
    fields.update(partial_date_fields("birth"))
    fields["birth_year"].label = _("Year of birth")
    fields["birth_month"].label = _("Month of birth")
    fields["birth_day"].label = _("Day of birth")
    fields.update(
        {
            "age": forms.IntegerField(
                label=_("Age at the time of the events"),
                min_value=0,
                max_value=120,
                required=False,
                help_text=_("If the birth date is not known."),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            ),
            "nationality": forms.CharField(
                label=_("Nationality"), max_length=80, required=False, initial="Mexicana"
            ),
            "ethnicity": forms.CharField(
                label=_("Indigenous people or language (optional)"), max_length=160, required=False
            ),
            "occupation": forms.CharField(label=_("Occupation"), max_length=160, required=False),
            "curp": forms.CharField(
                label=_("CURP (optional)"),
                max_length=18,
                required=False,
                widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
            ),
        }
    )
    for flag, label in PROFILE_FLAGS:
        fields[flag] = forms.BooleanField(label=label, required=False)
    fields.update(
        {
            "visibility": forms.ChoiceField(
                label=_("Who may see this person"),
                choices=Visibility.choices,
                initial=Visibility.PRIVATE,
            ),
            "consent_recorded": forms.BooleanField(
                label=_("The person or their family gave consent, and it is recorded"),
                required=False,
            ),
            "consent_note": forms.CharField(
                label=_("Who gave consent, when and how"), widget=forms.Textarea, required=False
            ),
        }
    )
    return fields


class PersonFieldsMixin:
    """Validation of the person fields; needs ``self.instance`` (a Person or None).

    ``victim_of()`` gives the event the person is (or is being made) a direct
    victim of, that the birth date and the age must agree with.
    """

    def victim_of(self) -> Event | None:
        return None

    def clean_curp(self) -> str:
        curp = self.cleaned_data.get("curp", "").strip().upper()
        if curp:
            validate_curp(curp)
        return curp

    def clean_person(self, data: dict) -> None:
        if not any(
            data.get(f) for f in ("given_names", "paternal_surname", "maternal_surname", "aliases")
        ):
            self.add_error("given_names", _("Give at least a name, a surname or an alias."))
        data["birth_date"], data["birth_precision"] = combine_partial_date(self, "birth")
        self.check_birth_and_age(data)
        # The box shows the consent on record: unticking it withdraws the consent.
        if data.get("visibility") == Visibility.MEMORIAL and not data.get("consent_recorded"):
            if self.instance is not None and self.instance.consent_recorded_at is not None:
                message = _(
                    "Without consent the name cannot stay public in the memorial. "
                    "Choose another visibility to withdraw the consent, or tick it again "
                    "if it still stands."
                )
            else:
                message = _(
                    "A name is shown in the memorial only with the family's recorded consent."
                )
            self.add_error("visibility", message)

    def check_birth_and_age(self, data: dict) -> None:
        event = self.victim_of()
        if event is None or self.has_error("birth_year") or self.has_error("age"):
            return
        problem = check_birth_and_age(
            data["birth_date"],
            data["birth_precision"],
            data.get("age"),
            event.start_date,
            event.start_precision,
        )
        if problem is not None:
            field = "birth_year" if problem.field == "birth_date" else "age"
            self.add_error(field, problem.message)


def person_initial(person: Person) -> dict:
    initial = {field: getattr(person, field) for field in (
        "given_names", "paternal_surname", "maternal_surname", "aliases", "sex",
        "gender_identity", "age", "nationality", "ethnicity", "occupation", "curp",
        "visibility", "consent_note",
    )}  # fmt: skip
    initial.update({flag: getattr(person, flag) for flag, _label in PROFILE_FLAGS})
    initial["consent_recorded"] = person.consent_recorded_at is not None
    initial.update(partial_date_initial("birth", person.birth_date, person.birth_precision))
    return initial


class PersonForm(VersionedFormMixin, PersonFieldsMixin, GroupedForm):
    fieldsets = PERSON_FIELDSETS

    def __init__(self, *args, instance: Person, **kwargs):
        kwargs.setdefault("initial", person_initial(instance))
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields.update(person_fields())
        self.add_version(instance.version)

    def victim_of(self) -> Event | None:
        """The first dated event the person is a direct victim of (ages refer to it).

        The day is encrypted (the database would order ciphertexts): the person's
        few events are compared here, after decryption."""
        events = Event.objects.filter(acts__victim=self.instance).distinct()
        dated = [
            event
            for event in events
            if event.start_date and month_of(event.start_date, event.start_precision)
        ]
        return min(dated, key=lambda event: event.start_date, default=None)

    def clean(self):
        data = super().clean()
        self.clean_person(data)
        return data


class VictimForm(PersonFieldsMixin, GroupedForm):
    """A direct victim in one go: the person, what was done to them and by whom."""

    instance = None

    fieldsets = [
        (_("What was done to this person"), ["violation_type", "situation", "act_description"]),
        *PERSON_FIELDSETS[:1],
        (
            _("Who is held responsible"),
            ["perpetrator_kind", "group_name", "basis", "confidence"],
        ),
        *PERSON_FIELDSETS[1:],
    ]

    def __init__(self, *args, organization, event: Event | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields.update(
            {
                "violation_type": TermChoiceField(
                    label=_("Violation"),
                    queryset=term_choices(organization, Vocabulary.VIOLATION_TYPE),
                ),
                "situation": TermChoiceField(
                    label=_("Situation afterwards"),
                    queryset=term_choices(organization, Vocabulary.VICTIM_SITUATION),
                    required=False,
                ),
                "act_description": forms.CharField(
                    label=_("What happened to this person"),
                    widget=forms.Textarea,
                    required=False,
                ),
            }
        )
        self.fields.update(person_fields())
        self.fields.update(attribution_fields(organization, required=False))

    def victim_of(self) -> Event | None:
        return self.event

    def clean(self):
        data = super().clean()
        self.clean_person(data)
        data["description"] = data.get("act_description", "")
        data["kind"] = data.get("perpetrator_kind")
        return data


class PartForm(VersionedFormMixin, GroupedForm):
    """The form of one part of a case (an act, a perpetrator, a source…), new or edited.

    Every part form takes the same arguments (the organization, the case, and
    the record when editing), fills its initial values from ``initial_fields``
    and, when editing, carries the version the edit started from. A new kind
    of record (a missing-person file, a grave, a risk assessment) subclasses
    it and declares ``part_fields``.
    """

    initial_fields: dict[str, str] = {}  # form field -> the record's attribute

    def __init__(self, *args, organization, event=None, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault("initial", self.initial_from(instance))
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.event = event
        self.instance = instance
        self.fields.update(self.part_fields(organization, event, instance))
        if instance is not None:
            self.add_version(instance.version)

    def initial_from(self, instance) -> dict:
        return {name: getattr(instance, attr) for name, attr in self.initial_fields.items()}

    def part_fields(self, organization, event, instance) -> dict:
        raise NotImplementedError


def kept(instance, attribute: str) -> list:
    """The current term of an edited record, kept in the choices even if retired."""
    return [getattr(instance, attribute, None)]


def victims_of(organization, event):
    return Person.objects.filter(organization=organization, acts__event=event).distinct()


def relationship_fields(organization, event, instance=None) -> dict:
    return {
        "direct_victim": forms.ModelChoiceField(
            label=_("Relative of"), queryset=victims_of(organization, event), empty_label=None
        ),
        "relationship": TermChoiceField(
            label=_("Relationship"),
            queryset=term_choices(
                organization, Vocabulary.RELATIONSHIP, keep=kept(instance, "relationship_id")
            ),
        ),
    }


class RelativeForm(PartForm):
    """A relative or dependant of a direct victim: an indirect victim."""

    def part_fields(self, organization, event, instance) -> dict:
        return {
            **relationship_fields(organization, event),
            "given_names": forms.CharField(label=_("Given names"), max_length=200, required=False),
            "paternal_surname": forms.CharField(
                label=_("Paternal surname"), max_length=120, required=False
            ),
            "maternal_surname": forms.CharField(
                label=_("Maternal surname"), max_length=120, required=False
            ),
            "sex": forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN),
            "is_searching_relative": forms.BooleanField(
                label=_("Searches for the victim, or is the family's contact"), required=False
            ),
            "consent_recorded": forms.BooleanField(
                label=_("The person gave consent, and it is recorded"), required=False
            ),
            "consent_note": forms.CharField(
                label=_("Who gave consent, when and how"), widget=forms.Textarea, required=False
            ),
        }

    def clean(self):
        data = super().clean()
        if not (data.get("given_names") or data.get("paternal_surname")):
            self.add_error("given_names", _("Give at least a name or a surname."))
        return data


class RelativeEditForm(PartForm):
    """Whose relative an indirect victim is, and how; their name is edited on their page."""

    initial_fields = {"direct_victim": "direct_victim_id", "relationship": "relationship_id"}

    def part_fields(self, organization, event, instance) -> dict:
        return relationship_fields(organization, event, instance)


# -- acts and perpetrators -------------------------------------------------------------


class ActForm(PartForm):
    initial_fields = {
        "violation_type": "violation_type_id",
        "situation": "situation_id",
        "description": "description",
    }

    def part_fields(self, organization, event, instance) -> dict:
        return {
            "violation_type": TermChoiceField(
                label=_("Violation"),
                queryset=term_choices(
                    organization,
                    Vocabulary.VIOLATION_TYPE,
                    keep=kept(instance, "violation_type_id"),
                ),
            ),
            "situation": TermChoiceField(
                label=_("Situation afterwards"),
                queryset=term_choices(
                    organization, Vocabulary.VICTIM_SITUATION, keep=kept(instance, "situation_id")
                ),
                required=False,
            ),
            "description": forms.CharField(
                label=_("What happened to this person"), widget=forms.Textarea, required=False
            ),
        }


def attribution_fields(organization, required: bool = True, instance=None) -> dict:
    return {
        "perpetrator_kind": TermChoiceField(
            label=_("Perpetrator"),
            queryset=term_choices(
                organization, Vocabulary.PERPETRATOR_KIND, keep=kept(instance, "kind_id")
            ),
            required=required,
        ),
        "group_name": forms.CharField(
            label=_("Group, unit or corporation (optional)"), max_length=200, required=False
        ),
        "basis": TermChoiceField(
            label=_("How it is known"),
            queryset=term_choices(
                organization, Vocabulary.ATTRIBUTION_BASIS, keep=kept(instance, "basis_id")
            ),
            required=False,
        ),
        "confidence": forms.ChoiceField(
            label=_("Confidence"), choices=Confidence.choices, initial=Confidence.MEDIUM
        ),
    }


class AttributionForm(PartForm):
    initial_fields = {
        "perpetrator_kind": "kind_id",
        "group_name": "group_name",
        "basis": "basis_id",
        "confidence": "confidence",
        "notes": "notes",
    }

    def part_fields(self, organization, event, instance) -> dict:
        return {
            **attribution_fields(organization, instance=instance),
            "notes": forms.CharField(label=_("Notes"), widget=forms.Textarea, required=False),
        }

    def clean(self):
        data = super().clean()
        data["kind"] = data.get("perpetrator_kind")
        return data


# -- sources and interventions ---------------------------------------------------------


class ActChoiceField(BoundedIdsMixin, forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.victim.full_name or obj.victim.aliases} — {obj.violation_type.label}"


def date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class SourceForm(PartForm):
    initial_fields = {
        "kind": "kind_id",
        "date": "date",
        "reliability": "reliability",
        "reference": "reference",
        "summary": "summary",
    }

    def initial_from(self, instance) -> dict:
        return {**super().initial_from(instance), "acts": list(instance.acts.all())}

    def part_fields(self, organization, event, instance) -> dict:
        fields = {
            "kind": TermChoiceField(
                label=_("Kind of source"),
                queryset=term_choices(
                    organization, Vocabulary.SOURCE_KIND, keep=kept(instance, "kind_id")
                ),
            ),
            "date": date_field(_("Date of the source")),
            "reliability": forms.ChoiceField(
                label=_("Reliability"), choices=Reliability.choices, initial=Reliability.UNKNOWN
            ),
            "reference": forms.CharField(
                label=_("Reference or URL"), max_length=500, required=False
            ),
            "summary": forms.CharField(
                label=_("Content or testimony"), widget=forms.Textarea, required=False
            ),
            "acts": ActChoiceField(
                label=_("Acts it supports"),
                queryset=event.acts.select_related("victim", "violation_type"),
                required=False,
                widget=forms.CheckboxSelectMultiple,
            ),
        }
        if instance is None:
            fields["attachment"] = forms.FileField(
                label=_("Attach a file (optional)"), required=False
            )
        return fields

    def clean_attachment(self):
        return checked_attachment(self.cleaned_data.get("attachment"))


def checked_attachment(upload):
    """The upload, unless it is over the platform's limit (settings.MEMORIA_UPLOAD_MAX_BYTES)."""
    if upload is not None and upload.size > settings.MEMORIA_UPLOAD_MAX_BYTES:
        raise ValidationError(_("The file is too large (10 MB at most)."))
    return upload


class AttachmentForm(forms.Form):
    attachment = forms.FileField(label=_("File"))

    def clean_attachment(self):
        return checked_attachment(self.cleaned_data["attachment"])


class InterventionForm(PartForm):
    initial_fields = {
        "kind": "kind_id",
        "victim": "victim_id",
        "authority": "authority",
        "folio": "folio",
        "date": "date",
        "notes": "notes",
    }

    def part_fields(self, organization, event, instance) -> dict:
        return {
            "kind": TermChoiceField(
                label=_("Kind of intervention"),
                queryset=term_choices(
                    organization, Vocabulary.INTERVENTION_KIND, keep=kept(instance, "kind_id")
                ),
            ),
            "victim": forms.ModelChoiceField(
                label=_("On behalf of"),
                queryset=victims_of(organization, event),
                required=False,
                empty_label=_("— the whole case —"),
            ),
            "authority": forms.CharField(
                label=_("Authority or institution"), max_length=200, required=False
            ),
            "folio": forms.CharField(
                label=_("Folio or file number"), max_length=120, required=False
            ),
            "date": date_field(_("Date")),
            "notes": forms.CharField(
                label=_("Notes and outcome"), widget=forms.Textarea, required=False
            ),
        }


# -- lists ---------------------------------------------------------------------------


class CaseFilterForm(forms.Form):
    SORTS = [
        ("-start", _("Most recent first")),
        ("start", _("Oldest first")),
        ("-number", _("Newest record first")),
        ("number", _("Oldest record first")),
        ("state", _("By state (INEGI order)")),
        ("status", _("By status")),
    ]

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    state = forms.ModelChoiceField(
        label=_("State"), queryset=State.objects.order_by("name"), required=False
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), required=False
    )
    violation_type = TermChoiceField(
        label=_("Violation"), queryset=Term.objects.none(), required=False
    )
    perpetrator_kind = TermChoiceField(
        label=_("Perpetrator"), queryset=Term.objects.none(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Event.Status.choices], required=False
    )
    profile = forms.ChoiceField(
        label=_("Victim profile"),
        choices=[("", _("Any profile")), *PROFILE_FLAGS],
        required=False,
    )
    sort = forms.ChoiceField(label=_("Sort"), choices=SORTS, required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        # Retired terms too: the cases recorded with them must still be found.
        self.fields["violation_type"].queryset = term_choices(
            organization, Vocabulary.VIOLATION_TYPE, retired=True
        )
        self.fields["perpetrator_kind"].queryset = term_choices(
            organization, Vocabulary.PERPETRATOR_KIND, retired=True
        )
        for name in ("state", "violation_type", "perpetrator_kind"):
            self.fields[name].empty_label = _("Any")
        self.fields["municipality"].empty_label = _("Any")
        # place.js refills the municipalities when the state changes.
        self.fields["state"].widget.attrs.update({"data-place-state": ""})
        self.fields["municipality"].widget.attrs.update(
            {
                "data-place-municipality": "",
                "data-url-template": reverse_lazy("places:state_municipalities", args=["00"]),
                "data-search-url": reverse_lazy("places:search"),
            }
        )
        state_code = posted_state_code(self.data.get("state")) if self.is_bound else None
        if state_code:
            self.fields["municipality"].queryset = Municipality.objects.filter(
                state_id=state_code
            ).order_by("name")


class StatisticsFilterForm(forms.Form):
    """The statistics page's filters (GET): period, state, violation type, and the map."""

    MEASURES = [("count", _("Cases")), ("rate", _("Cases per 100,000 inhabitants"))]
    MAPS = [("states", _("States")), ("municipalities", _("Municipalities"))]

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Counts whole months: the month of this date is included."),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    state = forms.ModelChoiceField(
        label=_("State"), queryset=State.objects.order_by("name"), required=False
    )
    violation_type = TermChoiceField(
        label=_("Violation"), queryset=Term.objects.none(), required=False
    )
    measure = forms.ChoiceField(label=_("Map of"), choices=MEASURES, required=False)
    map = forms.ChoiceField(label=_("Map by"), choices=MAPS, required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["violation_type"].queryset = term_choices(
            organization, Vocabulary.VIOLATION_TYPE, retired=True
        )
        for name in ("state", "violation_type"):
            self.fields[name].empty_label = _("Any")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data


class MatchQueryForm(forms.Form):
    """What a person form has typed so far, to look for people already recorded (never saved)."""

    given_names = forms.CharField(max_length=200, required=False)
    paternal_surname = forms.CharField(max_length=120, required=False)
    maternal_surname = forms.CharField(max_length=120, required=False)
    curp = forms.CharField(max_length=18, required=False)
    exclude = forms.IntegerField(required=False)
    choose = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(partial_date_fields("birth"))

    def clean(self):
        data = super().clean()
        # Half-typed dates are normal here: an impossible one is just left out.
        data["birth_date"], data["birth_precision"] = combine_partial_date(self, "birth")
        return data


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, surnames, alias or CURP"),
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class CaseSearchForm(forms.Form):
    """The case list's search box: a case number, or a person's name (sent by POST)."""

    q = forms.CharField(
        label=_("Case number or name of a person"),
        max_length=200,
        help_text=_(
            "A case number (3001 or #3001) opens that case. A name finds the cases of a victim "
            "or relative, with accents, spelling mistakes and nicknames forgiven. Titles and "
            "descriptions are encrypted, so they are not searched."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class CaseNumberForm(GroupedForm):
    """Which of the organization's cases a person is also a victim in."""

    number = forms.IntegerField(
        label=_("Case number"),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.event = None

    def clean_number(self):
        number = self.cleaned_data["number"]
        self.event = access.events_of(self.organization).filter(number=number).first()
        if self.event is None:
            raise ValidationError(_("There is no case #%(number)s.") % {"number": number})
        return number


# -- vocabularies -------------------------------------------------------------------------


class TermForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("A short identifier without spaces, used in imports and exports."),
    )
    label_es = forms.CharField(label=_("Label in Spanish"), max_length=160)
    label_en = forms.CharField(label=_("Label in English"), max_length=160)
    position = forms.IntegerField(label=_("Position in lists"), min_value=0, initial=100)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    state_actor = forms.BooleanField(
        label=_("Counts as state involvement (perpetrator kinds only)"), required=False
    )

    def __init__(self, *args, vocabulary, organization, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.vocabulary = vocabulary
        self.organization = organization
        self.instance = instance
        if instance is not None:
            del self.fields["code"]
        if vocabulary.code != Vocabulary.PERPETRATOR_KIND:
            del self.fields["state_actor"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if (
            Term.objects.filter(
                vocabulary=self.vocabulary, code=code, organization__isnull=True
            ).exists()
            or Term.objects.filter(
                vocabulary=self.vocabulary, code=code, organization=self.organization
            ).exists()
        ):
            raise ValidationError(_("This vocabulary already has a term with this code."))
        return code
