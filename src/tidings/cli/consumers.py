"""``tidings consumer create|list|delete``: Microticks consumers, whose key starts sessions."""

from __future__ import annotations

import click

from tidings.cli.common import emit, fail, opened_storage, settings_from, table
from tidings.compat.microticks import sessions as microticks
from tidings.model.events import SOURCE_NAME
from tidings.model.timeparse import to_iso


@click.group()
def consumer() -> None:
    """Manage Microticks consumers (each is also the source of its events)."""


@consumer.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def create(ctx: click.Context, name: str, as_json: bool) -> None:
    """Create a consumer and print its key (shown only this once)."""
    # The consumer's events carry a source of the same name, so the same rules apply.
    if not SOURCE_NAME.match(name):
        fail("name: use 1-100 letters, digits, '.', '_' or '-', starting alnum", 2)
    with opened_storage(settings_from(ctx)) as storage:
        created, key = microticks.create_consumer(storage, name)
    emit(
        as_json,
        {"name": name, "key": key, "id": created.id},
        f'Created new consumer "{name}"\nConsumer key (shown once): {key}',
    )


@consumer.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List active consumers; ``id`` is the ``consumer_id`` of their sessions."""
    with opened_storage(settings_from(ctx)) as storage:
        rows = [
            {"id": c.id, "name": c.name, "created_at": to_iso(c.created_at)}
            for c in microticks.list_consumers(storage)
        ]
    table(rows, as_json)


@consumer.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Deactivate a consumer: its key then gets "Consumer is not active."; events stay."""
    with opened_storage(settings_from(ctx)) as storage:
        if not microticks.delete_consumer(storage, name):
            fail(f"consumer {name!r} does not exist")
    click.echo(f"deleted consumer {name!r}")
