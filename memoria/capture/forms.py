"""What a draft sent from the capture page must hold (it arrives as JSON)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memoria.cases.models import DatePrecision
from memoria.places.models import State

MAX_TESTIMONY = 50_000


class DraftForm(forms.Form):
    """One testimony draft. The same limits as the case and source forms."""

    id = forms.UUIDField()
    title = forms.CharField(label=_("Short title"), max_length=300)
    testimony = forms.CharField(label=_("Testimony"), max_length=MAX_TESTIMONY, strip=False)
    recorded_on = forms.DateField(label=_("Day the testimony was taken"))
    occurred_on = forms.DateField(label=_("When it happened"), required=False)
    precision = forms.ChoiceField(
        label=_("How exact that date is"),
        choices=[c for c in DatePrecision.choices if c[0] != DatePrecision.UNKNOWN],
        required=False,
    )
    state = forms.ModelChoiceField(
        label=_("State"), queryset=State.objects.all(), required=False, to_field_name="code"
    )
    locality = forms.CharField(label=_("Locality"), max_length=200, required=False)
    reference = forms.CharField(
        label=_("Where it was taken (stop, brigade, visit)"), max_length=500, required=False
    )

    def clean_testimony(self) -> str:
        testimony = self.cleaned_data["testimony"]
        if not testimony.strip():
            raise forms.ValidationError(_("The testimony is empty."))
        return testimony

    def clean(self):
        data = super().clean()
        # A phone's clock may be a day ahead of the server's (time zones): no further.
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        for field in ("recorded_on", "occurred_on"):
            if data.get(field) and data[field] > tomorrow:
                self.add_error(field, _("This date is in the future."))
        if data.get("occurred_on"):
            data["precision"] = data.get("precision") or DatePrecision.DAY
        else:
            data["precision"] = DatePrecision.UNKNOWN
        return data
