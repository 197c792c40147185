"""The case list: filters, sort orders, search and a paginator.

Views sort and search only through the functions here (``filter_events``,
``ListPaginator``, ``case_number``, ``cases_of_people``). The place, dates,
status, perpetrators and victims' profiles of a case are encrypted, so the
database cannot filter or sort on them: the list reads the organization's
encrypted case index, decrypted in this process's memory
(``memoria.cases.caseindex``), and fetches only the page's events by id.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Q
from django.utils.functional import cached_property

from memoria.cases import access, caseindex
from memoria.cases.caseindex import PROFILE_CODES, month_ordinal
from memoria.cases.models import Event

if TYPE_CHECKING:
    from memoria.cases.forms import CaseFilterForm

__all__ = ["PROFILE_CODES", "SORTS"]

PAGE_SIZE = 25
# Counting is free (the matches are an array in memory): the list counts them
# exactly up to this many, far beyond any organization's cases. Past it the
# list would say "more than" and still offer every page.
COUNT_CAP = 10_000_000


class OpenEndedPage(Page):
    """A page of a list whose length is not shown: it knows only whether more follow."""

    def __init__(self, object_list, number, paginator, has_more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more


class IndexedEvents(Sequence):
    """The events a list shows, in order: their ids come from the case index, and a
    slice fetches only its own events from the database."""

    def __init__(self, organization, ids: np.ndarray) -> None:
        self.organization = organization
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def count(self) -> int:
        return len(self.ids)

    def __iter__(self):
        for start in range(0, len(self.ids), 500):
            yield from self[start : start + 500]

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.fetch(self.ids[key].tolist())
        return self.fetch([int(self.ids[key])])[0]

    def fetch(self, ids: list[int]) -> list[Event]:
        by_id = access.events_of(self.organization).in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]


class ListPaginator(Paginator):
    """The case list's paginator: the exact count (up to ``COUNT_CAP``), every page reachable,
    and a page past the end (or not a number) answered with the first."""

    capped = False

    def __init__(self, object_list, per_page, sort: str = "-start") -> None:
        super().__init__(object_list, per_page)
        self.sort = sort

    @cached_property
    def count(self) -> int:
        counted = len(self.object_list)
        self.capped = counted > COUNT_CAP
        return min(counted, COUNT_CAP)

    def validate_number(self, number) -> int:
        if not self.count or not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        if not self.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        total = len(self.object_list)
        if number > 1 and bottom >= total:
            raise EmptyPage(self.error_messages["no_results"])
        return OpenEndedPage(self.object_list[bottom:top], number, self, top < total)

    def get_page(self, number) -> Page:
        """The page asked for; past the end of a capped list, or for a number that is
        not one, the first page, never an error."""
        try:
            return super().get_page(number)
        except EmptyPage:
            return self.page(1)


PRECISION_RANK = caseindex.PRECISION_RANK


def date_key(start_date, precision: str) -> tuple:
    """Where an event's start falls in time, for sorting.

    A partial date counts as the first day of its month or year; on that same
    day the more precise date comes later in time order, so newest first shows
    27, 16, 15 and 6 December, then "December", and a bare year after every
    date of its January.
    """
    if start_date is None:
        return (datetime.date.min, -1)
    return (start_date, PRECISION_RANK.get(precision, 0))


# The list's sort orders (the form's choices). Every date sort puts undated
# cases last and orders by the month, then the full date within it, then the
# number; "state" is INEGI order, "status" the stored code's order.
SORTS = {
    "-start": "Newest first by start date, then newest record",
    "start": "Oldest first by start date, then oldest record",
    "-number": "Newest record first",
    "number": "Oldest record first",
    "state": "By state code, then newest first",
    "status": "By status code, then newest first",
}


def sort_of(form: CaseFilterForm) -> str:
    """The sort the list's form asks for (newest first by default)."""
    if form.is_bound and form.is_valid():
        return form.cleaned_data["sort"] or "-start"
    return "-start"


CASE_NUMBER = re.compile(r"#?\s*(\d{1,9})")


def case_number(text: str) -> int | None:
    """The case number in a search ("3001", "#3001", "# 3001"), or None for anything else."""
    match = CASE_NUMBER.fullmatch(text.strip())
    return int(match.group(1)) if match else None


MAX_CASES_OF_PEOPLE = 100


def cases_of_people(organization, person_ids: list[int]) -> list[Event]:
    """The organization's events in which these people are direct or indirect victims,
    newest first by full date, at most ``MAX_CASES_OF_PEOPLE``."""
    ids = list(
        access.events_of(organization)
        .filter(Q(acts__victim_id__in=person_ids) | Q(indirect_victims__person_id__in=person_ids))
        .values_list("pk", flat=True)
        .distinct()
    )
    index = caseindex.snapshot(organization)
    ordered = index.ids[index.order("-start")]
    chosen = ordered[np.isin(ordered, np.array(ids, dtype=np.int64))]
    return IndexedEvents(organization, chosen)[:MAX_CASES_OF_PEOPLE]


def matching(index: caseindex.Snapshot, data: dict | None) -> np.ndarray:
    """Which positions of ``index`` the list's filters (a valid form's data) keep."""
    keep = np.ones(len(index), dtype=bool)
    if not data:
        return keep
    if data.get("date_from"):
        keep &= index.months >= month_ordinal(data["date_from"])
    if data.get("date_to"):
        keep &= (index.months >= 0) & (index.months <= month_ordinal(data["date_to"]))
    if data.get("state"):
        keep &= index.states == int(data["state"].pk)
    if data.get("municipality"):
        keep &= index.municipalities == int(data["municipality"].pk)
    if data.get("status"):
        keep &= index.statuses == caseindex.STATUS_CODE[data["status"]]
    if data.get("violation_type"):
        keep &= index.has(index.violations, data["violation_type"].pk)
    if data.get("perpetrator_kind"):
        keep &= index.has(index.perpetrators, data["perpetrator_kind"].pk)
    if data.get("profile"):
        keep &= (index.profiles & (1 << PROFILE_CODES[data["profile"]])) != 0
    return keep


def filter_events(organization, form: CaseFilterForm) -> IndexedEvents:
    """The organization's events matching the list's filters, sorted.

    Filters and sorts run on the organization's case index in memory (one
    query for its clock, none for an unchanged index); the result holds the
    matching ids in order and fetches a page's events when sliced.
    """
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    index = caseindex.snapshot(organization)
    order = index.order(sort_of(form))
    keep = matching(index, data)
    return IndexedEvents(organization, index.ids[order[keep[order]]])
