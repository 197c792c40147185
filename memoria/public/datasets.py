"""The open-data downloads: one dataset per published table, with its data dictionary.

Every dataset has the same suppression as the pages: a hidden value is an
empty cell (``null`` in JSON) and the ``suppression`` column says why
(``fewer_than_k``: from 1 to k − 1; ``complementary``: withheld so that a small
count cannot be worked out from the totals). Tags follow HXL (hxlstandard.org).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from memoria.public import figures as published

ALL = "total"


@dataclass(frozen=True)
class Column:
    name: str
    hxl: str
    meaning: object  # a lazy translated string


@dataclass(frozen=True)
class Dataset:
    slug: str
    key: str  # the key of the figures it comes from
    title: object
    counts: object  # what a row counts
    columns: tuple[Column, ...]
    make: Callable[[dict, dict], list[dict]]

    def rows(self, figures: dict) -> list[dict]:
        return self.make(figures, published.labels(figures))


def _number(value):
    return value if isinstance(value, int) else None


def _places(figures: dict, labels: dict) -> list[dict]:
    places = figures["places"]
    rows = []
    years = [str(y) if y is not None else "" for y in places["years"]]
    for code, name, cells, total in zip(
        places["states"], labels["states"], places["cells"], places["state_totals"], strict=True
    ):
        for year, value in zip(years, cells, strict=True):
            rows.append(_place_row(code, name, year, value))
        rows.append(_place_row(code, name, ALL, total))
    for year, value in zip(years, places["year_totals"], strict=True):
        rows.append(_place_row(ALL, str(_("All states")), year, value))
    rows.append(_place_row(ALL, str(_("All states")), ALL, figures["cases"]))
    return rows


def _place_row(code, name, year, value) -> dict:
    return {
        "state_code": code,
        "state": name,
        "year": year,
        "cases": _number(value),
        "suppression": published.suppression(value),
    }


def _series(key: str, count: str, with_total: bool):
    def make(figures: dict, labels: dict) -> list[dict]:
        part = figures[key]
        rows = [
            {
                "code": str(code),
                "category": label,
                count: _number(value),
                "suppression": published.suppression(value),
            }
            for code, label, value in zip(
                part["categories"], labels[key], part["values"], strict=True
            )
        ]
        if with_total:
            total = part["total"]
            rows.append(
                {
                    "code": ALL,
                    "category": str(_("All")),
                    count: _number(total),
                    "suppression": published.suppression(total),
                }
            )
        return rows

    return make


SUPPRESSION = Column(
    "suppression",
    "#meta+suppression",
    _(
        "Empty when the count is shown; “fewer_than_k” when it is from 1 to k − 1; "
        "“complementary” when it is withheld so that a small count cannot be worked out."
    ),
)


def _category_columns(what: object, hxl: str, count: str, count_hxl: str, meaning: object):
    return (
        Column("code", f"{hxl}+code", _("The category's code (stable across languages).")),
        Column("category", f"{hxl}+name", what),
        Column(count, count_hxl, meaning),
        SUPPRESSION,
    )


CASES_MEANING = _("Documented cases (events); empty when withheld.")
VICTIMS_MEANING = _("Direct victims, counted once in each case; empty when withheld.")

DATASETS = (
    Dataset(
        "cases-by-state-and-year",
        "places",
        _("Cases by state and year"),
        _(
            "One row per state and year, then each state's total (year “total”), each year's "
            "total (state “total”) and the grand total."
        ),
        (
            Column("state_code", "#adm1+code", _("INEGI code of the state; “total” for all.")),
            Column("state", "#adm1+name", _("Name of the state; empty name: not recorded.")),
            Column("year", "#date+year", _("Year the case began; empty: not recorded.")),
            Column("cases", "#event+num", CASES_MEANING),
            SUPPRESSION,
        ),
        _places,
    ),
    Dataset(
        "victims-by-sex",
        "sex",
        _("Direct victims by sex"),
        _("One row per sex as recorded, then the total."),
        _category_columns(
            _("Sex as recorded."), "#indicator", "victims", "#affected+num", VICTIMS_MEANING
        ),
        _series("sex", "victims", True),
    ),
    Dataset(
        "victims-by-age",
        "age",
        _("Direct victims by age band"),
        _("One row per age band at the time of the case, then the total."),
        _category_columns(
            _("Age band."), "#indicator", "victims", "#affected+num", VICTIMS_MEANING
        ),
        _series("age", "victims", True),
    ),
    Dataset(
        "cases-by-violation",
        "violations",
        _("Cases by type of violation"),
        _("One row per type; a case with several types counts in each, so there is no total."),
        _category_columns(
            _("Type of violation."), "#indicator", "cases", "#event+num", CASES_MEANING
        ),
        _series("violations", "cases", False),
    ),
    Dataset(
        "cases-by-perpetrator",
        "perpetrators",
        _("Cases by kind of perpetrator"),
        _("One row per kind; a case naming several counts in each, so there is no total."),
        _category_columns(
            _("Kind of perpetrator held responsible."),
            "#indicator",
            "cases",
            "#event+num",
            CASES_MEANING,
        ),
        _series("perpetrators", "cases", False),
    ),
    Dataset(
        "cases-by-profile",
        "profiles",
        _("Cases with victims of each risk profile"),
        _("One row per profile (defender, journalist…); a case can count in several."),
        _category_columns(
            _("Risk profile of at least one direct victim."),
            "#indicator",
            "cases",
            "#event+num",
            CASES_MEANING,
        ),
        _series("profiles", "cases", False),
    ),
)


def available(figures: dict) -> list[Dataset]:
    """The datasets of what is published."""
    return [dataset for dataset in DATASETS if dataset.key in figures]
