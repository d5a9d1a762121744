"""Data commands: ``export``, ``import``, ``migrate-data``, ``prune``, ``seal`` and ``erase``."""

from __future__ import annotations

import csv
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
import orjson

from tidings.cli.common import emit, fail, opened_storage, settings_from
from tidings.config import Settings
from tidings.core import retention, sealing
from tidings.core.erasure import erase_person
from tidings.core.importers import EXPORT_ONLY, FORMATS, ImportLineError, to_native
from tidings.core.ingest import Batch, commit
from tidings.core.query import event_dict, iter_all
from tidings.errors import ConfigError, TidingsError
from tidings.model.events import EventDraft, validate_event
from tidings.model.records import EventFilter
from tidings.model.timeparse import TimestampError, now_us, parse_timestamp
from tidings.model.wire import EVENT_FIELDS
from tidings.storage import open_storage
from tidings.storage.base import Storage
from tidings.storage.transfer import copy_all, rollup_totals, row_counts

COLUMNS = EVENT_FIELDS
PARQUET_ROWS = 10_000
IMPORT_BATCH = 1_000


def _time(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except TimestampError as exc:
        fail(f"{option}: {exc}", 2)


@contextmanager
def _output(path: str | None, binary: bool) -> Iterator[IO[Any]]:
    if path is None or path == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    with open(path, "wb" if binary else "w", newline=None if binary else "") as fh:
        yield fh


def _export_jsonl(events: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    n = 0
    for n, event in enumerate(events, 1):  # noqa: B007 - n is the count afterwards
        out.write(orjson.dumps(event) + b"\n")
    return n


def _export_csv(events: Iterator[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    n = 0
    for n, event in enumerate(events, 1):  # noqa: B007
        writer.writerow(
            orjson.dumps(event[c]).decode() if c in ("properties", "context") else event[c]
            for c in COLUMNS
        )
    return n


def _export_parquet(events: Iterator[dict[str, Any]], path: str) -> int:
    try:
        import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ModuleNotFoundError:
        fail("--format parquet needs pyarrow: pip install 'tidings[parquet]'")
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("message_id", pa.string()),
            ("source", pa.string()),
            ("namespace", pa.string()),
            ("name", pa.string()),
            ("timestamp", pa.timestamp("us", tz="UTC")),
            ("received_at", pa.timestamp("us", tz="UTC")),
            ("value", pa.float64()),
            ("properties", pa.string()),
            ("context", pa.string()),
            ("user_id", pa.string()),
            ("anonymous_id", pa.string()),
            ("session_id", pa.string()),
        ]
    )
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        rows: list[dict[str, Any]] = []
        for event in events:
            rows.append(event)
            if len(rows) >= PARQUET_ROWS:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                n += len(rows)
                rows = []
        if rows or n == 0:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            n += len(rows)
    return n


def _raw_events(storage: Storage, flt: EventFilter) -> Iterator[dict[str, Any]]:
    """Events for parquet: times as microseconds, JSON columns as text."""
    for e in iter_all(storage, flt):
        yield {name: getattr(e, name) for name in EVENT_FIELDS}


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl")
@click.option("--from", "from_", metavar="TIME", help="Only events at or after TIME.")
@click.option("--to", metavar="TIME", help="Only events before TIME.")
@click.option("--source", help="Only this source.")
@click.option("--namespace", help="Only this namespace.")
@click.option("--name", "names", multiple=True, help="Only this name (repeatable).")
@click.option("--user-id", help="Only this user.")
@click.option("--output", "-o", metavar="FILE", help="Write here instead of stdout.")
@click.pass_context
def export(
    ctx: click.Context,
    fmt: str,
    from_: str | None,
    to: str | None,
    source: str | None,
    namespace: str | None,
    names: tuple[str, ...],
    user_id: str | None,
    output: str | None,
) -> None:
    """Write matching events in id order, a chunk at a time (constant memory)."""
    flt = EventFilter(
        source=source,
        namespace=namespace,
        names=names,
        user_id=user_id,
        from_us=_time(from_, "--from"),
        to_us=_time(to, "--to"),
    )
    if fmt == "parquet" and (output is None or output == "-"):
        fail("--format parquet needs --output FILE (parquet cannot be streamed to stdout)", 2)
    with opened_storage(settings_from(ctx)) as storage:
        if fmt == "parquet":
            assert output is not None
            n = _export_parquet(_raw_events(storage, flt), output)
        elif fmt == "csv":
            with _output(output, binary=False) as out:
                n = _export_csv((event_dict(e) for e in iter_all(storage, flt)), out)
        else:
            with _output(output, binary=True) as out:
                n = _export_jsonl((event_dict(e) for e in iter_all(storage, flt)), out)
    if output not in (None, "-"):
        click.echo(f"exported {n} events to {output}", err=True)


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
        size = _size(file)
        bar = click.progressbar(length=size or 0, label="importing", file=sys.stderr, show_eta=True)
        show = sys.stderr.isatty() and size is not None
        if show:
            bar.__enter__()
        try:
            for read, ok, dup, problems in _import_lines(storage, file, found[0].id, fmt, settings):
                stored += ok
                dups += dup
                rejected += len(problems)
                shown.extend(problems[: max(0, 5 - len(shown))])
                if show:
                    bar.update(read)
        finally:
            if show:
                bar.__exit__(None, None, None)
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


@contextmanager
def _started(url: str, option: str) -> Iterator[Storage]:
    try:
        storage = open_storage(url)
        storage.startup()
    except ConfigError as exc:
        fail(f"{option}: {exc}", 2)
    except TidingsError as exc:
        fail(f"{option}: {exc.detail}")
    try:
        yield storage
    finally:
        storage.shutdown()


@click.command("migrate-data")
@click.option("--from", "from_url", required=True, metavar="URL", help="Copy from here.")
@click.option("--to", "to_url", required=True, metavar="URL", help="Into this empty database.")
def migrate_data(from_url: str, to_url: str) -> None:
    """Copy all data between databases (SQLite <-> PostgreSQL), then verify it by row counts
    and rollup totals."""
    with _started(from_url, "--from") as source, _started(to_url, "--to") as target:
        total = sum(row_counts(source.engine).values())
        with (
            click.progressbar(length=total, label="copying", file=sys.stderr)
            if sys.stderr.isatty()
            else _NoBar() as bar
        ):
            try:
                copied = copy_all(source, target, bar.update)
            except TidingsError as exc:
                fail(exc.detail)
        before, after = row_counts(source.engine), row_counts(target.engine)
        sums_before, sums_after = rollup_totals(source.engine), rollup_totals(target.engine)
    if before != after or sums_before != sums_after:
        fail(f"verification failed: source {before} {sums_before}, target {after} {sums_after}")
    click.echo(
        f"copied {copied.get('events', 0)} events and {sum(copied.values())} rows in all; "
        "row counts and rollup totals match"
    )


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


@click.command("prune")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def prune(ctx: click.Context, as_json: bool) -> None:
    """Delete events past their retention now (the server also does this by itself)."""
    settings = settings_from(ctx)
    with opened_storage(settings) as storage:
        deleted = retention.prune(storage, settings.retention_days)
    emit(as_json, {"deleted": deleted}, f"pruned {deleted} events past their retention")


@click.command("seal")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def seal(ctx: click.Context, as_json: bool) -> None:
    """Seal every past day now: store its distinct users, percentiles and sketches, so
    those functions stop scanning raw events (the server also does this by itself)."""
    with opened_storage(settings_from(ctx)) as storage:
        began = time.perf_counter()
        sealed = sealing.seal(storage)
        seconds = round(time.perf_counter() - began, 3)
    emit(
        as_json,
        {"sealed": sealed, "seconds": seconds},
        f"sealed {sealed} stream-days in {seconds:.1f} s",
    )


def _prop(value: str) -> tuple[str, str]:
    key, sep, wanted = value.partition("=")
    if not sep or not key or not wanted:
        fail(f"--prop takes KEY=VALUE, both non-empty; got {value!r}", 2)
    return key, wanted


@click.command("erase")
@click.option("--user-id", help="This user's events (alone: the person, everywhere).")
@click.option("--anonymous-id", help="Every event of this anonymous id (the person).")
@click.option("--source", help="Only this source's events.")
@click.option("--namespace", help="Only this namespace.")
@click.option("--name", "names", multiple=True, help="Only this name (repeatable).")
@click.option("--session-id", help="Only this session's events.")
@click.option("--from", "from_", metavar="TIME", help="Only events at or after TIME.")
@click.option("--to", metavar="TIME", help="Only events before TIME.")
@click.option("--prop", "props", multiple=True, metavar="KEY=VALUE", help="Property match.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def erase(
    ctx: click.Context,
    user_id: str | None,
    anonymous_id: str | None,
    source: str | None,
    namespace: str | None,
    names: tuple[str, ...],
    session_id: str | None,
    from_: str | None,
    to: str | None,
    props: tuple[str, ...],
    as_json: bool,
) -> None:
    """Erase a person's events in every source, or the events matching filters (as
    ``DELETE /api/v1/events``); rollups and sealed days are rebuilt to match."""
    given = {
        "--source": source,
        "--namespace": namespace,
        "--session-id": session_id,
        "--from": from_,
        "--to": to,
    }
    for option, value in [*given.items(), *(("--name", n) for n in names)]:
        # An empty filter would be ignored, and a delete must never widen silently.
        if value is not None and not value.strip():
            fail(f"{option} must not be empty", 2)
    filtered = any(v is not None for v in given.values()) or bool(names) or bool(props)
    if not filtered:
        if not user_id and not anonymous_id:
            fail("--user-id (or --anonymous-id, or a filter) is required", 2)
        with opened_storage(settings_from(ctx)) as storage:
            done = erase_person(storage, user_id or None, anonymous_id or None)
        emit(
            as_json,
            done,
            f"erased {done['deleted']} events and {done['person_records']} person records",
        )
        return
    if anonymous_id:
        fail("--anonymous-id cannot be combined with filters", 2)
    flt = EventFilter(
        source=source,
        namespace=namespace,
        names=names,
        user_id=user_id or None,
        session_id=session_id,
        from_us=_time(from_, "--from"),
        to_us=_time(to, "--to"),
        props=tuple(_prop(p) for p in props),
    )
    with opened_storage(settings_from(ctx)) as storage:
        deleted = storage.delete_events(flt)
    emit(as_json, {"deleted": deleted}, f"erased {deleted} events")
