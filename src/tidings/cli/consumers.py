"""``tidings consumer create|list|delete``: Microticks consumers, whose key starts sessions."""

from __future__ import annotations

import click

from tidings.cli.common import emit, fail, opened_storage, settings_from
from tidings.cli.family import delete_command, list_command, record_rows
from tidings.compat.microticks import sessions as microticks
from tidings.model.events import SOURCE_NAME


@click.group()
def consumer() -> None:
    """Manage Microticks consumers (each is also the source of its events)."""


@consumer.command("create")
@click.argument("name")
@click.option(
    "--json", "as_json", is_flag=True, help='Print one JSON object: {"name", "key", "id"}.'
)
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


list_ = list_command(
    consumer,
    "List active consumers; ``id`` is the ``consumer_id`` of their sessions.",
    record_rows(microticks.list_consumers, "id", "name"),
)
delete = delete_command(
    consumer,
    "consumer",
    'Deactivate a consumer: its key then gets "Consumer is not active."; events stay.',
    microticks.delete_consumer,
)
