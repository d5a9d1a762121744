"""``/system/autoupdate`` in the OpenSlides mode (spec openslides3.md 3.1) on a real server."""

from __future__ import annotations

import pytest

from tests.compat.openslides.os3.fixture import ALICE, CAROL, DAVE
from tests.compat.openslides.os3.layout import LOWEST
from tests.compat.openslides.os3.server_fixtures import Meeting, data_line, os3

pytestmark = pytest.mark.serial
__all__ = ["os3"]


def test_change_id_zero_gives_connected_then_all_data_for_the_caller(os3: Meeting) -> None:
    with os3.stream("/system/autoupdate?change_id=0", DAVE) as reader:
        assert reader.status == 200
        assert reader.next() == {"connected": True}
        line = data_line(reader)
    assert line["all_data"] is True and line["deleted"] == {} and line["from_change_id"] == 0
    assert line["to_change_id"] == os3.layout.current()
    assert [m["id"] for m in line["changed"]["agenda/item"]] == [1]
    assert "foo/bar" not in line["changed"]


def test_too_old_change_id_gives_all_data_from_the_given_id(os3: Meeting) -> None:
    with os3.stream(f"/system/autoupdate?change_id={LOWEST - 5}", CAROL) as reader:
        line = data_line(reader)
    assert line["all_data"] is True and line["from_change_id"] == LOWEST - 5
    assert {i["id"] for i in line["changed"]["agenda/item"]} == {1, 2, 3}


def test_changes_deletions_and_hidden_elements_arrive_on_open_streams(os3: Meeting) -> None:
    layout = os3.layout
    start = layout.current()
    with (
        os3.stream(f"/system/autoupdate?change_id={start}", DAVE) as dave,
        os3.stream(f"/system/autoupdate?change_id={start}", CAROL) as carol,
    ):
        first = layout.change({"topics/topic:7": {"id": 7, "title": "New", "agenda_item_id": 1}})
        line = data_line(dave)
        assert line == {
            "changed": {"topics/topic": [{"id": 7, "title": "New", "agenda_item_id": 1}]},
            "deleted": {},
            "from_change_id": start,
            "to_change_id": first,
            "all_data": False,
        }
        # An item Dave may not see (any more) is deleted for him, changed for Carol.
        second = layout.change(
            {
                "agenda/item:9": {"id": 9, "is_hidden": True, "is_internal": False},
                "topics/topic:7": None,
            }
        )
        line = data_line(dave)
        assert line["from_change_id"] == first and line["to_change_id"] == second
        assert line["changed"] == {}
        assert {k: sorted(v) for k, v in line["deleted"].items()} == {
            "agenda/item": [9],
            "topics/topic": [7],
        }
        assert data_line(carol)["to_change_id"] == first
        line = data_line(carol)
        assert line["changed"]["agenda/item"][0]["id"] == 9
        assert line["deleted"] == {"topics/topic": [7]}


def test_a_known_change_id_gives_the_keys_changed_since_with_their_newest_data(
    os3: Meeting,
) -> None:
    layout = os3.layout
    since = layout.change({"core/tag:20": {"id": 20, "name": "one"}})
    layout.change({"core/tag:21": {"id": 21, "name": "two"}})
    top = layout.change({"core/tag:21": {"id": 21, "name": "three"}, "core/tag:22": None})
    with os3.stream(f"/system/autoupdate?change_id={since}", DAVE) as reader:
        line = data_line(reader)
    assert line["from_change_id"] == since and line["to_change_id"] == top
    assert line["all_data"] is False
    assert line["changed"] == {"core/tag": [{"id": 21, "name": "three"}]}
    assert line["deleted"] == {"core/tag": [22]}


def test_a_change_written_without_announcement_is_filled_from_redis(os3: Meeting) -> None:
    layout = os3.layout
    start = layout.current()
    with os3.stream(f"/system/autoupdate?change_id={start}", ALICE) as reader:
        layout.write({"core/tag:30": {"id": 30, "name": "silent"}})
        top = layout.change({"core/tag:31": {"id": 31, "name": "loud"}})
        seen: dict[int, str] = {}
        while top not in seen:
            line = data_line(reader)
            for tag in line["changed"].get("core/tag", []):
                seen[tag["id"]] = tag["name"]
            seen[line["to_change_id"]] = ""
    assert seen[30] == "silent" and seen[31] == "loud"


def test_a_change_id_that_is_no_number_is_a_400(os3: Meeting) -> None:
    response = os3.get("/system/autoupdate?change_id=abc", DAVE)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "type": "invalid_request",
            "msg": "Invalid request: Change id has to be a number not abc",
        }
    }


def test_methods_other_than_get_and_post_are_a_400(os3: Meeting) -> None:
    response = os3.get("/system/autoupdate", DAVE, method="PUT")
    assert response.status_code == 400
    assert response.json()["error"]["msg"] == (
        "Invalid request: Only GET or POST requests are supported"
    )


def test_many_open_streams_of_different_users_all_get_a_change(os3: Meeting) -> None:
    from tests.compat.openslides.os3.fixture import ADMIN, EVE, FRANK

    layout = os3.layout
    start = layout.current()
    users = [ADMIN, ALICE, CAROL, DAVE, EVE, FRANK, 0] * 6
    readers = [os3.stream(f"/system/autoupdate?change_id={start}", uid) for uid in users]
    for reader in readers:
        reader.__enter__()
    try:
        top = layout.change({"core/tag:40": {"id": 40, "name": "all"}})
        for reader in readers:
            line = data_line(reader)
            assert line["to_change_id"] == top
            assert line["changed"] == {"core/tag": [{"id": 40, "name": "all"}]}
    finally:
        for reader in readers:
            reader.close()
