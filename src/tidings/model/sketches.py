"""Mergeable sketches for raw-scan functions: distinct persons and value quantiles.

Both are kept per stream and sealed UTC day (see storage/day_stats.py) and merged across
days and streams when an approximate aggregate spans many of them.

- :class:`HyperLogLog` (precision 12: 4,096 one-byte registers, ~1.6% standard error) over a
  stable 64-bit blake2b hash, so sketches made by any process or release merge.
- :class:`Histogram`: log-sized buckets (DDSketch) with 1% relative accuracy, with a zero
  count and a separate store for negative values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from hashlib import blake2b

import orjson

HLL_P = 12
HLL_M = 1 << HLL_P
_HASH_BITS = 64
_REST_BITS = _HASH_BITS - HLL_P

#: Relative accuracy of histogram quantiles.
ALPHA = 0.01
_GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(_GAMMA)


def hash64(item: str) -> int:
    return int.from_bytes(blake2b(item.encode(), digest_size=8).digest(), "big")


class HyperLogLog:
    """Distinct-count estimate of the items added; ``registers`` is the serialised form."""

    __slots__ = ("registers",)

    def __init__(self, registers: bytes | bytearray | None = None) -> None:
        if registers is not None and len(registers) != HLL_M:
            raise ValueError(f"a HyperLogLog has {HLL_M} registers, got {len(registers)}")
        self.registers = bytearray(registers) if registers is not None else bytearray(HLL_M)

    @classmethod
    def of(cls, items: Iterable[str]) -> HyperLogLog:
        sketch = cls()
        sketch.update(items)
        return sketch

    def update(self, items: Iterable[str]) -> None:
        registers = self.registers
        for item in items:
            h = hash64(item)
            index = h >> _REST_BITS
            rest = h & ((1 << _REST_BITS) - 1)
            # Position of the first 1 bit in the remaining bits (all zero: one past them).
            rank = _REST_BITS - rest.bit_length() + 1
            if rank > registers[index]:
                registers[index] = rank

    def merge(self, *others: bytes | bytearray) -> None:
        """Fold in other sketches' registers: the sketch of the union. Many at once is far
        cheaper than one by one (one max() call per register instead of one per pair)."""
        if others:
            self.registers = bytearray(map(max, self.registers, *others))

    def estimate(self) -> float:
        # Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog
        # sketches", 2017): unbiased across the whole range, where the classic raw estimate
        # with its switch to linear counting at 2.5 m is off by up to ~4% around 10,000.
        counts = [0] * (_REST_BITS + 2)
        for r in self.registers:
            counts[r] += 1
        m = HLL_M
        z = m * _tau(1 - counts[_REST_BITS + 1] / m)
        for k in range(_REST_BITS, 0, -1):
            z = 0.5 * (z + counts[k])
        z += m * _sigma(counts[0] / m)
        return m * m / (2 * math.log(2) * z)

    def to_bytes(self) -> bytes:
        return bytes(self.registers)


def _sigma(x: float) -> float:
    if x == 1:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        before = z
        z += x * y
        y += y
        if z == before:
            return z


def _tau(x: float) -> float:
    if x in (0, 1):
        return 0.0
    y, z = 1.0, 1 - x
    while True:
        x = math.sqrt(x)
        before = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if z == before:
            return z / 3


def _index(magnitude: float) -> int:
    return math.ceil(math.log(magnitude) / _LOG_GAMMA)


def _bucket_value(index: int) -> float:
    # The point of [gamma**(i-1), gamma**i] within ALPHA of both ends.
    return 2 * _GAMMA**index / (_GAMMA + 1)


class Histogram:
    """Value counts in log-sized buckets: any quantile within :data:`ALPHA` relative error.

    Serialised as ``{"z": zero count, "p": [index, count, ...], "n": [...]}`` where ``n``
    holds negative values by the bucket of their magnitude.
    """

    __slots__ = ("negative", "positive", "zero")

    def __init__(self) -> None:
        self.zero = 0
        self.positive: dict[int, int] = {}
        self.negative: dict[int, int] = {}

    @classmethod
    def of(cls, values: Iterable[float]) -> Histogram:
        sketch = cls()
        counts: dict[float, int] = {}
        for value in values:
            counts[value] = counts.get(value, 0) + 1
        for value, count in counts.items():
            sketch.add(value, count)
        return sketch

    @property
    def count(self) -> int:
        return self.zero + sum(self.positive.values()) + sum(self.negative.values())

    def add(self, value: float, count: int = 1) -> None:
        if value > 0:
            store = self.positive
        elif value < 0:
            store, value = self.negative, -value
        else:
            self.zero += count
            return
        index = _index(value)
        store[index] = store.get(index, 0) + count

    def merge(self, other: Histogram) -> None:
        self.zero += other.zero
        for mine, theirs in ((self.positive, other.positive), (self.negative, other.negative)):
            for index, count in theirs.items():
                mine[index] = mine.get(index, 0) + count

    def _ordered(self) -> list[tuple[float, int]]:
        """(representative value, count) ascending by value."""
        out = [(-_bucket_value(i), self.negative[i]) for i in sorted(self.negative, reverse=True)]
        if self.zero:
            out.append((0.0, self.zero))
        out.extend((_bucket_value(i), self.positive[i]) for i in sorted(self.positive))
        return out

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile, interpolated between closest ranks as
        :func:`tidings.storage.base.percentile` does; None when empty."""
        ordered = self._ordered()
        n = sum(count for _, count in ordered)
        if not n:
            return None
        position = q * (n - 1)
        low = math.floor(position)
        high = min(low + 1, n - 1)
        low_value = high_value = ordered[-1][0]
        seen = 0
        found_low = False
        for value, count in ordered:
            seen += count
            if not found_low and low < seen:
                low_value, found_low = value, True
            if high < seen:
                high_value = value
                break
        return low_value + (high_value - low_value) * (position - low)

    def to_bytes(self) -> bytes:
        def flat(store: dict[int, int]) -> list[int]:
            return [x for index in sorted(store) for x in (index, store[index])]

        return orjson.dumps({"z": self.zero, "p": flat(self.positive), "n": flat(self.negative)})

    @classmethod
    def from_bytes(cls, data: bytes) -> Histogram:
        raw = orjson.loads(data)
        sketch = cls()
        sketch.zero = int(raw["z"])
        for store, flat in ((sketch.positive, raw["p"]), (sketch.negative, raw["n"])):
            store.update(zip(flat[::2], flat[1::2], strict=True))
        return sketch
