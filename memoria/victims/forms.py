"""Forms of the victims' registry: one per kind of record, new or edited (with its version)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from memoria.accounts.models import User
from memoria.accounts.roles import CAPABILITIES, Capability
from memoria.cases.forms import GroupedForm, VersionedFormMixin, checked_attachment, date_field
from memoria.cases.models import Event, Person
from memoria.places.models import State
from memoria.victims.access import is_direct_victim
from memoria.victims.actions import victim_cases
from memoria.victims.models import (
    AppealKind,
    AppealStatus,
    Commission,
    CommissionRequest,
    Decision,
    Delivery,
    MeasureKind,
    Purpose,
    Registration,
    RegistrationStatus,
    Registry,
    RequestStatus,
)

AMOUNT = {"max_digits": 14, "decimal_places": 2, "min_value": 0, "required": False}


class CaseChoiceField(forms.ModelChoiceField):
    """The case in which the person is a victim, and in which role."""

    def __init__(self, person: Person, **kwargs):
        self.person = person
        cases = victim_cases(person)
        super().__init__(
            queryset=Event.objects.filter(pk__in=[case.pk for case in cases]).order_by("number"),
            label=_("As a victim in"),
            empty_label=None,
            **kwargs,
        )

    def label_from_instance(self, event: Event) -> str:
        if is_direct_victim(self.person, event):
            return _("Case #%(number)s, as a direct victim") % {"number": event.number}
        return _("Case #%(number)s, as an indirect victim (a relative)") % {"number": event.number}


def member_choices(organization) -> forms.ModelChoiceField:
    """Members who edit records: the one who accompanies the family gets the reminders."""
    roles = [
        role
        for role, capabilities in CAPABILITIES.items()
        if Capability.EDIT_RECORDS in capabilities
    ]
    members = User.objects.filter(
        memberships__organization=organization, memberships__role__in=roles, is_active=True
    ).order_by("full_name")
    return forms.ModelChoiceField(
        queryset=members,
        label=_("Member who accompanies the family"),
        help_text=_(
            "They get an e-mail a week before the deadline and another once it has passed."
        ),
        required=False,
        empty_label=_("— nobody yet —"),
    )


def state_choices() -> list[tuple[str, str]]:
    return [("", _("— choose —")), *State.objects.order_by("name").values_list("code", "name")]


class VictimRecordForm(VersionedFormMixin, GroupedForm):
    """The form of one record of a person's path, new or edited."""

    initial_fields: tuple[str, ...] = ()

    def __init__(self, *args, organization, person: Person, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault("initial", self.initial_from(instance))
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.person = person
        self.instance = instance
        self.fields.update(self.record_fields(organization, person, instance))
        if instance is not None:
            self.add_version(instance.version)

    def initial_from(self, instance) -> dict:
        initial = {name: getattr(instance, name) for name in self.initial_fields}
        for name in ("event", "accompanied_by", "registration", "request"):
            if name in self.initial_fields:
                initial[name] = getattr(instance, f"{name}_id")
        return initial

    def record_fields(self, organization, person, instance) -> dict:
        raise NotImplementedError

    def check_order(self, cleaned: dict, first: str, then: str, message) -> None:
        if cleaned.get(first) and cleaned.get(then) and cleaned[then] < cleaned[first]:
            self.add_error(then, message)


def _text(label, *, long: bool = False, max_length: int = 200) -> forms.CharField:
    if long:
        return forms.CharField(label=label, widget=forms.Textarea, required=False, max_length=20000)
    return forms.CharField(label=label, max_length=max_length, required=False)


class RegistrationForm(VictimRecordForm):
    initial_fields = (
        "event", "registry", "state_code", "deciding_body", "filed_on", "folio", "deadline",
        "accompanied_by", "status", "decided_on", "refusal_reason", "notes",
    )  # fmt: skip
    fieldsets = [
        (_("The request"), ["event", "registry", "state_code", "deciding_body", "filed_on",
                            "folio", "deadline", "accompanied_by"]),
        (_("What became of it"), ["status", "decided_on", "refusal_reason", "notes"]),
    ]  # fmt: skip

    def record_fields(self, organization, person, instance) -> dict:
        return {
            "event": CaseChoiceField(person),
            "registry": forms.ChoiceField(label=_("Registry"), choices=Registry.choices),
            "state_code": forms.ChoiceField(
                label=_("State of the registry"),
                choices=state_choices(),
                required=False,
                help_text=_("Only for a state registry."),
            ),
            "deciding_body": _text(_("Body that must decide")),
            "filed_on": date_field(_("Date filed")),
            "folio": _text(_("Folio"), max_length=120),
            "deadline": date_field(_("Legal deadline for the decision")),
            "accompanied_by": member_choices(organization),
            "status": forms.ChoiceField(
                label=_("Where it stands"),
                choices=RegistrationStatus.choices,
                initial=RegistrationStatus.REQUESTED,
            ),
            "decided_on": date_field(_("Date of the decision")),
            "refusal_reason": _text(_("Reason given for a refusal"), long=True),
            "notes": _text(_("Notes"), long=True),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("registry") == Registry.STATE and not cleaned.get("state_code"):
            self.add_error("state_code", _("Choose the state whose registry it is."))
        if cleaned.get("registry") == Registry.RENAVI:
            cleaned["state_code"] = ""
        self.check_order(
            cleaned, "filed_on", "decided_on", _("The decision cannot come before the request.")
        )
        self.check_order(
            cleaned, "filed_on", "deadline", _("The deadline cannot come before the request.")
        )
        return cleaned


class RequestForm(VictimRecordForm):
    initial_fields = (
        "event", "commission", "state_code", "purpose", "filed_on", "folio", "deadline",
        "accompanied_by", "status", "resolved_on", "resolution", "notes",
    )  # fmt: skip
    fieldsets = [
        (_("The request"), ["event", "commission", "state_code", "purpose", "filed_on", "folio",
                            "deadline", "accompanied_by"]),
        (_("The resolution"), ["status", "resolved_on", "resolution", "notes"]),
    ]  # fmt: skip

    def record_fields(self, organization, person, instance) -> dict:
        return {
            "event": CaseChoiceField(person),
            "commission": forms.ChoiceField(label=_("Commission"), choices=Commission.choices),
            "state_code": forms.ChoiceField(
                label=_("State of the commission"),
                choices=state_choices(),
                required=False,
                help_text=_("Only for a state commission (CEEAV)."),
            ),
            "purpose": forms.ChoiceField(label=_("What is asked"), choices=Purpose.choices),
            "filed_on": date_field(_("Date filed")),
            "folio": _text(_("Folio"), max_length=120),
            "deadline": date_field(_("Legal deadline for the answer")),
            "accompanied_by": member_choices(organization),
            "status": forms.ChoiceField(
                label=_("Where it stands"),
                choices=RequestStatus.choices,
                initial=RequestStatus.PENDING,
            ),
            "resolved_on": date_field(_("Date of the resolution")),
            "resolution": _text(_("What the resolution says"), long=True),
            "notes": _text(_("Notes"), long=True),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("commission") == Commission.CEEAV and not cleaned.get("state_code"):
            self.add_error("state_code", _("Choose the state whose commission it is."))
        if cleaned.get("commission") == Commission.CEAV:
            cleaned["state_code"] = ""
        self.check_order(
            cleaned, "filed_on", "resolved_on", _("The resolution cannot come before the request.")
        )
        self.check_order(
            cleaned, "filed_on", "deadline", _("The deadline cannot come before the request.")
        )
        return cleaned


class MeasureForm(VictimRecordForm):
    initial_fields = (
        "kind", "description", "amount_requested", "decision", "amount_granted", "due_on",
        "delivery", "delivered_on", "notes",
    )  # fmt: skip
    fieldsets = [
        (_("What is asked"), ["kind", "description", "amount_requested"]),
        (_("What was decided"), ["decision", "amount_granted", "due_on"]),
        (_("Delivery"), ["delivery", "delivered_on", "notes"]),
    ]

    def record_fields(self, organization, person, instance) -> dict:
        return {
            "kind": forms.ChoiceField(
                label=_("Measure"),
                choices=[
                    (
                        _("Reparation"),
                        [(k.value, k.label) for k in MeasureKind if k.value in REPARATION],
                    ),
                    (
                        _("Immediate help"),
                        [(k.value, k.label) for k in MeasureKind if k.value not in REPARATION],
                    ),
                ],
            ),  # fmt: skip
            "description": _text(_("What exactly"), long=True),
            "amount_requested": forms.DecimalField(label=_("Amount asked (pesos)"), **AMOUNT),
            "decision": forms.ChoiceField(
                label=_("Decision"), choices=Decision.choices, initial=Decision.REQUESTED
            ),
            "amount_granted": forms.DecimalField(label=_("Amount granted (pesos)"), **AMOUNT),
            "due_on": date_field(_("To be delivered by")),
            "delivery": forms.ChoiceField(
                label=_("Delivery"), choices=Delivery.choices, initial=Delivery.PENDING
            ),
            "delivered_on": date_field(_("Date delivered (or of the last partial delivery)")),
            "notes": _text(_("Notes"), long=True),
        }

    def clean(self):
        cleaned = super().clean()
        delivered = cleaned.get("delivery") in (Delivery.DELIVERED, Delivery.PARTLY)
        if delivered and cleaned.get("decision") == Decision.REFUSED:
            self.add_error("delivery", _("A refused measure cannot have been delivered."))
        return cleaned


REPARATION = {
    MeasureKind.RESTITUTION.value,
    MeasureKind.REHABILITATION.value,
    MeasureKind.COMPENSATION.value,
    MeasureKind.SATISFACTION.value,
    MeasureKind.NON_REPETITION.value,
}


class AppealForm(VictimRecordForm):
    initial_fields = (
        "kind", "authority", "filed_on", "folio", "status", "resolved_on", "notes",
    )  # fmt: skip

    def initial_from(self, instance) -> dict:
        initial = super().initial_from(instance)
        if instance.registration_id:
            initial["against"] = f"registration-{instance.registration_id}"
        elif instance.request_id:
            initial["against"] = f"request-{instance.request_id}"
        return initial

    def record_fields(self, organization, person, instance) -> dict:
        registrations = Registration.objects.filter(organization=organization, person=person)
        requests = CommissionRequest.objects.filter(organization=organization, person=person)
        self.targets = {f"registration-{r.pk}": r for r in registrations}
        self.targets |= {f"request-{r.pk}": r for r in requests}
        choices = [(key, _against_label(record)) for key, record in self.targets.items()]
        return {
            "against": forms.ChoiceField(
                label=_("Against"), choices=[("", _("— choose —")), *choices]
            ),
            "kind": forms.ChoiceField(label=_("Kind"), choices=AppealKind.choices),
            "authority": _text(_("Court or authority")),
            "filed_on": date_field(_("Date filed")),
            "folio": _text(_("Folio or file number"), max_length=120),
            "status": forms.ChoiceField(
                label=_("Where it stands"),
                choices=AppealStatus.choices,
                initial=AppealStatus.PENDING,
            ),
            "resolved_on": date_field(_("Date of the ruling")),
            "notes": _text(_("Notes and outcome"), long=True),
        }

    def clean(self):
        cleaned = super().clean()
        target = self.targets.get(cleaned.get("against", ""))
        cleaned["registration"] = target if isinstance(target, Registration) else None
        cleaned["request"] = target if isinstance(target, CommissionRequest) else None
        self.check_order(
            cleaned, "filed_on", "resolved_on", _("The ruling cannot come before the appeal.")
        )
        return cleaned


def _against_label(record) -> str:
    day = record.filed_on.isoformat() if record.filed_on else _("no date")
    if isinstance(record, Registration):
        return _("Registration request to the %(registry)s (%(day)s)") % {
            "registry": record.get_registry_display(),
            "day": day,
        }
    return _("Request to the %(commission)s for %(purpose)s (%(day)s)") % {
        "commission": record.get_commission_display(),
        "purpose": str(record.get_purpose_display()).lower(),
        "day": day,
    }


class DocumentForm(forms.Form):
    document = forms.FileField(label=_("Document"))

    def clean_document(self):
        if self.cleaned_data["document"].size == 0:
            raise ValidationError(_("The file is empty."))
        return checked_attachment(self.cleaned_data["document"])
