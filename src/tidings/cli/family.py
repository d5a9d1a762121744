"""The commands every family of records has (sources, users, clients, consumers): ``list``
and ``delete``, written once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

from tidings.cli.common import Rows, changed, listed
from tidings.core.store import Storage
from tidings.model.timeparse import to_iso


def record_rows(read: Callable[[Storage], Iterable[Any]], *fields: str) -> Rows:
    """The rows of the records ``read`` returns: ``fields`` in order, then ``created_at``
    (every family's records have one) as ISO time."""

    def rows(storage: Storage) -> list[dict[str, Any]]:
        return [
            {**{f: getattr(r, f) for f in fields}, "created_at": to_iso(r.created_at)}
            for r in read(storage)
        ]

    return rows


def list_command(group: click.Group, help: str, rows: Rows) -> click.Command:
    """``GROUP list [--json]``: the rows ``rows`` reads."""

    @group.command("list", help=help)
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON array of objects.")
    @click.pass_context
    def list_(ctx: click.Context, as_json: bool) -> None:
        listed(ctx, as_json, rows)

    return list_


def delete_command(
    group: click.Group,
    noun: str,
    help: str,
    remove: Callable[[Storage, str], bool],
    argument: str = "name",
) -> click.Command:
    """``GROUP delete NAME``: ``remove`` it, or fail when there is no such ``noun``."""

    @group.command("delete", help=help)
    @click.argument(argument)
    @click.pass_context
    def delete(ctx: click.Context, /, **given: str) -> None:
        name = given[argument]
        changed(
            ctx,
            lambda storage: remove(storage, name),
            f"{noun} {name!r} does not exist",
            f"deleted {noun} {name!r}",
        )

    return delete
