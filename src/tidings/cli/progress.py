"""Progress of long commands on stderr: a rich progress bar when stderr is a terminal, and
otherwise (a log, a pipe, cron) one plain line every few seconds and one when done."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

#: Seconds between two progress lines when stderr is not a terminal.
EVERY_S = 5.0

Advance = Callable[[int], None]


@contextmanager
def progress(total: int | None, label: str, unit: str = "rows") -> Iterator[Advance]:
    """Report work of ``total`` ``unit`` (None: unknown, then time passing is shown); the
    caller calls the yielded function with each amount done."""
    if sys.stderr.isatty():
        with _bar(total, label, unit) as advance:
            yield advance
    else:
        with _lines(total, label, unit) as advance:
            yield advance


@contextmanager
def _bar(total: int | None, label: str, unit: str) -> Iterator[Advance]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


class _Reporter:
    """Prints ``label: done/total unit (pct), elapsed`` at most every :data:`EVERY_S`
    seconds: from ``advance`` when work is counted, from a timer thread when it is not."""

    def __init__(self, total: int | None, label: str, unit: str) -> None:
        self.total, self.label, self.unit = total, label, unit
        self.done = 0
        self.began = self.last = time.monotonic()
        self.lock = threading.Lock()

    def line(self, final: bool = False) -> str:
        elapsed = time.monotonic() - self.began
        amount = f"{self.done:,}" + (f"/{self.total:,}" if self.total else "")
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        state = "done" if final else "running"
        return f"tidings: {self.label}: {state}, {amount} {self.unit}{share}, {elapsed:.1f} s"

    def advance(self, n: int) -> None:
        with self.lock:
            self.done += n
            now = time.monotonic()
            if now - self.last < EVERY_S:
                return
            self.last = now
        click.echo(self.line(), err=True)

    def tick(self, stop: threading.Event) -> None:
        # Work that reports no amounts (one long call) still shows it is alive.
        while not stop.wait(max(EVERY_S, 0.01)):
            with self.lock:
                if time.monotonic() - self.last < EVERY_S:
                    continue
                self.last = time.monotonic()
            click.echo(self.line(), err=True)


@contextmanager
def _lines(total: int | None, label: str, unit: str) -> Iterator[Advance]:
    reporter = _Reporter(total, label, unit)
    stop = threading.Event()
    ticker = threading.Thread(target=reporter.tick, args=(stop,), daemon=True)
    ticker.start()
    try:
        yield reporter.advance
    finally:
        stop.set()
        ticker.join()
    click.echo(reporter.line(final=True), err=True)
