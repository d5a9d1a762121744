"""``/system/autoupdate`` and ``/system/projector`` in the OpenSlides mode (spec 3.1, 3.2).

Each stream holds only its position: the data is shared, and a change offers every stream a
token that wakes it; awake, it sends what changed since its position, restricted for its
caller. A slow reader therefore costs no memory: changes that pile up while it does not read
become one line. Idle streams repeat the connected line as a keepalive (never an empty line:
the OS3 client takes one for an error).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.openslides.common import CONNECTED, invalid
from tidings.compat.openslides.os3 import projector
from tidings.compat.openslides.os3.mode import AUTOUPDATE, PROJECTOR, Mode
from tidings.core.live import Ended, Overflow, Subscription
from tidings.http.stream import LiveResponse

METHODS = ("GET", "POST")


def check_method(request: Request) -> None:
    if request.method not in METHODS:
        raise invalid("Invalid request: Only GET or POST requests are supported")


async def _wait(sub: Subscription[bytes]) -> bool:
    """Until the next change (True) or a keepalive is due (False).

    Raises:
        Ended: the server is shutting down.
    """
    try:
        return await sub.get_parts() is not None
    except Overflow:
        sub.restart()  # the position is all a stream keeps; nothing was lost
        return True


async def _autoupdate(mode: Mode, sub: Subscription[bytes], cursor: int) -> AsyncGenerator[bytes]:
    data, lines = mode.data, mode.lines
    yield CONNECTED
    first = True
    version = -1
    while True:
        if version != data.version:
            version = data.version
            line = None
            too_old = cursor < data.lowest or (first and cursor == 0)
            if too_old:
                line = lines.all_data(sub.uid, cursor)
                cursor = data.current
            elif data.current > cursor:
                keys = data.changed_since(cursor)
                line = lines.changes(sub.uid, keys, cursor, data.current)
                cursor = data.current
            first = False
            if line:
                yield line
        try:
            if not await _wait(sub):
                yield CONNECTED
        except Ended:
            return


async def autoupdate(request: Request, mode: Mode) -> Response:
    uid = await mode.uid(request)
    check_method(request)
    raw = request.query_params.get("change_id", "") or "0"
    try:
        cursor = int(raw)
    except ValueError:
        raise invalid(f"Invalid request: Change id has to be a number not {raw}") from None
    sub: Subscription[bytes] = mode.hub.subscribe(uid, AUTOUPDATE, "")
    return LiveResponse(_autoupdate(mode, sub, cursor), "application/octet-stream", sub, b"")


def projector_ids(raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.split(",")]
    except ValueError:
        raise invalid(
            f"Invalid request: projector_ids has to be a list of ints not `{raw}`"
        ) from None


async def _projector(mode: Mode, sub: Subscription[bytes], ids: list[int]) -> AsyncGenerator[bytes]:
    yield CONNECTED
    sent: dict[int, bytes] = {}
    while True:
        rendered = mode.projectors.rendered()
        fresh = {p: rendered[p] for p in ids if p in rendered and sent.get(p) != rendered[p]}
        if fresh:
            sent.update(fresh)
            yield projector.line(mode.data.current, fresh)
        try:
            if not await _wait(sub):
                yield CONNECTED
        except Ended:
            return


async def projector_stream(request: Request, mode: Mode) -> Response:
    uid = await mode.uid(request)
    check_method(request)
    ids = projector_ids(request.query_params.get("projector_ids", ""))
    sub: Subscription[bytes] = mode.hub.subscribe(uid, PROJECTOR, "")
    return LiveResponse(_projector(mode, sub, ids), "application/json", sub, b"")
