"""Admin pages for API tokens and OAuth2 clients. Secrets are shown once, in the answer to
the form that created them."""

from __future__ import annotations

import re
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.core import accounts
from tidings.core.auth import SCOPES
from tidings.errors import Invalid
from tidings.http.dashboard.auth import Visitor, check_csrf, read_pairs
from tidings.http.dashboard.edits import ListPage, admin_form, changed, new_name
from tidings.http.dashboard.render import page
from tidings.http.deps import runtime

CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,93}$")


_TOKENS = ListPage(
    "admin_tokens.html",
    lambda rt: {"tokens": accounts.api_tokens(rt.storage), "users": rt.storage.list_users()},
)
tokens = _TOKENS.endpoint("tokens")


@page(admin=True)
async def create_token(request: Request, who: Visitor) -> Response:
    form = await admin_form(request, who)
    username = form.get("username", "")
    label = form.get("label", "").strip() or None
    if label is not None and len(label) > 200:
        raise Invalid.field("label", "must be at most 200 characters")
    storage = runtime(request).storage
    _token_id, secret = await run_in_threadpool(accounts.issue_api_token, storage, username, label)
    created = {"name": f"{username}" + (f" ({label})" if label else ""), "secret": secret}
    return await _TOKENS.answer(request, who, created, 201)


@page(admin=True)
async def revoke_token(request: Request, who: Visitor) -> Response:
    form = await admin_form(request, who)
    try:
        token_id = int(form.get("id", ""))
    except ValueError:
        raise Invalid.field("id", "must be a token id") from None
    revoke = partial(accounts.revoke_api_token, runtime(request).storage, token_id)
    missing = f"token {token_id} does not exist or is already revoked"
    return await changed(request, revoke, missing, "/admin/tokens")


_CLIENTS = ListPage(
    "admin_clients.html", lambda rt: {"clients": accounts.clients(rt.storage), "scopes": SCOPES}
)
clients = _CLIENTS.endpoint("clients")


@page(admin=True)
async def create_client(request: Request, who: Visitor) -> Response:
    pairs = await read_pairs(request)
    form, scopes = dict(pairs), [value for key, value in pairs if key == "scope"]
    check_csrf(form, who)
    rule = "use 1-94 letters, digits, '.', '_' or '-', starting alnum"
    name = new_name(form, "name", CLIENT_NAME, rule)
    if not scopes:
        raise Invalid.field("scope", f"pick at least one of {', '.join(SCOPES)}")
    storage = runtime(request).storage
    client, secret = await run_in_threadpool(accounts.register_client, storage, name, scopes)
    created = {"name": name, "client_id": client.client_id, "secret": secret}
    return await _CLIENTS.answer(request, who, created, 201)


@page(admin=True)
async def delete_client(request: Request, who: Visitor) -> Response:
    form = await admin_form(request, who)
    delete = partial(accounts.delete_client, runtime(request).storage, form.get("name", ""))
    missing = f"client {form.get('name')!r} does not exist"
    return await changed(request, delete, missing, "/admin/clients")
