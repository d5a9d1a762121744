"""Admin pages: sources and their write keys (with retention), users. Secrets are shown once,
in the answer to the form that created them, and never put in a URL."""

from __future__ import annotations

import re
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.core import accounts
from tidings.core.auth import check_role, hash_password
from tidings.errors import Forbidden, Invalid
from tidings.http.dashboard.auth import Visitor
from tidings.http.dashboard.edits import ListPage, admin_form, changed, create_form
from tidings.http.dashboard.render import page
from tidings.http.deps import runtime
from tidings.model.events import SOURCE_NAME

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,149}$")


_SOURCES = ListPage(
    "admin_sources.html",
    lambda rt: {
        "sources": rt.storage.list_sources(),
        "global_retention": rt.settings.retention_days,
    },
)
sources = _SOURCES.endpoint("sources")


def _retention(raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        days = int(raw)
    except ValueError:
        raise Invalid.field(
            "retention_days", f"must be a whole number of days, got {raw!r}"
        ) from None
    if days < 1:
        raise Invalid.field("retention_days", "must be at least 1 (leave empty to keep all)")
    return days


@page(admin=True)
async def create_source(request: Request, who: Visitor) -> Response:
    rule = "use 1-100 letters, digits, '.', '_' or '-', starting alnum"
    form, name = await create_form(request, who, "name", SOURCE_NAME, rule)
    retention = _retention(form.get("retention_days", ""))
    storage = runtime(request).storage
    key = await run_in_threadpool(accounts.create_source, storage, name, retention)
    created = {"name": name, "secret": key}
    return await _SOURCES.answer(request, who, created, 201)


@page(admin=True)
async def revoke_source(request: Request, who: Visitor) -> Response:
    form = await admin_form(request, who)
    delete = partial(runtime(request).storage.delete_source, form.get("name", ""))
    missing = f"source {form.get('name')!r} does not exist"
    return await changed(request, delete, missing, "/admin/sources")


@page(admin=True)
async def set_retention(request: Request, who: Visitor) -> Response:
    form = await admin_form(request, who)
    days = _retention(form.get("retention_days", ""))
    change = partial(accounts.set_retention, runtime(request).storage, form.get("name", ""), days)
    missing = f"source {form.get('name')!r} does not exist"
    return await changed(request, change, missing, "/admin/sources", forget=False)


_USERS = ListPage("admin_users.html", lambda rt: {"users": rt.storage.list_users()})
users = _USERS.endpoint("users")


@page(admin=True)
async def create_user(request: Request, who: Visitor) -> Response:
    rule = "use 1-150 letters, digits or . _ @ + -, starting alnum"
    form, username = await create_form(request, who, "username", USERNAME, rule)
    role = check_role(form.get("role", ""))
    password_hash = hash_password(form.get("password", ""))
    await run_in_threadpool(runtime(request).storage.create_user, username, password_hash, role)
    return await _USERS.answer(request, who, status=201)


@page(admin=True)
async def delete_user(request: Request, who: Visitor) -> Response:
    form = await admin_form(request, who)
    username = form.get("username", "")
    if username == who.username:
        raise Forbidden("You cannot delete your own account; ask another admin.")
    delete = partial(runtime(request).storage.delete_user, username)
    return await changed(request, delete, f"user {username!r} does not exist", "/admin/users")


@page(admin=True)
async def set_password(request: Request, who: Visitor) -> Response:
    form = await admin_form(request, who)
    username = form.get("username", "")
    change = partial(
        runtime(request).storage.set_password, username, hash_password(form.get("password", ""))
    )
    return await changed(request, change, f"user {username!r} does not exist", "/admin/users")
