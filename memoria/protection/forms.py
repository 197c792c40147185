"""Forms of the protection pages: plain forms whose ``cleaned_data`` the actions take."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from memoria.accounts.models import Membership, User
from memoria.alerts import addresses
from memoria.cases.forms import GroupedForm, VersionedFormMixin, date_field
from memoria.cases.models import Person
from memoria.places.models import State
from memoria.protection import clock
from memoria.protection.models import (
    Level,
    MeasureCategory,
    MeasureKind,
    Mechanism,
    PersonAtRisk,
    Procedure,
    Profile,
    ProtectionRequest,
    RiskFactor,
)

TIME_ZONES = (
    "America/Mexico_City",
    "America/Cancun",
    "America/Merida",
    "America/Monterrey",
    "America/Matamoros",
    "America/Chihuahua",
    "America/Ciudad_Juarez",
    "America/Ojinaga",
    "America/Mazatlan",
    "America/Bahia_Banderas",
    "America/Hermosillo",
    "America/Tijuana",
    "America/Guatemala",
    "America/Los_Angeles",
    "America/Chicago",
    "America/New_York",
    "Europe/Madrid",
    "UTC",
)
# People of the case records a person at risk may be: those with a risk profile.
RISK_PROFILE_FLAGS = ("is_defender", "is_journalist", "is_searching_relative")
MAX_CASE_PEOPLE = 500


FIRST_YEAR, LAST_YEAR = 1990, 2100


def plausible(value) -> None:
    """Refuse dates no protection record can have (and that date arithmetic cannot hold)."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s."),
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


