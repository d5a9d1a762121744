"""The Content-Security-Policy does not break the dashboard: every page, with data and a
chart, loads in a real browser (Debian's chromium via Playwright) with no CSP violation."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server import running_server

pytestmark = pytest.mark.serial

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")

PAGES = [
    "/",
    "/explore?namespace=shop&name=buy&fn=sum&granularity=hour&range=30d&tz=UTC&chart=bar",
    "/live",
    "/sessions",
    "/opencast",
    "/admin/sources",
    "/admin/users",
    "/admin/tokens",
    "/admin/clients",
    "/docs",
]


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (bash scripts/install installs it)")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_no_page_violates_the_policy(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    with running_server(tmp_path / "data") as server:
        key = server.create_source("shop")
        event = {"namespace": "shop", "name": "buy", "value": 3}
        httpx.post(f"{server.url}/api/v1/events", json=event, headers={"X-Write-Key": key})
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{server.url}/login")
        page.get_by_label("Username").fill(server.admin[0])
        page.get_by_label("Password").fill(server.admin[1])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{server.url}/")
        for path in PAGES:
            answer = page.goto(f"{server.url}{path}")
            assert answer is not None and answer.status == 200, path
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
        # Script errors and CSP reports; a missing favicon (404) is neither.
        assert [p for p in problems if "Failed to load resource" not in p] == []
