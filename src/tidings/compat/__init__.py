"""Compat slices: one package per original system, each with its routes, its translation
to the event model and its own tables. A slice is registered here with one line."""

from __future__ import annotations

from tidings.compat import edx, microticks, opencast, openslides, segment, tracking_api
from tidings.http.routing import Entry

ROUTES: list[Entry] = [
    *opencast.ROUTES,
    *tracking_api.ROUTES,
    *segment.ROUTES,
    *edx.ROUTES,
    *openslides.ROUTES,
    *microticks.ROUTES,
]
