"""Dashboard sessions: a signed cookie naming the user, and CSRF tokens for every form.

The cookie is ``base64(json).base64(hmac)`` signed with ``settings.secret_key``; it holds the
username, a fingerprint of the password hash (so a password change ends old sessions), the
CSRF token and an expiry. The user and role are re-read from storage on every request, so a
deleted user or a changed role takes effect at once, whatever the cookie says.

Before login there is no session to hold a CSRF token, so the login form is protected by a
double submit: a random nonce cookie plus a form field that is the HMAC of that nonce.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.bootstrap import secret_key
from tidings.errors import Forbidden, Invalid
from tidings.http.body import read_body
from tidings.http.deps import runtime
from tidings.http.text_guard import check_pairs
from tidings.model.records import User

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


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start_session(request: Request, response: Response, user: User) -> None:
    """Set a fresh session cookie (new CSRF token) for ``user`` on ``response``."""
    payload = _b64(
        orjson.dumps(
            {
                "u": user.username,
                "v": _fingerprint(user),
                "c": secrets.token_urlsafe(24),
                "e": int(time.time()) + SESSION_SECONDS,
            }
        )
    )
    response.set_cookie(
        SESSION_COOKIE,
        f"{payload}.{_sign(_key(request), payload)}",
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)


def _payload(request: Request) -> dict[str, object] | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or raw.count(".") != 1:
        return None
    payload, signature = raw.split(".")
    if not hmac.compare_digest(signature, _sign(_key(request), payload)):
        return None
    try:
        data = orjson.loads(_unb64(payload))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int):
        return None
    if data["e"] < time.time():
        return None
    return data


async def visitor(request: Request) -> Visitor | None:
    """The logged-in user, or None (no cookie, bad signature, expired, user gone)."""
    data = _payload(request)
    if data is None:
        return None
    username, csrf = data.get("u"), data.get("c")
    if not isinstance(username, str) or not isinstance(csrf, str):
        return None
    user = await run_in_threadpool(runtime(request).storage.get_user, username)
    if user is None or not hmac.compare_digest(str(data.get("v")), _fingerprint(user)):
        return None
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
