"""The public feed of verified incidents, and the counts a map will draw.

A report appears only once verified and only after
``MEMORIA_REPORTS_PUBLISH_DELAY_HOURS`` have passed since it was verified, so
an incident is never published while the people near it can still be traced
from it. An incident shows its kind, its state and municipality (never a
locality, a street or coordinates: the report has none), the month it
happened in (never the day), and the summary the organization wrote for the
public, never the reporter's own words.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from memoria.accounts.models import Organization
from memoria.cases.models import DatePrecision
from memoria.disclosure import DEFAULT_K, Table, suppress_positive_series
from memoria.reports.models import Report


def publish_delay() -> dt.timedelta:
    return dt.timedelta(hours=settings.MEMORIA_REPORTS_PUBLISH_DELAY_HOURS)


def published(organization: Organization, now: dt.datetime | None = None) -> QuerySet[Report]:
    """Verified reports of ``organization`` whose publication delay has passed, newest first."""
    cutoff = (now or timezone.now()) - publish_delay()
    return Report.objects.filter(
        organization=organization,
        status=Report.Status.VERIFIED,
        decided_at__lte=cutoff,
    ).order_by("-decided_at", "-pk")


@dataclass(frozen=True)
class Incident:
    """What the public may see of one verified report."""

    kind: str
    state_code: str
    state: str
    municipality_code: str
    municipality: str
    year: int | None
    month: int | None  # None when the reporter gave only the year
    summary: str
    place_withheld: bool = False  # the map hides this place's count: no place is shown

    @property
    def place(self) -> tuple[str, str]:
        return (self.state_code, self.municipality_code)


def incident(report: Report) -> Incident:
    when = report.occurred_on
    precise = report.occurred_precision in (DatePrecision.DAY, DatePrecision.MONTH)
    state = report.state
    municipality = report.municipality
    return Incident(
        kind=report.violation_type.label if report.violation_type else "",
        state_code=state.code if state else "",
        state=state.name if state else "",
        municipality_code=municipality.cvegeo if municipality else "",
        municipality=municipality.name if municipality else "",
        year=when.year if when and report.occurred_precision != DatePrecision.UNKNOWN else None,
        month=when.month if when and precise else None,
        summary=report.public_summary,
    )


def incidents(organization: Organization, now: dt.datetime | None = None) -> list[Incident]:
    return [incident(report) for report in published(organization, now)]


def threshold(organization: Organization) -> int:
    """The k of the organization's public site (chosen by a coordinator on the public site's
    settings, published or not), else ``memoria.disclosure.DEFAULT_K``.

    Read through the reverse relation so that this app imports nothing of the site above it.
    """
    publication = getattr(organization, "publication", None)
    return publication.threshold if publication is not None else DEFAULT_K


def suppressed_places(
    items: list[Incident], k: int
) -> tuple[list[tuple[str, str]], Counter[tuple[str, str]], Table]:
    """The places of ``items`` (sorted), their counts, and the counts suppressed as one
    series with its total: what the map publishes, and what the list may name."""
    counts = Counter(item.place for item in items)
    keys = sorted(counts)
    # Every place listed has an incident: a "withheld" one has at least k (``positive``).
    series = [counts[key] for key in keys]
    # The direct rule for one row (the engine's answer; its integer programs took
    # seconds on a few hundred places, on every request of the public map).
    return keys, counts, suppress_positive_series(series, k)


def listed(organization: Organization, k: int, now: dt.datetime | None = None) -> list[Incident]:
    """The incidents as the public list shows them, newest first: the place of an incident
    is withheld (state and municipality) whenever the map hides its place's count.

    Where the map hides its total (fewer than k in all), the incidents of hidden places
    are left out: the list would give that total, which the suppression did not count
    on (two places with one each: "fewer than k" twice, and a list of 2 pins both at 1),
    and where the map hides one place only, a "place withheld" could only be there."""
    items = incidents(organization, now)
    keys, _counts, table = suppressed_places(items, k)
    hidden = {key for i, key in enumerate(keys) if table.is_hidden(0, i)}
    if len(hidden) == 1 or (keys and table.is_hidden(0, len(keys))):
        return [item for item in items if item.place not in hidden]
    return [
        replace(
            item,
            state_code="",
            state="",
            municipality_code="",
            municipality="",
            place_withheld=True,
        )
        if item.place in hidden
        else item
        for item in items
    ]


def counts_by_municipality(
    organization: Organization, now: dt.datetime | None = None
) -> Counter[tuple[str, str]]:
    """Published incidents by place, for a map: ``{(state code, municipality cvegeo): n}``.

    The hook for the incident map: the cvegeo is ``""`` when the reporter named
    the state only, and the state code is ``""`` when they named no place.
    """
    return Counter(item.place for item in incidents(organization, now))
