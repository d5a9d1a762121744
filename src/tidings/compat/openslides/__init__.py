"""The OpenSlides 3 autoupdate service: autoupdate, notify and applause (api.md 3.6); in the
OpenSlides mode (:mod:`tidings.compat.openslides.os3`) over a real OpenSlides' data."""

from __future__ import annotations

from tidings.compat.openslides import applause, autoupdate, docs, notify
from tidings.compat.openslides.os3 import streams
from tidings.compat.openslides.switch import METHODS, switch
from tidings.http.routing import Entry, endpoint

ROUTES: list[Entry] = [
    endpoint("/system/health", autoupdate.health, *METHODS, doc=docs.HEALTH),
    # Tidings' own counters stream, whatever the mode (spec openslides3.md section 6).
    endpoint("/api/v1/live/counters", autoupdate.autoupdate, "GET", "POST", doc=docs.COUNTERS),
    # Hot: a stream's every line passes the response's send; past Starlette's layers it
    # costs one call instead of seven (http/hotpath.py), which counts at 1,000 streams.
    endpoint(
        "/system/autoupdate",
        switch(autoupdate.autoupdate, streams.autoupdate),
        *METHODS,
        hot=True,
        doc=docs.AUTOUPDATE,
    ),
    endpoint(
        "/system/projector",
        switch(None, streams.projector_stream),
        *METHODS,
        hot=True,
        doc=docs.PROJECTOR,
    ),
    endpoint("/system/notify", notify.notify, "GET", "POST", doc=docs.NOTIFY),
    endpoint("/system/notify/send", notify.send, "GET", "POST", doc=docs.SEND),
    endpoint("/system/applause", applause.applause, "GET", "POST", doc=docs.APPLAUSE),
]
