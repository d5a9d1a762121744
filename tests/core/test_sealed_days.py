"""Aggregates with sealed days: exact mode answers exactly as the raw scan does, on every
engine; approximate mode stays within the sketches' error bounds."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from tests.random_events import fill_randomly
from tests.storage.conftest import storage, storage_url  # noqa: F401  (both engines)
from tests.storage.test_contract import DAY, draft, source
from tidings.core import sealing
from tidings.core.aggregate import AggregateQuery, Bucket, aggregate
from tidings.core.sealed_days import _runs
from tidings.model.records import EventFilter
from tidings.storage.base import Storage

BASE = 1_741_564_800_000_000  # 2025-03-10T00:00Z
DAYS = 9
HOUR = 3_600_000_000


def _fill(store: Storage, seed: int) -> None:
    fill_randomly(
        store,
        source(store),
        start=BASE,
        days=DAYS,
        per_day=60,
        seed=seed,
        names=("a", "a", "b"),
        users=25,
    )


def _run(store: Storage, approx: bool = False, **kwargs: object) -> list[Bucket]:
    names = kwargs.pop("names", ("a",))
    lo = kwargs.pop("lo", BASE)
    hi = kwargs.pop("hi", BASE + DAYS * DAY)
    flt = EventFilter(names=names, from_us=lo, to_us=hi)  # type: ignore[arg-type]
    return aggregate(store, AggregateQuery(flt=flt, approx=approx, **kwargs))  # type: ignore[arg-type]


CASES = [
    {"granularity": "day"},
    {"granularity": "day", "fill": True},
    {"granularity": "week"},
    {"granularity": "total"},
    {"granularity": "day", "tz": ZoneInfo("America/New_York")},
    {"granularity": "day", "group_by": "name", "names": ("a", "b")},
    {"granularity": "day", "names": ("a", "b")},
    {"granularity": "day", "lo": BASE + 5 * HOUR, "hi": BASE + 6 * DAY + 3 * HOUR},
    {"granularity": "hour", "lo": BASE + DAY - 2 * HOUR, "hi": BASE + 2 * DAY + 2 * HOUR},
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("fn", ["distinct_users", "p50", "p95", "p99"])
def test_exact_mode_with_sealed_days_equals_the_raw_scan(
    storage: Storage,  # noqa: F811
    seed: int,
    fn: str,
) -> None:
    _fill(storage, seed)
    raw = [_run(storage, fn=fn, **dict(case)) for case in CASES]
    assert sealing.seal(storage) > 0
    assert [_run(storage, fn=fn, **dict(case)) for case in CASES] == raw
    # A day voided by a late event falls back to its raw rows, still exactly.
    storage.insert_batch([draft(source(storage, "late"), BASE + DAY + 5, "late", name="a")])
    raw = [_run(storage, fn=fn, **dict(case)) for case in CASES[:4]]
    assert [_run(storage, fn=fn, **dict(case)) for case in CASES[:4]] == raw


def test_exact_day_buckets_read_the_sealed_rows(storage: Storage) -> None:  # noqa: F811
    _fill(storage, 3)
    sealing.seal(storage)
    calls: list[object] = []
    original = type(storage).distinct_persons

    def spy(self: Storage, *args: object, **kwargs: object) -> object:
        calls.append(args)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(storage), "distinct_persons", spy)
        _run(storage, fn="distinct_users")
        assert calls == []
        _run(storage, fn="distinct_users", granularity="week")
        assert len(calls) == 1


@pytest.mark.parametrize("fn", ["distinct_users", "p50", "p95"])
def test_approximate_mode_merges_sketches_within_their_error(
    storage: Storage,  # noqa: F811
    fn: str,
) -> None:
    _fill(storage, 4)
    sealing.seal(storage)
    # Partial days at both ends and an unsealed day make raw edges join the sketches.
    storage.insert_batch([draft(source(storage, "late"), BASE + 4 * DAY + 5, "l", name="a")])
    cases = [
        {"granularity": "total", "names": ("a", "b")},
        {"granularity": "week"},
        {"granularity": "total", "lo": BASE + 5 * HOUR, "hi": BASE + 7 * DAY + 3 * HOUR},
        {"granularity": "day"},
    ]
    for case in cases:
        exact = _run(storage, fn=fn, **dict(case))
        approx = _run(storage, approx=True, fn=fn, **dict(case))
        assert [(b.start, b.count) for b in approx] == [(b.start, b.count) for b in exact]
        for a, e in zip(approx, exact, strict=True):
            assert a.value is not None and e.value is not None
            # Small sets: HLL is all but exact; values within 1% of the neighbouring ranks'.
            assert abs(a.value - e.value) <= 0.011 * abs(e.value) + 0.5, (case, a, e)


def test_filters_on_persons_never_use_sealed_days(storage: Storage) -> None:  # noqa: F811
    _fill(storage, 5)
    flt = EventFilter(names=("a",), user_id="u1", from_us=BASE, to_us=BASE + DAYS * DAY)
    before = aggregate(storage, AggregateQuery(flt=flt, fn="distinct_users", approx=True))
    sealing.seal(storage)
    after = aggregate(storage, AggregateQuery(flt=flt, fn="distinct_users", approx=True))
    assert after == before and all(b.value == 1 for b in after)


def test_runs_leave_out_the_sealed_days() -> None:
    assert _runs(5, 4 * DAY + 7, [DAY, 2 * DAY]) == [(5, DAY), (3 * DAY, 4 * DAY + 7)]
    assert _runs(0, 2 * DAY, [0, DAY]) == []
