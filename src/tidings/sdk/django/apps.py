"""The Django app: installs the default tracker once the settings are ready.

``INSTALLED_APPS`` may name the package (``"tidings.sdk.django"``, which picks
:class:`TrackingConfig`) or a class here.
"""

from __future__ import annotations

from django.apps import AppConfig

from tidings.sdk.django.django_tracker import override_default_tracker


class TrackingConfig(AppConfig):  # type: ignore[misc]
    """Replaces the default tracker with a DjangoTracker when ``EVENT_TRACKING_ENABLED``."""

    name = "tidings.sdk.django"
    label = "tidings_tracking"
    verbose_name = "Tidings event tracking"
    # The one config Django picks when INSTALLED_APPS names the package.
    default = True

    def ready(self) -> None:
        override_default_tracker()


class EventTrackingConfig(TrackingConfig):
    """The same app under the class name the tracking library used in ``INSTALLED_APPS``."""

    default = False
