"""The OpenSlides 3 autoupdate service: autoupdate, notify and applause (api.md 3.6)."""

from __future__ import annotations

from tidings.compat.openslides import applause, autoupdate, notify
from tidings.http.routing import Entry, endpoint

ROUTES: list[Entry] = [
    endpoint("/system/health", autoupdate.health, "GET"),
    endpoint("/system/autoupdate", autoupdate.autoupdate, "GET", "POST"),
    endpoint("/system/notify", notify.notify, "GET", "POST"),
    endpoint("/system/notify/send", notify.send, "GET", "POST"),
    endpoint("/system/applause", applause.applause, "GET", "POST"),
]
