"""``/system/applause``: a logged-in user applauds. The periodic rounds count distinct users
who applauded within the window (see :mod:`tidings.compat.openslides.applause_rounds`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.openslides.common import caller, guard
from tidings.compat.openslides.live import system_live

LOGIN_APPLAUSE = "You have to be logged in to send applause."


@guard
async def applause(request: Request) -> Response:
    uid = await caller(request, login_msg=LOGIN_APPLAUSE)
    await system_live(request).applause.applaud(uid)
    return Response(b"", status_code=200)
