"""Forms of the official-list pages: upload a list, choose its columns, decide a pair."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from memoria.cases.io.forms import ColumnMappingForm
from memoria.cases.io.readers import Table, UnreadableFile, read_table
from memoria.search.models import OfficialListKind
from memoria.search.official import COLUMNS, check_mapping


class OfficialUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Which list"), choices=OfficialListKind.choices, widget=forms.RadioSelect
    )
    publisher = forms.CharField(
        label=_("Published by"),
        max_length=200,
        required=False,
        help_text=_(
            "Which forensic service, or which cut of the registry and when it was downloaded."
        ),
    )
    file = forms.FileField(
        label=_("Spreadsheet (CSV or Excel)"),
        help_text=_(
            "The first row must hold the column names; each following row is one person or "
            "one body. Nothing is saved until every row is right."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt,.tsv"}),
    )

    table: Table | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MEMORIA_UPLOAD_MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB; split it into smaller files."))
        try:
            self.table = read_table(upload.read(), upload.name)
        except UnreadableFile as error:
            raise ValidationError(str(error)) from error
        return upload


class OfficialMappingForm(ColumnMappingForm):
    """One choice per field of the list: which column of the file feeds it."""

    def __init__(self, *args, kind: str, headers: list[str], **kwargs) -> None:
        super().__init__(*args, columns=COLUMNS[kind], headers=headers, **kwargs)
        self.kind = kind

    def check(self, data: dict) -> dict:
        return check_mapping(self.kind, dict(data), self.headers)


class DecisionForm(forms.Form):
    """A reviewer's decision on an uncertain pair: same person, or different."""

    file = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    record = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    same = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Same person")), ("no", _("Different people"))],
        coerce=lambda value: value == "yes",
    )
