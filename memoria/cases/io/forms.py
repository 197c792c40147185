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


class ColumnMappingForm(forms.Form):
    """One choice per field of ``columns``: which column of the file feeds it.

    A subclass checks the chosen columns in ``check`` (the mapping, or
    ``MappingError``); the valid mapping is then ``self.mapping``.
    """

    def __init__(self, *args, columns, headers: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [("", _("— not in the file —")), *[(h, h) for h in headers if h]]
        for column in columns:
            self.fields[column.key] = forms.ChoiceField(
                label=column.label,
                choices=choices,
                required=False,
                help_text=_("Required.") if column.required else "",
            )

    def check(self, data: dict) -> dict:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        try:
            self.mapping = self.check(data)
        except MappingError as error:
            raise ValidationError(str(error)) from error
        return data


class MappingForm(ColumnMappingForm):
    """One choice per field of a case import."""

    def __init__(self, *args, headers: list[str], **kwargs) -> None:
        super().__init__(*args, columns=IMPORT_COLUMNS, headers=headers, **kwargs)

    def check(self, data: dict) -> dict:
        return check_mapping(dict(data), self.headers)


class ExportForm(forms.Form):
    FORMAT_CHOICES = [
        ("csv", _("CSV (opens in any spreadsheet)")),
        ("xlsx", _("Excel workbook (XLSX)")),
        ("json", _("JSON (for other systems)")),
        ("esf", _("HURIDOCS Events Standard Formats (ESF, JSON): whole records")),
        ("uwazi", _("Uwazi CSV (one entity per act, for the template in docs/formats.md)")),
        ("hxl", _("CSV with HXL hashtags (open data)")),
    ]
    format = forms.ChoiceField(
        label=_("Format"), choices=FORMAT_CHOICES, initial="csv", widget=forms.RadioSelect
    )


class StandardImportForm(forms.Form):
    """A file in a standard format (docs/formats.md): ESF, Uwazi CSV or HXL-tagged CSV."""

    FORMAT_CHOICES = [
        ("esf", _("HURIDOCS Events Standard Formats (ESF, JSON)")),
        ("uwazi", _("Uwazi CSV (template “Acto (Memoria)”)")),
        ("hxl", _("CSV with HXL hashtags")),
    ]
    format = forms.ChoiceField(
        label=_("Format"), choices=FORMAT_CHOICES, initial="esf", widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.csv,.txt"}),
    )
    check_only = forms.BooleanField(label=_("Only check the file; save nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MEMORIA_UPLOAD_MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB; split it into smaller files."))
        self.content = upload.read()
        self.filename = upload.name
        return upload
