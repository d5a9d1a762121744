"""Typed access to the running app's resources and to the caller's identity."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tidings.config import Settings
from tidings.core.auth import Authenticator, Principal, secret_hash
from tidings.core.event_sql import EventSQL
from tidings.core.ratelimit import RateLimiter
from tidings.core.store import Storage
from tidings.core.visitors import VisitorHasher
from tidings.core.writer import Writer
from tidings.errors import Forbidden, Invalid, RateLimited, Unauthenticated
from tidings.http.headers import header
from tidings.http.metrics import Metrics
from tidings.model.records import Source, User


@dataclass
class Runtime:
    """Everything the lifespan opened; handlers reach it only through :func:`runtime`."""

    settings: Settings
    storage: Storage
    writer: Writer
    auth: Authenticator
    metrics: Metrics
    #: Daily-salted anonymous ids for browser events (api.md section 8, "Web").
    visitors: VisitorHasher | None = None
    limiter: RateLimiter | None = None
    #: Where the analytics questions (breakdowns, funnels, retention, web, people) run their SQL.
    event_sql: EventSQL | None = None


_RUNTIME = "tidings.runtime"


def runtime(request: Request) -> Runtime:
    # Kept in the request scope after the first call: an ingest request asks three or four
    # times, and each app.state attribute goes through a Python-level __getattr__.
    scope = request.scope
    rt: Runtime | None = scope.get(_RUNTIME)
    if rt is None:
        rt = scope[_RUNTIME] = request.app.state.runtime
    return rt


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, _, password = decoded.partition(":")
    return username, password


def basic_auth(request: Request) -> tuple[str, str] | None:
    """``(username, password)`` from ``Authorization: Basic``, if that is the scheme used."""
    value = header(request, b"authorization")
    return _basic(value) if value else None


def write_key(request: Request, body: Any = None) -> str | None:
    """The source write key: ``X-Write-Key``, Bearer, Basic username, or ``writeKey`` in body.

    A body ``writeKey`` must be a non-empty string even when a header carries the key, as the
    OpenAPI document says: a client sending a broken one should hear so, not be let through.
    """
    if isinstance(body, dict) and "writeKey" in body:
        given = body["writeKey"]
        if not isinstance(given, str) or not given:
            raise Invalid.field("writeKey", "must be a non-empty string")
    key = header(request, b"x-write-key")
    if key:
        return key
    authorization = header(request, b"authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        basic = _basic(authorization)
        if basic is not None and basic[0]:
            return basic[0]
    if isinstance(body, dict):
        candidate = body.get("writeKey")
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, if that is the scheme used."""
    authorization = header(request, b"authorization")
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def client_ip(request: Request) -> str:
    # The peer address; behind a proxy, uvicorn's --proxy-headers sets it from the
    # trusted X-Forwarded-For, so this never trusts a client-chosen header itself.
    return request.client.host if request.client else "unknown"


async def limit_credential(request: Request, credential: str) -> None:
    """Raise RateLimited when ``credential`` is over its rate limit."""
    limiter = runtime(request).limiter
    if limiter is None:
        return
    wait = limiter.credential_now(credential)
    if wait is None:
        wait = await limiter.credential(credential)
    if wait:
        raise RateLimited(wait)


async def limit_anonymous(request: Request) -> None:
    """Raise RateLimited when the client IP is over the limit for unauthenticated requests.

    Open routes call this; failed authentication also counts, which slows guessing.
    """
    limiter = runtime(request).limiter
    if limiter is None:
        return
    wait = await limiter.anonymous(client_ip(request))
    if wait:
        raise RateLimited(wait)


async def _unauthenticated(request: Request, exc: Unauthenticated) -> Unauthenticated:
    await limit_anonymous(request)
    return exc


async def token_principal(request: Request, token: str) -> Principal | None:
    """The user (API token) or OAuth2 client (access token) behind a Bearer token."""
    auth = runtime(request).auth
    who = auth.cached_token(token)
    if who is None:
        who = await run_in_threadpool(auth.principal_for_token, token)
    return who


