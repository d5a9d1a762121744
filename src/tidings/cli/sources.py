"""``tidings source create|list|delete``: named senders of events, each with a write key."""

from __future__ import annotations

import click

from tidings.cli.common import emit, fail, opened_storage, settings_from, table
from tidings.core import accounts
from tidings.model.events import SOURCE_NAME
from tidings.model.timeparse import to_iso


@click.group()
def source() -> None:
    """Manage sources and their write keys."""


@source.command("create")
@click.argument("name")
@click.option("--retention-days", type=click.IntRange(min=1), help="Keep events this long.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def create(ctx: click.Context, name: str, retention_days: int | None, as_json: bool) -> None:
    """Create a source and print its write key (shown only this once)."""
    if not SOURCE_NAME.match(name):
        fail("name: use 1-100 letters, digits, '.', '_' or '-', starting alnum", 2)
    with opened_storage(settings_from(ctx)) as storage:
        key = accounts.create_source(storage, name, retention_days)
    emit(
        as_json,
        {"name": name, "write_key": key},
        f"created source {name!r}\nwrite key (shown once): {key}",
    )


@source.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List live sources."""
    with opened_storage(settings_from(ctx)) as storage:
        rows = [
            {
                "name": s.name,
                "retention_days": s.retention_days,
                "created_at": to_iso(s.created_at),
            }
            for s in storage.list_sources()
        ]
    table(rows, as_json)


@source.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Revoke a source's key; its stored events stay."""
    with opened_storage(settings_from(ctx)) as storage:
        if not storage.delete_source(name):
            fail(f"source {name!r} does not exist")
    click.echo(f"deleted source {name!r}")


@source.command("update")
@click.argument("name")
@click.option(
    "--retention-days",
    type=click.IntRange(min=0),
    required=True,
    help="Keep events this long; 0 falls back to the global TIDINGS_RETENTION_DAYS.",
)
@click.pass_context
def update(ctx: click.Context, name: str, retention_days: int) -> None:
    """Change a source's retention; the server prunes to it on its next pass."""
    with opened_storage(settings_from(ctx)) as storage:
        if not accounts.set_retention(storage, name, retention_days or None):
            fail(f"source {name!r} does not exist")
    keeps = f"{retention_days} days" if retention_days else "as the global setting says"
    click.echo(f"source {name!r} keeps events {keeps}")
