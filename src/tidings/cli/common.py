"""What every command shares: global options, settings loading, storage, times, progress and
one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from tidings import __version__
from tidings.config import Settings, load
from tidings.core.store import Storage, open_started
from tidings.errors import ConfigError, TidingsError
from tidings.model.timeparse import TimestampError, parse_timestamp


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line on stderr and exit; bad config exits 2 like a usage error."""
    click.echo(f"tidings: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tidings")
@click.option("--config", "config_file", metavar="FILE", help="TOML settings file.")
@click.option("--data-dir", metavar="DIR", help="Directory for the SQLite database and keys.")
@click.option("--database-url", metavar="URL", help="sqlite:///... or postgresql://...")
@click.pass_context
def main(
    ctx: click.Context, config_file: str | None, data_dir: str | None, database_url: str | None
) -> None:
    """Tidings: self-hosted event tracking and analytics."""
    ctx.obj = {"config_file": config_file, "data_dir": data_dir, "database_url": database_url}


def settings_from(ctx: click.Context, **flags: Any) -> Settings:
    """Settings from this command's flags over the group's, the environment and the file."""
    root = ctx.find_root().obj or {}
    cli = {"data_dir": root.get("data_dir"), "database_url": root.get("database_url"), **flags}
    try:
        return load(cli, config_file=root.get("config_file"))
    except ConfigError as exc:
        fail(str(exc), 2)


def _started(url: str, option: str | None) -> Storage:
    # Errors name the option the URL came from, when it came from one.
    prefix = f"{option}: " if option else ""
    try:
        return open_started(url)
    except ConfigError as exc:
        fail(f"{prefix}{exc}", 2)
    except TidingsError as exc:
        fail(f"{prefix}{exc.detail}")


@contextmanager
def opened_storage(settings: Settings) -> Iterator[Storage]:
    """Storage migrated to head; domain errors become one line and exit status 1."""
    storage = _started(settings.resolved_database_url, None)
    # Imports de-duplicate against the same window as the server.
    storage.dedup_window_days = settings.dedup_window_days
    try:
        yield storage
    except TidingsError as exc:
        fail(exc.detail)
    finally:
        storage.shutdown()


@contextmanager
def storage_at(url: str, option: str) -> Iterator[Storage]:
    """Storage at ``url`` (given with ``option``) migrated to head, shut down afterwards."""
    storage = _started(url, option)
    try:
        yield storage
    finally:
        storage.shutdown()


def time_option(value: str | None, option: str) -> int | None:
    """A ``--from``/``--to`` time as UTC microseconds; a bad one is a usage error."""
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except TimestampError as exc:
        fail(f"{option}: {exc}", 2)


@contextmanager
def progress(length: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr, when it is a terminal and the work's length is known."""
    if length is None or not sys.stderr.isatty():
        yield lambda done: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_eta=True) as bar:
        yield bar.update


Rows = Callable[[Storage], list[dict[str, Any]]]


def listed(ctx: click.Context, as_json: bool, rows: Rows) -> None:
    """Print what ``rows`` reads: a table for people, or one JSON array."""
    with opened_storage(settings_from(ctx)) as storage:
        found = rows(storage)
    table(found, as_json)


def changed(ctx: click.Context, change: Callable[[Storage], bool], missing: str, done: str) -> None:
    """Make a change and say ``done``; when there was nothing to change, fail with ``missing``."""
    with opened_storage(settings_from(ctx)) as storage:
        if not change(storage):
            fail(missing)
    click.echo(done)


def emit(as_json: bool, obj: dict[str, Any], text: str) -> None:
    """One JSON object for scripts, or a human sentence."""
    click.echo(json.dumps(obj) if as_json else text)


def table(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("(none)")
        return
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    click.echo("  ".join(k.ljust(widths[k]) for k in keys).rstrip())
    for row in rows:
        click.echo("  ".join(str(row[k]).ljust(widths[k]) for k in keys).rstrip())
