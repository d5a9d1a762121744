"""``limit`` on a grouped aggregate: the groups with the most events over the whole range,
then one group ``"(other)"`` holding the rest (api.md section 8, "Breakdowns").

Ranking: events over the range, descending; ties by group value ascending, the ``null``
group after every value with as many events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

OTHER = "(other)"


def rank(totals: Mapping[str | None, int]) -> list[str | None]:
    return sorted(totals, key=lambda g: (-totals[g], g is None, g or ""))


def totals_of(pairs: Iterable[tuple[str | None, int]]) -> dict[str | None, int]:
    totals: dict[str | None, int] = {}
    for group, count in pairs:
        totals[group] = totals.get(group, 0) + count
    return totals


def kept(totals: Mapping[str | None, int], limit: int) -> set[str | None] | None:
    """The groups to keep, or None when all fit."""
    if len(totals) <= limit:
        return None
    return set(rank(totals)[:limit])
