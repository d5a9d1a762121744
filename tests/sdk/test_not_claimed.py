"""The tracking library's tests of backends Tidings does not offer, kept as skipped cases so the
port is complete and says why each is absent. Each case names the behaviour the library tests.

Tidings' SDK forwards events to a Tidings server (``HTTPBackend``) or a logger; storing in
MongoDB, forwarding to Segment or AWS Kinesis, publishing to an event bus and sending through
Celery tasks are the jobs of those systems' own backends.
"""

from __future__ import annotations

import pytest

WHY = {
    "mongodb": "Tidings ships no MongoDB backend: events are stored by the Tidings server",
    "segment": "Tidings ships no Segment forwarding backend",
    "event bus": "Tidings ships no event bus backend or signal handler",
    "celery": "Tidings ships no Celery task backend: HTTPBackend batches in its own thread",
    "kinesis": "Tidings ships no AWS Kinesis backend: events are sent to the Tidings server",
}

CASES = [
    ("mongodb", "each sent event is inserted into the collection, in order"),
    ("mongodb", "given user and password, the database is authenticated with them"),
    ("mongodb", "a PyMongoError or BSONError on insert is logged, not raised"),
    ("mongodb", "against a live server events round-trip, N events within a time threshold"),
    ("segment", "analytics.track(user_id, name, event, context=...) once per event"),
    ("segment", "no name, no context or no context.user_id: nothing is sent"),
    ("segment", "client_id, ip, agent, path, referer, page map to the Segment context"),
    ("segment", "without a page the URL is synthesized as https://<host><path>"),
    ("segment", "without the analytics package installed it neither sends nor raises"),
    ("celery", "the async router queues send_event.delay(backend_name, event_json) once"),
    ("celery", "the async router queues nothing when the event cannot be encoded"),
    ("celery", "the task sends to the named backend unless a processor drops the event"),
    ("event bus", "each event is emitted as a tracking-log signal"),
    ("event bus", "a log received from the bus reaches the event bus router's backends"),
    ("event bus", "a log from the same process, or dropped by a processor, is skipped"),
    ("kinesis", "each event is put on the configured stream as one JSON record"),
]


@pytest.mark.parametrize(
    ("backend", "behaviour"),
    [pytest.param(b, what, marks=pytest.mark.skip(reason=WHY[b])) for b, what in CASES],
)
def test_backend_not_offered_by_tidings(backend: str, behaviour: str) -> None:
    raise AssertionError(f"{backend}: {behaviour} is not offered, so this case never runs")
