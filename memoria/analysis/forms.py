"""Forms of the linkage pages: upload a list, choose its columns, start a run, decide a pair."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from memoria.accounts.models import Organization
from memoria.analysis.estimation import ALL_ORDERS
from memoria.analysis.models import Decision
from memoria.analysis.sources import LIST_COLUMNS, NAME_KEYS
from memoria.cases.forms import BoundedIdsMixin
from memoria.cases.io.forms import UploadForm


class ListUploadForm(UploadForm):
    name = forms.CharField(
        label=_("Name of the list"),
        max_length=120,
        help_text=_("For example: prosecutor's office 2024, collective's spreadsheet."),
    )
    field_order = ["name", "file"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "The first row must hold the column names; each following row is one person."
        )


class ListMappingForm(forms.Form):
    """One choice per linkage column: which column of the list feeds it."""

    def __init__(self, *args, headers: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("— not in the file —")), *[(h, h) for h in headers if h]]
        for column in LIST_COLUMNS:
            self.fields[column.key] = forms.ChoiceField(
                label=column.label, choices=choices, required=False
            )

    def clean(self):
        data = super().clean()
        self.mapping = {key: header for key, header in data.items() if header}
        if not any(key in self.mapping for key in NAME_KEYS):
            raise ValidationError(_("Choose at least one column with names or the CURP."))
        used = list(self.mapping.values())
        if len(used) != len(set(used)):
            raise ValidationError(_("Each column of the file can feed one field only."))
        return data


class ListsField(BoundedIdsMixin, forms.ModelMultipleChoiceField):
    """The lists to link; an id no column can hold is an unknown list, not a 500."""


class PartnersField(BoundedIdsMixin, forms.ModelMultipleChoiceField):
    """The partners whose shared people to link; an impossible id is an unknown one."""


class RunForm(forms.Form):
    include_cases = forms.BooleanField(
        label=_("The people in the organization's cases"), required=False
    )
    lists = ListsField(
        label=_("Uploaded lists"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    partners = PartnersField(
        label=_("People other organizations share with yours"),
        help_text=_(
            "Each organization's people are one list. Only people shared with a name "
            "or a CURP can be linked: the number counts those whose agreement shares "
            "these fields (some may have them empty), and the run says how many it "
            "linked. Their values are read from the shared copy and not kept with the run."
        ),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, lists, partners=(), **kwargs) -> None:
        """``partners``: (organization, how many people at most) pairs that can be linked."""
        super().__init__(*args, **kwargs)
        self.fields["lists"].queryset = lists
        self.fields["lists"].label_from_instance = lambda item: item.name
        counts = {organization.pk: count for organization, count in partners}
        field = self.fields["partners"]
        field.queryset = Organization.objects.filter(pk__in=counts).order_by("name")
        field.label_from_instance = lambda item: (
            ngettext(
                "%(name)s: up to %(count)s person",
                "%(name)s: up to %(count)s people",
                counts[item.pk],
            )
            % {"name": item.name, "count": counts[item.pk]}
        )
        if not counts:
            del self.fields["partners"]

    def clean(self):
        data = super().clean()
        sources = (
            (1 if data.get("include_cases") else 0)
            + len(data.get("lists") or [])
            + len(data.get("partners") or [])
        )
        if sources < 1:
            raise ValidationError(_("Choose at least one source."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class EstimateForm(forms.Form):
    """What to estimate. Small LCMCR runs by default: a page should answer in seconds."""

    methods = forms.MultipleChoiceField(
        label=_("Methods"),
        choices=[
            ("loglinear", _("Log-linear models (stepwise choice of the list dependencies)")),
            ("lcmcr", _("LCMCR (Bayesian latent classes), with convergence checks")),
        ],
        initial=["loglinear", "lcmcr"],
        widget=forms.CheckboxSelectMultiple,
    )
    criterion = forms.ChoiceField(
        label=_("Log-linear model"),
        choices=[
            ("stepwise", _("Stepwise: one model, adding dependencies while the data insist")),
            ("bic", _("Average over every model, weighted by BIC")),
            ("aic", _("Average over every model, weighted by AIC (favours larger models)")),
        ],
        initial="stepwise",
        required=False,
        help_text=_(
            "Averaging fits every hierarchical model of the lists' dependencies (at most 6 "
            "lists) and weighs each by how well it fits, so that the interval includes the "
            "doubt about which model is right. The best model is shown too."
        ),
    )
    max_order = forms.TypedChoiceField(
        label=_("Dependencies searched when averaging"),
        choices=[
            (2, _("Between two lists")),
            (3, _("Among up to three lists")),
            (4, _("Among up to four lists")),
            (ALL_ORDERS, _("Among any number of lists (as Rcapture)")),
        ],
        coerce=int,
        initial=2,
        required=False,
        help_text=_(
            "Higher orders search many more models (6,893 for five lists with every order); "
            "more than 40,000 are refused."
        ),
    )
    strata = forms.ChoiceField(
        label=_("Estimate by"),
        choices=[
            ("", _("No strata: the whole run")),
            ("state", _("State of the event")),
            ("period", _("Year of the event")),
            ("state_period", _("State and year of the event")),
        ],
        required=False,
        help_text=_(
            "Each stratum is estimated apart and the totals added up, beside the estimate on "
            "the whole table (which takes as long again). Every stratum needs at least three "
            "lists with people."
        ),
    )
    chains = forms.IntegerField(
        label=_("LCMCR chains"),
        min_value=1,
        max_value=8,
        initial=4,
        help_text=_("Several chains show whether the sampler has converged; one cannot."),
    )
    burn_in = forms.IntegerField(
        label=_("LCMCR burn-in iterations per chain"),
        min_value=0,
        max_value=1_000_000,
        initial=2000,
    )
    iterations = forms.IntegerField(
        label=_("LCMCR iterations kept per chain"),
        min_value=10,
        max_value=1_000_000,
        initial=10_000,
        help_text=_(
            "More iterations take longer and give steadier figures; one draw in ten is kept."
        ),
    )
    linkage_draws = forms.IntegerField(
        label=_("Include linkage uncertainty (clusterings drawn)"),
        min_value=0,
        max_value=100,
        initial=0,
        required=False,
        help_text=_(
            "0: estimate on the reviewed clusters only. A number M: also estimate on M "
            "clusterings drawn from the pairs' match probabilities (the reviewers' answers "
            "stay fixed) and pool them, so that the interval includes the doubt about the "
            "links. Takes about M times longer; 20 is a good start."
        ),
    )
    seed = forms.IntegerField(
        label=_("Random seed"),
        min_value=0,
        max_value=2**31 - 1,
        initial=1,
        help_text=_("The same seed and the same capture histories give the same figures."),
    )

    def clean(self):
        data = super().clean()
        criterion = data.get("criterion") or "stepwise"
        if criterion != "stepwise" and "loglinear" not in (data.get("methods") or []):
            self.add_error(
                "criterion",
                _("Averaging is part of the log-linear method: choose that method too."),
            )
        return data

    def settings(self):
        from memoria.analysis.estimation import EstimationSettings

        data = self.cleaned_data
        criterion = data.get("criterion") or "stepwise"
        return EstimationSettings(
            methods=tuple(m for m in ("loglinear", "lcmcr") if m in data["methods"]),
            strata=data.get("strata") or "",
            chains=data["chains"],
            burn_in=data["burn_in"],
            iterations=data["iterations"],
            thin=10,
            seed=data["seed"],
            linkage_draws=data.get("linkage_draws") or 0,
            criterion=criterion,
            max_order=(data.get("max_order") or 2) if criterion != "stepwise" else 2,
        )
