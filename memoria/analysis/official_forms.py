"""Forms of the official figures: upload a file, choose its columns, choose what to compare."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from memoria.analysis import official
from memoria.cases.forms import TermChoiceField, term_choices
from memoria.cases.io.forms import ColumnMappingForm
from memoria.cases.models import Vocabulary
from memoria.places.models import State


class OfficialUploadForm(forms.Form):
    source = forms.ChoiceField(
        label=pgettext_lazy("official figures", "Source"),
        choices=list(official.SOURCE_LABELS.items()),
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("File (CSV)"),
        help_text=_(
            "The CSV file as you downloaded it (Latin-1 or UTF-8, commas or semicolons). "
            "Nothing is imported until you choose its columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt"}),
    )

    content: bytes = b""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MEMORIA_UPLOAD_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than 10 MB; keep only the states or years you compare.")
            )
        self.content = upload.read()
        headers, _delimiter = official.read_headers(self.content)
        if len([h for h in headers if h]) < 2:
            raise ValidationError(_("The first row of the file must hold the column names."))
        return upload


class OfficialMappingForm(ColumnMappingForm):
    """One choice per field of the source: which column of the file feeds it."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, source: str, headers: list[str], **kwargs) -> None:
        super().__init__(*args, columns=official.columns(source), headers=headers, **kwargs)
        self.source = source

    def check(self, data: dict) -> dict:
        keys = {column.key for column in official.columns(self.source)}
        return official.check_mapping(
            self.source, {k: v for k, v in data.items() if k in keys}, self.headers
        )


class ComparisonForm(forms.Form):
    """What the comparison page shows (GET)."""

    category = forms.ChoiceField(label=_("Official category"), required=False)
    violation_type = TermChoiceField(
        label=_("Documented cases with the violation"),
        queryset=State.objects.none(),
        required=False,
    )
    start_year = forms.IntegerField(
        label=_("From year"), required=False, min_value=official.MIN_YEAR, max_value=2100
    )
    end_year = forms.IntegerField(
        label=_("To year"), required=False, min_value=official.MIN_YEAR, max_value=2100
    )
    state = forms.ModelChoiceField(
        label=_("State"), queryset=State.objects.order_by("name"), required=False
    )

    def __init__(self, *args, organization, categories: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All of the file")), *[
            (c, c) for c in categories
        ]]  # fmt: skip
        self.fields["violation_type"].queryset = term_choices(
            organization, Vocabulary.VIOLATION_TYPE, retired=True
        )
        for name in ("state", "violation_type"):
            self.fields[name].empty_label = _("Any")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and start > end:
            self.add_error("end_year", _("The end of the period is before its start."))
        return data
