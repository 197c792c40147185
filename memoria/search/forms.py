"""Forms of the search pages: plain forms whose ``cleaned_data`` the actions take.

Each form is new or edited (``instance``, then it carries the version it
started from). Fields are in the order a family adviser asks the family, in
fieldsets that stack on a phone.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from memoria.accounts.models import Organization
from memoria.cases.forms import (
    GroupedForm,
    VersionedFormMixin,
    checked_attachment,
    combine_partial_date,
    date_field,
    partial_date_fields,
    partial_date_initial,
)
from memoria.cases.models import Person
from memoria.places.forms import PlaceFormMixin
from memoria.places.models import Municipality, State
from memoria.search.dental import validate_fdi
from memoria.search.models import (
    AnteMortemFile,
    BodyRegion,
    Build,
    Condition,
    DentalFindingKind,
    DnaStatus,
    ExhumationStatus,
    FilePart,
    FinderKind,
    HeldAt,
    IdentificationStatus,
    MarkKind,
    RemainsSource,
    SampleKind,
    SearchSite,
    SearchStatus,
    Sex,
    SexEstimate,
    Side,
    SiteKind,
    Skin,
)

FIRST_YEAR, LAST_YEAR = 1900, 2100
MAX_CASE_PEOPLE = 1000
TEXT = {"widget": forms.Textarea(attrs={"rows": 3}), "required": False}


def plausible(value) -> None:
    """Refuse dates no search record can have, and dates still to come."""
    if value is None:
        return
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s."),
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    if value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))


def day_field(label, *, required: bool = False) -> forms.DateField:
    field = date_field(label)
    field.required = required
    field.validators.append(plausible)
    return field


def whole_number(label, low: int, high: int, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


def blank_choices(choices, label=None) -> list:
    return [("", label or _("— not recorded —")), *choices]


class SearchForm(VersionedFormMixin, GroupedForm):
    """A search record's form, new or edited (``instance``), as the actions take it."""

    initial_fields: tuple[str, ...] = ()

    def __init__(self, *args, organization: Organization, parent=None, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault("initial", self.initial_from(instance))
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.parent = parent
        self.instance = instance
        self.setup()
        if instance is not None:
            self.add_version(instance.version)

    def initial_from(self, instance) -> dict:
        return {name: getattr(instance, name) for name in self.initial_fields}

    def setup(self) -> None:
        pass


class PlaceFields(PlaceFormMixin):
    """The place fields of ``memoria.places`` on a search form."""

    def place_fields(self) -> None:
        self.fields["state"] = forms.ModelChoiceField(
            label=_("State"), queryset=State.objects.none(), required=False
        )
        self.fields["municipality"] = forms.ModelChoiceField(
            label=_("Municipality"), queryset=Municipality.objects.none(), required=False
        )
        self.fields["locality"] = forms.CharField(
            label=_("Locality, neighbourhood or place"), max_length=200, required=False
        )
        self.fields["latitude"] = forms.DecimalField(
            label=_("Latitude"), max_digits=9, decimal_places=6, required=False,
            min_value=14, max_value=33,
        )  # fmt: skip
        self.fields["longitude"] = forms.DecimalField(
            label=_("Longitude"), max_digits=9, decimal_places=6, required=False,
            min_value=-119, max_value=-86,
        )  # fmt: skip
        self.setup_place_fields()


PLACE = ["state", "municipality", "locality", "latitude", "longitude"]


# -- ante-mortem files ----------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, person: Person) -> str:
        return person.full_name or person.aliases or _("Person #%(id)s") % {"id": person.pk}


def people_without_file(organization: Organization) -> list[int]:
    """Direct victims of the organization's cases who have no AM file yet."""
    taken = set(
        AnteMortemFile.objects.filter(organization=organization).values_list("person_id", flat=True)
    )
    people = (
        Person.objects.filter(organization=organization, acts__isnull=False)
        .exclude(pk__in=taken)
        .distinct()
        .order_by("-pk")
        .values_list("pk", flat=True)
    )
    return list(people[:MAX_CASE_PEOPLE])


class AnteMortemFileForm(PlaceFields, SearchForm):
    initial_fields = (
        "state",
        "municipality",
        "locality",
        "latitude",
        "longitude",
        "circumstances",
        "search_status",
        "sex",
        "age_at_disappearance",
        "stature_cm",
        "build",
        "skin",
        "hair_color",
        "hair_length",
        "eye_color",
        "other_features",
        "dental_notes",
        "clothing",
        "belongings",
        "medical_conditions",
        "rnpdno_folio",
        "prosecutor_file",
        "commission_file",
        "memorial_may_name",
        "memorial_consent_note",
        "notes",
    )
    person = PersonChoiceField(
        label=_("Disappeared person"),
        queryset=Person.objects.none(),
        empty_label=_("— choose the person in the case records —"),
        help_text=_("A direct victim of one of the organization's cases."),
    )
    circumstances = forms.CharField(label=_("Circumstances of the disappearance"), **TEXT)
    search_status = forms.ChoiceField(label=_("Search status"), choices=SearchStatus.choices)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, required=False)
    age_at_disappearance = whole_number(_("Age when they disappeared"), 0, 120)
    stature_cm = whole_number(
        _("Stature (cm)"), 40, 240, help_text=_("As the family remembers it, e.g. 170.")
    )
    build = forms.ChoiceField(
        label=_("Build"), choices=blank_choices(Build.choices), required=False
    )
    skin = forms.ChoiceField(
        label=_("Skin colour"), choices=blank_choices(Skin.choices), required=False
    )
    hair_color = forms.CharField(
        label=_("Hair colour"), max_length=80, required=False, help_text=_("e.g. negro, castaño.")
    )
    hair_length = forms.CharField(
        label=_("Hair length"), max_length=80, required=False, help_text=_("e.g. corto, largo.")
    )
    eye_color = forms.CharField(label=_("Eye colour"), max_length=80, required=False)
    other_features = forms.CharField(label=_("Other features"), **TEXT)
    dental_notes = forms.CharField(
        label=_("Teeth"),
        help_text=_("Missing teeth, crowns, fillings, braces… in the family's words."),
        **TEXT,
    )
    clothing = forms.CharField(
        label=_("Clothing when last seen"),
        help_text=_("Garment, colour and brand, separated by commas."),
        **TEXT,
    )
    belongings = forms.CharField(label=_("Belongings when last seen"), **TEXT)
    medical_conditions = forms.CharField(
        label=_("Medical conditions"), help_text=_("Illnesses, operations, medicines."), **TEXT
    )
    rnpdno_folio = forms.CharField(label=_("RNPDNO folio"), max_length=80, required=False)
    prosecutor_file = forms.CharField(
        label=_("Prosecutor's file (carpeta de investigación)"), max_length=120, required=False
    )
    commission_file = forms.CharField(
        label=_("Search commission file"), max_length=120, required=False
    )
    memorial_may_name = forms.BooleanField(
        label=_("The family agrees that a public memorial may name this person"), required=False
    )
    memorial_consent_note = forms.CharField(label=_("Memorial consent given by, and how"), **TEXT)
    notes = forms.CharField(label=_("Notes"), **TEXT)

    fieldsets = [
        (_("Who"), ["person", "search_status"]),
        (
            _("When and where they were last seen"),
            ["last_seen_year", "last_seen_month", "last_seen_day", *PLACE, "circumstances"],
        ),
        (
            _("Physical description"),
            [
                "sex",
                "age_at_disappearance",
                "stature_cm",
                "build",
                "skin",
                "hair_color",
                "hair_length",
                "eye_color",
                "other_features",
            ],
        ),
        (
            _("Teeth, clothing and health"),
            ["dental_notes", "clothing", "belongings", "medical_conditions"],
        ),
        (_("Official folios"), ["rnpdno_folio", "prosecutor_file", "commission_file"]),
        (_("Public memorial"), ["memorial_may_name", "memorial_consent_note"]),
        (_("Notes"), ["notes"]),
    ]

    def initial_from(self, instance) -> dict:
        initial = super().initial_from(instance)
        initial.update(
            partial_date_initial("last_seen", instance.last_seen_date, instance.last_seen_precision)
        )
        for name in ("age_at_disappearance", "stature_cm"):
            value = initial.get(name)
            initial[name] = None if value is None else int(value)
        return initial

    def setup(self) -> None:
        self.fields.update(partial_date_fields("last_seen"))
        self.place_fields()
        if self.instance is not None:
            del self.fields["person"]
        else:
            self.fields["person"].queryset = Person.objects.filter(
                organization=self.organization, pk__in=people_without_file(self.organization)
            )

    def clean(self):
        data = super().clean()
        year = data.get("last_seen_year")
        if year is not None and year < FIRST_YEAR:
            self.add_error("last_seen_year", _("Give a year after 1900."))
        data["last_seen_date"], data["last_seen_precision"] = combine_partial_date(
            self, "last_seen"
        )
        return data


