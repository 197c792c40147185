"""The case list: filters, sort orders, search and a paginator that stays fast at a million rows.

Views sort and search only through the functions here (``filter_events``,
``ListPaginator``, ``case_number``, ``cases_of_people``): which columns are
kept in clear for the list is this module's business.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import F, FilteredRelation, Q
from django.utils.functional import cached_property

from memoria.cases import access
from memoria.cases.models import Act, Attribution, DatePrecision, Event, EventFacet, Person

if TYPE_CHECKING:
    from memoria.cases.forms import CaseFilterForm

PAGE_SIZE = 25
# The list counts its matches exactly up to this many: an indexed COUNT of
# 100,000 events or facets takes tens of milliseconds (docs/benchmarks.md),
# beyond that it grows with the matches. Past it the list says "more than"
# and still offers every page.
COUNT_CAP = 100_000


class OpenEndedPage(Page):
    """A page of a list whose length is not known: it knows only whether more follow."""

    def __init__(self, object_list, number, paginator, has_more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more


class CappedPaginator(Paginator):
    """Counts matches only up to ``COUNT_CAP``, yet lets every page be reached.

    Past the cap the number of pages is unknown: a page then asks the database
    whether one more row follows it, and offers "next" while one does.
    """

    capped = False

    @cached_property
    def count(self) -> int:
        # Without the list's order: any COUNT_CAP + 1 matches count the same, and
        # the database may then start from the most selective index (a rare state
        # before a common violation) instead of the one that gives the order.
        counted = self.object_list.order_by()[: COUNT_CAP + 1].count()
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
        if number > 1 and not self.object_list[bottom:].exists():
            raise EmptyPage(self.error_messages["no_results"])
        has_more = self.object_list[top:].exists()
        return OpenEndedPage(self.object_list[bottom:top], number, self, has_more)

    def get_page(self, number) -> Page:
        """The page asked for; past the end of a capped list (where the number of pages
        is unknown) or for a number that is not one, the first page, never an error."""
        try:
            return super().get_page(number)
        except EmptyPage:
            return self.page(1)


class ListPaginator(CappedPaginator):
    """The case list's paginator: the capped count, and each page in the order of
    the full event date.

    The database orders events by the month kept in clear for the list
    (``start_month``); the day is encrypted. So the database gives the page's
    events in month order, and ``refine_by_date`` then orders them by the full
    date, taking in the rest of the months at the page's two edges so that a
    month split between pages is split where the full order splits it.
    """

    def __init__(self, object_list, per_page, sort: str = "-start") -> None:
        super().__init__(object_list, per_page)
        self.sort = sort

    def _get_page(self, object_list, number, paginator):
        page = super()._get_page(object_list, number, paginator)
        return self._refined(page)

    def page(self, number) -> Page:
        page = super().page(number)
        return self._refined(page) if isinstance(page, OpenEndedPage) else page

    def _refined(self, page: Page) -> Page:
        if self.sort in DATE_GROUPS and not getattr(page, "refined", False):
            bottom = (page.number - 1) * self.per_page
            page.object_list = refine_by_date(
                self.object_list, bottom, bottom + self.per_page, self.sort
            )
            page.refined = True
        return page


# For the sorts that order by date: the columns that, with the month, form the
# groups the database already orders (the sort's first key before the month),
# and whether the dates run newest first.
DATE_GROUPS = {
    "-start": ((), True),
    "start": ((), False),
    "state": (("state_id",), True),
    "status": (("status",), True),
}
PRECISION_RANK = {
    DatePrecision.YEAR: 0,
    DatePrecision.MONTH: 1,
    DatePrecision.DAY: 2,
}


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


def refine_by_date(events, bottom: int, top: int, sort: str) -> list:
    """Events ``bottom``..``top`` of ``events`` (ordered by month, then number) in
    the order of their full start date, then their number.

    Reads the ids of every event in the months at the page's edges (a few
    hundred a month at 100,000 cases) and decrypts their dates.
    """
    group_fields, newest_first = DATE_GROUPS[sort]
    fields = [*group_fields, "start_month"]
    rows = list(events.values_list("pk", "number", *fields)[bottom:top])
    if not rows:
        return []
    first, last = rows[0], rows[-1]
    # Where the first month of the page starts in the list: the page's first row
    # less the rows of that month the database put before it.
    same_first = _in_group(fields, first[2:])
    tie = {"number__gt" if newest_first else "number__lt": first[1]}
    start = bottom - events.filter(same_first, **tie).count()
    window = list(events.filter(same_first).values_list("pk", "number", *fields))
    window += [row for row in rows if row[2:] != first[2:] and row[2:] != last[2:]]
    if last[2:] != first[2:]:
        window += list(
            events.filter(_in_group(fields, last[2:])).values_list("pk", "number", *fields)
        )
    dates = {
        event.pk: date_key(event.start_date, event.start_precision)
        for event in Event.objects.filter(pk__in=[row[0] for row in window if row[-1]]).only(
            "pk", "organization_id", "start_date", "start_precision"
        )
    }
    # The window's groups are already in the database's order: sort within each.
    groups: dict[tuple, list] = {}
    for row in window:
        groups.setdefault(row[2:], []).append(row)
    ordered = []
    for members in groups.values():
        members.sort(key=lambda row: (dates.get(row[0], (datetime.date.min, -1)), row[1]))
        ordered += reversed(members) if newest_first else members
    ids = [row[0] for row in ordered[bottom - start : top - start]]
    by_id = {event.pk: event for event in events.model.objects.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids]


def _in_group(fields: list[str], values: tuple) -> Q:
    condition = Q()
    for field, value in zip(fields, values, strict=True):
        condition &= Q(**{f"{field}__isnull": True}) if value is None else Q(**{field: value})
    return condition


def _undated_last(field: str, descending: bool = False):
    # SQLite and PostgreSQL disagree on where NULL sorts; say it.
    expression = F(field)
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


SORTS = {
    "-start": [_undated_last("start_month", descending=True), "-number"],
    "start": [_undated_last("start_month"), "number"],
    "-number": ["-number"],
    "number": ["number"],
    # INEGI order (the order of every official table), from the event_org_state index;
    # sorting by name needed a join and a sort of every match (0.7 s at 400,000 cases).
    "state": [_undated_last("state_id"), _undated_last("start_month", True), "-number"],
    "status": ["status", _undated_last("start_month", descending=True), "-number"],
}


# The stored code of each profile flag in EventFacet.value. Stored data: never
# renumber; a new flag takes the next number (and a migration fills it in).
PROFILE_CODES = {
    "is_defender": 1,
    "is_journalist": 2,
    "is_searching_relative": 3,
    "is_migrant": 4,
    "is_indigenous_authority": 5,
    "is_lgbttti": 6,
    "is_child": 7,
}


def facet_statements(tables: dict[str, str], where: str) -> list[str]:
    """The INSERT ... SELECT statements that write the facets of the events ``e`` in ``where``.

    One statement per kind, run by the database over any number of events (the
    migration's backfill uses the same SQL by id range). ``tables`` maps
    ``event``, ``act``, ``attribution``, ``person`` and ``facet`` to quoted
    table names. The profile of an event is that of its direct victims (the
    people of its acts), as the list's profile filter has always meant.
    """
    kinds = EventFacet.Kind
    columns = "organization_id, event_id, state_code, start_month, number, kind, value"
    insert = (
        f"INSERT INTO {tables['facet']} ({columns}) "
        "SELECT DISTINCT e.organization_id, e.id, COALESCE(e.state_id, ''), e.start_month, e.number"
    )
    flags = " UNION ALL ".join(f"SELECT {code} AS code" for code in PROFILE_CODES.values())
    has_flag = " OR ".join(
        f"(f.code = {code} AND p.{flag})" for flag, code in PROFILE_CODES.items()
    )
    return [
        f"{insert}, {kinds.VIOLATION}, a.violation_type_id "
        f"FROM {tables['event']} e JOIN {tables['act']} a ON a.event_id = e.id WHERE {where}",
        f"{insert}, {kinds.PERPETRATOR}, t.kind_id "
        f"FROM {tables['event']} e JOIN {tables['attribution']} t ON t.event_id = e.id "
        f"WHERE {where}",
        f"{insert}, {kinds.PROFILE}, f.code "
        f"FROM {tables['event']} e JOIN {tables['act']} a ON a.event_id = e.id "
        f"JOIN {tables['person']} p ON p.id = a.victim_id JOIN ({flags}) f ON {has_flag} "
        f"WHERE {where}",
    ]


def _tables() -> dict[str, str]:
    models = {
        "event": Event,
        "act": Act,
        "attribution": Attribution,
        "person": Person,
        "facet": EventFacet,
    }
    return {key: connection.ops.quote_name(m._meta.db_table) for key, m in models.items()}


REFRESH_BATCH = 500


def refresh_event_facets(event_ids: Iterable[int]) -> None:
    """Rebuild the case-list facets of these events from their acts, attributions and victims.

    Call it, inside the writing transaction, after every write that changes an
    event's violations, perpetrators, direct victims' profile flags, start
    month or number: the case list's filters read only the facets.
    """
    ids = sorted({pk for pk in event_ids if pk is not None})
    statements = None
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start : start + REFRESH_BATCH]
        EventFacet.objects.filter(event_id__in=batch).delete()
        placeholders = ", ".join(["%s"] * len(batch))
        statements = statements or facet_statements(_tables(), "e.id IN ({ids})")
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.replace("{ids}", placeholders), batch)


def refresh_facets_of_person(person) -> None:
    """A person's profile flags changed: rebuild the facets of every event they are a victim in."""
    refresh_event_facets(Act.objects.filter(victim=person).values_list("event_id", flat=True))


def _primary_sort(sort: str) -> list | None:
    """The sort read from the first facet's index, for the sorts by date."""
    if sort == "-start":
        return [F("facet__start_month").desc(nulls_last=True), F("facet__number").desc()]
    if sort == "start":
        return [F("facet__start_month").asc(nulls_last=True), F("facet__number").asc()]
    return None


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
    events = (
        access.events_of(organization)
        .filter(Q(acts__victim_id__in=person_ids) | Q(indirect_victims__person_id__in=person_ids))
        .distinct()
        .order_by(*SORTS["-start"])
    )
    matches = events.count()
    return refine_by_date(events, 0, min(matches, MAX_CASES_OF_PEOPLE), "-start")


def filter_events(organization, form: CaseFilterForm):
    """The organization's events matching the list's filters, sorted.

    Every filter runs on plain, indexed columns. Violation type, perpetrator
    kind and victim profile read the events' facets (``EventFacet``): the
    first one asked for is joined and, for the sorts by date, gives the order
    from its own index, so a rare value costs a few index reads and not a walk
    through every newer event.
    """
    events = access.events_of(organization)
    sort = "-start"
    facets = []
    month_from = month_to = state = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["date_from"]:
            month_from = data["date_from"].replace(day=1)
            events = events.filter(start_month__gte=month_from)
        if data["date_to"]:
            month_to = data["date_to"]
            events = events.filter(start_month__lte=month_to)
        if data["state"]:
            state = data["state"].pk
            events = events.filter(state=data["state"])
        if data["municipality"]:
            events = events.filter(municipality=data["municipality"])
        if data["status"]:
            events = events.filter(status=data["status"])
        kinds = EventFacet.Kind
        if data["violation_type"]:
            facets.append((kinds.VIOLATION, data["violation_type"].pk))
        if data["perpetrator_kind"]:
            facets.append((kinds.PERPETRATOR, data["perpetrator_kind"].pk))
        if data["profile"]:
            facets.append((kinds.PROFILE, PROFILE_CODES[data["profile"]]))
        sort = data["sort"] or sort
    if not facets:
        return events.order_by(*SORTS[sort])
    (kind, value), others = facets[0], facets[1:]
    events = events.annotate(
        facet=FilteredRelation("facets", condition=Q(facets__kind=kind, facets__value=value))
    )
    # The same state and dates on the facet's own columns, so its index range is
    # bounded too; one filter() call, so that Django joins the facet once.
    on_facet = {"facet__organization": organization}
    if state:
        on_facet["facet__state_code"] = state
    if month_from:
        on_facet["facet__start_month__gte"] = month_from
    if month_to:
        on_facet["facet__start_month__lte"] = month_to
    events = events.filter(**on_facet)
    for kind, value in others:
        also = EventFacet.objects.filter(organization=organization, kind=kind, value=value)
        events = events.filter(pk__in=also.values("event_id"))
    return events.order_by(*(_primary_sort(sort) or SORTS[sort]))


def filter_events_by_subqueries(organization, form: CaseFilterForm):
    """The list's filters as they were before facets: ``IN`` subqueries on acts and people.

    Kept as the reference the facet filters are tested against (and for a
    look when a facet is suspected to be stale); the list itself never uses it.
    """
    events = access.events_of(organization)
    sort = "-start"
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["date_from"]:
            events = events.filter(start_month__gte=data["date_from"].replace(day=1))
        if data["date_to"]:
            events = events.filter(start_month__lte=data["date_to"])
        if data["state"]:
            events = events.filter(state=data["state"])
        if data["municipality"]:
            events = events.filter(municipality=data["municipality"])
        if data["status"]:
            events = events.filter(status=data["status"])
        acts = Act.objects.filter(organization=organization)
        if data["violation_type"]:
            matching = acts.filter(violation_type=data["violation_type"])
            events = events.filter(pk__in=matching.values("event_id"))
        if data["perpetrator_kind"]:
            matching = Attribution.objects.filter(
                organization=organization, kind=data["perpetrator_kind"]
            )
            events = events.filter(pk__in=matching.values("event_id"))
        if data["profile"]:
            people = Person.objects.filter(organization=organization, **{data["profile"]: True})
            matching = Act.objects.filter(victim__in=people.values("pk"))
            events = events.filter(pk__in=matching.values("event_id"))
        sort = data["sort"] or sort
    return events.order_by(*SORTS[sort])
