"""Forms of the network's pages: plain forms whose ``cleaned_data`` the actions take."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from memoria.cases.forms import GroupedForm, VersionedFormMixin, date_field
from memoria.cases.models import Event, Person
from memoria.exchange.models import Direction
from memoria.network.models import Capability, Language
from memoria.places.forms import posted_state_code
from memoria.places.models import Municipality, State
from memoria.sharing import rules as sharing_rules
from memoria.sharing.models import AgreementLevel
from memoria.sharing.registry import shareable

MAX_TEXT = 4000


def _municipality_attrs(field: forms.Field) -> None:
    """place.js refills the municipalities when the state changes (without it: on sending)."""
    field.widget.attrs.update(
        {
            "data-place-municipality": "",
            "data-url-template": reverse_lazy("places:state_municipalities", args=["00"]),
            "data-search-url": reverse_lazy("places:search"),
        }
    )


class DirectorySearchForm(forms.Form):
    """The directory's filters (sent by GET: the page works without JavaScript)."""

    capability = forms.ChoiceField(
        label=_("Offers"), choices=[("", _("Anything")), *Capability.choices], required=False
    )
    state = forms.ModelChoiceField(
        label=_("State"), queryset=State.objects.order_by("name"), required=False
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any language")), *Language.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].empty_label = _("Anywhere")
        self.fields["municipality"].empty_label = _("Any")
        self.fields["state"].widget.attrs.update({"data-place-state": ""})
        _municipality_attrs(self.fields["municipality"])
        state_code = posted_state_code(self.data.get("state")) if self.is_bound else None
        if state_code:
            self.fields["municipality"].queryset = Municipality.objects.filter(
                state_id=state_code
            ).order_by("name")


class ProfileForm(VersionedFormMixin, GroupedForm):
    capabilities = forms.MultipleChoiceField(
        label=_("What the organization offers"),
        choices=Capability.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages it works in"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    states = forms.ModelMultipleChoiceField(
        label=_("States where it works"),
        queryset=State.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities where it works"),
        queryset=Municipality.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Of the states saved. None chosen in a state: the organization works in all of it."
        ),
    )
    summary = forms.CharField(
        label=_("What it does"), widget=forms.Textarea, required=False, max_length=MAX_TEXT
    )
    referral_note = forms.CharField(
        label=_("What to send with a referral"),
        widget=forms.Textarea,
        required=False,
        max_length=MAX_TEXT,
        help_text=_("Organizations reach you through referrals in Memoria: no phone numbers here."),
    )
    accepts_referrals = forms.BooleanField(label=_("Accepts referrals"), required=False)

    fieldsets = [
        (_("What it offers"), ["capabilities", "languages"]),
        (_("Where"), ["states", "municipalities"]),
        (_("About the organization"), ["summary", "referral_note", "accepts_referrals"]),
    ]

    def __init__(self, *args, profile, **kwargs):
        if profile.pk:
            kwargs.setdefault(
                "initial",
                {
                    "capabilities": profile.capabilities,
                    "languages": profile.languages,
                    "states": list(profile.states.all()),
                    "municipalities": list(profile.municipalities.all()),
                    "summary": profile.summary,
                    "referral_note": profile.referral_note,
                    "accepts_referrals": profile.accepts_referrals,
                },
            )
        else:
            kwargs.setdefault(
                "initial",
                {"accepts_referrals": True, "states": list(profile.organization.states.all())},
            )
        super().__init__(*args, **kwargs)
        self.add_version(profile.version)
        states = [state.pk for state in self.initial.get("states", [])]
        if self.is_bound:
            states = [code for code in self.data.getlist("states") if posted_state_code(code)]
        self.fields["municipalities"].queryset = Municipality.objects.filter(
            state_id__in=states
        ).order_by("state__name", "name")


def field_choices(model) -> list[tuple[str, str]]:
    return list(shareable(model).fields.items())


