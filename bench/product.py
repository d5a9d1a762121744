"""Funnels and retention: the exact fallback (LoadedEvents: copy the range out of the database
into DuckDB, then ask) beside DuckDB asking the same statement of a table it already holds.

Fills a fresh SQLite database (in a temp dir unless ``--data-dir``) with ``--events`` events
over 30 days: ``--persons`` persons, a third of their events anonymous (half of those ids
linked to the user by identify), names view/cart/buy/login, a ``plan`` property. Then times,
``--repeat`` times each (median and best, after one warm-up):

- a 3-step funnel (view -> cart -> buy with a plan filter, 1 day window) over the 30 days
- an 8-week retention (view -> login) over the 30 days

through ``LoadedEvents`` (what the API answers with until the analytics tier is on) and
through a DuckDB connection that holds the same rows as a table (the question alone: what a
tier keeping events in DuckDB pays at best). The answers of both are compared.

    python bench/product.py --events 200000 --repeat 3

Results print as a table and are saved to bench/results/product-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import duckdb  # noqa: E402
import orjson  # noqa: E402

from common import load_average, machine  # noqa: E402
from tidings.core.event_sql import LoadedEvents  # noqa: E402
from tidings.core.product.funnel import FunnelQuery, funnel  # noqa: E402
from tidings.core.product.retention import RetentionQuery, retention  # noqa: E402
from tidings.core.product.steps import EventKind  # noqa: E402
from tidings.model.events import EventDraft  # noqa: E402
from tidings.model.records import EventFilter  # noqa: E402
from tidings.storage import persons  # noqa: E402
from tidings.storage.sqlite import SQLiteStorage  # noqa: E402

DAY = 86_400_000_000
END = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1_000_000)
START = END - 30 * DAY
NAMES = ("view", "view", "view", "cart", "buy", "login")


def fill(storage: SQLiteStorage, events: int, people: int, seed: int) -> None:
    rng = random.Random(seed)
    source = storage.create_source("bench", "b".ljust(64, "k"), None).id
    for user in range(0, people, 2):
        persons.identify(storage.engine, f"u{user}", f"a{user}", {"plan": rng.choice("ab")})
    batch: list[EventDraft] = []
    for i in range(events):
        who = rng.randrange(people)
        anonymous = rng.random() < 1 / 3
        props = orjson.dumps({"plan": rng.choice(("pro", "free"))}).decode()
        batch.append(
            EventDraft(
                source,
                "shop",
                rng.choice(NAMES),
                START + rng.randrange(30 * DAY),
                END,
                1.0,
                props,
                None,
                f"m{i}",
                None if anonymous else f"u{who}",
                f"a{who}" if anonymous else None,
                None,
            )
        )
        if len(batch) == 5000:
            storage.insert_batch(batch)
            batch = []
    if batch:
        storage.insert_batch(batch)


class Held:
    """The same rows as a DuckDB table loaded once: the question alone."""

    def __init__(self, storage: SQLiteStorage, flt: EventFilter) -> None:
        loaded = LoadedEvents(storage, memory_limit="1GB")
        self._con = duckdb.connect(":memory:")
        self._con.execute(
            "CREATE TABLE events (id BIGINT, source VARCHAR, namespace VARCHAR, name VARCHAR, "
            "ts BIGINT, received_at BIGINT, value DOUBLE, user_id VARCHAR, "
            "anonymous_id VARCHAR, session_id VARCHAR, person VARCHAR, properties VARCHAR)"
        )
        loaded._load(self._con, flt)
        self.prop = loaded.prop

    async def fetch(
        self, flt: EventFilter, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params)).fetchall()


def timed(run: Callable[[], Any], repeat: int) -> dict[str, Any]:
    answer = run()
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        timings.append((time.perf_counter() - began) * 1000)
    return {"p50_ms": statistics.median(timings), "min_ms": min(timings), "answer": answer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--persons", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data_dir or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        storage = SQLiteStorage(f"sqlite:///{data / 'product.db'}")
        storage.startup()
        began = time.perf_counter()
        fill(storage, args.events, args.persons, args.seed)
        filled_s = time.perf_counter() - began
        flt = EventFilter(namespace="shop", from_us=START, to_us=END)
        shop = [EventKind("shop", n) for n in ("view", "cart", "buy", "login")]
        steps = (shop[0], shop[1], EventKind("shop", "buy", (("plan", "pro"),)))
        questions = {
            "3-step funnel, 30 days": lambda sql: funnel(sql, flt, FunnelQuery(steps)),
            "8-week retention, 30 days": lambda sql: retention(
                sql, flt, RetentionQuery(shop[0], shop[3], "week", 8)
            ),
        }
        fallback, held = LoadedEvents(storage, memory_limit="1GB"), Held(storage, flt)
        report: dict[str, Any] = {
            "machine": machine(),
            "load_average": load_average(),
            "events": args.events,
            "persons": args.persons,
            "fill_seconds": round(filled_s, 1),
            "queries": {},
        }
        print(f"{args.events} events, {args.persons} persons (filled in {filled_s:.1f} s)")
        print(f"{'question':28} {'provider':14} {'p50 ms':>9} {'min ms':>9}")
        for name, ask in questions.items():
            answers = []
            for label, provider in (("LoadedEvents", fallback), ("DuckDB table", held)):
                timing = timed(lambda a=ask, p=provider: asyncio.run(a(p)), args.repeat)
                answers.append(timing.pop("answer"))
                report["queries"][f"{name} / {label}"] = timing
                print(f"{name:28} {label:14} {timing['p50_ms']:9.1f} {timing['min_ms']:9.1f}")
            assert answers[0] == answers[1], f"{name}: the providers disagree"
        storage.shutdown()
    out = HERE / "results" / f"product-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"load average {report['load_average']}; saved {out}")


if __name__ == "__main__":
    main()
