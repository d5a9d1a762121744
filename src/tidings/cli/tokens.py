"""``tidings token create|list|revoke``: long-lived API tokens for users (Bearer)."""

from __future__ import annotations

import click

from tidings.cli.common import changed, emit, listed, opened_storage, settings_from
from tidings.core import accounts
from tidings.model.timeparse import to_iso


@click.group()
def token() -> None:
    """Manage API tokens (they act as their user, with the user's role)."""


@token.command("create")
@click.option("--user", "username", required=True, help="The user the token acts as.")
@click.option("--label", help="A note saying what the token is for.")
@click.option(
    "--json", "as_json", is_flag=True, help='Print one JSON object: {"token", "id", "user"}.'
)
@click.pass_context
def create(ctx: click.Context, username: str, label: str | None, as_json: bool) -> None:
    """Create a token and print it (shown only this once)."""
    with opened_storage(settings_from(ctx)) as storage:
        token_id, secret = accounts.issue_api_token(storage, username, label)
    emit(
        as_json,
        {"token": secret, "id": token_id, "user": username},
        f"created token {token_id} for user {username!r}\ntoken (shown once): {secret}",
    )


@token.command("list")
@click.option("--user", "username", help="Only this user's tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of objects.")
@click.pass_context
def list_(ctx: click.Context, username: str | None, as_json: bool) -> None:
    """List live tokens (never the secrets)."""
    listed(
        ctx,
        as_json,
        lambda storage: [
            {
                "id": t.id,
                "user": t.username,
                "role": t.role,
                "label": t.label or "",
                "created_at": to_iso(t.created_at),
            }
            for t in accounts.api_tokens(storage, username)
        ],
    )


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token by id; servers stop accepting it within seconds (their cache TTL)."""
    changed(
        ctx,
        lambda storage: accounts.revoke_api_token(storage, token_id),
        f"token {token_id} does not exist or is already revoked",
        f"revoked token {token_id}",
    )
