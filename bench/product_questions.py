"""Section 8's questions for bench/analytics.py: page views of the snippet's shape, the HTTP
requests, and DuckDB answering the same statements on a JSON-column copy of the rows."""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from tidings.core.auth import new_secret, secret_hash
from tidings.core.event_sql import PERSON_PREFIX, prop_path
from tidings.core.product.funnel import FunnelQuery, funnel
from tidings.core.product.retention import RetentionQuery, retention
from tidings.core.product.steps import EventKind
from tidings.core.product.web import WebQuery, web_summary
from tidings.model.events import EventDraft
from tidings.model.records import EventFilter
from tidings.storage import open_storage

DAY_US = 86_400_000_000
#: The questions over the last 30 days (the bench appends ``from`` and ``to``).
WEB_HTTP = {
    "web_summary": "/api/v1/web?namespace=site",
    "funnel_3_steps": (
        "/api/v1/funnel?namespace=site&step=site/pageView&step=site/other0&step=site/other1"
    ),
    "retention_8_weeks": (
        "/api/v1/retention?namespace=site&start=site/pageView&return=site/other0"
        "&period=week&periods=8"
    ),
}
REFERRERS = [f"https://r{i}.example" for i in range(40)]
UTM = ["newsletter", "twitter", "mastodon", "hn", "reddit", "google", "bing", "partner"]
CLIENTS = [  # browser, os, device, screen width
    ("Chrome", "Windows", "desktop", 1920),
    ("Chrome", "Android", "mobile", 412),
    ("Safari", "iOS", "mobile", 390),
    ("Safari", "Mac OS X", "desktop", 1440),
    ("Firefox", "Linux", "desktop", 1920),
    ("Edge", "Windows", "desktop", 1536),
    ("Samsung Internet", "Android", "tablet", 800),
]


def fill_web(url: str, pageviews: int, end: datetime, seed: int = 23) -> None:
    """``pageviews`` page views in sessions over the 30 days before ``end``, sorted by time:
    60,000 visitors (a tenth identified as one of bench/analytics.py's users), 1-10 views a
    session 10 s-5 min apart, 60% with an external referrer, 25% with a UTM source."""
    rng = random.Random(seed)
    storage = open_storage(url)
    storage.startup()
    source = storage.create_source("web-bench", secret_hash(new_secret("wk_")), None).id
    start_us = int((end - timedelta(days=30)).timestamp() * 1_000_000)
    paths = [f"/page/{i:03d}" for i in range(200)]
    rows: list[tuple[int, str, str | None, str | None, dict[str, object]]] = []
    session = 0
    while len(rows) < pageviews:
        session += 1
        visitor = rng.randrange(60_000)
        user = f"u{visitor}" if visitor % 10 == 0 else None
        browser, os_name, device, width = CLIENTS[visitor % len(CLIENTS)]
        entry: dict[str, object] = {"browser": browser, "os": os_name, "device": device}
        entry["screen_width"] = width
        if rng.random() < 0.6:
            entry["referrer"] = REFERRERS[min(int(rng.expovariate(0.15)), 39)]
        if rng.random() < 0.25:
            entry["utm_source"] = rng.choice(UTM)
        ts = start_us + rng.randrange(30 * DAY_US - 3_600_000_000)
        for _ in range(min(int(rng.expovariate(0.5)) + 1, 10)):
            props = {**entry, "path": paths[min(int(rng.paretovariate(1.2)) - 1, 199)]}
            rows.append((ts, f"s{session}", user, None if user else f"w{visitor}", props))
            ts += rng.randrange(10_000_000, 300_000_000)
    rows = sorted(rows[:pageviews], key=lambda r: r[0])
    for lo in range(0, len(rows), 20_000):
        storage.insert_batch(
            [
                EventDraft(
                    source_id=source,
                    namespace="site",
                    name="pageView",
                    timestamp=ts,
                    received_at=ts,
                    value=1.0,
                    properties=json.dumps(props, separators=(",", ":")),
                    context=None,
                    message_id=None,
                    user_id=user,
                    anonymous_id=anonymous,
                    session_id=session_id,
                )
                for ts, session_id, user, anonymous, props in rows[lo : lo + 20_000]
            ]
        )
    storage.shutdown()


class JsonEvents:
    """:class:`tidings.core.event_sql.EventSQL` over the JSON-column DuckDB copy (no aliases
    in this data, so ``person`` is the user id, else the prefixed anonymous id)."""

    def __init__(self, path: Path, memory: str, threads: int) -> None:
        # Attached under another name: a view ``events`` may not read a table ``events``.
        self.con = duckdb.connect(config={"memory_limit": memory, "threads": threads})
        self.con.execute(f"ATTACH '{path}' AS copy (READ_ONLY)")

    def prop(self, key: str) -> str:
        return f"json_extract_string(properties, {prop_path(key)})"

    async def fetch(
        self, flt: EventFilter, sql: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        where = [f"ts >= {flt.from_us}", f"ts < {flt.to_us}", f"namespace = '{flt.namespace}'"]
        if flt.names:
            where.append("name IN (" + ", ".join(f"'{n}'" for n in flt.names) + ")")
        self.con.execute(
            "CREATE OR REPLACE TEMP VIEW events AS SELECT *, coalesce(nullif(user_id, ''), "
            f"'{PERSON_PREFIX}' || nullif(anonymous_id, '')) AS person FROM copy.events "
            f"WHERE {' AND '.join(where)}"
        )
        return self.con.execute(sql, list(params)).fetchall()


async def product_times(provider: JsonEvents, end: datetime, repeat: int) -> dict[str, float]:
    """Median ms of each section 8 question on ``provider`` (after one warm-up)."""
    to_us = int(end.timestamp() * 1_000_000)
    flt = EventFilter(namespace="site", from_us=to_us - 30 * DAY_US, to_us=to_us)
    view, other0, other1 = (EventKind("site", n) for n in ("pageView", "other0", "other1"))
    asks = {
        "web_summary": lambda: web_summary(provider, WebQuery(flt, ZoneInfo("UTC"))),
        "funnel_3_steps": lambda: funnel(provider, flt, FunnelQuery((view, other0, other1))),
        "retention_8_weeks": lambda: retention(
            provider, flt, RetentionQuery(view, other0, "week", 8)
        ),
    }
    out: dict[str, float] = {}
    for name, ask in asks.items():
        await ask()
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            await ask()
            samples.append((time.perf_counter() - began) * 1000)
        out[name] = round(statistics.median(samples), 1)
    return out
