"""Context locators: the thread-local one gives each thread its own contexts (the case of the
tracking library's own locator test)."""

from __future__ import annotations

import threading
from typing import Any
from unittest.mock import sentinel

from tidings.sdk.locator import DefaultContextLocator, ThreadLocalContextLocator

WAIT = 10  # seconds; the events are set as soon as the other thread gets there


def test_default_locator_returns_one_ordered_mapping_per_locator() -> None:
    first, second = DefaultContextLocator(), DefaultContextLocator()
    first.get()["a"] = {"k": 1}
    assert first.get() == {"a": {"k": 1}}
    assert second.get() == {}


def test_threads_see_only_the_contexts_they_entered() -> None:
    locator = ThreadLocalContextLocator()
    parent_context = {sentinel.parent_key: sentinel.parent_value}
    child_context = {sentinel.child_key: sentinel.child_value}
    child_entered, parent_checked = threading.Event(), threading.Event()
    child_saw: list[dict[str, Any]] = []

    def child() -> None:
        locator.get()["child"] = child_context
        child_saw.append(dict(locator.get()))
        child_entered.set()
        parent_checked.wait(WAIT)
        del locator.get()["child"]
        child_saw.append(dict(locator.get()))

    locator.get()["parent"] = parent_context
    worker = threading.Thread(target=child)
    worker.start()
    assert child_entered.wait(WAIT)
    # Both threads are inside their contexts now, and each sees only its own.
    assert locator.get() == {"parent": parent_context}
    parent_checked.set()
    worker.join(WAIT)
    del locator.get()["parent"]
    assert locator.get() == {}
    assert child_saw == [{"child": child_context}, {}]
