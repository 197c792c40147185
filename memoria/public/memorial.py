"""The memorial: the people a family has agreed to name, read live at each request.

A person is named only while their visibility is "memorial" *and* the family's
consent is recorded (``consent_recorded_at``): withdrawing consent (choosing
another visibility, which ``memoria.cases.actions`` also does when the consent
is unticked) removes them at once, since every change to a person raises the
publication's cache generation (``memoria.public.signals``).

A disappeared person with a search file (``memoria.search``'s ante-mortem
file) has a second consent there: whether a public memorial may name them
(``AnteMortemFile.memorial_may_name``), recorded with the family that keeps
the search. Both must agree: such a person is named only while the file says
yes too, and unticking it there removes the name at once (a change to a file
also raises the generation).

What is shown, and nothing else: the name, the age recorded, and for each case
the date (at the precision recorded) and the municipality and state. Never the
account of what happened, a testimony, an address, the exact place, the
violation, the perpetrators or any relative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from memoria.cases.formatting import partial_date
from memoria.cases.models import Act, Person, Visibility


@dataclass
class Remembered:
    name: str
    age: int | None
    when_where: list[tuple[str, str]] = field(default_factory=list)  # (date, place)


def consenting(organization):
    """The organization's people whose family consented to their name being public
    (in the case records and, for a person with a search file, in the file too)."""
    return Person.objects.filter(
        organization=organization,
        visibility=Visibility.MEMORIAL,
        consent_recorded_at__isnull=False,
    ).exclude(
        # The search file's own memorial consent, when there is a file, must say yes too.
        ante_mortem_files__memorial_may_name=False
    )


def entries(organization) -> list[Remembered]:
    """The memorial's entries, by name (decrypted, so sorted here)."""
    people = {person.pk: person for person in consenting(organization)}
    found = {
        pk: Remembered(person.full_name, person.age if isinstance(person.age, int) else None)
        for pk, person in people.items()
        if person.full_name
    }
    acts = Act.objects.filter(organization=organization, victim_id__in=list(found)).select_related(
        "event"
    )
    seen = set()
    for act in acts:
        if (act.victim_id, act.event_id) in seen:
            continue
        seen.add((act.victim_id, act.event_id))
        event = act.event
        place = ", ".join(
            str(part.name) for part in (event.municipality, event.state) if part is not None
        )
        found[act.victim_id].when_where.append(
            (partial_date(event.start_date, event.start_precision), place)
        )
    return sorted(found.values(), key=lambda entry: entry.name.casefold())
