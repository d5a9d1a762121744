"""``tidings source create|list|delete``: named senders of events, each with a write key."""

from __future__ import annotations

import click

from tidings.cli.common import changed, emit, fail, opened_storage, settings_from
from tidings.cli.family import delete_command, list_command, record_rows
from tidings.core import accounts
from tidings.model.events import SOURCE_NAME


@click.group()
def source() -> None:
    """Manage sources and their write keys."""


@source.command("create")
@click.argument("name")
@click.option(
    "--retention-days",
    type=click.IntRange(min=1),
    help="Keep events this long. [default: the retention_days setting; 0 there keeps all]",
)
@click.option(
    "--json", "as_json", is_flag=True, help='Print one JSON object: {"name", "write_key"}.'
)
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


list_ = list_command(
    source,
    "List live sources.",
    record_rows(lambda storage: storage.list_sources(), "name", "retention_days"),
)
delete = delete_command(
    source,
    "source",
    "Revoke a source's key; its stored events stay.",
    lambda storage, name: storage.delete_source(name),
)


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
    keeps = f"{retention_days} days" if retention_days else "as the global setting says"
    changed(
        ctx,
        lambda storage: accounts.set_retention(storage, name, retention_days or None),
        f"source {name!r} does not exist",
        f"source {name!r} keeps events {keeps}",
    )
