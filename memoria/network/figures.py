"""The network's figures: an organization's own, plus what its partners share, added up.

The organization's own figures are exact (``shared_figures.compute`` with no
k, from its own index). A partner's arrive only through a counts-only
agreement in force (``sharing.AgreementFigures``, under this organization's
key), already suppressed on the partner's side. Adding them up:

* a shown count adds itself;
* ``"small"`` (from 1 to k − 1) adds at least 1;
* ``"hidden"`` (a listed category, so at least 1, and not small: at least k)
  adds at least that partner's k.

So a sum with a withheld part is a lower bound ("at least X"), never a number
that pretends to be exact; ``Sum.withheld`` says how many parts are missing.
Nothing here can tell two organizations' records of the same case apart: a
case documented by two organizations counts twice.
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from memoria.cases import caseindex, shared_figures
from memoria.cases.caseindex import AGE_BANDS, SEXES
from memoria.cases.formatting import month_label
from memoria.cases.models import PROFILE_FLAGS, AgeBand, Sex, Term
from memoria.cases.statistics import (
    MUNICIPALITIES_LISTED,
    PlaceRow,
    _catalogue,
    choropleth,
    horizontal_chart,
    rate,
    vertical_chart,
    wilson,
)
from memoria.sharing import agreements as sharing
from memoria.sharing import rules
from memoria.sharing.models import AgreementFigures, AgreementLevel
from memoria.sharing.suppressed import HIDDEN, SMALL

CASES_KIND = "cases.event"


@dataclass
class Sum:
    """A count added up over organizations: exact, or at least ``low``."""

    low: int = 0
    withheld: int = 0  # parts that were "fewer than k" or withheld

    def add(self, value, k: int | None) -> None:
        if value == SMALL:
            self.low += 1
            self.withheld += 1
        elif value == HIDDEN:
            self.low += k or 1
            self.withheld += 1
        else:
            self.low += int(value)

    def __iadd__(self, other: Sum) -> Sum:
        self.low += other.low
        self.withheld += other.withheld
        return self

    @property
    def exact(self) -> bool:
        return not self.withheld

    def __str__(self) -> str:
        text = number_format(self.low, force_grouping=True)
        return text if self.exact else _("at least %(count)s") % {"count": text}


@dataclass
class Source:
    """One organization's part of the network figures."""

    name: str
    own: bool
    computed_at: datetime.datetime
    content: dict
    k: int | None
    agreement_id: int | None = None
    cases: Sum = field(default_factory=Sum)
    withheld: int = 0


OWN_KEPT = 16  # organizations' own figures kept per process, by index version
_own: OrderedDict = OrderedDict()
_own_lock = threading.Lock()


def own_source(organization) -> Source:
    """The organization's own figures, exact; kept in this process for the same index
    version (any change to its cases changes it; never kept inside a transaction that
    wrote the index: ``caseindex.version`` is None there)."""
    version = caseindex.version(organization)
    key = (organization.pk, version)
    found = None
    if version is not None:
        with _own_lock:
            if key in _own:
                _own.move_to_end(key)
                found = _own[key]
    if found is None:
        found = (timezone.now(), shared_figures.compute(organization, None))
        if version is not None:
            with _own_lock:
                _own[key] = found
                while len(_own) > OWN_KEPT:
                    _own.popitem(last=False)
    computed_at, content = found
    return Source(organization.name, True, computed_at, content, None)


def partner_sources(organization) -> list[tuple[Source, AgreementFigures]]:
    """The cases' figures partners share with ``organization`` under agreements in force.

    An agreement whose last day has passed is ended first (its figures go)."""
    found = []
    stored = (
        AgreementFigures.objects.filter(
            organization=organization,
            agreement__partner=organization,
            agreement__level=AgreementLevel.AGGREGATE,
        )
        .select_related("agreement", "agreement__organization")
        .order_by("agreement__organization__name", "agreement_id")
    )
    for figures in list(stored):
        agreement = figures.agreement
        if not rules.is_in_force(agreement):
            sharing.expire(agreement)
            continue
        content = (figures.content or {}).get(CASES_KIND)
        if not content or content.get("format") != shared_figures.FORMAT:
            continue  # none yet, or an older shape: the worker replaces it within minutes
        source = Source(
            agreement.organization.name,
            False,
            figures.computed_at,
            content,
            content.get("k"),
            agreement.pk,
        )
        found.append((source, figures))
    return found


