"""What the ``/system`` routes share in one process: notify channels and applause rounds,
riding on the hub. The app makes one at startup; handlers reach it with :func:`system_live`."""

from __future__ import annotations

from starlette.requests import Request

from tidings.compat.openslides.applause_rounds import ApplauseRounds
from tidings.compat.openslides.channels import NotifyChannels
from tidings.core.live import Hub


class SystemLive:
    """Made before ``hub`` starts: it registers its topic and its rounds with it."""

    def __init__(self, hub: Hub, *, applause_interval: float, applause_window: float) -> None:
        self.channels = NotifyChannels(hub)
        self.applause = ApplauseRounds(
            hub, self.channels, interval=applause_interval, window=applause_window
        )


def system_live(request: Request) -> SystemLive:
    live: SystemLive = request.app.state.system_live
    return live
