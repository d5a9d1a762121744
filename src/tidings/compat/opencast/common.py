"""What the Opencast routes of every generation share: error shape, auth, limits, shapes.

Errors are ``{"message": ...}`` as in the original servers (seed-systems.md 1.3, 1.4), plus
``errors`` naming the field. Auth failures keep generation A's body, with a real 401 or 403.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.opencast.payloads import decode_body, invalid
from tidings.compat.opencast.records import pseudonym
from tidings.compat.opencast.store import HOST_FIELDS, STATISTIC_COUNTS
from tidings.core.auth import Principal
from tidings.errors import Forbidden, Invalid, NotFound, TidingsError, Unauthenticated
from tidings.http.body import read_body
from tidings.http.deps import require_reader, runtime
from tidings.http.problems import error_headers, status_of
from tidings.model.timeparse import to_iso

Handler = Callable[[Request], Awaitable[Response]]
PAGE_MAX = 10_000
_AUTH_MESSAGE = "You are either not authenticated or do not have the right permission/role"


def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data), status_code=status, media_type="application/json", headers=headers
    )


def not_found(what: str, key: object) -> NotFound:
    return NotFound(f"{what} with id '{key}' not found")


def _error(exc: TidingsError) -> Response:
    if isinstance(exc, TooManyRequests):
        return answer({"message": exc.detail}, 429, {"Retry-After": str(exc.retry_after)})
    status = status_of(exc)
    headers = error_headers(exc)
    if isinstance(exc, Unauthenticated | Forbidden):
        body: dict[str, Any] = {
            "data": {"logged_in": isinstance(exc, Forbidden), "roles": []},
            "message": _AUTH_MESSAGE,
            "success": False,
        }
        return answer(body, status, headers)
    body = {"message": exc.detail}
    if isinstance(exc, Invalid) and exc.errors:
        body["errors"] = [e.as_dict() for e in exc.errors]
    return answer(body, status, headers)


def opencast_route(handler: Handler) -> Handler:
    """Render every Tidings error in the Opencast shape."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except TidingsError as exc:
            return _error(exc)

    return wrapped


class TooManyRequests(TidingsError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests; retry in {retry_after} s.")
        self.retry_after = retry_after


class RateLimiter:
    """A token bucket per client address: ``per_minute`` requests, refilled continuously.

    Per process: with several workers each has its own buckets, so the effective limit is
    per worker. Buckets of idle clients are dropped when the table grows large.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                raise TooManyRequests(max(1, math.ceil((1.0 - tokens) / rate)))
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > 100_000:
                full = [k for k, (t, _) in self._buckets.items() if t >= self.per_minute - 1]
                for k in full:
                    del self._buckets[k]


def limit_open_route(request: Request) -> None:
    """Rate-limit a route that needs no credential (the adopter key is the capability)."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "opencast_limiter", None)
    if limiter is None:
        limiter = RateLimiter(runtime(request).settings.opencast_rate_per_minute)
        state.opencast_limiter = limiter
    limiter.check(request.client.host if request.client else "unknown")


async def json_body(request: Request) -> dict[str, Any]:
    """The decoded JSON object of the request, within the body size limit."""
    body = await read_body(request, runtime(request).settings.max_body_bytes)
    data: dict[str, Any] = decode_body(body, request.headers.get("content-type"))
    return data


async def open_body(request: Request) -> dict[str, Any]:
    """The JSON body of a write that needs no credential, once its rate limit allows it."""
    limit_open_route(request)
    return await json_body(request)


async def require_viewer(request: Request) -> Principal:
    """Collection reads expose personal data: a viewer or admin must ask."""
    return await require_reader(request)


def _shown(key: str | None, reveal: bool) -> str | None:
    # A key lets its holder change or delete the record: only admins see them in lists;
    # viewers get a stable pseudonym that still links adopters, statistics and events.
    if key is None or reveal:
        return key
    return pseudonym(key)


def page_params(request: Request) -> tuple[int, int]:
    """Generation A's ``__limit`` / ``__offset`` (default: the first 10,000)."""
    values = []
    for name, default in (("__limit", PAGE_MAX), ("__offset", 0)):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            values.append(default)
            continue
        if not raw.isdigit():
            raise invalid(name, f"Invalid argument for '{name}': must be an integer >= 0")
        values.append(int(raw))
    limit, offset = values
    if limit > PAGE_MAX:
        raise invalid("__limit", f"Invalid argument for '__limit': at most {PAGE_MAX}")
    return limit, offset


# -- wire shapes -----------------------------------------------------------------------------
_ADOPTER_CURRENT = (
    "adopter_key",
    "organisation_name",
    "department_name",
    "first_name",
    "last_name",
    "country",
    "city",
    "postal_code",
    "street",
    "street_no",
    "email",
    "contact_me",
    "system_type",
    "send_errors",
    "send_usage",
)
_ADOPTER_LEGACY = {
    "adopter_key": "adopter_key",
    "country": "country",
    "postal_code": "postal_code",
    "city": "city",
    "street": "street",
    "street_no": "street_no",
    "allows_statistics": "send_usage",
    "allows_error_reports": "send_errors",
    "allows_tech_data": "allows_tech_data",
    "contact_me": "contact_me",
    "organisation_name": "organisation_name",
    "mail": "email",
    "gender": "gender",
    "first_name": "first_name",
    "last_name": "last_name",
    "department_name": "department_name",
    "address_additional": "address_additional",
}


def adopter_current(row: dict[str, Any], *, reveal: bool = True) -> dict[str, Any]:
    """Generation C's adopter object, with times as ISO 8601 UTC."""
    return {
        **{f: row[f] for f in _ADOPTER_CURRENT},
        "adopter_key": _shown(row["adopter_key"], reveal),
        "created": to_iso(row["created"]),
        "updated": to_iso(row["updated"]),
    }


def adopter_legacy(row: dict[str, Any]) -> dict[str, Any]:
    """Generation A's adopter object (``mail``, ``allows_*``, ``last_activity``)."""
    return {
        **{name: row[column] for name, column in _ADOPTER_LEGACY.items()},
        "created": to_iso(row["created"]),
        "last_activity": to_iso(row["updated"]),
    }


def statistic_out(row: dict[str, Any], *, reveal: bool = True) -> dict[str, Any]:
    """A statistic with its own key and its adopter's (the original dropped both)."""
    return {
        "statistic_key": _shown(row["statistic_key"], reveal),
        "adopter_key": _shown(row["adopter_key"], reveal),
        **{count: row[count] for count in STATISTIC_COUNTS},
        "version": row["version"],
        "hosts": [{f: host[f] for f in HOST_FIELDS} for host in row["hosts"]],
        "created": to_iso(row["created"]),
        "updated": to_iso(row["updated"]),
    }


def tobira_out(row: dict[str, Any], *, reveal: bool = True) -> dict[str, Any]:
    return {
        "statistic_key": _shown(row["statistic_key"], reveal),
        "data": orjson.loads(row["data"]),
        "created": to_iso(row["created"]),
        "updated": to_iso(row["updated"]),
    }
