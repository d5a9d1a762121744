"""``tidings import``: JSON lines (native events, Segment messages or event-tracking log lines)
or a CSV export, deduplicated by message id. An export's events keep their sources and
receipt times, so an export imports back into a fresh installation as it was."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import IO, Any

import click

from tidings.cli.common import fail, opened_storage, settings_from
from tidings.cli.progress import progress
from tidings.config import Settings
from tidings.core import accounts
from tidings.core.importers import (
    CSV_HEADER,
    EXPORT_ONLY,
    FORMATS,
    ImportLineError,
    LineIds,
    Record,
    csv_records,
    to_native,
)
from tidings.core.ingest import Batch, commit
from tidings.core.store import Storage
from tidings.errors import TidingsError
from tidings.model.events import SOURCE_NAME, EventDraft, validate_event
from tidings.model.timeparse import TimestampError, now_us, parse_timestamp

IMPORT_BATCH = 1_000


class _Sources:
    """Source ids by name: the one ``--source`` names, or each line's own (an export's),
    created when missing."""

    def __init__(self, storage: Storage, fixed: str | None) -> None:
        self._storage = storage
        self._ids = {s.name: s.id for s in storage.list_sources()}
        self.fixed = fixed
        self.created: list[tuple[str, str]] = []
        if fixed is not None and fixed not in self._ids:
            fail(f"--source: no source named {fixed!r} (tidings source create)")

    def id_for(self, named: Any) -> int:
        name = self.fixed or named
        if name is None:
            raise ImportLineError("source: the line names no source; give --source")
        if not isinstance(name, str) or not SOURCE_NAME.match(name):
            raise ImportLineError(f"source: {name!r} is not a source name")
        if name not in self._ids:
            try:
                key = accounts.create_source(self._storage, name, None)
            except TidingsError as exc:
                raise ImportLineError(f"source: {exc.detail}") from None
            self._ids = {s.name: s.id for s in self._storage.list_sources()}
            self.created.append((name, key))
        return self._ids[name]


def _received(value: Any) -> int:
    """An export's receipt time, kept; now for lines without one."""
    if value is None:
        return now_us()
    if not isinstance(value, str | int):
        raise ImportLineError("received_at: must be an ISO 8601 time")
    try:
        return parse_timestamp(value)
    except TimestampError as exc:
        raise ImportLineError(f"received_at: {exc}") from None


def _records(fh: IO[bytes], fmt: str) -> Iterator[tuple[int, int, Record | None]]:
    """``(line number, bytes read since the last, event or problem or None for a blank)``."""
    derive = LineIds()
    first = fh.readline()
    lines: Iterator[bytes] = chain([first], fh) if first else iter(())
    is_csv = first.rstrip(b"\r\n") == CSV_HEADER.encode()
    if fmt == "csv" or (fmt == "auto" and is_csv):
        counted = _Counted(lines)
        try:
            for number, record in csv_records(counted, derive):
                yield number, counted.take(), record
        except ImportLineError as exc:
            fail(str(exc), 2)
        return
    for number, line in enumerate(lines, 1):
        if not line.strip():
            yield number, len(line), None
            continue
        try:
            yield number, len(line), to_native(line, fmt, derive)
        except ImportLineError as exc:
            yield number, len(line), exc


class _Counted:
    """Lines, counting their bytes for the progress shown."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = lines
        self._read = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self._lines:
            self._read += len(line)
            yield line

    def take(self) -> int:
        read, self._read = self._read, 0
        return read


def _draft(record: Record, sources: _Sources, settings: Settings) -> EventDraft:
    if isinstance(record, ImportLineError):
        raise record
    event = dict(record)
    source_id = sources.id_for(event.pop("source", None))
    received_at = _received(event.pop("received_at", None))
    draft, errors = validate_event(
        event,
        source_id=source_id,
        received_at=received_at,
        max_event_bytes=settings.max_event_bytes,
        extra_fields=EXPORT_ONLY,
    )
    if draft is None:
        raise ImportLineError(f"{errors[0].field} {errors[0].message}")
    return draft


def _import_lines(
    storage: Storage, fh: IO[bytes], sources: _Sources, fmt: str, settings: Settings
) -> Iterator[tuple[int, int, int, list[str]]]:
    """Yield (bytes read, stored, duplicates, problems) per committed batch."""
    drafts: list[EventDraft] = []
    problems: list[str] = []
    done = 0

    def flush() -> tuple[int, int, int, list[str]]:
        nonlocal drafts, problems, done
        results = commit(storage, [Batch(drafts)]) if drafts else []
        dups = sum(1 for r in results if r.duplicate)
        answer = (done, len(results) - dups, dups, problems)
        drafts, problems, done = [], [], 0
        return answer

    for number, size, record in _records(fh, fmt):
        done += size
        if record is None:
            continue
        try:
            drafts.append(_draft(record, sources, settings))
        except ImportLineError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if len(drafts) >= IMPORT_BATCH:
            yield flush()
    yield flush()


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--source",
    "source_name",
    help="Store every event under this existing source. [default: each line's own "
    "`source` (an export's), created when missing]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="native: `tidings export` JSON lines; csv: `tidings export --format csv`; segment: "
    "Segment messages; edx: event-tracking log lines; auto: by the CSV header, else per line.",
)
@click.pass_context
def import_(ctx: click.Context, file: IO[bytes], source_name: str | None, fmt: str) -> None:
    """Import FILE ('-' for stdin): JSON lines (native events from an export, Segment
    messages or event-tracking log lines) or a CSV export.

    Events keep the source and receipt time an export gives them. Lines are deduplicated by
    message id (lines without one get an id from their content and position among identical
    lines), so a re-run, or importing an export into the installation it came from, stores
    nothing twice, and two identical lines are still two events."""
    settings = settings_from(ctx)
    stored = dups = rejected = 0
    shown: list[str] = []
    with opened_storage(settings) as storage:
        sources = _Sources(storage, source_name)
        with progress(_size(file), "importing", unit="bytes") as advance:
            for read, ok, dup, problems in _import_lines(storage, file, sources, fmt, settings):
                stored += ok
                dups += dup
                rejected += len(problems)
                shown.extend(problems[: max(0, 5 - len(shown))])
                advance(read)
    for name, key in sources.created:
        click.echo(f"tidings: created source {name!r}; write key (shown once): {key}", err=True)
    for problem in shown:
        click.echo(f"tidings: rejected {problem}", err=True)
    click.echo(f"imported {stored} events, {dups} duplicates skipped, {rejected} lines rejected")
    if rejected:
        sys.exit(1)


def _size(file: IO[bytes]) -> int | None:
    try:
        return os.fstat(file.fileno()).st_size or None
    except (OSError, ValueError):
        return None