class MarkForm(SearchForm):
    """A distinguishing mark, the same on an AM file and on remains."""

    initial_fields = ("kind", "region", "side", "motif", "text", "description")
    kind = forms.ChoiceField(label=_("Kind of mark"), choices=MarkKind.choices)
    region = forms.ChoiceField(
        label=_("Body region"),
        choices=blank_choices(BodyRegion.choices, _("— not known —")),
        required=False,
    )
    side = forms.ChoiceField(
        label=_("Side"), choices=blank_choices(Side.choices, _("— not known —")), required=False
    )
    motif = forms.CharField(
        label=_("What it shows"),
        max_length=200,
        required=False,
        help_text=_("For a tattoo: a rose, the Virgin, a name, a skull… For a scar: its cause."),
    )
    text = forms.CharField(
        label=_("Letters or numbers written in it"),
        max_length=200,
        required=False,
        help_text=_("Exactly as written, e.g. MARIA or 1998."),
    )
    description = forms.CharField(label=_("Description"), **TEXT)


class FamilyContactForm(SearchForm):
    initial_fields = ("name", "relationship", "phone", "email", "address", "notes", "receives_news")
    name = forms.CharField(label=_("Name"), max_length=200)
    relationship = forms.CharField(
        label=pgettext_lazy("family contact", "Relationship"),
        max_length=120,
        required=False,
        help_text=_("Mother, brother, wife…"),
    )
    phone = forms.RegexField(
        label=_("Phone"),
        regex=r"^\+?[0-9 ()-]{7,20}$",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    address = forms.CharField(label=_("Address"), **TEXT)
    notes = forms.CharField(label=_("Notes"), **TEXT)
    receives_news = forms.BooleanField(
        label=_("This is the designated person who receives news"),
        required=False,
        help_text=_(
            "The one person the organization tells, in person, of any finding. "
            "Choosing them replaces the previous one."
        ),
    )


class ReferenceSampleForm(SearchForm):
    initial_fields = (
        "donor",
        "donor_relationship",
        "sample_kind",
        "taken_on",
        "held_by",
        "folio",
        "notes",
    )
    donor = forms.CharField(label=_("Given by"), max_length=200)
    donor_relationship = forms.CharField(
        label=_("Relationship to the disappeared person"), max_length=120, required=False
    )
    sample_kind = forms.ChoiceField(label=_("Sample"), choices=SampleKind.choices)
    taken_on = day_field(_("Date taken"))
    held_by = forms.CharField(label=_("Held by (laboratory or institution)"), max_length=200)
    folio = forms.CharField(label=_("Folio"), max_length=120, required=False)
    notes = forms.CharField(label=_("Notes"), **TEXT)


class RecipientConsentForm(SearchForm):
    initial_fields = ("recipient", "parts", "given_by", "given_on", "notes")
    recipient = forms.ModelChoiceField(
        label=_("Organization that may see it"),
        queryset=Organization.objects.none(),
        empty_label=_("— choose an organization —"),
    )
    parts = forms.MultipleChoiceField(
        label=_("Parts of the file it may see"),
        choices=FilePart.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    given_by = forms.CharField(label=_("Consent given by"), max_length=200)
    given_on = day_field(_("Date given"))
    notes = forms.CharField(label=_("Notes"), **TEXT)

    def setup(self) -> None:
        self.fields["recipient"].queryset = Organization.objects.exclude(
            pk=self.organization.pk
        ).order_by("name")

    def clean(self):
        data = super().clean()
        recipient = data.get("recipient")
        if recipient is not None and self.parent is not None:
            taken = self.parent.consents.filter(recipient=recipient)
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "recipient", _("This organization already has a consent: edit that one.")
                )
        return data


# -- graves, sites and brigade days ----------------------------------------------------------


class SearchSiteForm(PlaceFields, SearchForm):
    initial_fields = (
        "name",
        "kind",
        "found_on",
        *PLACE,
        "found_by_kind",
        "found_by",
        "bodies",
        "fragments",
        "exhumation_status",
        "authority",
        "description",
    )
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("How the collective refers to the site.")
    )
    kind = forms.ChoiceField(label=_("Kind of site"), choices=SiteKind.choices)
    found_on = day_field(_("Date found"))
    found_by_kind = forms.ChoiceField(label=_("Found by"), choices=FinderKind.choices)
    found_by = forms.CharField(label=_("Who found it"), max_length=200, required=False)
    bodies = whole_number(_("Bodies"), 0, 99999)
    fragments = whole_number(_("Fragments"), 0, 999999)
    exhumation_status = forms.ChoiceField(label=_("Exhumation"), choices=ExhumationStatus.choices)
    authority = forms.CharField(label=_("Authority in charge"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), **TEXT)

    fieldsets = [
        (_("The site"), ["name", "kind", "found_on", "found_by_kind", "found_by"]),
        (_("Where"), PLACE),
        (
            _("What it holds"),
            ["bodies", "fragments", "exhumation_status", "authority", "description"],
        ),
    ]

    def initial_from(self, instance) -> dict:
        initial = super().initial_from(instance)
        for name in ("bodies", "fragments"):
            initial[name] = None if initial[name] is None else int(initial[name])
        return initial

    def setup(self) -> None:
        self.place_fields()


