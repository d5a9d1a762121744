"""Admin pages: sources and their write keys (with retention), users. Secrets are shown once,
in the answer to the form that created them, and never put in a URL."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tidings.core.auth import check_role, hash_password, new_secret, secret_hash
from tidings.errors import Forbidden, Invalid, NotFound
from tidings.http.dashboard.auth import Visitor, check_csrf, read_form
from tidings.http.dashboard.render import page, render
from tidings.http.deps import runtime
from tidings.model.events import SOURCE_NAME
from tidings.model.timeparse import to_iso
from tidings.storage.activity import set_source_retention

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,149}$")


def _sources_page(
    request: Request, who: Visitor, created: dict[str, str] | None = None, status: int = 200
) -> Response:
    rt = runtime(request)
    return render(
        request,
        "admin_sources.html",
        who,
        status=status,
        sources=rt.storage.list_sources(),
        created=created,
        global_retention=rt.settings.retention_days,
        iso=to_iso,
    )


@page(admin=True)
async def sources(request: Request, who: Visitor) -> Response:
    return await run_in_threadpool(_sources_page, request, who)


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
    form = await read_form(request)
    check_csrf(form, who)
    name = form.get("name", "").strip()
    if not SOURCE_NAME.match(name):
        raise Invalid.field("name", "use 1-100 letters, digits, '.', '_' or '-', starting alnum")
    retention = _retention(form.get("retention_days", ""))
    key = new_secret("wk_")
    rt = runtime(request)
    await run_in_threadpool(rt.storage.create_source, name, secret_hash(key), retention)
    created = {"name": name, "secret": key}
    return await run_in_threadpool(_sources_page, request, who, created, 201)


@page(admin=True)
async def revoke_source(request: Request, who: Visitor) -> Response:
    form = await read_form(request)
    check_csrf(form, who)
    rt = runtime(request)
    if not await run_in_threadpool(rt.storage.delete_source, form.get("name", "")):
        raise NotFound(f"source {form.get('name')!r} does not exist")
    # Drop cached keys so the revoked key stops working in this process right away.
    rt.auth.forget()
    return RedirectResponse("/admin/sources", status_code=303)


@page(admin=True)
async def set_retention(request: Request, who: Visitor) -> Response:
    form = await read_form(request)
    check_csrf(form, who)
    days = _retention(form.get("retention_days", ""))
    engine = runtime(request).storage.engine
    if not await run_in_threadpool(set_source_retention, engine, form.get("name", ""), days):
        raise NotFound(f"source {form.get('name')!r} does not exist")
    return RedirectResponse("/admin/sources", status_code=303)


def _users_page(request: Request, who: Visitor, status: int = 200) -> Response:
    return render(
        request,
        "admin_users.html",
        who,
        status=status,
        users=runtime(request).storage.list_users(),
        iso=to_iso,
    )


@page(admin=True)
async def users(request: Request, who: Visitor) -> Response:
    return await run_in_threadpool(_users_page, request, who)


@page(admin=True)
async def create_user(request: Request, who: Visitor) -> Response:
    form = await read_form(request)
    check_csrf(form, who)
    username = form.get("username", "").strip()
    if not USERNAME.match(username):
        raise Invalid.field("username", "use 1-150 letters, digits or . _ @ + -, starting alnum")
    role = check_role(form.get("role", ""))
    password_hash = hash_password(form.get("password", ""))
    await run_in_threadpool(runtime(request).storage.create_user, username, password_hash, role)
    return await run_in_threadpool(_users_page, request, who, 201)


@page(admin=True)
async def delete_user(request: Request, who: Visitor) -> Response:
    form = await read_form(request)
    check_csrf(form, who)
    username = form.get("username", "")
    if username == who.username:
        raise Forbidden("You cannot delete your own account; ask another admin.")
    rt = runtime(request)
    if not await run_in_threadpool(rt.storage.delete_user, username):
        raise NotFound(f"user {username!r} does not exist")
    rt.auth.forget()
    return RedirectResponse("/admin/users", status_code=303)


@page(admin=True)
async def set_password(request: Request, who: Visitor) -> Response:
    form = await read_form(request)
    check_csrf(form, who)
    username = form.get("username", "")
    password_hash = hash_password(form.get("password", ""))
    rt = runtime(request)
    if not await run_in_threadpool(rt.storage.set_password, username, password_hash):
        raise NotFound(f"user {username!r} does not exist")
    rt.auth.forget()
    return RedirectResponse("/admin/users", status_code=303)
