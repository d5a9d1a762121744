"""``tidings client create|list|delete``: OAuth2 clients (client-credentials grant)."""

from __future__ import annotations

import re
from typing import Any

import click

from tidings.cli.common import emit, fail, opened_storage, settings_from
from tidings.cli.family import delete_command, list_command
from tidings.core import accounts
from tidings.core.auth import SCOPES
from tidings.core.store import Storage
from tidings.errors import Invalid
from tidings.model.timeparse import to_iso

CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,93}$")


@click.group()
def client() -> None:
    """Manage OAuth2 clients; each gets tokens at POST /o/token/."""


@client.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    required=True,
    help="A scope the client may ask for; repeat for several.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print one JSON object: {"name", "client_id", "client_secret", "scopes", "source"}.',
)
@click.pass_context
def create(ctx: click.Context, name: str, scopes: tuple[str, ...], as_json: bool) -> None:
    """Create a client and print its id and secret (the secret is shown only once).

    Events sent with its ``write`` tokens are stored under the source ``oauth.NAME``.
    """
    if not CLIENT_NAME.match(name):
        fail("name: use 1-94 letters, digits, '.', '_' or '-', starting alnum", 2)
    with opened_storage(settings_from(ctx)) as storage:
        try:
            made, secret = accounts.register_client(storage, name, list(scopes))
        except Invalid as exc:
            fail(exc.detail, 2)
    granted = made.scopes
    client_id = made.client_id
    source = accounts.CLIENT_SOURCE_PREFIX + name
    emit(
        as_json,
        {
            "name": name,
            "client_id": client_id,
            "client_secret": secret,
            "scopes": list(granted),
            "source": source,
        },
        f"created client {name!r} (scopes: {' '.join(granted)}; events go to source {source!r})"
        f"\nclient id: {client_id}\nclient secret (shown once): {secret}",
    )


def _rows(storage: Storage) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "client_id": c.client_id,
            "scopes": " ".join(c.scopes),
            "created_at": to_iso(c.created_at),
        }
        for c in accounts.clients(storage)
    ]


list_ = list_command(client, "List clients (never their secrets).", _rows)
delete = delete_command(
    client,
    "client",
    "Delete a client and revoke its tokens; the events it sent stay.",
    accounts.delete_client,
)
