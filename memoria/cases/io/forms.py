"""Forms of the import and export pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from memoria.cases.io.mapping import MappingError, check_mapping
from memoria.cases.io.readers import Table, UnreadableFile, read_table
from memoria.cases.io.schema import IMPORT_COLUMNS


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or Excel)"),
        help_text=_(
            "The first row must hold the column names; each following row is one victim of "
            "one violation. Nothing is saved until you confirm."
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


class MappingForm(forms.Form):
    """One choice per field: which column of the file feeds it."""

    def __init__(self, *args, headers: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("— not in the file —")), *[(h, h) for h in headers if h]]
        for column in IMPORT_COLUMNS:
            self.fields[column.key] = forms.ChoiceField(
                label=column.label,
                choices=choices,
                required=False,
                help_text=_("Required.") if column.required else "",
            )

    def clean(self):
        data = super().clean()
        try:
            self.mapping = check_mapping(dict(data), self.headers)
        except MappingError as error:
            raise ValidationError(str(error)) from error
        return data


class ExportForm(forms.Form):
    FORMAT_CHOICES = [
        ("csv", _("CSV (opens in any spreadsheet)")),
        ("xlsx", _("Excel workbook (XLSX)")),
        ("json", _("JSON (for other systems)")),
    ]
    format = forms.ChoiceField(
        label=_("Format"), choices=FORMAT_CHOICES, initial="csv", widget=forms.RadioSelect
    )
