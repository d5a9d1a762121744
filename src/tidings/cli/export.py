"""``tidings export``: matching events in id order as JSON lines, CSV or Parquet, a chunk at
a time (constant memory)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
import orjson

from tidings.cli.common import fail, opened_storage, settings_from, time_option
from tidings.cli.progress import Advance, progress
from tidings.core.query import event_dict, iter_all
from tidings.core.store import Storage
from tidings.model.records import EventFilter
from tidings.model.wire import EVENT_FIELDS, JSON_FIELDS, TIME_FIELDS

COLUMNS = EVENT_FIELDS
PARQUET_ROWS = 10_000
#: Events between two progress updates (an update per event would cost more than a write).
STEP = 1_000


def _counted(events: Iterator[Any], advance: Advance) -> Iterator[Any]:
    n = 0
    for n, event in enumerate(events, 1):
        yield event
        if n % STEP == 0:
            advance(STEP)
    advance(n % STEP)


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
            orjson.dumps(event[c]).decode() if c in JSON_FIELDS else event[c] for c in COLUMNS
        )
    return n


def _export_parquet(events: Iterator[dict[str, Any]], path: str) -> int:
    try:
        import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ModuleNotFoundError:
        fail("--format parquet needs pyarrow: pip install 'tidings[parquet]'")
    # Times stay microseconds (a timestamp column); JSON fields stay text.
    kinds = {"id": pa.int64(), "value": pa.float64()}
    kinds.update((name, pa.timestamp("us", tz="UTC")) for name in TIME_FIELDS)
    schema = pa.schema([(name, kinds.get(name, pa.string())) for name in EVENT_FIELDS])
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one native event object per line (what the list API returns); csv: a header "
    "line, then one row per event, properties and context as JSON text, times ISO 8601; "
    "parquet: times as UTC timestamp columns (needs pyarrow and --output).",
)
@click.option(
    "--from",
    "from_",
    metavar="TIME",
    help="Only events at or after TIME: ISO 8601 (2024-01-31T12:00:00Z; no offset means UTC) "
    "or Unix epoch seconds, milliseconds or microseconds. [default: the first event]",
)
@click.option("--to", metavar="TIME", help="Only events before TIME. [default: no end]")
@click.option("--source", help="Only this source. [default: every source]")
@click.option("--namespace", help="Only this namespace.")
@click.option("--name", "names", multiple=True, help="Only this name (repeatable).")
@click.option("--user-id", help="Only this user.")
@click.option("--output", "-o", metavar="FILE", help="Write here. [default: stdout]")
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
    """Write matching events in id order, a chunk at a time (constant memory). Every event
    keeps its id, message id, source and receipt time, so `tidings import` reads a JSON
    lines or CSV export back into a fresh installation as it was."""
    flt = EventFilter(
        source=source,
        namespace=namespace,
        names=names,
        user_id=user_id,
        from_us=time_option(from_, "--from"),
        to_us=time_option(to, "--to"),
    )
    if fmt == "parquet" and (output is None or output == "-"):
        fail("--format parquet needs --output FILE (parquet cannot be streamed to stdout)", 2)
    with opened_storage(settings_from(ctx)) as storage:
        total = storage.count_matching(flt)
        with progress(total, "exporting", "events") as advance:
            if fmt == "parquet":
                assert output is not None
                n = _export_parquet(_counted(_raw_events(storage, flt), advance), output)
            elif fmt == "csv":
                with _output(output, binary=False) as out:
                    rows = (event_dict(e) for e in iter_all(storage, flt))
                    n = _export_csv(_counted(rows, advance), out)
            else:
                with _output(output, binary=True) as out:
                    rows = (event_dict(e) for e in iter_all(storage, flt))
                    n = _export_jsonl(_counted(rows, advance), out)
    if output not in (None, "-"):
        click.echo(f"exported {n} events to {output}", err=True)
