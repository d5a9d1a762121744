"""Who calls (spec section 2): the OpenSlides session cookie, anonymous as the live config
allows, or ``FAKE_AUTH``. Auth errors are 400 ``auth_required`` as in the original."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from tidings.compat.openslides.common import RouteError
from tidings.compat.openslides.os3.data import Data
from tidings.compat.openslides.os3.session import session_user

ANONYMOUS_CONFIG = "general_system_enable_anonymous"
INVALID_SESSION = "Invalid session data"
NO_ANONYMOUS = "Anonymous is not enabled."


def auth_error(msg: str) -> RouteError:
    return RouteError(400, "auth_required", msg)


class Auth:
    def __init__(
        self,
        redis: Any,
        data: Data,
        *,
        cookie_name: str,
        session_prefix: str,
        fake_auth: int,
        secret: bytes | None,
    ) -> None:
        self.redis = redis
        self.data = data
        self.cookie_name = cookie_name
        self.session_prefix = session_prefix
        self.fake_auth = fake_auth
        self.secret = secret

    async def uid(self, request: Request) -> int:
        """The caller's OpenSlides user id (0: anonymous)."""
        if self.fake_auth >= 0:
            return self.fake_auth
        session_id = request.cookies.get(self.cookie_name)
        if session_id is None:
            if self.data.config(ANONYMOUS_CONFIG) is not True:
                raise auth_error(NO_ANONYMOUS)
            return 0
        value = await self.redis.get(self.session_prefix + session_id)
        uid = None if value is None or self.secret is None else session_user(value, self.secret)
        if uid is None:
            raise auth_error(INVALID_SESSION)
        return uid
