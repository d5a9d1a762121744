"""Which ingest bodies hold snippet events, and bad snippet events still get a clear 400."""

from __future__ import annotations

import orjson
import pytest
from starlette.testclient import TestClient

from tidings.http.browser import browser_events

MARK = {"library": {"name": "tidings.js"}}


@pytest.mark.parametrize(
    ("body", "count"),
    [
        ({"namespace": "n", "name": "x", "context": MARK}, 1),
        ({"events": [{"context": MARK}, {"context": {}}, {"context": MARK}]}, 2),
        ({"events": [{"context": {"library": {"name": "analytics.js"}}}]}, 0),
        ({"events": [{"context": {"library": "tidings.js"}}, {"context": "x"}, 3]}, 0),
        ({"events": "not a list"}, 0),
        ([{"context": MARK}], 0),
        ("text", 0),
    ],
)
def test_snippet_events_are_found_in_any_body_shape(body: object, count: int) -> None:
    assert len(browser_events(body)) == count


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"properties": "not an object"}, "events.0.properties"),
        ({"anonymous_id": 7.5}, "events.0.anonymous_id"),
        ({"name": ""}, "events.0.name"),
    ],
)
def test_a_bad_snippet_event_is_a_400_naming_the_field(
    client: TestClient, write_key: str, event: dict[str, object], field: str
) -> None:
    body = {
        "writeKey": write_key,
        "events": [{"namespace": "web", "name": "pageView", "context": MARK, **event}],
    }
    answer = client.post(
        "/api/v1/events", content=orjson.dumps(body), headers={"User-Agent": "Mozilla/5.0"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["field"] == field
