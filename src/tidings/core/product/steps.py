"""An event kind a question names (``NS/NAME`` plus property filters) as a SQL condition."""

from __future__ import annotations

from dataclasses import dataclass

from tidings.core.event_sql import EventSQL


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
