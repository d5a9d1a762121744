"""Every aggregate gives the same answer on SQLite and on PostgreSQL for the same events."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.services import postgres_schema
from tidings.core.aggregate import AggregateQuery, Bucket, aggregate
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import open_storage
from tidings.storage.base import Storage

T0 = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
HOUR = 3_600_000_000


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Storage, Storage]]:
    rng = random.Random(9)
    drafts = []
    for _ in range(3000):
        drafts.append(
            (
                "shop",
                rng.choice(["buy", "view"]),
                T0 + rng.randrange(60 * 24 * HOUR),
                float(rng.randrange(-50, 500)) / 4,
                json.dumps({"plan": rng.choice(["free", "pro"]), "n": rng.randrange(3)}),
                f"u{rng.randrange(40)}",
            )
        )
    path = Path(tmp_path_factory.mktemp("agree")) / "a.db"
    with postgres_schema() as pg_url:
        pair = (open_storage(f"sqlite:///{path}"), open_storage(pg_url))
        for engine in pair:
            engine.startup()
            src = engine.create_source("web", "w" * 64, None).id
            for start in range(0, len(drafts), 700):
                engine.insert_batch(
                    [
                        EventDraft(
                            src,
                            ns,
                            name,
                            ts,
                            ts,
                            v,
                            props,
                            None,
                            f"m{start + i}",
                            user,
                            None,
                            None,
                        )
                        for i, (ns, name, ts, v, props, user) in enumerate(
                            drafts[start : start + 700]
                        )
                    ]
                )
        yield pair
        for engine in pair:
            engine.shutdown()


def _close(a: list[Bucket], b: list[Bucket]) -> bool:
    if [(x.start, x.count, x.group) for x in a] != [(y.start, y.count, y.group) for y in b]:
        return False
    return all(
        x.value == y.value or (x.value is not None and y.value == pytest.approx(x.value))
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize(
    ("granularity", "tz"),
    list(itertools.product(["hour", "day", "week", "month", "total"], ["UTC", "America/St_Johns"])),
)
def test_rollup_and_raw_functions_agree(
    engines: tuple[Storage, Storage], granularity: str, tz: str
) -> None:
    sqlite, postgres = engines
    for fn, group_by, props in [
        ("count", None, ()),
        ("sum", "name", ()),
        ("avg", None, ()),
        ("min", None, ()),
        ("max", "name", ()),
        ("distinct_users", None, ()),
        ("p95", None, ()),
        ("sum", "prop.plan", ()),
        ("count", None, (("plan", "pro"),)),
        ("sum", None, (("n", "2"),)),
    ]:
        flt = EventFilter(
            namespace="shop",
            from_us=T0 + 5 * HOUR + 17,
            to_us=T0 + 50 * 24 * HOUR,
            props=props,
        )
        query = AggregateQuery(
            flt=flt, granularity=granularity, fn=fn, tz=ZoneInfo(tz), group_by=group_by
        )
        if granularity == "hour":
            query = AggregateQuery(
                flt=EventFilter(
                    namespace="shop",
                    from_us=T0 + 5 * HOUR + 17,
                    to_us=T0 + 9 * 24 * HOUR,
                    props=props,
                ),
                granularity="hour",
                fn=fn,
                tz=ZoneInfo(tz),
                group_by=group_by,
            )
        one, two = aggregate(sqlite, query), aggregate(postgres, query)
        assert one and _close(one, two), (fn, group_by, props)
