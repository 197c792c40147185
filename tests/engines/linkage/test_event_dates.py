"""Event dates are compared at the precision the lists give.

A list that writes only "2014-09" says the event happened some day in
September 2014: that agrees with 2014-09-15 on the month, not on the day, and
must neither count as "within 3 days" of it nor put every September record in
one blocking group.
"""

import logging

import pandas as pd
import pytest

from memoria.linkage import model, read_source
from memoria.linkage.backends import DuckDBBackend
from memoria.linkage.explain import level_labels
from memoria.linkage.features import build_features


@pytest.fixture(scope="module")
def compare():
    """``compare(date_a, date_b, same_state=False)`` -> (event level, found by blocking).

    The two records share only their paternal surname (and the state when
    asked), so the event date decides whether any blocking rule finds them.
    """
    from splink import Linker

    backend = DuckDBBackend(threads=1)
    seed = read_source(
        pd.DataFrame({"record_id": ["0"], "full_name": ["Ana Xolalpa Ruiz"]}), "s"
    )  # the linker needs a table; the pairs are scored from the records below
    linker = Linker(
        backend.database_api().register(build_features(seed)),
        model.build_settings(with_curp=False),
        log_level=logging.ERROR,
    )
    labels = level_labels(linker)["event_date"]

    def run(date_a: str, date_b: str, same_state: bool = False) -> tuple[str, bool]:
        records = pd.DataFrame(
            {
                "record_id": ["a", "b"],
                "given_names": ["Bertha", "Carla"],
                "paternal_surname": ["Xolalpa", "Xolalpa"],
                "maternal_surname": ["Ruiz", "Soto"],
                "event_date": [date_a, date_b],
                "state": ["12", "12" if same_state else "15"],
            }
        )
        left, right = build_features(read_source(records, "s")).to_dict("records")
        scored = linker.inference.score_pair(left, right, include_found_by_blocking_rules=True)
        row = scored.as_pandas_dataframe().iloc[0]
        return labels[int(row["gamma_event_date"])], bool(row["found_by_blocking_rules"])

    yield run
    backend.close()


@pytest.mark.parametrize(
    ("date_a", "date_b", "level"),
    [
        ("2014-09-15", "2014-09-17", "event within 3 days"),
        ("2014-09-15", "2014-10-20", "event within 45 days"),
        # A month is a period: every day of it agrees only on the month.
        ("2014-09", "2014-09-15", "same month (a date gives only the month)"),
        ("2014-09", "2014-09-01", "same month (a date gives only the month)"),
        ("2014-09", "2014-09-30", "same month (a date gives only the month)"),
        ("2014-09", "2014-09", "same month (a date gives only the month)"),
        ("2014", "2014-12-31", "same year (a date gives only the year)"),
        ("2014", "2014-09", "same year (a date gives only the year)"),
        ("2014-09", "2014-10-02", "adjacent months (a date gives only the month)"),
        ("2014-09", "2014-08", "adjacent months (a date gives only the month)"),
        ("2014-09", "2014-11-02", "event within about a year"),
        ("2014-09-15", "2015-06-01", "event within about a year"),
        ("2014", "2016-01-01", "events far apart"),
    ],
)
def test_it_compares_event_dates_at_the_precision_both_lists_give(compare, date_a, date_b, level):
    assert compare(date_a, date_b)[0] == level


def test_a_month_is_never_within_days_of_a_day(compare):
    for day in ("2014-09-13", "2014-09-15", "2014-09-18"):
        assert compare("2014-09", day)[0] != "event within 3 days"


def test_it_blocks_on_the_event_day_only_for_full_dates(compare):
    # Same surname and the same day: found even in different states.
    assert compare("2014-09-15", "2014-09-15")[1] is True
    # "2014-09" is not the same day as 2014-09-15.
    assert compare("2014-09", "2014-09-15")[1] is False


def test_it_still_blocks_a_partial_date_with_the_month_and_state(compare):
    assert compare("2014-09", "2014-09-15", same_state=True)[1] is True
    assert compare("2014-09", "2014-10-15", same_state=True)[1] is False
