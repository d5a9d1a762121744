"""What refusing repeated JSON keys costs ingest: the body decode alone (orjson, what ingest
did before) against the decode plus the repeated-key check (http/json_keys.py), per body
shape the SDKs send. CPU time of one process, so it moves less with neighbours than a
served benchmark; it is still the median of ``--repeats`` rounds on a shared machine.

    python bench/json_keys.py            # about 20 s
    python bench/json_keys.py --repeats 3

The whole served request costs far more than the decode (see BENCHMARKS.md), so the figure to
read is the added microseconds per body and per event.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from tidings.http.json_keys import refuse_duplicate_keys


def _event(i: int) -> dict[str, Any]:
    return {
        "namespace": "shop",
        "name": "checkout",
        "timestamp": f"2026-12-07T10:{i % 60:02d}:00.123Z",
        "value": 12.5,
        "user_id": f"user-{i}",
        "message_id": f"9b2f1c1e-0000-4000-8000-{i:012d}",
        "properties": {"plan": "pro", "path": "/cart?x=1", "items": [1, 2, 3], "ok": True},
        "context": {"library": {"name": "tidings.js", "version": "1.0"}, "ip": "::1"},
    }


def _bodies() -> dict[str, tuple[bytes, int]]:
    one = _event(0)
    batch = {"events": [_event(i) for i in range(100)]}
    big = {"events": [_event(i) for i in range(10_000)]}
    return {
        "one event, compact (JS SDK)": (orjson.dumps(one), 1),
        "one event, Python json.dumps": (json.dumps(one).encode(), 1),
        "batch of 100, compact": (orjson.dumps(batch), 100),
        "batch of 100, Python json.dumps": (json.dumps(batch).encode(), 100),
        "batch of 10,000, compact (1 MB+)": (orjson.dumps(big), 10_000),
        "batch of 100, pretty (indent=2)": (json.dumps(batch, indent=2).encode(), 100),
    }


def _time(fn: Callable[[], object], budget_s: float) -> float:
    """Seconds per call: as many calls as fit in ``budget_s``."""
    calls, start = 0, time.process_time()
    while True:
        fn()
        calls += 1
        spent = time.process_time() - start
        if spent >= budget_s:
            return spent / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0.4, help="seconds per measurement")
    args = parser.parse_args()
    print(
        f"{'body':36} {'bytes':>9} {'decode us':>10} {'+check us':>10} {'added':>7} {'us/event':>9}"
    )
    for label, (body, events) in _bodies().items():
        before, after = [], []
        for _ in range(args.repeats):
            before.append(_time(lambda body=body: orjson.loads(body), args.budget))
            after.append(
                _time(
                    lambda body=body: refuse_duplicate_keys(body, orjson.loads(body)), args.budget
                )
            )
        b, a = statistics.median(before) * 1e6, statistics.median(after) * 1e6
        print(
            f"{label:36} {len(body):>9} {b:>10.1f} {a:>10.1f} {(a - b) / b:>7.0%}"
            f" {(a - b) / events:>9.2f}"
        )


if __name__ == "__main__":
    main()
