"""Figures of registrations, requests, grants, refusals and deliveries, and the state's delays.

Everything here is plain Python over decrypted records (dates, bodies and
statuses are encrypted, so SQL cannot count them): ``collect(organization)``
reads the organization's records once and turns them into ``Filing`` rows;
``tabulate(filings)`` counts them by body, state and year and takes the median
delays. ``tabulate`` needs no database, so the known-answer tests give it rows
by hand.

What the figures count (docs/victims.md says it in plain words):

* a registration or a request is counted in the year it was **filed** (the
  row "no date" when the date is unknown);
* a request counts as granted when it was granted in whole or in part;
* a measure counts as delivered when it was delivered in whole or in part;
* the time from request to resolution is the days between filing and the
  resolution (requests with both dates only); the time from request to
  delivery is the days between the request's filing and a measure's delivery
  (delivered measures with both dates only). Medians, not means: a handful of
  requests the state ignored for years would drag a mean far from the typical
  wait.
"""

from __future__ import annotations

import csv
import datetime
import io
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

FEDERAL = ""  # the state code of a federal body (RENAVI, the CEAV)


@dataclass(frozen=True)
class Filing:
    """One registration request or one request to a commission, as the figures see it."""

    kind: str  # "registration" or "request"
    body: str  # registry or commission code (renavi, state, ceav, ceeav)
    state_code: str  # "" for a federal body
    filed_on: datetime.date | None
    outcome: str  # the record's status
    resolved_on: datetime.date | None = None
    # For requests: (decision, delivery, delivered_on) of each measure
    measures: tuple[tuple[str, str, datetime.date | None], ...] = ()


@dataclass
class Row:
    body: str
    state_code: str
    year: int | None
    registrations: int = 0
    registered: int = 0
    registrations_refused: int = 0
    requests: int = 0
    granted: int = 0
    refused: int = 0
    measures_granted: int = 0
    delivered: int = 0
    resolution_days: list[int] = field(default_factory=list)
    delivery_days: list[int] = field(default_factory=list)

    @property
    def median_resolution_days(self) -> float | None:
        return median(self.resolution_days)

    @property
    def median_delivery_days(self) -> float | None:
        return median(self.delivery_days)


def median(values: Iterable[int]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def _days(start: datetime.date | None, end: datetime.date | None) -> int | None:
    if start is None or end is None or end < start:
        return None  # a resolution typed before its filing says nothing about delay
    return (end - start).days


def _add(row: Row, filing: Filing) -> None:
    if filing.kind == "registration":
        row.registrations += 1
        row.registered += filing.outcome == "registered"
        row.registrations_refused += filing.outcome in ("refused", "appealed")
        return
    row.requests += 1
    row.granted += filing.outcome in ("granted", "partly_granted")
    row.refused += filing.outcome == "refused"
    if (
        filing.outcome != "pending"
        and (days := _days(filing.filed_on, filing.resolved_on)) is not None
    ):
        row.resolution_days.append(days)
    for decision, delivery, delivered_on in filing.measures:
        row.measures_granted += decision == "granted"
        if delivery in ("delivered", "partly"):
            row.delivered += 1
            if (days := _days(filing.filed_on, delivered_on)) is not None:
                row.delivery_days.append(days)


def tabulate(filings: Iterable[Filing]) -> tuple[list[Row], Row]:
    """Rows by (body, state, year), in that order (undated years last), and the total row."""
    rows: dict[tuple, Row] = {}
    total = Row(body="", state_code="", year=None)
    for filing in filings:
        year = filing.filed_on.year if filing.filed_on else None
        key = (filing.body, filing.state_code, year)
        if key not in rows:
            rows[key] = Row(*key)
        _add(rows[key], filing)
        _add(total, filing)
    ordered = sorted(
        rows.values(), key=lambda r: (r.body, r.state_code, r.year is None, r.year or 0)
    )
    return ordered, total


# -- reading the records ----------------------------------------------------------------------


def collect(organization) -> list[Filing]:
    """The organization's registrations and requests as ``Filing`` rows (decrypted here)."""
    from memoria.victims.models import CommissionRequest, Registration

    filings = [
        Filing(
            "registration",
            registration.registry,
            registration.state_code if registration.registry == "state" else FEDERAL,
            registration.filed_on,
            registration.status,
            registration.decided_on,
        )
        for registration in Registration.objects.filter(organization=organization)
    ]
    requests = CommissionRequest.objects.filter(organization=organization).prefetch_related(
        "measures"
    )
    filings += [
        Filing(
            "request",
            record.commission,
            record.state_code if record.commission == "ceeav" else FEDERAL,
            record.filed_on,
            record.status,
            record.resolved_on,
            tuple((m.decision, m.delivery, m.delivered_on) for m in record.measures.all()),
        )
        for record in requests
    ]
    return filings


def body_label(code: str) -> str:
    from memoria.victims.models import Commission, Registry

    labels = {**dict(Registry.choices), **dict(Commission.choices)}
    return str(labels.get(code, code))


def state_label(code: str, states: dict[str, str]) -> str:
    if not code:
        return _("Federal")
    return states.get(code, code)


def as_csv(rows: list[Row], total: Row, states: dict[str, str]) -> str:
    """The table as CSV, with its column names in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Registry or commission"),
            _("State"),
            _("Year filed"),
            _("Registration requests"),
            _("Registered"),
            _("Registrations refused"),
            _("Requests to commissions"),
            _("Requests granted"),
            _("Requests refused"),
            _("Measures granted"),
            _("Measures delivered"),
            _("Median days from request to resolution"),
            _("Median days from request to delivery"),
        ]
    )
    for row in [*rows, total]:
        is_total = row is total
        writer.writerow(
            [
                _("Total") if is_total else body_label(row.body),
                "" if is_total else state_label(row.state_code, states),
                "" if is_total else (row.year or _("no date")),
                row.registrations,
                row.registered,
                row.registrations_refused,
                row.requests,
                row.granted,
                row.refused,
                row.measures_granted,
                row.delivered,
                _number(row.median_resolution_days),
                _number(row.median_delivery_days),
            ]
        )
    return out.getvalue()


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
