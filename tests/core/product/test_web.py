"""The web summary: crafted data with known answers, then random data against brute force."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.product.web_reference import Row, RowsSQL, brute_force
from tidings.core.buckets import boundaries
from tidings.core.product.web import (
    PAGE_VIEW,
    TopRow,
    WebQuery,
    WebSummary,
    page_view_filter,
    web_summary,
)
from tidings.model.records import EventFilter

MIN = 60 * 1_000_000
HOUR = 60 * MIN
DAY = 24 * HOUR
T0 = 1_780_000_000_000_000 - 1_780_000_000_000_000 % DAY  # a UTC midnight
UTC = ZoneInfo("UTC")


def _run(rows: list[Row], *, days: int = 2, limit: int = 10, tz: ZoneInfo = UTC) -> WebSummary:
    flt = EventFilter(namespace="web", from_us=T0, to_us=T0 + days * DAY)
    query = WebQuery(flt=flt, tz=tz, granularity="day", limit=limit)
    return asyncio.run(web_summary(RowsSQL(rows), query))


def _view(i: int, ts: int, person: str | None, session: str | None, **props: object) -> Row:
    return Row(id=i, ts=ts, person=person, session_id=session, properties=dict(props))


def test_sessions_bounces_and_session_length_on_known_visits() -> None:
    rows = [
        # alice: one session of three pages over 5 minutes, from a search engine
        _view(
            1,
            T0 + 10 * MIN,
            "alice",
            "s1",
            path="/",
            referrer="https://search.example",
            browser="Chrome",
            os="Windows",
            device="desktop",
            utm_source="news",
        ),
        _view(2, T0 + 12 * MIN, "alice", "s1", path="/pricing", browser="Chrome"),
        _view(3, T0 + 15 * MIN, "alice", "s1", path="/signup", browser="Chrome"),
        # bob: two one-page sessions (bounces), direct
        _view(4, T0 + HOUR, "anon:b", "s2", path="/", browser="Firefox", device="mobile"),
        _view(
            5, T0 + DAY + HOUR, "anon:b", "s3", path="/pricing", browser="Firefox", device="mobile"
        ),
        # a click is not a page view
        Row(id=6, ts=T0 + 11 * MIN, name="click", person="alice", session_id="s1"),
    ]
    out = _run(rows)
    assert (out.visitors, out.pageviews, out.sessions, out.bounces) == (2, 5, 3, 2)
    assert out.bounce_rate == 2 / 3
    assert out.avg_session_seconds == 5 * 60 / 3
    assert out.top["pages"] == [
        TopRow("/", 2, 2),
        TopRow("/pricing", 2, 2),
        TopRow("/signup", 1, 1),
    ]
    assert out.top["entry_pages"] == [TopRow("/", 2, 4), TopRow("/pricing", 1, 1)]
    # Direct visits are not listed; the session's pages count for its referrer.
    assert out.top["referrers"] == [TopRow("https://search.example", 1, 3)]
    assert out.top["utm_sources"] == [TopRow("news", 1, 3)]
    assert out.top["browsers"] == [TopRow("Chrome", 1, 3), TopRow("Firefox", 1, 2)]
    assert out.top["devices"] == [TopRow("desktop", 1, 3), TopRow("mobile", 1, 2)]
    assert out.top["os"] == [TopRow("Windows", 1, 3)]
    assert [(p.start_us, p.visitors, p.pageviews) for p in out.series] == [
        (T0, 2, 4),
        (T0 + DAY, 1, 1),
    ]


def test_page_views_without_session_id_split_at_thirty_idle_minutes() -> None:
    rows = [
        _view(1, T0, "u", None, path="/a"),
        _view(2, T0 + 30 * MIN, "u", None, path="/b"),  # exactly 30 min: same session
        _view(3, T0 + 61 * MIN, "u", None, path="/c"),  # 31 min later: a new one
        _view(4, T0 + 62 * MIN, None, None, path="/d"),  # nobody: its own session and visitor
    ]
    out = _run(rows)
    assert (out.sessions, out.bounces, out.visitors) == (3, 2, 2)
    assert out.session_us == 30 * MIN
    assert out.top["entry_pages"] == [TopRow("/a", 1, 2), TopRow("/c", 1, 1), TopRow("/d", 1, 1)]


def test_entry_page_ties_are_broken_by_event_id_and_lists_by_value() -> None:
    rows = [
        _view(2, T0, "x", "s", path="/second"),
        _view(1, T0, "x", "s", path="/first"),
    ]
    out = _run(rows, limit=1)
    assert out.top["entry_pages"] == [TopRow("/first", 1, 2)]
    assert out.top["pages"] == [TopRow("/first", 1, 1)]  # a tie on counts: by value


def test_no_page_views_give_zeros_and_no_ratios() -> None:
    out = _run([Row(id=1, ts=T0, name="click", person="a")])
    assert (out.visitors, out.pageviews, out.sessions) == (0, 0, 0)
    assert out.bounce_rate is None and out.avg_session_seconds is None
    assert all(rows == [] for rows in out.top.values())
    assert [(p.visitors, p.pageviews) for p in out.series] == [(0, 0), (0, 0)]


def test_series_buckets_align_in_the_time_zone() -> None:
    tz = ZoneInfo("Asia/Tokyo")  # UTC+9: local midnight is 15:00 UTC the day before
    rows = [_view(1, T0 + 14 * HOUR, "a", "s"), _view(2, T0 + 16 * HOUR, "b", "t")]
    out = _run(rows, days=1, tz=tz)
    assert [(p.start_us, p.pageviews) for p in out.series] == [
        (T0 - 9 * HOUR, 1),
        (T0 + 15 * HOUR, 1),
    ]


def test_only_page_views_are_loaded_unless_names_are_asked_for() -> None:
    flt = EventFilter(namespace="web")
    assert page_view_filter(flt).names == (PAGE_VIEW,)
    assert page_view_filter(EventFilter(names=("click",))).names == ("click",)


_PATHS = st.sampled_from(["/", "/a", "/b", "/c/d"])
_OPTIONAL = st.none() | st.sampled_from(["x", "y", "z"])


@st.composite
def _rows(draw: st.DrawFn) -> list[Row]:
    count = draw(st.integers(0, 40))
    rows = []
    for i in range(count):
        props: dict[str, object] = {}
        for key, values in (
            ("path", _PATHS),
            ("referrer", _OPTIONAL),
            ("utm_source", _OPTIONAL),
            ("browser", _OPTIONAL),
            ("os", _OPTIONAL),
            ("device", st.none() | st.sampled_from(["desktop", "mobile", 3, True])),
        ):
            value = draw(values) if key != "path" else draw(st.none() | values)
            if value is not None:
                props[key] = value
        rows.append(
            Row(
                id=draw(st.integers(1, 10_000)) * 100 + i,  # unique, not in time order
                ts=T0 + draw(st.integers(0, 2 * DAY - 1)) // MIN * MIN,
                name=draw(st.sampled_from([PAGE_VIEW, PAGE_VIEW, PAGE_VIEW, "click"])),
                person=draw(st.none() | st.sampled_from(["p1", "p2", "anon:q", "p#1"])),
                session_id=draw(st.none() | st.sampled_from(["s1", "s2", "s3"])),
                properties=props,
            )
        )
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows(), limit=st.integers(1, 4), tz=st.sampled_from(["UTC", "America/New_York"]))
def test_summary_equals_brute_force_on_random_page_views(
    rows: list[Row], limit: int, tz: str
) -> None:
    zone = ZoneInfo(tz)
    got = _run(rows, limit=limit, tz=zone)
    expected = brute_force(rows, boundaries(T0, T0 + 2 * DAY, "day", zone, 1000), limit)
    assert got == expected
