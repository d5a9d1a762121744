"""Fold events into the rollup tiers (minute, hour, day) before they are upserted.

Engines call :func:`accumulate` inside the write transaction, so rollups and raw rows commit
together. Each coarser tier is folded from the finer one, so the per-event work is one tier.
"""

from __future__ import annotations

from collections.abc import Iterable

from tidings.storage.schema import TIERS

Acc = dict[tuple[int, int], list[float]]
TierRow = tuple[int, int, int, float, float, float]


def _fold(finer: Acc, width: int) -> Acc:
    coarser: Acc = {}
    for (stream_id, bucket), (count, total, low, high) in finer.items():
        key = (stream_id, bucket - bucket % width)
        acc = coarser.get(key)
        if acc is None:
            coarser[key] = [count, total, low, high]
        else:
            acc[0] += count
            acc[1] += total
            if low < acc[2]:
                acc[2] = low
            if high > acc[3]:
                acc[3] = high
    return coarser


def accumulate(events: Iterable[tuple[int, int, float]]) -> list[list[TierRow]]:
    """Rollup rows per tier for ``(stream_id, ts_us, value)`` triples, finest tier first."""
    width = TIERS[0][1]
    minute: Acc = {}
    for stream_id, ts, value in events:
        key = (stream_id, ts - ts % width)
        acc = minute.get(key)
        if acc is None:
            minute[key] = [1, value, value, value]
        else:
            acc[0] += 1
            acc[1] += value
            if value < acc[2]:
                acc[2] = value
            if value > acc[3]:
                acc[3] = value
    tiers = [minute]
    for _table, tier_width in TIERS[1:]:
        tiers.append(_fold(tiers[-1], tier_width))
    return [
        [(sid, bucket, int(a[0]), a[1], a[2], a[3]) for (sid, bucket), a in tier.items()]
        for tier in tiers
    ]
