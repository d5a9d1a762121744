"""Storing crafted or random events for the product questions, and asking them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

import orjson

from tests.core.product.brute import Raw
from tests.storage.test_contract import draft
from tidings.core.event_sql import LoadedEvents
from tidings.storage.base import Storage

T = TypeVar("T")
_ids = itertools.count()


def store(storage: Storage, source_id: int, events: Iterable[Raw]) -> None:
    storage.insert_batch(
        [
            draft(
                source_id,
                e.ts,
                f"m{next(_ids)}",
                name=e.name,
                namespace=e.namespace,
                user_id=e.user_id,
                anonymous_id=e.anonymous_id,
                session_id=e.session_id,
                properties=orjson.dumps(dict(e.props)).decode() if e.props else None,
            )
            for e in events
        ]
    )


def ask(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def provider(storage: Storage) -> LoadedEvents:
    return LoadedEvents(storage)
