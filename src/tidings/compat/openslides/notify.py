"""``/system/notify`` (a channel receiving messages) and ``/system/notify/send``.

A channel id is ``<instance>:<uid>:<n>``. A message reaches every channel when ``to_all``,
the channels of the users in ``to_users``, and the channels in ``to_channels``; the sender's
own channels get its ``to_all`` messages too. Messages travel over the bus, so a channel
in another server process receives them as well. There is no history: a channel gets what
is sent while it is open.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.openslides.common import (
    CONNECTED,
    caller,
    guard,
    invalid,
    lines,
    ndjson_stream,
)
from tidings.http.body import read_body
from tidings.http.streamauth import hub

SEND_LIMIT = 64 * 1024
LOGIN_NOTIFY = "You have to be logged in to use the notify system."


@guard
async def notify(request: Request) -> Response:
    uid = await caller(request)
    sub = hub(request).subscribe_notify(uid)
    first = [CONNECTED, orjson.dumps({"channel_id": sub.kind}) + b"\n"]
    return ndjson_stream(lines(sub, first), sub)


def channel_uid(channel_id: str) -> int:
    """The user id inside a channel id; 0 when it is malformed."""
    parts = channel_id.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return 0
    return int(parts[1])


def _message(data: Any, uid: int) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise invalid("invalid json: the body must be a JSON object")
    channel_id = data.get("channel_id")
    if not isinstance(channel_id, str) or channel_uid(channel_id) != uid:
        raise invalid("invalid channel id")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise invalid("notify does not have required field `name`")
    if name == "applause":
        raise invalid("notify name can not be applause")
    to_all = data.get("to_all", False)
    if not isinstance(to_all, bool):
        raise invalid("to_all must be true or false")
    to_users = data.get("to_users") or []
    if not isinstance(to_users, list) or not all(
        isinstance(u, int) and not isinstance(u, bool) for u in to_users
    ):
        raise invalid("to_users must be a list of user ids")
    to_channels = data.get("to_channels") or []
    if not isinstance(to_channels, list) or not all(isinstance(c, str) for c in to_channels):
        raise invalid("to_channels must be a list of channel ids")
    return {
        "sender_user_id": uid,
        "sender_channel_id": channel_id,
        "name": name,
        "message": data.get("message"),
        "to_all": to_all,
        "to_users": to_users,
        "to_channels": to_channels,
    }


@guard
async def send(request: Request) -> Response:
    uid = await caller(request, login_msg=LOGIN_NOTIFY)
    body = await read_body(request, SEND_LIMIT)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid(f"invalid json: {exc}") from None
    await hub(request).send_notify(_message(data, uid))
    return Response(b"", status_code=200)
