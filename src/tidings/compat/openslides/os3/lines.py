"""The autoupdate data lines (spec section 3.1), restricted for one caller."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tidings.compat.openslides.os3.data import Data, collection_of, id_of
from tidings.compat.openslides.os3.perms import Callers, Required
from tidings.compat.openslides.os3.restrict import Context, restrict
from tidings.core.live import json_line


class Lines:
    """Builds lines from ``data`` for any caller; per-version caches shared by all streams."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.callers = Callers(data)
        self.required = Required(data)

    def context(self, uid: int) -> Context:
        return Context(self.callers.get(uid), self.data, self.required.get())

    def all_data(self, uid: int, from_id: int) -> bytes:
        ctx = self.context(uid)
        changed: dict[str, list[Any]] = {}
        for collection, elements in self.data.by_collection.items():
            kept = [e for e in (restrict(collection, x, ctx) for x in elements.values()) if e]
            if kept:
                changed[collection] = kept
        return _line(changed, {}, from_id, self.data.current, True)

    def changes(self, uid: int, keys: Iterable[str], from_id: int, to_id: int) -> bytes | None:
        """The line for ``keys`` changed in (from_id, to_id]; None when there are none."""
        ctx = self.context(uid)
        changed: dict[str, list[Any]] = {}
        deleted: dict[str, list[int]] = {}
        elements = self.data.elements
        any_key = False
        for key in keys:
            any_key = True
            collection = collection_of(key)
            element = elements.get(key)
            seen = None if element is None else restrict(collection, element, ctx)
            if seen is None:
                deleted.setdefault(collection, []).append(id_of(key))
            else:
                changed.setdefault(collection, []).append(seen)
        if not any_key:
            return None
        return _line(changed, deleted, from_id, to_id, False)


def _line(
    changed: dict[str, list[Any]],
    deleted: dict[str, list[int]],
    from_id: int,
    to_id: int,
    all_data: bool,
) -> bytes:
    return json_line(
        {
            "changed": changed,
            "deleted": deleted,
            "from_change_id": from_id,
            "to_change_id": to_id,
            "all_data": all_data,
        }
    )
