"""Rendered projectors (spec section 3.2), once per data version for every stream: each
projector's entries with their slide data, as JSON bytes, so a stream compares bytes to
know whether a projector changed since it last sent it."""

from __future__ import annotations

from typing import Any

import orjson

from tidings.compat.openslides.os3.data import Data, id_of
from tidings.compat.openslides.os3.slides import SLIDES
from tidings.compat.openslides.os3.slides_current import CURRENT_SLIDES

Element = dict[str, Any]


def slide_data(data: Data, entry: Element) -> Any:
    name = entry.get("name")
    found = None
    if isinstance(name, str):
        found = SLIDES.get(name) or CURRENT_SLIDES.get(name)
    if found is None:
        return {"error": f"unknwown slide {name}"}  # sic: the original's spelling
    collection, slide = found
    if collection is None:
        return slide(data, entry, {})
    element = data.get(collection, entry.get("id"))
    if element is None:
        return {"error": f"{collection} with id {entry.get('id')} does not exist"}
    return slide(data, entry, element)


def render(data: Data) -> dict[int, bytes]:
    rendered: dict[int, bytes] = {}
    for key, projector in data.by_collection.get("core/projector", {}).items():
        entries = projector.get("elements")
        shown = [
            {"element": entry, "data": slide_data(data, entry)}
            for entry in (entries if isinstance(entries, list) else ())
            if isinstance(entry, dict)
        ]
        rendered[id_of(key)] = orjson.dumps(shown)
    return rendered


class Projectors:
    def __init__(self, data: Data) -> None:
        self.data = data
        self._version = -1
        self._rendered: dict[int, bytes] = {}

    def rendered(self) -> dict[int, bytes]:
        if self._version != self.data.version:
            self._rendered = render(self.data)
            self._version = self.data.version
        return self._rendered


def line(change_id: int, projectors: dict[int, bytes]) -> bytes:
    body = b",".join(b'"%d":%s' % (pid, blob) for pid, blob in projectors.items())
    return b'{"change_id":%d,"data":{%s}}\n' % (change_id, body)
