"""The cross-process write turn: one holder at a time, the next let in at release."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tidings.storage.write_turn import WriteTurn


def test_a_second_holder_waits_until_the_first_releases(tmp_path: Path) -> None:
    # flock excludes per open file, so two WriteTurn objects behave like two processes.
    first = WriteTurn(tmp_path / "db.sqlite")
    second = WriteTurn(tmp_path / "db.sqlite")
    entered = threading.Event()

    def take_second() -> None:
        with second:
            entered.set()

    with first:
        waiter = threading.Thread(target=take_second)
        waiter.start()
        assert not entered.wait(0.2), "the second writer got in while the first held the turn"
        released = time.monotonic()
    assert entered.wait(5)
    # Woken by the release, not by a sleep-and-retry schedule.
    assert time.monotonic() - released < 1.0
    waiter.join()
    first.close()
    second.close()


def test_the_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    turn = WriteTurn(tmp_path / "tidings.db")
    with turn:
        pass
    assert (tmp_path / "tidings.db.write-lock").exists()
    turn.close()
    turn.close()  # closing twice is harmless
