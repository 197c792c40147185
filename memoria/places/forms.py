"""The place field used everywhere: state, municipality, locality, coordinates.

Without JavaScript the municipality list shows the chosen state's
municipalities (after the state is chosen and the form sent); with it,
``place.js`` refills the list as soon as the state changes and offers a search
box that finds a municipality by name without accents and sets both selects.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from memoria.places.models import Municipality, State

PLACE_FIELDS = ["state", "municipality", "locality", "latitude", "longitude"]


def posted_code(value, digits: int) -> str | None:
    """A posted place code, if it could be one: at most ``digits`` ASCII digits.

    Anything else (a NUL byte, which PostgreSQL refuses in a query, a long
    string) never reaches a query; the field itself then says the choice is
    not valid.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= digits:
        return value
    return None


def posted_state_code(value) -> str | None:
    """A posted state code (INEGI, two digits), if it could be one."""
    return posted_code(value, 2)


class PlaceFormMixin:
    """Mix into a ModelForm whose model inherits ``memoria.places.models.Place``."""

    def setup_place_fields(self) -> None:
        state_field = self.fields["state"]
        municipality_field = self.fields["municipality"]
        state_field.queryset = State.objects.order_by("name")
        state_field.empty_label = _("— choose a state —")
        state_field.widget.attrs.update({"data-place-state": ""})
        municipality_field.empty_label = _("— choose a municipality —")
        municipality_field.widget.attrs.update(
            {
                "data-place-municipality": "",
                "data-url-template": reverse_lazy("places:state_municipalities", args=["00"]),
                "data-search-url": reverse_lazy("places:search"),
            }
        )
        state_code = self._chosen_state_code()
        municipalities = Municipality.objects.order_by("name")
        municipality_field.queryset = (
            municipalities.filter(state_id=state_code) if state_code else municipalities.none()
        )
        if not state_code and self.is_bound:
            # A municipality alone is enough: the state is derived from it. Any
            # municipality is accepted, but a form sent back with errors lists
            # only the one chosen, not all 2,478 (a page of 150 KB on a slow line).
            municipality_field.queryset = municipalities
            chosen = self.data.get(self.add_prefix("municipality"))
            shown = municipalities.filter(pk=chosen) if posted_code(chosen, 5) else []
            municipality_field.widget.choices = [
                ("", municipality_field.empty_label),
                *((m.pk, str(m)) for m in shown),
            ]

    def _chosen_state_code(self) -> str | None:
        if self.is_bound:
            return posted_state_code(self.data.get(self.add_prefix("state")))
        initial = self.initial.get("state") or getattr(self.instance, "state_id", None)
        return getattr(initial, "pk", initial)

    def clean(self):
        data = super().clean()
        state, municipality = data.get("state"), data.get("municipality")
        if municipality and state and municipality.state_id != state.pk:
            self.add_error("municipality", _("This municipality is not in the chosen state."))
        elif municipality and not state:
            data["state"] = municipality.state
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return data


class PlaceSearchForm(forms.Form):
    """A standalone state + municipality filter, for lists and statistics."""

    state = forms.ModelChoiceField(
        label=_("State"), queryset=State.objects.order_by("name"), required=False
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), required=False
    )
