"""Tracking backends: each has ``send(event)``."""

from tidings.sdk.backends.http import HTTPBackend
from tidings.sdk.backends.logger import LoggerBackend
from tidings.sdk.backends.routing import RoutingBackend

__all__ = ["HTTPBackend", "LoggerBackend", "RoutingBackend"]
