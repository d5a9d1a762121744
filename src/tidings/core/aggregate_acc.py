"""The running figures of one aggregate bucket and group, and folding groups past ``limit``
into ``"(other)"`` (api.md section 8, "Breakdowns")."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tidings.core import aggregate_groups
from tidings.core.aggregate_groups import OTHER
from tidings.model.records import percentile
from tidings.storage.schema import QUANTILES

PERCENTILES = QUANTILES


@dataclass
class Acc:
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    values: list[float] = field(default_factory=list)
    users: set[str] = field(default_factory=set)
    #: The function's value when the engine computed it (distinct users, percentiles).
    computed: float | None = None

    def merge(self, other: Acc) -> None:
        """Fold ``other`` in (both from a raw scan or rollups, never engine-computed)."""
        self.add_rollup(other.count, other.total, other.low, other.high)
        self.values.extend(other.values)
        self.users |= other.users

    def add_rollup(self, count: int, total: float, low: float, high: float) -> None:
        self.count += count
        self.total += total
        self.low = min(self.low, low)
        self.high = max(self.high, high)


def value_of(fn: str, acc: Acc | None) -> float | None:
    if acc is None or acc.count == 0:
        return 0 if fn in ("count", "sum", "distinct_users") else None
    if acc.computed is not None:
        return acc.computed
    if fn == "count":
        return acc.count
    if fn == "sum":
        return acc.total
    if fn == "avg":
        return acc.total / acc.count
    if fn == "min":
        return acc.low
    if fn == "max":
        return acc.high
    if fn == "distinct_users":
        return len(acc.users)
    return percentile(acc.values, PERCENTILES[fn])


def acc_at(accs: dict[tuple[int, str | None], Acc], key: tuple[int, str | None]) -> Acc:
    acc = accs.get(key)
    if acc is None:
        acc = accs[key] = Acc()
    return acc


def fold(accs: dict[tuple[int, str | None], Acc], limit: int | None) -> int:
    """Apply ``limit`` to mergeable ``accs`` in place; returns the number of groups."""
    totals = aggregate_groups.totals_of((g, acc.count) for (_b, g), acc in accs.items())
    totals = {g: n for g, n in totals.items() if n > 0}
    keep = None if limit is None else aggregate_groups.kept(totals, limit)
    if keep is not None:
        for (bucket, group), acc in list(accs.items()):
            if group not in keep:
                del accs[(bucket, group)]
                acc_at(accs, (bucket, OTHER)).merge(acc)
    return len(totals)
