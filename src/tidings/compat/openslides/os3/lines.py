"""The autoupdate data lines (spec section 3.1), restricted for one caller.

An element's restricted form is encoded once per data version for all callers who see it
alike (:mod:`tidings.compat.openslides.os3.shared`), and a whole change line once for all
callers whose elements are the same bytes: a change reaching many streams costs about one
restriction per kind of caller, not one per stream.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import orjson

from tidings.compat.openslides.os3.data import Data, collection_of, id_of
from tidings.compat.openslides.os3.perms import Callers, Required
from tidings.compat.openslides.os3.restrict import Context, restrict
from tidings.compat.openslides.os3.shared import signature

Encoded = bytes | None


class Lines:
    """Builds lines from ``data`` for any caller; caches live for one data version."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.callers = Callers(data)
        self.required = Required(data)
        self._version = -1
        self._elements: dict[tuple[str, Hashable], Encoded] = {}
        self._lines: dict[tuple[int, int, tuple[Encoded, ...]], bytes] = {}

    def context(self, uid: int) -> Context:
        return Context(self.callers.get(uid), self.data, self.required.get())

    def _fresh(self) -> None:
        if self._version != self.data.version:
            self._elements, self._lines = {}, {}
            self._version = self.data.version

    def _encoded(self, key: str, ctx: Context) -> Encoded:
        """``key``'s element as the caller may see it, encoded; None: hidden or deleted."""
        element = self.data.elements.get(key)
        if element is None:
            return None
        collection = collection_of(key)
        cache_key = (key, signature(collection, element, ctx.who))
        try:
            return self._elements[cache_key]
        except KeyError:
            seen = restrict(collection, element, ctx)
            encoded = None if seen is None else orjson.dumps(seen)
            self._elements[cache_key] = encoded
            return encoded

    def all_data(self, uid: int, from_id: int) -> bytes:
        self._fresh()
        ctx = self.context(uid)
        changed: dict[str, list[bytes]] = {}
        for collection, elements in self.data.by_collection.items():
            kept = [e for e in (self._encoded(key, ctx) for key in elements) if e is not None]
            if kept:
                changed[collection] = kept
        return _line(changed, {}, from_id, self.data.current, True)

    def changes(self, uid: int, keys: Iterable[str], from_id: int, to_id: int) -> bytes | None:
        """The line for ``keys`` changed in (from_id, to_id]; None when there are none."""
        self._fresh()
        ctx = self.context(uid)
        ordered = sorted(keys)
        if not ordered:
            return None
        encoded = tuple(self._encoded(key, ctx) for key in ordered)
        line_key = (from_id, to_id, encoded)
        line = self._lines.get(line_key)
        if line is None:
            changed: dict[str, list[bytes]] = {}
            deleted: dict[str, list[int]] = {}
            for key, blob in zip(ordered, encoded, strict=True):
                if blob is None:
                    deleted.setdefault(collection_of(key), []).append(id_of(key))
                else:
                    changed.setdefault(collection_of(key), []).append(blob)
            line = self._lines[line_key] = _line(changed, deleted, from_id, to_id, False)
        return line


def _line(
    changed: dict[str, list[bytes]],
    deleted: dict[str, list[int]],
    from_id: int,
    to_id: int,
    all_data: bool,
) -> bytes:
    # Assembled from the elements' encoded bytes; the field order is the original's.
    parts = b",".join(
        orjson.dumps(collection) + b":[" + b",".join(blobs) + b"]"
        for collection, blobs in changed.items()
    )
    return (
        b'{"changed":{%s},"deleted":%s,"from_change_id":%d,"to_change_id":%d,"all_data":%s}\n'
        % (
            parts,
            orjson.dumps(deleted),
            from_id,
            to_id,
            b"true" if all_data else b"false",
        )
    )
