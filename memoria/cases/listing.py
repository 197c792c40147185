"""The case list: its filters, sort orders and a paginator that stays fast at a million rows."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import F
from django.utils.functional import cached_property

from memoria.cases import access
from memoria.cases.forms import CaseFilterForm
from memoria.cases.models import Act, Attribution, Person

PAGE_SIZE = 25
# Counting every match of a filter over a million rows costs more than the page
# itself; beyond this many the list says "more than" and asks for a narrower filter.
COUNT_CAP = 1000


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
        counted = self.object_list[: COUNT_CAP + 1].count()
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


def filter_events(organization, form: CaseFilterForm):
    """The organization's events matching the list's filters, sorted.

    Every filter runs on plain, indexed columns. Filters on acts, perpetrators
    and victims are ``IN`` subqueries on the organization's rows, which both
    SQLite and PostgreSQL answer from one index scan rather than row by row.
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
            # People first (a partial index holds each flag), then their acts.
            people = Person.objects.filter(organization=organization, **{data["profile"]: True})
            matching = Act.objects.filter(victim__in=people.values("pk"))
            events = events.filter(pk__in=matching.values("event_id"))
        sort = data["sort"] or sort
    return events.order_by(*SORTS[sort])
