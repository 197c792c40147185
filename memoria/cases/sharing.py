"""Which parts of a case another organization may be granted (see memoria.sharing)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from memoria.cases.actions import plain
    from memoria.cases.models import Event, Person
    from memoria.sharing.registry import register_shareable

    register_shareable(
        Event,
        fields={
            "title": _("Title"),
            "description": _("What happened"),
            "start_date": _("Date"),
            "state": _("State"),
            "municipality": _("Municipality"),
            "status": _("Status"),
        },
        # A title or an account of the facts often names the victims.
        identity_fields={"title", "description"},
        serialize=plain,
    )
    register_shareable(
        Person,
        fields={
            "given_names": _("Given names"),
            "paternal_surname": _("Paternal surname"),
            "maternal_surname": _("Maternal surname"),
            "sex": _("Sex"),
            "age": _("Age"),
            "curp": _("CURP"),
            "is_searching_relative": _("Takes part in the search"),
        },
        identity_fields={"given_names", "paternal_surname", "maternal_surname", "curp"},
        serialize=plain,
    )