class ReferralForm(GroupedForm):
    recipient = forms.ModelChoiceField(label=_("Refer to"), queryset=None)
    capability = forms.ChoiceField(label=_("For"), choices=Capability.choices)
    message = forms.CharField(
        label=_("Message to the other organization"),
        widget=forms.Textarea,
        required=False,
        max_length=MAX_TEXT,
        help_text=_("What the family needs and how to reach them through your organization."),
    )
    event_fields = forms.MultipleChoiceField(
        label=_("What travels of the case"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    person_fields = forms.MultipleChoiceField(
        label=_("What travels of the person"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    follow_up_on = date_field(_("Follow up on"))

    def __init__(self, *args, recipients, event=None, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = recipients
        if event is not None:
            self.fields["event_fields"].choices = field_choices(Event)
        else:
            del self.fields["event_fields"]
        if person is not None:
            self.fields["person_fields"].choices = field_choices(Person)
        else:
            del self.fields["person_fields"]


class AnswerForm(VersionedFormMixin, GroupedForm):
    decision = forms.ChoiceField(
        label=_("Answer"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for declining"),
        widget=forms.Textarea,
        required=False,
        max_length=MAX_TEXT,
        help_text=_("The other organization reads it."),
    )

    def __init__(self, *args, version: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version(version)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            raise ValidationError(_("Say why you decline: the other organization reads it."))
        return data


class StatusForm(VersionedFormMixin, forms.Form):
    """Only the version: a button that marks a referral in progress or closes it."""

    def __init__(self, *args, version: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version(version)


class FollowUpForm(VersionedFormMixin, forms.Form):
    follow_up_on = date_field(_("Follow up on"))

    def __init__(self, *args, version: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version(version)


# -- sharing agreements -------------------------------------------------------------------


class AgreementForm(GroupedForm):
    partner = forms.ModelChoiceField(label=_("Share with"), queryset=None)
    level = forms.ChoiceField(
        label=_("How much of each record"),
        choices=AgreementLevel.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Whatever you choose, a person is shared by name only with the family's recorded "
            "consent, and not at all if their record is private."
        ),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Which records"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    event_fields = forms.MultipleChoiceField(
        label=_("Fields of the cases"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    person_fields = forms.MultipleChoiceField(
        label=_("Fields of the people"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea,
        max_length=MAX_TEXT,
        help_text=_("What the partner will use the records for. Name nobody: both sides read it."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day the partner can read the records."),
    )

    fieldsets = [
        (_("With whom and how much"), ["partner", "level"]),
        (_("What"), ["kinds", "event_fields", "person_fields"]),
        (_("Why and until when"), ["purpose", "valid_until"]),
    ]

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        self.fields["kinds"].choices = [
            (shareable(Event).kind, _("Cases")),
            (shareable(Person).kind, _("People")),
        ]
        self.fields["event_fields"].choices = field_choices(Event)
        self.fields["person_fields"].choices = field_choices(Person)

    def clean_valid_until(self):
        day = self.cleaned_data["valid_until"]
        if day < sharing_rules.today():
            raise ValidationError(_("Choose today or a later day."))
        return day

    def clean(self):
        data = super().clean()
        level, kinds = data.get("level"), data.get("kinds") or []
        if not level or not kinds:
            return data
        chosen = {
            shareable(Event).kind: data.get("event_fields") or [],
            shareable(Person).kind: data.get("person_fields") or [],
        }
        fields = {kind: chosen[kind] for kind in kinds}
        if level != AgreementLevel.AGGREGATE:
            for names in fields.values():
                if not names:
                    raise ValidationError(_("Choose the fields of each kind of record shared."))
        if level == AgreementLevel.PSEUDONYMIZED:
            for kind, names in fields.items():
                if set(names) & shareable(kind).identity_fields:
                    raise ValidationError(
                        _("Without names, no field that identifies a person can be shared.")
                    )
        data["fields"] = fields
        return data


class RemoteAgreementForm(AgreementForm):
    """The terms of an agreement with an organization of another installation.

    The sharing side registers them (``outgoing``) and gives the other side the
    agreement's code; the receiving side registers the terms it accepts
    (``incoming``) with that code. Counts-only agreements do not travel.
    """

    partner = forms.ModelChoiceField(label=_("Other installation"), queryset=None)
    partner_organization = forms.SlugField(
        label=_("Organization there"),
        max_length=60,
        help_text=_("Its short name at the other installation, as it appears in its addresses."),
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Direction.choices, widget=forms.RadioSelect
    )
    uuid = forms.UUIDField(
        label=_("Agreement code"),
        required=False,
        help_text=_(
            "When we receive: the code the other installation gave for this agreement. "
            "When we share, leave it empty: the code is created here, to give to them."
        ),
    )

    fieldsets = [
        (_("With whom"), ["partner", "partner_organization", "direction", "uuid"]),
        (_("How much"), ["level"]),
        (_("What"), ["kinds", "event_fields", "person_fields"]),
        (_("Why and until when"), ["purpose", "valid_until"]),
    ]

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, partners=partners, **kwargs)
        self.fields["level"].choices = [
            (value, label)
            for value, label in AgreementLevel.choices
            if value != AgreementLevel.AGGREGATE
        ]

    def clean(self):
        data = super().clean()
        if data.get("direction") == Direction.INCOMING and not data.get("uuid"):
            self.add_error("uuid", _("Give the code the other installation gave for it."))
        return data


class AgreementAnswerForm(VersionedFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Answer"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, version: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version(version)


class NetworkFiguresForm(forms.Form):
    """The network figures page's filter (GET): one year, or every year."""

    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Every year"))] + [(y, str(y)) for y in years]
