from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from memoria.public.models import DEFAULT_LICENCE, Publication, Section

MIN_THRESHOLD = 3
MAX_THRESHOLD = 50


class PublicationForm(forms.ModelForm):
    sections = forms.MultipleChoiceField(
        label=_("Figures to publish"),
        choices=Section.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    threshold = forms.IntegerField(
        label=_("Smallest count shown (k)"),
        min_value=MIN_THRESHOLD,
        max_value=MAX_THRESHOLD,
        help_text=_(
            "Counts from 1 to k − 1 are shown as “fewer than k”, and other counts are "
            "withheld where a small one could be worked out from the totals. 5 is usual."
        ),
    )
    start_year = forms.IntegerField(
        label=_("From year"), required=False, min_value=1900, max_value=2100
    )
    end_year = forms.IntegerField(
        label=_("To year"), required=False, min_value=1900, max_value=2100
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Publication
        fields = [
            "published",
            "sections",
            "start_year",
            "end_year",
            "threshold",
            "licence",
            "memorial",
        ]
        widgets = {"licence": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "published": _(
                "Nothing is public until this is ticked. Saving with it ticked publishes "
                "the figures as they are today; they change only when you save again."
            ),
            "licence": _("Leave it empty for CC BY 4.0."),
            "memorial": _(
                "Names only the people whose family's consent is recorded in their record "
                "(visibility “memorial”), with their age and the date and municipality of "
                "the case. A name leaves the memorial as soon as the consent is withdrawn."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["licence"].widget.attrs["placeholder"] = str(DEFAULT_LICENCE)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self):
        data = super().clean()
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and start > end:
            self.add_error("end_year", _("The last year cannot come before the first."))
        return data