def site_choice(organization: Organization, label) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label=label,
        queryset=SearchSite.objects.filter(organization=organization),
        required=False,
        empty_label=_("— none —"),
    )
    field.label_from_instance = lambda site: site.name or f"#{site.pk}"
    return field


class BrigadeDayForm(SearchForm):
    initial_fields = ("site", "date", "place", "participants", "findings", "notes")
    date = day_field(_("Date"), required=True)
    place = forms.CharField(
        label=_("Where"), max_length=300, required=False, help_text=_("Ranch, road, kilometre…")
    )
    participants = forms.CharField(label=_("Who went"), **TEXT)
    findings = forms.CharField(label=_("What was found"), **TEXT)
    notes = forms.CharField(label=_("Notes"), **TEXT)

    def setup(self) -> None:
        self.fields = {"site": site_choice(self.organization, _("Site")), **self.fields}
        if self.instance is None:
            self.fields["date"].initial = timezone.localdate()
            if self.parent is not None:
                self.fields["site"].initial = self.parent.pk


# -- remains --------------------------------------------------------------------------------


class RemainsForm(PlaceFields, SearchForm):
    initial_fields = (
        "site",
        "source",
        "semefo_folio",
        "found_on",
        *PLACE,
        "sex_estimate",
        "age_min",
        "age_max",
        "stature_min_cm",
        "stature_max_cm",
        "clothing",
        "belongings",
        "condition",
        "held_at_kind",
        "held_at",
        "dna_status",
        "identification_status",
        "notes",
    )
    source = forms.ChoiceField(label=_("Source"), choices=RemainsSource.choices)
    semefo_folio = forms.CharField(
        label=_("Forensic service folio (SEMEFO)"), max_length=120, required=False
    )
    found_on = day_field(_("Date found"))
    sex_estimate = forms.ChoiceField(label=_("Estimated sex"), choices=SexEstimate.choices)
    age_min = whole_number(_("Age from"), 0, 120)
    age_max = whole_number(_("Age to"), 0, 120)
    stature_min_cm = whole_number(_("Stature from (cm)"), 30, 240)
    stature_max_cm = whole_number(_("Stature to (cm)"), 30, 240)
    clothing = forms.CharField(
        label=_("Clothing found"), help_text=_("Separate garments with semicolons."), **TEXT
    )
    belongings = forms.CharField(label=_("Belongings found"), **TEXT)
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices)
    held_at_kind = forms.ChoiceField(label=_("Held at"), choices=HeldAt.choices)
    held_at = forms.CharField(label=_("Which one"), max_length=200, required=False)
    dna_status = forms.ChoiceField(label=_("DNA profile"), choices=DnaStatus.choices)
    identification_status = forms.ChoiceField(
        label=_("Identification"), choices=IdentificationStatus.choices
    )
    notes = forms.CharField(
        label=_("Notes"), help_text=_("Context of the find; hair if it could be seen."), **TEXT
    )

    fieldsets = [
        (_("Where the remains come from"), ["site", "source", "semefo_folio", "found_on"]),
        (_("Where they were found"), PLACE),
        (
            _("Estimates"),
            ["sex_estimate", "age_min", "age_max", "stature_min_cm", "stature_max_cm", "condition"],
        ),
        (_("Clothing and belongings"), ["clothing", "belongings"]),
        (
            _("Custody and identification"),
            ["held_at_kind", "held_at", "dna_status", "identification_status"],
        ),
        (_("Notes"), ["notes"]),
    ]

    def initial_from(self, instance) -> dict:
        initial = super().initial_from(instance)
        for name in ("age_min", "age_max", "stature_min_cm", "stature_max_cm"):
            initial[name] = None if initial[name] is None else int(initial[name])
        return initial

    def setup(self) -> None:
        self.fields["site"] = site_choice(self.organization, _("Grave or site"))
        self.place_fields()
        if self.instance is None and self.parent is not None:
            self.fields["site"].initial = self.parent.pk

    def clean(self):
        data = super().clean()
        for low, high in (("age_min", "age_max"), ("stature_min_cm", "stature_max_cm")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, _("The upper end cannot be below the lower end."))
        return data


class DentalFindingForm(SearchForm):
    initial_fields = ("tooth", "finding", "description")
    tooth = forms.CharField(
        label=_("Tooth (FDI number)"),
        max_length=2,
        required=False,
        validators=[validate_fdi],
        help_text=_("Two digits, 11 to 48 (51 to 85 for milk teeth); empty for the whole mouth."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 3}),
    )
    finding = forms.ChoiceField(label=_("Finding"), choices=DentalFindingKind.choices)
    description = forms.CharField(
        label=_("Details"),
        max_length=300,
        required=False,
        help_text=_("Material, colour, extent."),
    )


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo"))
    caption = forms.CharField(label=_("What it shows"), max_length=300, required=False)

    def clean_photo(self):
        return checked_attachment(self.cleaned_data["photo"])
