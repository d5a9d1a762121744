"""Tidings' Python SDK: the event-tracking API and a batching client for a Tidings server.

Needs only the standard library and httpx; it never imports the server's modules. The
Django integration lives in :mod:`tidings.sdk.django` and is the only part importing Django.

The modules are laid out as the tracking library's (``tracker``, ``locator``, ``exceptions``,
``backends.routing``, ``backends.logger``, ``processors.whitelist``, ``processors.regex_filter``,
``processors.exceptions``, ``django.django_tracker``), so code written for it runs with only its
imports changed.
"""

from tidings.sdk.backends.http import HTTPBackend
from tidings.sdk.backends.logger import LoggerBackend
from tidings.sdk.backends.routing import RoutingBackend
from tidings.sdk.client import Client, DeliveryError
from tidings.sdk.config import instantiate_objects, tracker_from_settings
from tidings.sdk.exceptions import (
    DroppedEvents,
    EventEmissionExit,
    ImproperlyConfigured,
    NoBackendEnabled,
    NoTransformerImplemented,
)
from tidings.sdk.locator import DefaultContextLocator, ThreadLocalContextLocator
from tidings.sdk.processors import NameWhitelistProcessor, RegexFilter
from tidings.sdk.tracker import Tracker, emit, get_tracker, register_tracker

__all__ = [
    "Client",
    "DefaultContextLocator",
    "DeliveryError",
    "DroppedEvents",
    "EventEmissionExit",
    "HTTPBackend",
    "ImproperlyConfigured",
    "LoggerBackend",
    "NameWhitelistProcessor",
    "NoBackendEnabled",
    "NoTransformerImplemented",
    "RegexFilter",
    "RoutingBackend",
    "ThreadLocalContextLocator",
    "Tracker",
    "emit",
    "get_tracker",
    "instantiate_objects",
    "register_tracker",
    "tracker_from_settings",
]
