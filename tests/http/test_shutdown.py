"""SIGTERM ends open live streams instead of waiting for their clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server import running_server
from tests.streams import StreamReader

pytestmark = pytest.mark.serial


def test_sigterm_ends_open_streams_and_exits_cleanly(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        url = f"{server.url}/system/notify"
        with (
            StreamReader(url, server.admin) as notify,
            StreamReader(f"{server.url}/api/v1/live", server.admin) as live,
        ):
            assert notify.next() == {"connected": True}
            # Well below the 30 s graceful timeout a held-open stream would cost.
            assert server.stop(timeout=15) == 0
            assert notify.ended.wait(5)
            assert live.ended.wait(5)