async def source_for(request: Request, key: str | None) -> Source:
    """The source to store events under: the one owning write key ``key``, or the source of
    the OAuth2 client whose Bearer token (with scope ``write``) is ``key``.

    Raises:
        Unauthenticated: a missing or unknown key.
        Forbidden: an OAuth2 token or API token that may not write.
        RateLimited: the credential is over its rate limit.
    """
    if not key:
        raise await _unauthenticated(
            request,
            Unauthenticated("A source write key is required (X-Write-Key, Bearer or Basic)."),
        )
    auth = runtime(request).auth
    cached = auth.cached_source(key)
    # A cached OAuth2 token skips the write-key lookup that would miss anyway.
    who = auth.cached_token(key) if not cached else None
    if cached is None and who is None:
        cached = await run_in_threadpool(auth.source_for_key, key)
    if not cached:
        who = who or await token_principal(request, key)
        if who is None:
            raise await _unauthenticated(request, Unauthenticated("Unknown or revoked write key."))
        if who.kind != "client" or who.source_id is None or not who.has_scope("write"):
            raise Forbidden("This token may not write events; it needs the 'write' scope.")
        await limit_credential(request, who.credential)
        return Source(who.source_id, who.name, None, 0)
    assert isinstance(cached, Source)
    source = cached
    # Keyed by the key's hash, not the source id: ids repeat across databases sharing a Redis.
    await limit_credential(request, "key:" + (source.key_hash or secret_hash(key))[:32])
    return source


async def check_password(request: Request, username: str, password: str) -> User | None:
    """The user, if ``password`` is theirs; None if not (or no such user).

    Raises RateLimited, before any check, while this username has failed too often from this
    address (or from everywhere): the same for users that exist and those that do not.
    """
    rt = runtime(request)
    limiter = rt.limiter
    ip = client_ip(request)
    # The throttle comes before the verified-credential cache: a guesser whose failures are
    # used up must get 429 even for the right password the real user keeps in the cache.
    if limiter is not None:
        wait = await limiter.login_blocked(username, ip)
        if wait:
            raise RateLimited(wait, "Too many failed logins.")
    user = rt.auth.cached_user(username, password)
    if user is not None:
        return user
    user = await run_in_threadpool(rt.auth.user_for_password, username, password)
    if user is None and limiter is not None:
        await limiter.login_failed(username, ip)
    return user


async def principal(request: Request) -> Principal:
    """The caller behind HTTP Basic (a user) or a Bearer token (API token: a user; OAuth2
    access token: a client with scopes). Raises Unauthenticated when there is none."""
    authorization = header(request, b"authorization")
    token = bearer(request)
    if token is not None:
        who = await token_principal(request, token)
        if who is None:
            raise await _unauthenticated(
                request, Unauthenticated("Unknown, expired or revoked token.", scheme="Bearer")
            )
        await limit_credential(request, who.credential)
        return who
    basic = _basic(authorization) if authorization else None
    if basic is None:
        raise await _unauthenticated(
            request, Unauthenticated("Log in with HTTP Basic or send a Bearer token.")
        )
    user = await check_password(request, *basic)
    if user is None:
        raise await _unauthenticated(request, Unauthenticated("Wrong username or password."))
    credential = f"user:{user.username}"
    await limit_credential(request, credential)
    return Principal(kind="user", name=user.username, role=user.role, credential=credential)


async def require_scope(request: Request, *scopes: str) -> Principal:
    """The caller, if it holds any of ``scopes`` (users: by role; clients: by token)."""
    who = await principal(request)
    if not any(who.has_scope(scope) for scope in scopes):
        raise Forbidden(f"This credential needs the scope {' or '.join(map(repr, scopes))}.")
    return who


async def require_reader(request: Request) -> Principal:
    """Viewers, admins, and OAuth2 tokens with scope ``read``."""
    return await require_scope(request, "read")


async def require_aggregator(request: Request) -> Principal:
    """Viewers, admins, and OAuth2 tokens with scope ``read`` or ``aggregation``."""
    return await require_scope(request, "read", "aggregation")


async def require_admin(request: Request) -> Principal:
    who = await principal(request)
    if not who.is_admin:
        raise Forbidden("Only an admin may do this.")
    return who
