"""OpenSlides' cache rebuilt under open streams (spec openslides3.md 1 and 6, "Ingest"): a new
lowest change id reloads everything and sends all data to streams whose id is now too old;
a jump of more than 100 reloads too and sends what changed."""

from __future__ import annotations

import pytest

from tests.compat.openslides.os3.fixture import CAROL, DAVE, meeting
from tests.compat.openslides.os3.layout import LOWEST
from tests.compat.openslides.os3.server_fixtures import Meeting, data_line, os3

pytestmark = pytest.mark.serial
__all__ = ["os3"]


def test_a_rebuilt_cache_sends_all_data_to_streams_whose_id_is_too_old(os3: Meeting) -> None:
    layout = os3.layout
    start = layout.change({"core/tag:60": {"id": 60, "name": "before"}})
    with os3.stream(f"/system/autoupdate?change_id={start}", DAVE) as reader:
        elements = meeting()
        elements["core/tag:61"] = {"id": 61, "name": "after the rebuild"}
        layout.build(elements, lowest=LOWEST + 10_000)
        line = data_line(reader)
        assert line["all_data"] is True and line["from_change_id"] == start
        assert line["to_change_id"] == LOWEST + 10_000
        assert sorted(t["id"] for t in line["changed"]["core/tag"]) == [1, 61]
        # And it follows the new ids from there.
        top = layout.change({"core/tag:62": {"id": 62, "name": "next"}})
        line = data_line(reader)
        assert (line["from_change_id"], line["to_change_id"]) == (LOWEST + 10_000, top)


def test_a_jump_of_more_than_100_reloads_and_sends_what_changed(os3: Meeting) -> None:
    layout = os3.layout
    start = layout.current()
    with os3.stream(f"/system/autoupdate?change_id={start}", CAROL) as reader:
        layout.write({"core/tag:70": {"id": 70, "name": "far"}})
        # Move the newest id far ahead, as if many announcements were lost.
        layout.redis.zadd(layout.k("change_id"), {"core/tag:71": start + 500})
        layout.redis.hset(layout.k("full_data"), "core/tag:71", b'{"id":71,"name":"farther"}')
        top = layout.change({"core/tag:72": {"id": 72, "name": "announced"}})
        names: set[str] = set()
        to = start
        while to != top:
            line = data_line(reader)
            assert line["all_data"] is False and line["from_change_id"] == to
            to = line["to_change_id"]
            names |= {t["name"] for t in line["changed"].get("core/tag", [])}
        assert names == {"far", "farther", "announced"}


def test_elements_added_without_change_ids_after_a_load_are_picked_up(os3: Meeting) -> None:
    """A cache build loaded while it was still filling ``full_data``: the rest arrives."""
    layout = os3.layout
    layout.redis.hset(layout.k("full_data"), "core/tag:80", b'{"id":80,"name":"late"}')
    deadline = 100
    while deadline:
        with os3.stream("/system/autoupdate?change_id=0", DAVE) as reader:
            tags = {t["id"] for t in data_line(reader)["changed"].get("core/tag", [])}
        if 80 in tags:
            return
        deadline -= 1
    raise AssertionError("the late element never arrived")
