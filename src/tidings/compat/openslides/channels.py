"""Notify channels: named subscriptions of the hub that receive messages sent over the bus.

A channel id is ``<instance>:<uid>:<n>``: the process's name on the bus, the user who opened
it and a number. A message reaches every channel when ``to_all``, the channels of the users in
``to_users``, and the channels in ``to_channels``. Messages travel over the bus, so a
channel in another server process receives them as well; there is no history.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from tidings.core.live import Hub, Subscription, json_line

#: The bus topic notify messages travel on (payload: one message with its routing fields).
NOTIFY = "notify"


def channel_uid(channel_id: str) -> int:
    """The user id inside a channel id; 0 when it is malformed."""
    parts = channel_id.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return 0
    return int(parts[1])


class NotifyChannels:
    """This process's notify channels; registers their topic with ``hub``."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._numbers = itertools.count(1)
        #: How a message reaches every process (the OpenSlides mode sends through its Redis).
        self.transport: Callable[[bytes], Awaitable[None]] = self._publish
        hub.listen(NOTIFY, self.route)

    def open(self, uid: int) -> Subscription[bytes]:
        """A new channel of user ``uid`` (0: anonymous); its ``name`` is its channel id."""
        channel = f"{self.hub.instance}:{uid}:{next(self._numbers)}"
        return self.hub.subscribe(uid, NOTIFY, channel)

    async def send(self, message: dict[str, Any]) -> None:
        """Route ``message`` to its channels in every process."""
        await self.transport(orjson.dumps(message))

    async def _publish(self, payload: bytes) -> None:
        await self.hub.publish(NOTIFY, payload)

    def broadcast(self, line: bytes) -> None:
        """``line`` to every channel of this process."""
        for sub in self.hub.listeners(NOTIFY):
            sub.offer([line])

    def route(self, payload: bytes) -> None:
        """Deliver one sent message (as :meth:`send` encoded it) to this process's channels."""
        message = orjson.loads(payload)
        line = json_line(
            {
                "sender_user_id": message.get("sender_user_id", 0),
                "sender_channel_id": message.get("sender_channel_id", ""),
                "name": message.get("name", ""),
                "message": message.get("message"),
            }
        )
        to_all = bool(message.get("to_all"))
        users = set(message.get("to_users") or ())
        channels = set(message.get("to_channels") or ())
        for sub in self.hub.listeners(NOTIFY):
            if to_all or sub.uid in users or sub.name in channels:
                sub.offer([line])
