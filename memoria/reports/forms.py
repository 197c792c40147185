"""The public report form, the form to add to a report, and the moderators' forms."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.cases.forms import TermChoiceField
from memoria.cases.models import DatePrecision, Term, Vocabulary
from memoria.places.models import Municipality, State

TEXT_MAX = 10_000
MONTHS = [
    ("1", _("January")),
    ("2", _("February")),
    ("3", _("March")),
    ("4", _("April")),
    ("5", _("May")),
    ("6", _("June")),
    ("7", _("July")),
    ("8", _("August")),
    ("9", _("September")),
    ("10", _("October")),
    ("11", _("November")),
    ("12", _("December")),
]


def _states_for(organization) -> list[State]:
    """The states the organization works in, or all 32 if it named none."""
    states = list(organization.states.order_by("name"))
    return states or list(State.objects.order_by("name"))


class ReportForm(forms.Form):
    """What a person reports, with no field that could identify them unless they choose."""

    what = forms.CharField(
        label=_("What happened?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Describe what you saw or know. Do not write your name or anything that "
            "identifies you unless you want the organization to know it."
        ),
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1950)
    month = forms.ChoiceField(
        label=_("Month"), required=False, choices=[("", _("— I do not know —")), *MONTHS]
    )
    day = forms.IntegerField(label=_("Day"), required=False, min_value=1, max_value=31)
    state = forms.ModelChoiceField(
        label=_("State"), queryset=State.objects.none(), empty_label=_("— choose —")
    )
    municipality = forms.ChoiceField(label=_("Municipality"), required=False)
    violation_type = TermChoiceField(
        label=_("What kind of abuse was it?"),
        queryset=Term.objects.none(),
        required=False,
        empty_label=_("— I am not sure —"),
    )
    contact = forms.CharField(
        label=_("A way to contact you (optional)"),
        required=False,
        max_length=300,
        help_text=_(
            "Only if you want the organization to contact you: a safe e-mail, a "
            "messaging account. Leave it empty to stay anonymous."
        ),
    )
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=300)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        states = _states_for(organization)
        self.fields["state"].queryset = State.objects.filter(pk__in=[s.pk for s in states])
        municipalities = {}
        for municipality in Municipality.objects.filter(state__in=states).order_by("name"):
            municipalities.setdefault(municipality.state_id, []).append(
                (municipality.cvegeo, municipality.name)
            )
        self.fields["municipality"].choices = [
            ("", _("— I prefer not to say —")),
            *[(s.name, municipalities.get(s.pk, [])) for s in states],
        ]
        self.fields["violation_type"].queryset = Term.objects.for_organization(
            organization, Vocabulary.VIOLATION_TYPE
        )
        this_year = timezone.localdate().year
        self.fields["year"].validators.append(MaxValueValidator(this_year))
        self.fields["year"].widget.attrs["max"] = this_year

    def clean(self):
        data = super().clean()
        year, month, day = data.get("year"), data.get("month"), data.get("day")
        data["occurred_on"], data["occurred_precision"] = None, DatePrecision.UNKNOWN
        if year is None:
            if month or day:
                self.add_error("year", _("Give the year too, even if approximate."))
        else:
            try:
                when = dt.date(year, int(month or 1), day if (month and day) else 1)
            except ValueError:
                self.add_error("day", _("That day does not exist in that month."))
            else:
                if when > timezone.localdate():
                    self.add_error("year", _("That date has not happened yet."))
                data["occurred_on"] = when
                data["occurred_precision"] = (
                    DatePrecision.DAY
                    if month and day
                    else DatePrecision.MONTH
                    if month
                    else DatePrecision.YEAR
                )
        state = data.get("state")
        cvegeo = data.get("municipality")
        data["municipality"] = None
        if cvegeo and state:
            municipality = Municipality.objects.filter(cvegeo=cvegeo, state=state).first()
            if municipality is None:
                self.add_error("municipality", _("That municipality is not in that state."))
            data["municipality"] = municipality
        return data


class AddForm(forms.Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    text = forms.CharField(
        label=_("What do you want to add?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=300)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)


class VerifyForm(VersionForm):
    public_summary = forms.CharField(
        label=_("Summary for the public feed (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The feed never shows the reporter's words, only this summary, the kind, the "
            "municipality and the month. Write nothing that could point to a person."
        ),
    )


class DuplicateForm(VersionForm):
    original = forms.IntegerField(
        label=_("Duplicate of report number"), min_value=1, max_value=2**53
    )


class RejectForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ChannelForm(forms.Form):
    is_open = forms.BooleanField(required=False)
