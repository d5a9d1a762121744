"""Django is a dev dependency: these tests need its settings configured (once per process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

django_conf = pytest.importorskip("django.conf")

from tidings.sdk import tracker as tracker_module  # noqa: E402


@pytest.fixture(autouse=True)
def _settings_and_empty_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not django_conf.settings.configured:
        django_conf.settings.configure()
    monkeypatch.setattr(tracker_module, "TRACKERS", {})
    yield
