"""``tidings backup FILE`` and ``tidings restore FILE``: a consistent snapshot of everything
while the server runs, and putting it back into an empty installation."""

from __future__ import annotations

from pathlib import Path

import click

from tidings.cli.common import fail, opened_storage, settings_from, storage_at
from tidings.cli.progress import progress
from tidings.core import transfer
from tidings.errors import TidingsError


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, file: Path) -> None:
    """Write a consistent snapshot of the whole installation to FILE (a new file), while the
    server keeps running.

    FILE is one SQLite database holding every table: events (ids, sources, receipt times),
    rollups, sealed days, users, key and token hashes and the compat records. A SQLite
    installation is copied with SQLite's online backup API, a PostgreSQL one in one
    REPEATABLE READ transaction. The data directory's secret_key file (which signs dashboard
    sessions) is not in it: copy it along to keep people logged in across a restore."""
    with opened_storage(settings_from(ctx)) as storage:
        rows = None if storage.engine.dialect.name == "sqlite" else transfer.total_rows(storage)
        with progress(rows, "backing up") as advance:
            try:
                transfer.backup(storage, file, advance)
            except OSError as exc:
                fail(f"FILE: {exc}")
    click.echo(f"backed up to {file} ({file.stat().st_size:,} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def restore(ctx: click.Context, file: Path) -> None:
    """Restore a backup FILE into an empty installation (a new data dir, or an empty
    PostgreSQL database given with --database-url), ids and all; then verify the copy by
    row counts and rollup totals."""
    settings = settings_from(ctx)
    try:
        with transfer.opened_backup(file) as source:
            with storage_at(settings.resolved_database_url, "--database-url", create=True) as to:
                with progress(transfer.total_rows(source), "restoring") as advance:
                    copied = transfer.copy_all(source, to, advance)
                before, after = transfer.tally(source), transfer.tally(to)
    except TidingsError as exc:
        fail(exc.detail)
    if before != after:
        fail(f"verification failed: backup {before.rows} {before.rollups}, restored {after.rows}")
    click.echo(
        f"restored {copied.get('events', 0)} events and {sum(copied.values())} rows in all; "
        "row counts and rollup totals match"
    )