def datetime_field(label, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        validators=[plausible],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


def not_future(value, *, slack: datetime.timedelta = datetime.timedelta(minutes=5)) -> None:
    if value is None:
        return
    if isinstance(value, datetime.datetime):
        if value > clock.now() + slack:
            raise ValidationError(_("The date cannot be in the future."))
    elif value > clock.today():
        raise ValidationError(_("The date cannot be in the future."))


def plain_date_field(label, *, required: bool = False) -> forms.DateField:
    field = date_field(label)
    field.required = required
    field.validators.append(plausible)
    return field


class RecordForm(VersionedFormMixin, GroupedForm):
    """A protection record's form, new or edited (``instance``), as the actions take it."""

    initial_fields: tuple[str, ...] = ()

    def __init__(self, *args, organization, person=None, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault("initial", self.initial_from(instance))
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.person = person
        self.instance = instance
        self.setup()
        if instance is not None:
            self.add_version(instance.version)

    def initial_from(self, instance) -> dict:
        initial = {}
        for name in self.initial_fields:
            value = getattr(instance, name)
            if isinstance(value, datetime.datetime):
                value = timezone.localtime(value)
            initial[name] = value
        return initial

    def setup(self) -> None:
        pass


class PersonAtRiskForm(RecordForm):
    initial_fields = ("display_name", "profile", "notes", "case_person", "time_zone", "status")

    display_name = forms.CharField(
        label=_("Name or pseudonym"),
        max_length=200,
        help_text=_("How the organization refers to this person; a pseudonym is enough."),
    )
    profile = forms.ChoiceField(label=_("Profile"), choices=Profile.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea, required=False)
    case_person = forms.ModelChoiceField(
        label=_("Person in the case records"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("— not in the case records —"),
        help_text=_("People recorded as defenders, journalists or searching relatives."),
    )
    member_email = forms.EmailField(
        label=_("E-mail of a member of the network"),
        required=False,
        help_text=_("If the person is a member of the network, their sign-in e-mail."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=[(zone, zone) for zone in TIME_ZONES]
    )
    status = forms.ChoiceField(label=_("Accompaniment"), choices=PersonAtRisk.Status.choices)

    def initial_from(self, instance) -> dict:
        initial = super().initial_from(instance)
        initial["member_email"] = instance.member.email if instance.member else ""
        return initial

    def setup(self) -> None:
        # The profile flags are encrypted: read newest first until enough are found.
        people = (
            Person.objects.filter(organization=self.organization)
            .only("pk", "organization_id", *RISK_PROFILE_FLAGS)
            .order_by("-pk")
        )
        ids = []
        for person in people.iterator(chunk_size=1000):
            if any(getattr(person, flag) for flag in RISK_PROFILE_FLAGS):
                ids.append(person.pk)
                if len(ids) == MAX_CASE_PEOPLE:
                    break
        keep = getattr(self.instance, "case_person_id", None)
        if keep:
            ids.append(keep)
        self.fields["case_person"].queryset = Person.objects.filter(
            organization=self.organization, pk__in=ids
        )

    def clean_member_email(self):
        email = self.cleaned_data["member_email"].strip()
        self.cleaned_data["member"] = None
        if not email:
            return email
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None or not Membership.objects.filter(user=user).exists():
            raise ValidationError(_("No member of the network signs in with this e-mail."))
        self.cleaned_data["member"] = user
        return email

    def clean(self):
        data = super().clean()
        data.setdefault("member", None)
        return data


class SupportContactForm(RecordForm):
    initial_fields = (
        "name",
        "relationship",
        "email",
        "phone",
        "signal_number",
        "webhook_url",
        "notes",
        "accepts_email",
        "accepts_sms",
        "accepts_signal",
        "accepts_webhook",
        "is_active",
        "position",
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    relationship = forms.CharField(
        label=pgettext_lazy("support contact", "Relationship"),
        max_length=120,
        required=False,
        help_text=_("Sister, lawyer, editor, colleague…"),
    )
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.RegexField(
        label=_("Phone for SMS"),
        regex=r"^\+?[0-9 ()-]{7,20}$",
        max_length=40,
        required=False,
        help_text=_("With country code, e.g. +52 55 1234 5678."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    signal_number = forms.RegexField(
        label=_("Signal number"),
        regex=r"^\+?[0-9 ()-]{7,20}$",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    webhook_url = forms.URLField(
        label=_("Webhook URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("For a system of the organization that receives alerts (HTTPS)."),
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea, required=False)
    accepts_email = forms.BooleanField(label=_("Tell them by e-mail"), required=False)
    accepts_sms = forms.BooleanField(label=_("Tell them by SMS"), required=False)
    accepts_signal = forms.BooleanField(label=_("Tell them by Signal"), required=False)
    accepts_webhook = forms.BooleanField(label=_("Tell them by webhook"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = forms.IntegerField(
        label=_("Order in the circle"), min_value=0, max_value=999, initial=0
    )

    fieldsets = [
        (_("Who"), ["name", "relationship", "notes"]),
        (_("Addresses"), ["email", "phone", "signal_number", "webhook_url"]),
        (
            _("How to tell them"),
            ["accepts_email", "accepts_sms", "accepts_signal", "accepts_webhook", "is_active"],
        ),
    ]

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"]
        if url and not url.lower().startswith("https://"):
            raise ValidationError(_("Use an https:// address."))
        try:
            addresses.check_url(url)
        except addresses.RefusedAddress as refused:
            raise ValidationError(str(refused)) from None
        return url

    def clean(self):
        data = super().clean()
        pairs = (
            ("accepts_email", "email"),
            ("accepts_sms", "phone"),
            ("accepts_signal", "signal_number"),
            ("accepts_webhook", "webhook_url"),
        )
        for accepts, address in pairs:
            if data.get(accepts) and not data.get(address) and address not in self.errors:
                self.add_error(address, _("Give the address for this channel, or untick it."))
        return data


class RiskAssessmentForm(RecordForm):
    initial_fields = ("assessed_on", "level", "summary")
    assessed_on = forms.DateField(
        label=_("Date of the assessment"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[plausible, not_future],
    )
    level = forms.ChoiceField(
        label=_("Risk level"),
        choices=Level.choices,
        help_text=_("The level sets when the assessment must be reviewed."),
    )
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea, required=False)

    def setup(self) -> None:
        if self.instance is None:
            self.fields["assessed_on"].initial = clock.today()


class RiskFactorForm(RecordForm):
    initial_fields = ("kind", "description", "date", "source")
    kind = forms.ChoiceField(label=_("Kind"), choices=RiskFactor.Kind.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea)
    date = plain_date_field(_("Date"))
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        required=False,
        help_text=_("Who reported it, or where it is documented."),
    )

    def clean_date(self):
        value = self.cleaned_data["date"]
        not_future(value)
        return value


class ProtectionRequestForm(RecordForm):
    initial_fields = (
        "mechanism",
        "state",
        "procedure",
        "filed_at",
        "file_number",
        "outcome",
        "decided_on",
        "notes",
    )
    mechanism = forms.ChoiceField(label=_("Mechanism"), choices=Mechanism.choices)
    state = forms.ChoiceField(label=_("State (for a state mechanism)"), required=False)
    procedure = forms.ChoiceField(
        label=_("Procedure"),
        choices=Procedure.choices,
        help_text=_("Extraordinary: the life or integrity of the person is in imminent danger."),
    )
    filed_at = datetime_field(_("Filed (date and time)"))
    file_number = forms.CharField(label=_("File number"), max_length=120, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ProtectionRequest.Outcome.choices)
    decided_on = plain_date_field(_("Decided on"))
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea, required=False)

    def setup(self) -> None:
        states = [(state.code, state.name) for state in State.objects.order_by("name")]
        self.fields["state"].choices = [("", _("— federal —")), *states]

    def clean_filed_at(self):
        value = self.cleaned_data["filed_at"]
        not_future(value)
        return value

    def clean(self):
        data = super().clean()
        if data.get("mechanism") == Mechanism.STATE and not data.get("state"):
            self.add_error("state", _("Choose the state whose mechanism received it."))
        if data.get("mechanism") == Mechanism.FEDERAL:
            data["state"] = ""
        decided, filed = data.get("decided_on"), data.get("filed_at")
        if decided and filed and decided < timezone.localtime(filed).date():
            self.add_error("decided_on", _("It cannot be decided before it was filed."))
        return data


class ProtectionMeasureForm(RecordForm):
    initial_fields = (
        "request",
        "category",
        "kind",
        "description",
        "granted_at",
        "implement_by",
        "implemented_on",
        "review_on",
        "ended_on",
    )
    request = forms.ModelChoiceField(
        label=_("Granted on the request"),
        queryset=ProtectionRequest.objects.none(),
        required=False,
        empty_label=_("— none recorded —"),
    )
    category = forms.ChoiceField(label=_("Category"), choices=MeasureCategory.choices)
    kind = forms.ChoiceField(label=_("Measure"), choices=MeasureKind.choices)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea, required=False)
    granted_at = datetime_field(_("Granted (date and time)"))
    implement_by = datetime_field(_("Legal deadline to implement"), required=False)
    implemented_on = plain_date_field(_("Implemented on"))
    review_on = plain_date_field(_("Review due"))
    ended_on = plain_date_field(_("Ended on"))

    fieldsets = [
        (_("The measure"), ["request", "category", "kind", "description"]),
        (
            _("Dates"),
            ["granted_at", "implement_by", "implemented_on", "review_on", "ended_on"],
        ),
    ]

    def setup(self) -> None:
        self.fields["request"].queryset = ProtectionRequest.objects.filter(
            organization=self.organization, person=self.person
        )
        self.fields["implement_by"].help_text = _(
            "Leave it empty to use the law's term for this category."
        )
        self.fields["review_on"].help_text = _("Leave it empty to use the default review term.")

    def clean_granted_at(self):
        value = self.cleaned_data["granted_at"]
        not_future(value)
        return value

    def clean_implemented_on(self):
        value = self.cleaned_data["implemented_on"]
        not_future(value)
        return value

    def clean(self):
        data = super().clean()
        granted = data.get("granted_at")
        for name in ("implemented_on", "ended_on"):
            value = data.get(name)
            if value and granted and value < timezone.localtime(granted).date():
                self.add_error(name, _("It cannot be before the measure was granted."))
        deadline = data.get("implement_by")
        if deadline and granted and deadline < granted:
            self.add_error("implement_by", _("It cannot be before the measure was granted."))
        return data
