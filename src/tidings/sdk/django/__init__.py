"""Django integration: a tracker configured from Django settings (see
:mod:`tidings.sdk.django.django_tracker`). The only package importing Django, so the rest of
the SDK works without it.

Add ``"tidings.sdk.django"`` to ``INSTALLED_APPS`` to install the tracker at start-up.
"""

from tidings.sdk.django.apps import EventTrackingConfig, TrackingConfig
from tidings.sdk.django.django_tracker import DjangoTracker, override_default_tracker

__all__ = ["DjangoTracker", "EventTrackingConfig", "TrackingConfig", "override_default_tracker"]
