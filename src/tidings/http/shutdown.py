"""Run a callback when the process is asked to stop (SIGTERM/SIGINT), before the server's
own graceful shutdown waits for open connections.

Live streams never finish by themselves, so without this a graceful shutdown would wait
its whole timeout for them. The callback is chained in front of whatever handler the server
installed, which still runs (and stays in charge of the shutdown itself).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def chain_stop_signals(callback: Callable[[], None]) -> Callable[[], None]:
    """Install the chain; returns a function that restores the previous handlers. Outside the
    main thread (tests running the app in a thread) signals cannot be handled: a no-op."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        callback()
        old = previous.get(signum)
        if callable(old):
            old(signum, frame)
        elif old == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for sig in SIGNALS:
        previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            if signal.getsignal(sig) is handler and old is not None:
                signal.signal(sig, old)

    return restore
