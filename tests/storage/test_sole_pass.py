"""A background pass runs in one process at a time; the others skip it instead of waiting.

A second engine on the same database stands in for another server process (its own open
lock file on SQLite, its own session on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.storage.conftest import opened
from tidings.core.periodic import PeriodicPass
from tidings.core.retention import Pruner
from tidings.core.sealing import Sealer
from tidings.model.events import EventDraft
from tidings.model.timeparse import now_us
from tidings.storage.base import Storage
from tidings.storage.day_stats import DAY_US


@pytest.fixture
def other(storage_url: str) -> Iterator[Storage]:
    with opened(storage_url) as engine:
        yield engine


def test_a_second_process_is_refused_the_pass_until_the_first_ends(
    storage: Storage, other: Storage
) -> None:
    with storage.sole_pass("sealer") as mine:
        assert mine
        with other.sole_pass("sealer") as theirs:
            assert not theirs
        # Another pass is not held by this one.
        with other.sole_pass("pruner") as theirs:
            assert theirs
    with other.sole_pass("sealer") as theirs:
        assert theirs
    # Given up again, so the first can take it back.
    with storage.sole_pass("sealer") as mine:
        assert mine


def test_a_pass_left_by_an_error_is_free_again(storage: Storage, other: Storage) -> None:
    with pytest.raises(RuntimeError), storage.sole_pass("sealer") as mine:
        assert mine
        raise RuntimeError("the pass failed")
    with other.sole_pass("sealer") as theirs:
        assert theirs


@pytest.mark.parametrize("make", [Sealer, lambda s: Pruner(s, 1)], ids=["sealing", "retention"])
def test_background_passes_skip_while_another_process_runs_them(
    storage: Storage, other: Storage, make: Callable[[Storage], PeriodicPass]
) -> None:
    # An event three days old: a finished day to seal, and past a one-day retention.
    old = now_us() - 3 * DAY_US
    source = storage.create_source("app", "hash-of-a-key", None).id
    storage.insert_batch([EventDraft(source, "ns", "n", old, old, 1.0, *[None] * 6)])
    background = make(other)
    with storage.sole_pass(background.name):
        assert background.work(lambda: None) == 0
    assert background.work(lambda: None) == 1
