"""An event kind a question names (``NS/NAME`` plus property filters) as a SQL condition."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from tidings.core.event_sql import EventSQL
from tidings.model.records import EventFilter


@dataclass(frozen=True, slots=True)
class EventKind:
    """Events of ``namespace``/``name`` whose properties equal ``props`` (as list filters
    compare them: property text equals the value)."""

    namespace: str
    name: str
    props: tuple[tuple[str, str], ...] = ()

    def condition(self, sql: EventSQL, params: list[object]) -> str:
        """A boolean SQL expression over ``events``; appends its parameters to ``params``."""
        parts = ["namespace = ?", "name = ?"]
        params += [self.namespace, self.name]
        for key, value in self.props:
            parts.append(f"({sql.prop(key)}) = ?")
            params.append(value)
        return "(" + " AND ".join(parts) + ")"


def narrowed(flt: EventFilter, kinds: Sequence[EventKind]) -> EventFilter:
    """``flt`` restricted to the names (and the one namespace, if shared) of ``kinds``, when
    it names none itself: a question that reads only these kinds then loads only their events,
    and its answer is the same."""
    if not flt.names:
        flt = dataclasses.replace(flt, names=tuple(sorted({k.name for k in kinds})))
    namespaces = {k.namespace for k in kinds}
    if flt.namespace is None and len(namespaces) == 1:
        flt = dataclasses.replace(flt, namespace=namespaces.pop())
    return flt
