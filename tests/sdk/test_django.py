"""The Django integration reads EVENT_TRACKING_* settings (Django is a dev dependency only)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

django_conf = pytest.importorskip("django.conf")
from django.test.utils import override_settings  # noqa: E402

from tidings.sdk import LoggerBackend, ThreadLocalContextLocator, get_tracker  # noqa: E402
from tidings.sdk import tracker as tracker_module  # noqa: E402
from tidings.sdk.django import DjangoTracker, override_default_tracker  # noqa: E402

LOGGER = {"ENGINE": "tidings.sdk.backends.logger.LoggerBackend", "OPTIONS": {"name": "dj"}}


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not django_conf.settings.configured:
        django_conf.settings.configure()
    monkeypatch.setattr(tracker_module, "TRACKERS", {})
    yield


def test_tracker_is_built_from_backend_and_processor_settings() -> None:
    with override_settings(
        EVENT_TRACKING_BACKENDS={"log": LOGGER},
        EVENT_TRACKING_PROCESSORS=[
            {"ENGINE": "tidings.sdk.RegexFilter", "OPTIONS": {"filter_type": "blocklist"}}
        ],
    ):
        tracker = DjangoTracker()
    assert isinstance(tracker.backends["log"], LoggerBackend)
    assert len(tracker.processors) == 1
    assert isinstance(tracker.context_locator, ThreadLocalContextLocator)


def test_missing_settings_give_a_tracker_without_backends() -> None:
    assert DjangoTracker().backends == {}


def test_unknown_engine_raises_cannot_find_class() -> None:
    with (
        override_settings(EVENT_TRACKING_BACKENDS={"x": {"ENGINE": "nope.Nope"}}),
        pytest.raises(ValueError, match=r"Cannot find class nope\.Nope"),
    ):
        DjangoTracker()


def test_default_tracker_is_replaced_only_when_enabled() -> None:
    with override_settings(EVENT_TRACKING_ENABLED=False, EVENT_TRACKING_BACKENDS={"log": LOGGER}):
        override_default_tracker()
    with pytest.raises(KeyError):
        get_tracker()
    with override_settings(EVENT_TRACKING_ENABLED=True, EVENT_TRACKING_BACKENDS={"log": LOGGER}):
        override_default_tracker()
    assert isinstance(get_tracker(), DjangoTracker)


def test_app_config_in_installed_apps_installs_the_default_tracker() -> None:
    code = textwrap.dedent(
        """
        import django
        from django.conf import settings

        settings.configure(
            INSTALLED_APPS=["tidings.sdk.django.TrackingConfig"],
            EVENT_TRACKING_ENABLED=True,
            EVENT_TRACKING_BACKENDS={
                "log": {"ENGINE": "tidings.sdk.LoggerBackend", "OPTIONS": {"name": "app"}}
            },
        )
        django.setup()
        from tidings.sdk import get_tracker
        from tidings.sdk.django import DjangoTracker

        assert isinstance(get_tracker(), DjangoTracker)
        print(sorted(get_tracker().backends))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['log']"
