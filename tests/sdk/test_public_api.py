"""The SDK's public surface, and that it imports with only the standard library and httpx."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from types import ModuleType

import pytest

import tidings.sdk

BLOCKED = (
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "orjson",
    "argon2",
    "click",
    "prometheus_client",
    "psycopg",
    "redis",
    "django",
    "tidings.core",
    "tidings.http",
    "tidings.storage",
    "tidings.cli",
    "tidings.config",
    "tidings.app",
)


def test_all_lists_exactly_the_public_names() -> None:
    # Submodules are attributes too once imported; only the names defined for users count.
    public = {
        name
        for name in dir(tidings.sdk)
        if not name.startswith("_") and not isinstance(getattr(tidings.sdk, name), ModuleType)
    }
    assert set(tidings.sdk.__all__) == public


def test_sdk_imports_and_sends_with_the_server_modules_blocked() -> None:
    code = textwrap.dedent(
        f"""
        import importlib.abc, sys

        BLOCKED = {BLOCKED!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                    raise ImportError("blocked: " + name)
                return None

        sys.meta_path.insert(0, Block())
        import httpx
        import tidings.sdk
        from tidings.sdk import *

        sent = []
        transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={{}}))
        backend = HTTPBackend("http://t", "wk", transport=transport)
        tracker = Tracker({{"http": backend, "log": LoggerBackend()}})
        tracker.emit("x", {{"a": 1}})
        backend.shutdown(5)
        assert len(sent) == 1, sent
        loaded = [m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED)]
        assert not loaded, loaded
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# Every public name of the tracking library that Tidings offers, at the library's module path
# with its package name replaced: code written for it runs with only its imports changed.
LIBRARY_NAMES = {
    "tracker": [
        "Tracker",
        "register_tracker",
        "get_tracker",
        "emit",
        "TRACKERS",
        "UNKNOWN_EVENT_TYPE",
        "DEFAULT_TRACKER_NAME",
    ],
    "locator": ["DefaultContextLocator", "ThreadLocalContextLocator"],
    "exceptions": ["ImproperlyConfigured"],
    "backends.routing": ["RoutingBackend"],
    "backends.logger": ["LoggerBackend", "DateTimeJSONEncoder", "MAX_EVENT_SIZE"],
    "processors.exceptions": ["EventEmissionExit", "NoTransformerImplemented", "NoBackendEnabled"],
    "processors.whitelist": ["NameWhitelistProcessor"],
    "processors.regex_filter": ["RegexFilter", "ALLOWLIST", "BLOCKLIST"],
    "django": ["DjangoTracker"],
    "django.apps": ["EventTrackingConfig"],
    "django.django_tracker": [
        "DjangoTracker",
        "override_default_tracker",
        "DJANGO_BACKEND_SETTING_NAME",
        "DJANGO_PROCESSOR_SETTING_NAME",
        "DJANGO_ENABLED_SETTING_NAME",
    ],
}


@pytest.mark.parametrize("module", sorted(LIBRARY_NAMES))
def test_library_names_import_from_the_same_module_path(module: str) -> None:
    if module.startswith("django"):
        pytest.importorskip("django")
    imported = importlib.import_module(f"tidings.sdk.{module}")
    missing = [name for name in LIBRARY_NAMES[module] if not hasattr(imported, name)]
    assert missing == []


def test_code_written_for_the_library_runs_with_only_its_imports_changed() -> None:
    # The library's documented usage, with only the package name in its imports changed.
    code = textwrap.dedent(
        """
        import logging
        from tidings.sdk import tracker
        from tidings.sdk.backends.logger import LoggerBackend
        from tidings.sdk.backends.routing import RoutingBackend
        from tidings.sdk.processors.exceptions import EventEmissionExit
        from tidings.sdk.processors.regex_filter import ALLOWLIST, RegexFilter
        from tidings.sdk.processors.whitelist import NameWhitelistProcessor

        logging.basicConfig(level=logging.INFO, format="%(message)s")

        def drop_private(event):
            if event["data"].get("private"):
                raise EventEmissionExit()

        tracker.register_tracker(
            tracker.Tracker(
                backends={
                    "logger": RoutingBackend(
                        backends={"out": LoggerBackend(name="out")},
                        processors=[RegexFilter(ALLOWLIST, [r"org\\."])],
                    )
                },
                processors=[NameWhitelistProcessor(whitelist=["org.a", "b"]), drop_private],
            )
        )
        with tracker.get_tracker().context("request", {"user_id": 7}):
            tracker.emit("org.a", {"n": 1})
            tracker.emit("org.a", {"private": True})
            tracker.emit("b", {"n": 2})
            tracker.emit("org.c", {"n": 3})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.splitlines()
    event = json.loads(line)
    assert (event["name"], event["data"], event["context"]) == ("org.a", {"n": 1}, {"user_id": 7})
