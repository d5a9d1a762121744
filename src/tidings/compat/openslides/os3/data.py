"""This process's copy of the OpenSlides data (spec openslides3.md section 1).

Elements by key (``<collection>:<id>``), the change id of every key's last change (deletions
included), the current and the lowest change id, and a short log of the latest changes so a
stream that follows live finds what changed since its position without scanning every key.
Only :class:`~tidings.compat.openslides.os3.ingest.Ingest` writes it; each write bumps
``version``, which the per-version caches (required users, rendered projectors) key on.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Element = dict[str, Any]
#: Changes kept in the log; a stream further behind scans every key's change id instead.
LOG_LENGTH = 2000


def collection_of(key: str) -> str:
    return key.rpartition(":")[0]


def id_of(key: str) -> int:
    tail = key.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


class Data:
    def __init__(self) -> None:
        self.elements: dict[str, Element] = {}
        self.by_collection: dict[str, dict[str, Element]] = {}
        #: key -> change id of its last change or deletion (keys from before the last build
        #: are not in it: they count as older than ``lowest``).
        self.changed_at: dict[str, int] = {}
        self.current = 0
        self.lowest = 0
        self.version = 0
        #: Bumped when any group changes (callers' permissions are kept until then).
        self.groups_version = 0
        self._log_ids: list[int] = []
        self._log_keys: list[frozenset[str]] = []
        self._since: dict[int, tuple[int, set[str]]] = {}
        self._configs: dict[str, Any] = {}
        self._configs_version = -1
        #: Called after every write (the streams' wake-up).
        self.listeners: list[Callable[[], None]] = []

    # -- writes --------------------------------------------------------------------------------
    def replace(
        self, elements: Mapping[str, Element], changed_at: Mapping[str, int], lowest: int
    ) -> None:
        """Everything anew (start, or Redis was reset or ran too far ahead)."""
        self.elements = dict(elements)
        self.by_collection = {}
        for key, element in self.elements.items():
            self.by_collection.setdefault(collection_of(key), {})[key] = element
        self.changed_at = dict(changed_at)
        self.lowest = lowest
        self.current = max([lowest, *self.changed_at.values()])
        self._log_ids, self._log_keys = [], []
        self.groups_version += 1
        self._written()

    def apply(self, change_id: int, elements: Mapping[str, Element | None]) -> None:
        """One change (or several merged into ``change_id``): None deletes a key."""
        for key, element in elements.items():
            collection = collection_of(key)
            if collection == "users/group":
                self.groups_version += 1
            if element is None:
                self.elements.pop(key, None)
                self.by_collection.get(collection, {}).pop(key, None)
            else:
                self.elements[key] = element
                self.by_collection.setdefault(collection, {})[key] = element
            self.changed_at[key] = change_id
        self.current = max(self.current, change_id)
        self._log_ids.append(change_id)
        self._log_keys.append(frozenset(elements))
        if len(self._log_ids) > LOG_LENGTH:
            del self._log_ids[: LOG_LENGTH // 2], self._log_keys[: LOG_LENGTH // 2]
        self._written()

    def _written(self) -> None:
        self.version += 1
        for listener in list(self.listeners):
            listener()

    # -- reads ---------------------------------------------------------------------------------
    def changed_since(self, cursor: int) -> set[str]:
        """Keys changed or deleted after change id ``cursor`` (the caller must not change
        the set: streams at the same position share it)."""
        cached = self._since.get(cursor)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        keys = self._changed_since(cursor)
        if len(self._since) > 64:
            self._since.clear()
        self._since[cursor] = (self.version, keys)
        return keys

    def _changed_since(self, cursor: int) -> set[str]:
        if self._log_ids and cursor >= self._log_ids[0] - 1:
            start = bisect.bisect_right(self._log_ids, cursor)
            keys: set[str] = set()
            for part in self._log_keys[start:]:
                keys |= part
            return keys
        return {key for key, cid in self.changed_at.items() if cid > cursor}

    def collection(self, name: str) -> Iterable[Element]:
        return self.by_collection.get(name, {}).values()

    def get(self, collection: str, id_: Any) -> Element | None:
        return self.elements.get(f"{collection}:{id_}")

    def config(self, key: str, default: Any = None) -> Any:
        """The value of the ``core/config`` element named ``key``."""
        if self._configs_version != self.version:
            self._configs = {
                str(e.get("key")): e.get("value") for e in self.collection("core/config")
            }
            self._configs_version = self.version
        return self._configs.get(key, default)
