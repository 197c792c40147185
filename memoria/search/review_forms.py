"""The decision on a possible match: one form for every step of the review.

It offers only the steps the candidate's status allows (``review.TRANSITIONS``)
and asks for what each needs: a reason to exclude or reject, the methods of
confirmation to refer; to confirm, optionally the member who will receive
the family (the designated person is notified in any case, if recorded).
``cleaned_data`` is what ``review.decide`` takes.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from memoria.accounts.models import User
from memoria.search.models import Candidate, CandidateStatus, ConfirmationMethod
from memoria.search.review import NEEDS_REASON, TRANSITIONS, members_who_read

# How each step is offered: the status's label says where the candidate goes.
STEP_LABELS = {
    CandidateStatus.UNDER_REVIEW: _("Start the review (under review)"),
    CandidateStatus.EXCLUDED: _("Exclude it (give the reason)"),
    CandidateStatus.REFERRED: _("Refer it for confirmation"),
    CandidateStatus.CONFIRMED: _("The confirmation came back positive: confirmed"),
    CandidateStatus.REJECTED: _("The confirmation came back negative: rejected"),
}

WITHDRAW_LABEL = _("Withdraw the confirmation: it proved wrong (give the reason)")


class DecisionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Your decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to exclude or reject: what rules it out."),
    )
    referred_to = forms.MultipleChoiceField(
        label=_("Confirmation by"),
        choices=ConfirmationMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Needed to refer it: the comparisons asked of the forensic service."),
    )
    messenger = forms.ModelChoiceField(
        label=_("Member who will receive the family (optional)"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Memoria alerts this member too. The family only hears the news in person."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, candidate: Candidate, **kwargs):
        kwargs.setdefault("initial", {"version": candidate.version})
        super().__init__(*args, **kwargs)
        self.candidate = candidate
        steps = TRANSITIONS.get(candidate.status, frozenset())
        labels = dict(STEP_LABELS)
        if candidate.status == CandidateStatus.CONFIRMED:
            labels[CandidateStatus.REJECTED] = WITHDRAW_LABEL
        self.fields["to_status"].choices = [
            (value, labels[value]) for value in CandidateStatus.values if value in steps
        ]
        members = members_who_read(candidate.organization)
        self.fields["messenger"].queryset = User.objects.filter(
            pk__in=[user.pk for user in members]
        ).order_by("email")
        self.fields["messenger"].label_from_instance = lambda user: (
            user.get_full_name() or user.email
        )
        if CandidateStatus.REFERRED not in steps:
            del self.fields["referred_to"]
        if CandidateStatus.CONFIRMED not in steps:
            del self.fields["messenger"]
        if not steps & NEEDS_REASON:
            del self.fields["reason"]

    def clean(self):
        data = super().clean()
        to_status = data.get("to_status")
        if to_status in NEEDS_REASON and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why."))
        if to_status == CandidateStatus.REFERRED and not data.get("referred_to"):
            self.add_error("referred_to", _("Choose at least one way to confirm it."))
        return data
