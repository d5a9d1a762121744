"""``/system/health`` and ``/system/autoupdate`` on a real server."""

from __future__ import annotations

import httpx
import pytest

from tests.compat.openslides.system_fixtures import key, server
from tests.server import Server
from tests.streams import StreamReader, post_events

pytestmark = pytest.mark.serial
__all__ = ["key", "server"]


def _data(reader: StreamReader) -> dict[str, object]:
    """The next line that is not a keepalive."""
    while True:
        item = reader.next()
        if item is not None:
            return dict(item)


def test_health_needs_no_credentials(server: Server) -> None:
    response = httpx.get(f"{server.url}/system/health", timeout=10)
    assert response.json() == {"healthy": True}


def test_change_id_zero_gives_connected_then_the_full_snapshot(server: Server, key: str) -> None:
    ids = post_events(
        server.url,
        key,
        [
            {"namespace": "snap", "name": "a", "value": 2, "timestamp": "2026-01-01T00:00:00Z"},
            {"namespace": "snap", "name": "a", "value": 5, "timestamp": "2026-01-01T00:00:01Z"},
            {"namespace": "snap", "name": "b", "value": 1, "timestamp": "2026-01-01T00:00:00Z"},
        ],
    )
    with StreamReader(f"{server.url}/system/autoupdate?change_id=0", server.admin) as reader:
        assert reader.next() == {"connected": True}
        line = _data(reader)
    assert line["all_data"] is True
    assert line["from_change_id"] == 0
    assert isinstance(line["to_change_id"], int) and line["to_change_id"] >= ids[-1]
    assert line["deleted"] == {}
    changed = line["changed"]
    assert isinstance(changed, dict)
    assert changed["snap"] == [
        {"id": "a", "count": 2, "sum": 7.0, "last_value": 5.0,
         "last_timestamp": "2026-01-01T00:00:01.000000Z"},
        {"id": "b", "count": 1, "sum": 1.0, "last_value": 1.0,
         "last_timestamp": "2026-01-01T00:00:00.000000Z"},
    ]  # fmt: skip


def test_a_known_change_id_gives_only_what_changed_since(server: Server, key: str) -> None:
    before = post_events(server.url, key, [{"namespace": "inc", "name": "old"}])
    after = post_events(
        server.url, key, [{"namespace": "inc", "name": "new"}, {"namespace": "inc", "name": "new"}]
    )
    url = f"{server.url}/system/autoupdate?change_id={before[0]}"
    with StreamReader(url, server.admin) as reader:
        assert reader.next() == {"connected": True}
        line = _data(reader)
    assert line["all_data"] is False
    assert line["from_change_id"] == before[0]
    assert line["to_change_id"] == after[-1]
    changed = line["changed"]
    assert isinstance(changed, dict)
    assert [e["id"] for e in changed["inc"]] == ["new"]
    assert changed["inc"][0]["count"] == 2


def test_the_stream_follows_commits_from_where_it_started(server: Server, key: str) -> None:
    start = post_events(server.url, key, [{"namespace": "fol", "name": "x", "value": 1}])
    # A change id from the future just waits for newer events.
    url = f"{server.url}/system/autoupdate?change_id={start[0]}"
    with StreamReader(url, server.admin) as reader:
        assert reader.next() == {"connected": True}
        ids = post_events(server.url, key, [{"namespace": "fol", "name": "x", "value": 4}])
        line = _data(reader)
        more = post_events(server.url, key, [{"namespace": "fol", "name": "y", "value": 1}])
        second = _data(reader)
    assert line["from_change_id"] == start[0]
    assert line["to_change_id"] == ids[0]
    changed = line["changed"]
    assert isinstance(changed, dict)
    assert changed["fol"][0]["id"] == "x"
    assert changed["fol"][0]["count"] == 2
    assert changed["fol"][0]["sum"] == 5.0
    assert second["from_change_id"] == ids[0]
    assert second["to_change_id"] == more[0]


def test_non_numeric_change_id_gets_an_escaped_400(server: Server) -> None:
    response = httpx.get(
        f"{server.url}/system/autoupdate", params={"change_id": 'a"b'}, auth=server.admin
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "type": "invalid_request",
            "msg": 'Invalid request: Change id has to be a number not a"b',
        }
    }


def test_missing_or_wrong_credentials_get_401_in_the_error_shape(server: Server) -> None:
    for auth in (None, ("admin", "not-the-password")):
        response = httpx.get(f"{server.url}/system/autoupdate", auth=auth, timeout=10)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert response.json()["error"]["type"] == "auth_required"
