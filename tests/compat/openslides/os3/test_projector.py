"""``/system/projector`` in the OpenSlides mode (spec openslides3.md 3.2)."""

from __future__ import annotations

import pytest

from tests.compat.openslides.os3.fixture import DAVE
from tests.compat.openslides.os3.server_fixtures import Meeting, data_line, os3

pytestmark = pytest.mark.serial
__all__ = ["os3"]


def test_projector_ids_must_be_a_list_of_ints(os3: Meeting) -> None:
    for raw in ("", "1,x"):
        response = os3.get(f"/system/projector?projector_ids={raw}", DAVE)
        assert response.status_code == 400
        assert response.json()["error"]["msg"] == (
            f"Invalid request: projector_ids has to be a list of ints not `{raw}`"
        )


def test_first_line_renders_the_requested_projectors_that_exist(os3: Meeting) -> None:
    with os3.stream("/system/projector?projector_ids=1,2,404", DAVE) as reader:
        assert reader.next() == {"connected": True}
        line = data_line(reader)
    assert line["change_id"] == os3.layout.current()
    assert set(line["data"]) == {"1", "2"}
    main = line["data"]["1"]
    assert main[0] == {
        "element": {"name": "topics/topic", "id": 1},
        "data": {"title": "Welcome", "text": "<p>hi</p>", "item_number": "TOP 1"},
    }
    assert main[1]["data"] == {}
    assert main[2]["data"] == {"error": "unknwown slide nope"}
    assert main[3]["data"] == {"error": "users/user with id 99 does not exist"}
    assert line["data"]["2"][0]["data"] == {
        "description": "talk", "running": False, "countdown_time": 60, "warning_time": 10
    }  # fmt: skip


def test_only_unknown_ids_give_just_the_connected_line(os3: Meeting) -> None:
    with os3.stream("/system/projector?projector_ids=404", DAVE) as reader:
        assert reader.next() == {"connected": True}
        assert reader.next() == {"connected": True}  # the keepalive, no data line


def test_a_change_sends_only_the_projectors_whose_rendering_changed(os3: Meeting) -> None:
    layout = os3.layout
    with os3.stream("/system/projector?projector_ids=1,2", DAVE) as reader:
        data_line(reader)
        countdown = {"id": 1, "description": "talk", "running": True, "countdown_time": 30}
        change_id = layout.change({"core/countdown:1": countdown})
        line = data_line(reader)
        assert line["change_id"] == change_id and set(line["data"]) == {"2"}
        assert line["data"]["2"][0]["data"]["running"] is True