def years(sources: list[Source]) -> list[int]:
    return sorted(
        {int(y) for source in sources for y in source.content.get("years", {}) if y},
        reverse=True,
    )


def _series_of(source: Source, year: str | None, name: str):
    """(year key, the series) of ``source`` for the chosen year (None: every year)."""
    for key, series in source.content.get("years", {}).items():
        if (year is None or key == year) and name in series:
            yield key, series[name]


class Sums(dict):
    """Sums by category; ``incomplete`` when a part withheld its rows altogether (a
    series whose small counts its number of rows would give away): then every
    category, listed or not, is at least what is known."""

    incomplete = False

    def get(self, key, default=None):
        if key in self:
            return self[key]
        return Sum(0, 1) if self.incomplete else (Sum() if default is None else default)


def _sum_rows(sources: list[Source], year: str | None, name: str) -> Sums:
    sums = Sums()
    for source in sources:
        for _key, series in _series_of(source, year, name):
            sums.incomplete |= bool(series.get("withheld"))
            for category, value in series["rows"]:
                sums.setdefault(category, Sum()).add(value, source.k)
    if sums.incomplete:
        for value in sums.values():
            value.withheld += 1
    return sums


def _sum_totals(sources: list[Source], year: str | None, name: str) -> Sum:
    total = Sum()
    for source in sources:
        for _key, series in _series_of(source, year, name):
            total.add(series.get("total", 0), source.k)
    return total


def _chart(items: list[tuple[str, Sum]], vertical: bool = False, ticks=None):
    make = vertical_chart if vertical else horizontal_chart
    chart = make([(label, s.low) for label, s in items], **({"ticks": ticks} if ticks else {}))
    for bar, (_label, s) in zip(chart.bars, items, strict=True):
        bar.count = str(s)
    return chart


def _ranked(items: list[tuple[str, Sum]]) -> list[tuple[str, Sum]]:
    return sorted(items, key=lambda item: (-item[1].low, item[0]))


def _rate_text(count: Sum, population: int) -> str:
    value = rate(count.low, population)
    if value is None:
        return "—"
    text = number_format(round(value, 2), 2)
    return text if count.exact else _("at least %(count)s") % {"count": text}


def collect(organization) -> tuple[list[Source], list[tuple[Source, AgreementFigures]]]:
    """Every part of the network figures (the organization's own first), and the
    partners' stored rows (to audit their reading)."""
    partners = partner_sources(organization)
    return [own_source(organization), *(source for source, _stored in partners)], partners


def network_figures(organization, year: int | None = None) -> dict:
    """Everything the network figures page shows, for every year or one."""
    sources, partners = collect(organization)
    return summarize(sources, partners, year)


