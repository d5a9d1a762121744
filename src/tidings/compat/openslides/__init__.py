"""The OpenSlides 3 autoupdate service: autoupdate, notify and applause (api.md 3.6)."""

from __future__ import annotations

from tidings.compat.openslides import applause, autoupdate, docs, notify
from tidings.http.routing import Entry, endpoint

ROUTES: list[Entry] = [
    endpoint("/system/health", autoupdate.health, "GET", doc=docs.HEALTH),
    endpoint("/system/autoupdate", autoupdate.autoupdate, "GET", "POST", doc=docs.AUTOUPDATE),
    endpoint("/system/notify", notify.notify, "GET", "POST", doc=docs.NOTIFY),
    endpoint("/system/notify/send", notify.send, "GET", "POST", doc=docs.SEND),
    endpoint("/system/applause", applause.applause, "GET", "POST", doc=docs.APPLAUSE),
]
