"""HyperLogLog and log-bucketed histogram: accuracy, edge values, merging, serialisation."""

from __future__ import annotations

import math
import random

import pytest

from tidings.model.records import percentile
from tidings.model.sketches import ALPHA, HLL_M, Histogram, HyperLogLog

SIGMA = 1.04 / math.sqrt(HLL_M)


@pytest.mark.parametrize("distinct", [10_000, 100_000])
def test_hll_estimate_is_within_three_standard_errors(distinct: int) -> None:
    sketch = HyperLogLog.of(f"user-{i}" for i in range(distinct))
    assert abs(sketch.estimate() - distinct) <= 3 * SIGMA * distinct


def test_hll_counts_small_sets_almost_exactly_and_ignores_repeats() -> None:
    sketch = HyperLogLog.of(["a", "b", "c", "a", "b"] * 100)
    assert round(sketch.estimate()) == 3
    assert HyperLogLog().estimate() == 0


def test_hll_merge_equals_the_sketch_of_the_union() -> None:
    left = HyperLogLog.of(f"u{i}" for i in range(0, 6_000))
    right = HyperLogLog.of(f"u{i}" for i in range(4_000, 9_000))
    left.merge(right.to_bytes())
    union = HyperLogLog.of(f"u{i}" for i in range(9_000))
    assert left.to_bytes() == union.to_bytes()


def test_hll_registers_round_trip_and_reject_a_wrong_size() -> None:
    sketch = HyperLogLog.of(["x", "y"])
    assert HyperLogLog(sketch.to_bytes()).to_bytes() == sketch.to_bytes()
    with pytest.raises(ValueError, match="4096"):
        HyperLogLog(b"\x00" * 10)


def _assert_close(sketch: Histogram, values: list[float]) -> None:
    for q in (0.0, 0.01, 0.5, 0.9, 0.95, 0.99, 1.0):
        exact = percentile(values, q)
        found = sketch.quantile(q)
        assert found is not None
        assert abs(found - exact) <= ALPHA * abs(exact) + 1e-12, (q, found, exact)


@pytest.mark.parametrize(
    "draw",
    [
        lambda r: float(r.randrange(1000)),
        lambda r: r.lognormvariate(0, 3),
        lambda r: r.uniform(-500, -0.001),
        lambda r: r.choice([0.0, 0.0, 1e-9, 5.0, 1e12]),
    ],
    ids=["integers", "lognormal", "negative", "zeros-and-extremes"],
)
def test_histogram_quantiles_are_within_one_percent(draw: object) -> None:
    rng = random.Random(3)
    values = [draw(rng) for _ in range(20_000)]  # type: ignore[operator]
    _assert_close(Histogram.of(values), values)


def test_histogram_handles_values_of_both_signs_and_zero() -> None:
    values = [-1000.0, -1.0, 0.0, 0.0, 2.0, 300.0]
    sketch = Histogram.of(values)
    assert sketch.count == 6
    assert sketch.quantile(0.0) == pytest.approx(-1000.0, rel=ALPHA)
    assert sketch.quantile(0.5) == 0.0
    assert sketch.quantile(1.0) == pytest.approx(300.0, rel=ALPHA)
    assert Histogram().quantile(0.5) is None


def test_histogram_merge_equals_the_sketch_of_the_union_and_round_trips() -> None:
    rng = random.Random(5)
    a = [rng.gauss(0, 100) for _ in range(3_000)]
    b = [rng.expovariate(0.01) for _ in range(2_000)] + [0.0] * 10
    merged = Histogram.of(a)
    merged.merge(Histogram.from_bytes(Histogram.of(b).to_bytes()))
    assert merged.to_bytes() == Histogram.of(a + b).to_bytes()
    for q in (0.5, 0.95):
        assert merged.quantile(q) == Histogram.of(a + b).quantile(q)
