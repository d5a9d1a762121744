"""Django integration: a tracker configured from Django settings. The only module importing
Django, so the rest of the SDK works without it.

Settings: ``EVENT_TRACKING_ENABLED`` (truthy to replace the default tracker),
``EVENT_TRACKING_BACKENDS`` (``{name: {"ENGINE": ..., "OPTIONS": {...}}}``) and
``EVENT_TRACKING_PROCESSORS`` (a list of the same form). Add
``"tidings.sdk.django.TrackingConfig"`` to ``INSTALLED_APPS`` to install it at start-up.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings

from tidings.sdk.config import instantiate_objects
from tidings.sdk.locator import ThreadLocalContextLocator
from tidings.sdk.tracker import Tracker, register_tracker


class DjangoTracker(Tracker):
    """A tracker built from the settings, with contexts kept per thread (one per request)."""

    def __init__(self) -> None:
        super().__init__(
            backends=self.create_backends_from_settings(),
            context_locator=ThreadLocalContextLocator(),
            processors=self.create_processors_from_settings(),
        )

    def create_backends_from_settings(self) -> Any:
        return instantiate_objects(getattr(settings, "EVENT_TRACKING_BACKENDS", {}))

    def create_processors_from_settings(self) -> Any:
        return instantiate_objects(getattr(settings, "EVENT_TRACKING_PROCESSORS", []))


def override_default_tracker() -> None:
    """Register a :class:`DjangoTracker` as the default if ``EVENT_TRACKING_ENABLED``."""
    if getattr(settings, "EVENT_TRACKING_ENABLED", False):
        register_tracker(DjangoTracker())


class TrackingConfig(AppConfig):  # type: ignore[misc]
    """The Django app: installs the default tracker once the settings are ready."""

    name = "tidings.sdk.django"
    label = "tidings_tracking"
    verbose_name = "Tidings event tracking"

    def ready(self) -> None:
        override_default_tracker()
