"""``/system/notify`` (a channel receiving messages) and ``/system/notify/send``.

How a message is routed is :mod:`tidings.compat.openslides.channels`; the sender's own
channels get its ``to_all`` messages too. There is no history: a channel gets what is sent
while it is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.openslides.channels import channel_uid
from tidings.compat.openslides.common import (
    CONNECTED,
    OPENSLIDES_NDJSON,
    caller,
    guard,
    invalid,
    system_stream,
)
from tidings.compat.openslides.live import system_live
from tidings.core.live import NDJSON, json_line
from tidings.errors import Invalid
from tidings.http.body import read_body
from tidings.http.json_keys import refuse_duplicate_keys

SEND_LIMIT = 64 * 1024
LOGIN_NOTIFY = "You have to be logged in to use the notify system."


class _Lines:
    """A channel's feed: no history, and live lines as they were routed to it."""

    async def catch_up(self, cursor: int) -> tuple[bytes, int, bool]:
        return b"", cursor, False

    async def follow(self, parts: Sequence[Sequence[bytes]], cursor: int) -> tuple[bytes, int]:
        return b"".join(line for part in parts for line in part), cursor


@guard
async def notify(request: Request) -> Response:
    uid = await caller(request)
    sub = system_live(request).channels.open(uid)
    opening = CONNECTED + json_line({"channel_id": sub.name})
    openslides = getattr(request.app.state, "openslides", None) is not None
    framing = OPENSLIDES_NDJSON if openslides else NDJSON
    return system_stream(sub, _Lines(), opening=opening, framing=framing)


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
    try:
        refuse_duplicate_keys(body, data)
    except Invalid as exc:
        raise invalid(f"invalid json: {exc.detail}") from None
    await system_live(request).channels.send(_message(data, uid))
    return Response(b"", status_code=200)
