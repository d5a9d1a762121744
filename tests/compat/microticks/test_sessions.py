"""Microticks rules that need no server: list parameters and the ``data`` round trip."""

from __future__ import annotations

import pytest

from tidings.compat.microticks import sessions as microticks
from tidings.errors import Invalid
from tidings.model.timeparse import parse_timestamp


@pytest.mark.parametrize(
    ("date", "start", "end"),
    [
        ("2017", "2017-01-01", "2018-01-01"),
        ("2017-12", "2017-12-01", "2018-01-01"),
        ("2017-02", "2017-02-01", "2017-03-01"),
        ("2017-08-25", "2017-08-25", "2017-08-26"),
        ("2017-12-31", "2017-12-31", "2018-01-01"),
        ("2017-08-25T17", "2017-08-25T17:00", "2017-08-25T18:00"),
        ("2017-08-25T17:10", "2017-08-25T17:10", "2017-08-25T17:11"),
        ("2017-08-25T17:10:59", "2017-08-25T17:10:59", "2017-08-25T17:11"),
    ],
)
def test_date_prefix_is_the_period_it_names(date: str, start: str, end: str) -> None:
    query = microticks.parse_list_query({"date": date}, sessions=False)
    assert query.filter.started_from == parse_timestamp(start)
    assert query.filter.started_to == parse_timestamp(end)


@pytest.mark.parametrize("date", ["17", "2017-8", "2017-02-30", "x017", "2017-08-25 17"])
def test_bad_dates_are_rejected(date: str) -> None:
    with pytest.raises(Invalid) as caught:
        microticks.parse_list_query({"date": date}, sessions=True)
    assert caught.value.errors[0].field == "date"


def test_defaults_and_both_sort_directions() -> None:
    query = microticks.parse_list_query(
        {"sort": "action", "sort.desc": "time", "limit": "5", "offset": "10"}, sessions=False
    )
    assert query.order == (("action", False), ("time", True))
    assert (query.limit, query.offset) == (5, 10)
    empty = microticks.parse_list_query({}, sessions=True)
    assert (empty.order, empty.limit, empty.offset) == ((), microticks.DEFAULT_LIMIT, 0)


@pytest.mark.parametrize("column", ["clicks", "last_action"])
def test_session_columns_sort_only_sessions(column: str) -> None:
    assert microticks.parse_list_query({"sort": column}, sessions=True).order == ((column, False),)
    with pytest.raises(Invalid):
        microticks.parse_list_query({"sort": column}, sessions=False)


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ('{"b": 1, "a": [2]}', {"b": 1, "a": [2]}),
        ("{}", {}),
        ("", ""),
        ("not-json", "not-json"),
        ("[1]", [1]),
        ("3.5", 3.5),
        ("null", None),
        ('"quoted"', "quoted"),
    ],
)
def test_data_reads_back_as_sent(sent: str, read: object) -> None:
    properties, context = microticks._properties_and_context(sent, 1000)
    assert microticks.event_data(properties, context) == read
    # Only JSON objects become properties (queryable like any event's); the rest is kept aside.
    assert (context is None) == sent.startswith("{")
