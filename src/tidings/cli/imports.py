"""``tidings import``: JSON lines (native events, Segment messages or event-tracking log lines)
stored under one source, deduplicated by message id."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import IO

import click

from tidings.cli.common import fail, opened_storage, progress, settings_from
from tidings.config import Settings
from tidings.core.importers import EXPORT_ONLY, FORMATS, ImportLineError, to_native
from tidings.core.ingest import Batch, commit
from tidings.core.store import Storage
from tidings.model.events import EventDraft, validate_event
from tidings.model.timeparse import now_us

IMPORT_BATCH = 1_000


def _import_lines(
    storage: Storage, fh: IO[bytes], source_id: int, fmt: str, settings: Settings
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

    for number, line in enumerate(fh, 1):
        done += len(line)
        if not line.strip():
            continue
        try:
            obj = to_native(line, fmt)
        except ImportLineError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        draft, errors = validate_event(
            obj,
            source_id=source_id,
            received_at=now_us(),
            max_event_bytes=settings.max_event_bytes,
            extra_fields=EXPORT_ONLY,
        )
        if draft is None:
            problems.append(f"line {number}: {errors[0].field} {errors[0].message}")
            continue
        drafts.append(draft)
        if len(drafts) >= IMPORT_BATCH:
            yield flush()
    yield flush()


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--source", "source_name", required=True, help="Store the events under it.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.pass_context
def import_(ctx: click.Context, file: IO[bytes], source_name: str, fmt: str) -> None:
    """Import JSON lines: native events (an export), Segment messages or event-tracking
    log lines. Lines are deduplicated by message id, so a re-run stores nothing twice."""
    settings = settings_from(ctx)
    stored = dups = rejected = 0
    shown: list[str] = []
    with opened_storage(settings) as storage:
        found = [s for s in storage.list_sources() if s.name == source_name]
        if not found:
            fail(f"--source: no source named {source_name!r} (tidings source create)")
        with progress(_size(file), "importing") as advance:
            for read, ok, dup, problems in _import_lines(storage, file, found[0].id, fmt, settings):
                stored += ok
                dups += dup
                rejected += len(problems)
                shown.extend(problems[: max(0, 5 - len(shown))])
                advance(read)
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
