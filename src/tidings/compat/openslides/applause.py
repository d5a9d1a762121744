"""``/system/applause``: a logged-in user applauds. The hub's periodic broadcast counts
distinct users who applauded within the window (see :meth:`tidings.core.live.Hub.applause_tick`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.openslides.common import caller, guard
from tidings.http.streamauth import hub

LOGIN_APPLAUSE = "You have to be logged in to send applause."


@guard
async def applause(request: Request) -> Response:
    uid = await caller(request, login_msg=LOGIN_APPLAUSE)
    await hub(request).applaud(uid)
    return Response(b"", status_code=200)
