"""Dashboard sessions kept server-side, and CSRF tokens for every form.

The session cookie holds a random token; the database keeps its SHA-256 with the user, the
session's CSRF token and an expiry (storage/dashboard_sessions.py). Every request looks the
session up, with the user and role as they are now, so logging out, a password change or the
user's deletion ends a session at once in every process sharing the database (the old
stateless cookie stayed valid for 7 days after logout: issue 20). Each login starts a new
session with a new token (and ends the one the browser had), so no token outlives a login.

Before login there is no session to hold a CSRF token, so the login form is protected by a
double submit: a random nonce cookie plus a form field that is the HMAC of that nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.auth import secret_hash
from tidings.core.bootstrap import secret_key
from tidings.errors import Forbidden, Invalid
from tidings.http.body import read_body
from tidings.http.deps import runtime
from tidings.http.text_guard import check_pairs
from tidings.model.records import User
from tidings.model.timeparse import now_us

SESSION_COOKIE = "tidings_session"
LOGIN_COOKIE = "tidings_login"
SESSION_SECONDS = 7 * 24 * 3600
#: Dashboard forms are small; anything bigger is not a person typing.
FORM_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Visitor:
    """A logged-in dashboard user, as of this request."""

    username: str
    role: str
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _key(request: Request) -> bytes:
    # `tidings serve` fixes the key before the app starts; an app built directly (tests,
    # external ASGI servers) falls back to the key kept in the data dir, read once.
    cached: bytes | None = getattr(request.app.state, "dashboard_key", None)
    if cached is None:
        settings = runtime(request).settings
        cached = secret_key(settings.data_dir, settings.secret_key).encode()
        request.app.state.dashboard_key = cached
    return cached


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _token_hash(token: str) -> str:
    return secret_hash(token)


async def start_session(request: Request, response: Response, user: User) -> None:
    """Start a fresh session (new token, new CSRF token) for ``user``; the session the
    browser came with, if any, ends: a login always rotates the token."""
    storage = runtime(request).storage
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(storage.end_dashboard_session, _token_hash(old))
    token = secrets.token_urlsafe(32)
    now = now_us()
    await run_in_threadpool(
        storage.create_dashboard_session,
        _token_hash(token),
        user.id,
        secrets.token_urlsafe(24),
        now,
        now + SESSION_SECONDS * 1_000_000,
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE)


async def end_session(request: Request, response: Response) -> None:
    """End the request's session for good (the row goes) and drop the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(runtime(request).storage.end_dashboard_session, _token_hash(token))
    response.delete_cookie(SESSION_COOKIE)


async def visitor(request: Request) -> Visitor | None:
    """The logged-in user, or None (no cookie, unknown or ended session, expired, user gone)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 100:
        return None
    found = await run_in_threadpool(
        runtime(request).storage.dashboard_session, _token_hash(token), now_us()
    )
    if found is None:
        return None
    user, csrf = found
    return Visitor(user.username, user.role, csrf)


async def read_pairs(request: Request) -> list[tuple[str, str]]:
    """An urlencoded form body as (name, value) pairs, size-limited."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise Invalid.field("Content-Type", "must be application/x-www-form-urlencoded")
    body = await read_body(request, FORM_LIMIT)
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        raise Invalid.field("body", "is not UTF-8") from None
    check_pairs(pairs)
    return pairs


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form; repeated fields keep their last value."""
    return dict(await read_pairs(request))


def check_csrf(form: dict[str, str], who: Visitor) -> None:
    if not hmac.compare_digest(form.get("csrf", "").encode(), who.csrf.encode()):
        raise Forbidden("The form's CSRF token is missing or stale; reload the page.")


def login_token(request: Request) -> tuple[str, str | None]:
    """The login form's CSRF field, and a new nonce to set as a cookie (None: keep the old)."""
    nonce = request.cookies.get(LOGIN_COOKIE)
    fresh = None
    if not nonce:
        nonce = fresh = secrets.token_urlsafe(24)
    return _sign(_key(request), "login:" + nonce), fresh


def set_login_nonce(request: Request, response: Response, nonce: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax", secure=_secure(request)
    )


def check_login_token(request: Request, form: dict[str, str]) -> None:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    expected = _sign(_key(request), "login:" + nonce)
    if not nonce or not hmac.compare_digest(form.get("csrf", "").encode(), expected.encode()):
        raise Forbidden("The login form expired; reload the page and try again.")