def summarize(sources: list[Source], partners: list, year: int | None = None) -> dict:
    """The figures of ``sources`` added up, for every year or one."""
    key = None if year is None else str(year)
    for source in sources:
        source.cases = _sum_totals([source], key, "month")
        source.withheld = sum(
            1
            for _k, series in _all_series(source, key)
            for value in [
                *(v for _c, v in series["rows"]),
                series.get("total", 0),
                HIDDEN if series.get("withheld") else 0,
            ]
            if value in (SMALL, HIDDEN)
        )
    cases = _sum_totals(sources, key, "month")
    victims = _sum_totals(sources, key, "sex")

    # When: by year (every year) or by month (one year).
    if key is None:
        by_year = []
        for y in sorted(years(sources)):
            by_year.append((str(y), _sum_totals(sources, str(y), "month")))
        when_chart = _chart(by_year, vertical=True)
        undated = _sum_totals(sources, "", "month")
        without_month = None
    else:
        months = _sum_rows(sources, key, "month")
        items = [
            (month_label(datetime.date(year, m, 1)), months.get(str(m), Sum()))
            for m in range(1, 13)
        ]
        when_chart = _chart(items, vertical=True, ticks=[str(m) for m in range(1, 13)])
        undated = None
        without_month = months.get("", Sum())

    violations = _sum_rows(sources, key, "violation")
    perpetrators = _sum_rows(sources, key, "perpetrator")
    terms = Term.objects.in_bulk([int(t) for t in [*violations, *perpetrators]])

    def term_items(sums: dict[str, Sum]) -> list[tuple[str, Sum]]:
        return _ranked([(terms[int(t)].label, s) for t, s in sums.items() if int(t) in terms])

    sexes = _sum_rows(sources, key, "sex")
    ages = _sum_rows(sources, key, "age")
    profiles = _sum_rows(sources, key, "profile")
    sex_labels, age_labels = dict(Sex.choices), dict(AgeBand.choices)

    # Places: the state figures are the sums of their parts (municipalities, and the
    # cases with the state only).
    places = _sum_rows(sources, key, "place")
    states, municipalities = _catalogue()
    by_state: dict[str, Sum] = {}
    by_municipality: dict[str, Sum] = {}
    no_place = Sum(0, 1) if places.incomplete else Sum()
    for code, value in places.items():
        if not code:
            no_place += value
            continue
        by_state.setdefault(code[:2], Sum())
        by_state[code[:2]] += value
        if len(code) == 5:
            by_municipality[code] = value
    state_rows = _place_rows(by_state, states, lambda s: s.name, lambda s: "")
    municipality_rows = _place_rows(
        by_municipality,
        municipalities,
        lambda m: m.name,
        lambda m: states[m.state_code].name if m.state_code in states else "",
    )[:MUNICIPALITIES_LISTED]
    place_map = choropleth(
        "states",
        [PlaceRow(r["code"], r["name"], r["sum"].low, r["population"], None) for r in state_rows],
        "count",
    )
    texts = {row["code"]: str(row["sum"]) for row in state_rows}
    for area in place_map["map"].areas:
        area.text = texts.get(area.code, str(Sum(0, 1)) if places.incomplete else "0")
    # A state whose count is "at least X" is coloured by X: its legend must say so.
    place_map["lower_bounds"] = places.incomplete or any(not r["sum"].exact for r in state_rows)

    agents = _sum_rows(sources, key, "state_agent")
    named = agents.get("state", Sum())
    with_perpetrator = _sum_totals(sources, key, "state_agent")
    share = (
        wilson(named.low, with_perpetrator.low) if named.exact and with_perpetrator.exact else None
    )
    return {
        "sources": sources,
        "partners": partners,
        "years": years(sources),
        "year": year,
        "cases": cases,
        "victims": victims,
        "when_chart": when_chart,
        "undated": undated,
        "without_month": without_month,
        "by_violation": _chart(term_items(violations)),
        "by_perpetrator": _chart(term_items(perpetrators)),
        "by_sex": _chart([(str(sex_labels[c]), sexes.get(str(c), Sum())) for c in SEXES]),
        "by_age": _chart([(str(age_labels[c]), ages.get(str(c), Sum())) for c in AGE_BANDS]),
        "by_profile": _chart(
            [(str(label), profiles.get(flag, Sum())) for flag, label in PROFILE_FLAGS]
        ),
        "by_state": _chart([(row["name"], row["sum"]) for row in state_rows]),
        "state_rows": state_rows,
        "municipality_rows": municipality_rows,
        "municipalities_total": len(by_municipality),
        "no_place": no_place,
        "place_map": place_map,
        "state_agent": named,
        "with_perpetrator": with_perpetrator,
        "state_share": share,
        "any_withheld": any(source.withheld for source in sources),
    }


def _all_series(source: Source, year: str | None):
    for key, series in source.content.get("years", {}).items():
        if year is None or key == year:
            yield from ((key, table) for table in series.values())


def _place_rows(sums: dict[str, Sum], catalogue: dict, name_of, state_of) -> list[dict]:
    rows = []
    for code, value in sums.items():
        place = catalogue.get(code)
        if place is None:
            continue
        population = place.population_total
        rows.append(
            {
                "code": code,
                "name": name_of(place),
                "state_name": state_of(place),
                "sum": value,
                "population": population,
                "rate": _rate_text(value, population),
            }
        )
    return sorted(rows, key=lambda row: (-row["sum"].low, row["name"]))
