"""A server process collects garbage in larger batches, keeping the older generations'."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tidings.gc_tuning import YOUNG_THRESHOLD, tune_for_server


@pytest.fixture
def restored_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_tuning_raises_only_the_young_generation_threshold(
    restored_thresholds: tuple[int, int, int],
) -> None:
    tune_for_server()
    young, middle, oldest = gc.get_threshold()
    assert young == YOUNG_THRESHOLD > restored_thresholds[0]
    assert (middle, oldest) == restored_thresholds[1:]
