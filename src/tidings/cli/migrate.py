"""``tidings migrate-data``: copy everything between databases (SQLite <-> PostgreSQL), ids
and all, then verify the copy by row counts and rollup totals."""

from __future__ import annotations

import click

from tidings.cli.common import fail, storage_at
from tidings.cli.progress import progress
from tidings.core import transfer
from tidings.errors import TidingsError


@click.command("migrate-data")
@click.option(
    "--from",
    "from_url",
    required=True,
    metavar="URL",
    help="Copy from here: sqlite:///PATH or postgresql://USER@HOST/DB.",
)
@click.option(
    "--to",
    "to_url",
    required=True,
    metavar="URL",
    help="Into this empty database (a SQLite file is created).",
)
def migrate_data(from_url: str, to_url: str) -> None:
    """Copy all data between databases (SQLite <-> PostgreSQL), then verify it by row counts
    and rollup totals."""
    with (
        storage_at(from_url, "--from") as source,
        storage_at(to_url, "--to", create=True) as target,
    ):
        with progress(transfer.total_rows(source), "copying") as advance:
            try:
                copied = transfer.copy_all(source, target, advance)
            except TidingsError as exc:
                fail(exc.detail)
        before, after = transfer.tally(source), transfer.tally(target)
    if before != after:
        fail(
            f"verification failed: source {before.rows} {before.rollups}, "
            f"target {after.rows} {after.rollups}"
        )
    click.echo(
        f"copied {copied.get('events', 0)} events and {sum(copied.values())} rows in all; "
        "row counts and rollup totals match"
    )
