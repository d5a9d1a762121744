"""OAuth2 client credentials: ``POST /o/token/`` and ``POST /o/revoke_token/``.

Answers and errors follow the Tracking API's token endpoint (seed-systems.md 3.1, RFC 6749
section 5): ``{"access_token", "expires_in": 36000, "token_type": "Bearer", "scope"}`` or
``{"error": "invalid_client" | "invalid_scope" | "unsupported_grant_type" |
"invalid_request"}``. Checks run in that protocol's order: grant type, client, scope.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.core import oauth
from tidings.core.auth import SCOPES
from tidings.core.oauth import OAuthClient
from tidings.errors import Invalid, TooLarge
from tidings.http.body import read_body
from tidings.http.deps import basic_auth, limit_anonymous, limit_credential, runtime
from tidings.http.text_guard import check_mapping

#: Lifetime of an access token, as the original token endpoint granted.
TOKEN_TTL_S = 36000
#: A token request is a few short form fields.
MAX_FORM_BYTES = 16 * 1024
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _error(status: int, error: str, description: str | None = None) -> Response:
    body = {"error": error}
    if description:
        body["error_description"] = description
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


async def _form(request: Request) -> dict[str, str]:
    body = await read_body(request, min(runtime(request).settings.max_body_bytes, MAX_FORM_BYTES))
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise Invalid.field("body", "is not UTF-8") from None
    form = {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}
    check_mapping(form)
    return form


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str] | None:
    basic = basic_auth(request)
    if basic is not None:
        # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
        return unquote(basic[0].replace("+", " ")), unquote(basic[1].replace("+", " "))
    client_id = form.get("client_id")
    if client_id:
        return client_id, form.get("client_secret", "")
    return None


async def _authenticate(request: Request, form: dict[str, str]) -> OAuthClient | None:
    given = _client_credentials(request, form)
    if given is None:
        return None
    storage = runtime(request).storage
    return await run_in_threadpool(oauth.authenticate_client, storage, *given)


async def issue_token(request: Request) -> Response:
    """The client-credentials grant: a Bearer token with the asked (or all) scopes."""
    try:
        form = await _form(request)
    except (Invalid, TooLarge) as exc:
        return _error(413 if isinstance(exc, TooLarge) else 400, "invalid_request", exc.detail)
    if form.get("grant_type") != "client_credentials":
        return _error(400, "unsupported_grant_type")
    client = await _authenticate(request, form)
    if client is None:
        await limit_anonymous(request)
        return _error(401, "invalid_client")
    await limit_credential(request, f"client:{client.client_id}")
    asked = form.get("scope", "").split()
    if not asked:
        scopes = client.scopes
    elif any(scope not in client.scopes for scope in asked):
        return _error(400, "invalid_scope")
    else:
        scopes = tuple(scope for scope in SCOPES if scope in asked)
    token = await run_in_threadpool(
        oauth.issue_access_token, runtime(request).storage, client, scopes, TOKEN_TTL_S
    )
    answer = {
        "access_token": token,
        "expires_in": TOKEN_TTL_S,
        "token_type": "Bearer",
        "scope": " ".join(scopes),
    }
    return Response(orjson.dumps(answer), media_type="application/json", headers=_NO_STORE)


async def revoke_token(request: Request) -> Response:
    """RFC 7009 revocation by the client that owns the token; unknown tokens answer 200 too."""
    try:
        form = await _form(request)
    except (Invalid, TooLarge) as exc:
        return _error(413 if isinstance(exc, TooLarge) else 400, "invalid_request", exc.detail)
    client = await _authenticate(request, form)
    if client is None:
        await limit_anonymous(request)
        return _error(401, "invalid_client")
    token = form.get("token")
    if not token:
        return _error(400, "invalid_request", "token is required")
    rt = runtime(request)
    await run_in_threadpool(oauth.revoke_access_token, rt.storage, client, token)
    # This process forgets at once; others within the cache TTL (Authenticator.ttl).
    rt.auth.forget()
    return Response(b"", status_code=200, headers=_NO_STORE)
