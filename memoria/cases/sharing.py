"""Which parts of a case another organization may be granted (see memoria.sharing).

Consent under a sharing agreement (``memoria.sharing.rules``) comes from the
person's record, as the family gave it:

* a person is shared by name only if their visibility lets partners see them
  ("partners", or "memorial") *and* the family's consent is recorded;
* without recorded consent, "partners" allows the record without names;
* "aggregate" allows counts only; "private" allows nothing;
* a case goes no further than the most reserved of its people (direct and
  indirect victims) allow; a case without people goes no further than
  without names, since its title and account may name people nobody asked.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def person_consent(person):
    from memoria.cases.models import Visibility
    from memoria.sharing.registry import Consent

    consented = person.consent_recorded_at is not None
    visibility = person.visibility
    if visibility in (Visibility.PARTNERS, Visibility.MEMORIAL) and consented:
        return Consent.NAMED
    if visibility == Visibility.PARTNERS:
        return Consent.PSEUDONYMIZED
    if visibility == Visibility.AGGREGATE:
        return Consent.AGGREGATE
    return Consent.NONE


def people_of(event):
    from memoria.cases.models import Person

    return Person.objects.filter(
        Q(acts__event=event) | Q(relative_of__event=event), organization_id=event.organization_id
    ).distinct()


def event_consent(event):
    from memoria.sharing.registry import Consent

    levels = [person_consent(person) for person in people_of(event)]
    return min(levels) if levels else Consent.PSEUDONYMIZED


def events_of(person) -> list:
    from memoria.cases.models import Event

    return list(
        Event.objects.filter(
            Q(acts__victim=person) | Q(indirect_victims__person=person),
            organization_id=person.organization_id,
        ).distinct()
    )


def _shared_figures(organization, k: int) -> dict:
    from memoria.cases import shared_figures

    return shared_figures.shared(organization, k)


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
        consent=event_consent,
        label=_("Cases"),
        # Counts-only agreements carry the statistics page's figures, by year.
        figures=_shared_figures,
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
        consent=person_consent,
        dependents=events_of,
        label=_("People"),
        aggregates={
            "sex": (_("Sex"), lambda person: person.get_sex_display()),
            "age_band": (_("Age band"), lambda person: person.get_age_band_display()),
        },
    )
