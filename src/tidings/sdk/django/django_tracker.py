"""A tracker configured from Django settings.

``EVENT_TRACKING_ENABLED`` (truthy to replace the default tracker), ``EVENT_TRACKING_BACKENDS``
(``{name: {"ENGINE": ..., "OPTIONS": {...}}}``) and ``EVENT_TRACKING_PROCESSORS`` (a list of
the same form). A project that still has only the older ``TRACKING_BACKENDS`` setting gets its
backends from there, read as that older form was: entries that are empty or have no ENGINE are
skipped (that is how such settings turned a backend off) instead of refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from tidings.sdk.config import instantiate_from_dict, instantiate_objects
from tidings.sdk.locator import ThreadLocalContextLocator
from tidings.sdk.tracker import Tracker, register_tracker

DJANGO_BACKEND_SETTING_NAME = "EVENT_TRACKING_BACKENDS"
DJANGO_PROCESSOR_SETTING_NAME = "EVENT_TRACKING_PROCESSORS"
DJANGO_ENABLED_SETTING_NAME = "EVENT_TRACKING_ENABLED"
# The backends setting of the tracking library's first releases.
DJANGO_SETTING_NAME = "TRACKING_BACKENDS"


class DjangoTracker(Tracker):
    """A tracker built from the settings, with contexts kept per thread (one per request).

    Args:
        backends_settings_name: the setting holding the backends (``EVENT_TRACKING_BACKENDS``).
        processors_settings_name: the setting holding the processors
            (``EVENT_TRACKING_PROCESSORS``).
    """

    def __init__(
        self,
        backends_settings_name: str = DJANGO_BACKEND_SETTING_NAME,
        processors_settings_name: str = DJANGO_PROCESSOR_SETTING_NAME,
    ) -> None:
        super().__init__(
            backends=self.create_backends_from_settings(backends_settings_name),
            context_locator=ThreadLocalContextLocator(),
            processors=self.create_processors_from_settings(processors_settings_name),
        )

    def create_backends_from_settings(
        self, settings_name: str = DJANGO_BACKEND_SETTING_NAME
    ) -> Any:
        """The backends described by the setting ``settings_name`` (a dict of ENGINE dicts).

        When the default setting is absent, the older ``TRACKING_BACKENDS`` is read instead.
        """
        if (
            settings_name == DJANGO_BACKEND_SETTING_NAME
            and not hasattr(settings, settings_name)
            and hasattr(settings, DJANGO_SETTING_NAME)
        ):
            settings_name = DJANGO_SETTING_NAME
        config = getattr(settings, settings_name, {})
        if settings_name == DJANGO_SETTING_NAME:
            config = {name: spec for name, spec in config.items() if spec and "ENGINE" in spec}
        return instantiate_objects(config)

    def create_processors_from_settings(
        self, settings_name: str = DJANGO_PROCESSOR_SETTING_NAME
    ) -> Any:
        """The processors described by the setting ``settings_name`` (a list of ENGINE dicts)."""
        return instantiate_objects(getattr(settings, settings_name, []))

    # Subclasses written for the tracking library call these two helpers on the tracker.
    def _instantiate_objects(self, node: Any) -> Any:
        return instantiate_objects(node)

    def _instantiate_from_dict(self, values: Mapping[str, Any]) -> Any:
        return instantiate_from_dict(values)


def override_default_tracker() -> None:
    """Register a :class:`DjangoTracker` as the default if ``EVENT_TRACKING_ENABLED``."""
    if getattr(settings, DJANGO_ENABLED_SETTING_NAME, False):
        register_tracker(DjangoTracker())
