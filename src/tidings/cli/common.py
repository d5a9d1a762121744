"""What every command shares: global options, settings loading, storage, times, progress and
one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy.engine import make_url

from tidings import __version__
from tidings.config import Settings, load, redact_url
from tidings.core.store import Storage, open_started
from tidings.errors import ConfigError, TidingsError
from tidings.model.timeparse import TimestampError, parse_timestamp


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line on stderr and exit; bad config exits 2 like a usage error."""
    click.echo(f"tidings: error: {message}", err=True)
    sys.exit(code)


#: The options every command takes, before or after its name: (name, metavar, help).
GLOBAL_OPTIONS = (
    ("config_file", "--config", "FILE", "TOML settings file. [env TIDINGS_CONFIG]"),
    (
        "data_dir",
        "--data-dir",
        "DIR",
        "Directory for the SQLite database and the secret key. [default: ./tidings-data; env "
        "TIDINGS_DATA_DIR]",
    ),
    (
        "database_url",
        "--database-url",
        "URL",
        "sqlite:///PATH or postgresql://USER@HOST/DB. [default: sqlite:///DATA_DIR/tidings.db; env "
        "TIDINGS_DATABASE_URL]",
    ),
)


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # Given after the subcommand: it wins over the same option given before it.
    if value is not None and param.name is not None:
        root = ctx.find_root()
        root.obj = {**(root.obj or {}), param.name: value}


def global_options(command: click.Command) -> None:
    """Let ``command`` (and, for a group, every command in it) take the global options after
    its name too: ``tidings serve --data-dir X`` as well as ``tidings --data-dir X serve``."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            global_options(sub)
        return
    known = {p.name for p in command.params}
    for name, flag, metavar, help_ in GLOBAL_OPTIONS:
        if name not in known:
            command.params.append(
                click.Option(
                    [flag, name],
                    metavar=metavar,
                    help=help_,
                    expose_value=False,
                    callback=_remember,
                )
            )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tidings")
@click.option("--config", "config_file", metavar="FILE", help=GLOBAL_OPTIONS[0][3])
@click.option("--data-dir", metavar="DIR", help=GLOBAL_OPTIONS[1][3])
@click.option("--database-url", metavar="URL", help=GLOBAL_OPTIONS[2][3])
@click.pass_context
def main(
    ctx: click.Context, config_file: str | None, data_dir: str | None, database_url: str | None
) -> None:
    """Tidings: self-hosted event tracking and analytics.

    Settings come from flags, then TIDINGS_* environment variables, then the --config file,
    then defaults. The global options work before or after the command's name. TIME values
    are ISO 8601 (2024-01-31T12:00:00Z; no offset means UTC) or Unix epoch seconds,
    milliseconds or microseconds. Every command names the database it opened on stderr.
    """
    ctx.obj = {"config_file": config_file, "data_dir": data_dir, "database_url": database_url}


def settings_from(ctx: click.Context, **flags: Any) -> Settings:
    """Settings from this command's flags over the group's, the environment and the file."""
    root = ctx.find_root().obj or {}
    cli = {"data_dir": root.get("data_dir"), "database_url": root.get("database_url"), **flags}
    try:
        return load(cli, config_file=root.get("config_file"))
    except ConfigError as exc:
        fail(str(exc), 2)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another engine or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def _started(url: str, option: str | None, create: bool = False) -> Storage:
    # Errors name the option the URL came from, when it came from one.
    prefix = f"{option}: " if option else ""
    path = sqlite_path(url)
    if path is not None and not create and not path.exists():
        # A typo'd or forgotten --data-dir must not silently start an empty installation.
        fail(
            f"{prefix}no Tidings database at {path}; give --data-dir/--database-url of an "
            "existing installation, or create one with `tidings init`"
        )
    click.echo(f"tidings: database {redact_url(url)}", err=True)
    try:
        return open_started(url)
    except ConfigError as exc:
        fail(f"{prefix}{exc}", 2)
    except TidingsError as exc:
        fail(f"{prefix}{exc.detail}")


@contextmanager
def opened_storage(settings: Settings, create: bool = False) -> Iterator[Storage]:
    """Storage migrated to head; domain errors become one line and exit status 1. A SQLite
    database that does not exist yet is an error unless ``create`` (``serve``, ``init``)."""
    storage = _started(settings.resolved_database_url, None, create)
    # Imports de-duplicate against the same window as the server.
    storage.dedup_window_days = settings.dedup_window_days
    try:
        yield storage
    except TidingsError as exc:
        fail(exc.detail)
    finally:
        storage.shutdown()


@contextmanager
def storage_at(url: str, option: str, create: bool = False) -> Iterator[Storage]:
    """Storage at ``url`` (given with ``option``) migrated to head, shut down afterwards."""
    storage = _started(url, option, create)
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
