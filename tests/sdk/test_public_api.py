"""The SDK's public surface, and that it imports with only the standard library and httpx."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from types import ModuleType

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
