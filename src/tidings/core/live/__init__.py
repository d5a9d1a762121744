"""Live streams: committed events (and other live messages) from the bus to open streams.

Flow: the writer thread hands each commit to the :class:`~tidings.core.live.publisher.
Publisher`, which publishes the new events on the bus; every process's
:class:`~tidings.core.live.hub.Hub` receives them and offers them to its
:class:`~tidings.core.live.subscription.Subscription` buffers (bounded: a reader too slow to
keep up is dropped); each route's body is :func:`~tidings.core.live.replay.replay_then_follow`,
written in :mod:`~tidings.core.live.framing`'s SSE or NDJSON.
"""

from __future__ import annotations

from tidings.core.live.event import LiveBatch, LiveEvent, frames, matches
from tidings.core.live.framing import NDJSON, SSE, Framing, json_line
from tidings.core.live.hub import Hub
from tidings.core.live.replay import EventFeed, Feed, replay_then_follow
from tidings.core.live.subscription import Ended, Overflow, Subscription

__all__ = [
    "NDJSON",
    "SSE",
    "Ended",
    "EventFeed",
    "Feed",
    "Framing",
    "Hub",
    "LiveBatch",
    "LiveEvent",
    "Overflow",
    "Subscription",
    "frames",
    "json_line",
    "matches",
    "replay_then_follow",
]
