"""``tidings user create|list|delete|set-password``."""

from __future__ import annotations

import click

from tidings.cli.common import emit, fail, opened_storage, settings_from
from tidings.cli.family import delete_command, list_command, record_rows
from tidings.core.auth import ROLES, check_role, hash_password


def _password(given: str | None) -> str:
    if given is not None:
        return given
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@click.group()
def user() -> None:
    """Manage dashboard and API users."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--password", help="Prompted for when omitted (avoid it in shell history).")
@click.option(
    "--json", "as_json", is_flag=True, help='Print one JSON object: {"username", "role"}.'
)
@click.pass_context
def create(
    ctx: click.Context, username: str, role: str, password: str | None, as_json: bool
) -> None:
    """Create a user with a role (viewer reads, admin also manages)."""
    if not 1 <= len(username) <= 150:
        fail("username: must be 1-150 characters", 2)
    check_role(role)
    with opened_storage(settings_from(ctx)) as storage:
        storage.create_user(username, hash_password(_password(password)), role)
    emit(as_json, {"username": username, "role": role}, f"created {role} {username!r}")


list_ = list_command(
    user,
    "List users and their roles.",
    record_rows(lambda storage: storage.list_users(), "username", "role"),
)
delete = delete_command(
    user, "user", "Delete a user.", lambda storage, name: storage.delete_user(name), "username"
)


@user.command("set-password")
@click.argument("username")
@click.option("--password", help="Prompted for when omitted.")
@click.pass_context
def set_password(ctx: click.Context, username: str, password: str | None) -> None:
    """Change a user's password."""
    with opened_storage(settings_from(ctx)) as storage:
        if storage.get_user(username) is None:
            fail(f"user {username!r} does not exist")
        storage.set_password(username, hash_password(_password(password)))
    click.echo(f"changed the password of {username!r}")
