"""Projector slides rendered from the fixture meeting (spec openslides3.md 3.2)."""

from __future__ import annotations

from typing import Any

import orjson

from tests.compat.openslides.os3.fixture import CAROL, DAVE, meeting
from tidings.compat.openslides.os3.data import Data
from tidings.compat.openslides.os3.projector import render, slide_data


def _data(**extra: Any) -> Data:
    elements = meeting()
    elements.update(extra)
    data = Data()
    data.replace(elements, {}, 100)
    return data


def test_user_slide_names_title_first_last_and_structure_level() -> None:
    data = _data()
    assert slide_data(data, {"name": "users/user", "id": CAROL}) == {"user": "Dr. Carol (Berlin)"}
    nameless = {**data.elements[f"users/user:{DAVE}"], "first_name": ""}
    data.apply(101, {f"users/user:{DAVE}": nameless})
    assert slide_data(data, {"name": "users/user", "id": DAVE}) == {"user": "dave"}


def test_message_mediafile_and_a_missing_name() -> None:
    data = _data()
    message = slide_data(data, {"name": "core/projector-message", "id": 1})
    assert message == {"id": 1, "message": "Hello"}
    media = slide_data(data, {"name": "mediafiles/mediafile", "id": 1})
    assert media == {"path": "a.pdf", "mimetype": "application/pdf", "media_url_prefix": "/media/"}
    assert slide_data(data, {"id": 1}) == {"error": "unknwown slide None"}


def test_current_list_of_speakers_and_chyron_follow_the_reference_projector() -> None:
    topic = {**meeting()["topics/topic:1"], "list_of_speakers_id": 1}
    speaking = {
        "id": 1,
        "closed": False,
        "speakers": [{"id": 1, "user_id": CAROL, "weight": 1, "begin_time": 5, "end_time": None}],
    }
    data = _data(**{"topics/topic:1": topic, "agenda/list-of-speakers:1": speaking})
    current = slide_data(data, {"name": "agenda/current-list-of-speakers"})
    assert current["current"]["user"] == "Dr. Carol (Berlin)" and current["waiting"] == []
    chyron = slide_data(data, {"name": "agenda/current-speaker-chyron"})
    assert chyron["current_speaker"] == "Dr. Carol (Berlin)"


def test_a_published_poll_slide_shows_results() -> None:
    data = _data()
    shown = slide_data(data, {"name": "motions/motion-poll", "id": 2})["poll"]
    assert shown["state"] == 4 and shown["votesvalid"] == "2.0"
    running = slide_data(data, {"name": "motions/motion-poll", "id": 1})["poll"]
    assert "votesvalid" not in running


def test_every_projector_renders_as_json() -> None:
    rendered = render(_data())
    assert set(rendered) == {1, 2}
    assert orjson.loads(rendered[1])[0]["data"]["item_number"] == "TOP 1"
