"""The Django app installs the default tracker at start-up, whichever way INSTALLED_APPS names
it (each case in a fresh process: Django sets itself up once per process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("django")


@pytest.mark.parametrize(
    "app",
    [
        "tidings.sdk.django",
        "tidings.sdk.django.TrackingConfig",
        "tidings.sdk.django.apps.TrackingConfig",
        "tidings.sdk.django.apps.EventTrackingConfig",
    ],
)
def test_installed_app_installs_the_default_tracker(app: str) -> None:
    code = textwrap.dedent(
        f"""
        import django
        from django.conf import settings

        settings.configure(
            INSTALLED_APPS=[{app!r}],
            EVENT_TRACKING_ENABLED=True,
            EVENT_TRACKING_BACKENDS={{
                "log": {{"ENGINE": "tidings.sdk.LoggerBackend", "OPTIONS": {{"name": "app"}}}}
            }},
        )
        django.setup()
        from django.apps import apps
        from tidings.sdk import get_tracker
        from tidings.sdk.django import DjangoTracker

        assert isinstance(get_tracker(), DjangoTracker)
        print(apps.get_app_config("tidings_tracking").name, sorted(get_tracker().backends))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "tidings.sdk.django ['log']"


def test_installed_app_without_enabled_setting_registers_nothing() -> None:
    code = textwrap.dedent(
        """
        import django
        from django.conf import settings

        settings.configure(INSTALLED_APPS=["tidings.sdk.django"])
        django.setup()
        from tidings.sdk import get_tracker

        try:
            get_tracker()
        except KeyError:
            print("no default tracker")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no default tracker"
