"""The Web page in Debian's chromium (Playwright) against a real server, with screenshots.

Screenshots go to ``$TIDINGS_TEST_ARTIFACTS`` when set, else to ``<pytest tmp dir>/artifacts``.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.core.test_visitors import (
    ANDROID_PHONE,
    ANDROID_TABLET,
    CHROME_WINDOWS,
    FIREFOX_LINUX,
    IPHONE,
    SAFARI_MAC,
)
from tests.http.dashboard.test_browser import _log_in, artifacts  # noqa: F401 - a fixture
from tests.server import Server, running_server

pytestmark = pytest.mark.serial

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
AGENTS = [
    CHROME_WINDOWS,
    CHROME_WINDOWS,
    SAFARI_MAC,
    IPHONE,
    IPHONE,
    ANDROID_PHONE,
    ANDROID_TABLET,
    FIREFOX_LINUX,
]
PATHS = ["/", "/", "/pricing", "/docs", "/blog/launch", "/signup"]
REFERRERS = [
    None,
    None,
    "https://www.google.com",
    "https://news.ycombinator.com",
    "https://duckduckgo.com",
]


def _visits() -> list[tuple[str, list[dict[str, Any]]]]:
    """(User-Agent, events) per visit: 60 sessions of 40 people over the first week of March
    2026 (half of them bring their own anonymous id; the others get the server's)."""
    rng = random.Random(24)
    visits = []
    for n in range(60):
        start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(7 * 24 * 60))
        referrer = rng.choice(REFERRERS)
        person = {"anonymous_id": f"person-{rng.randrange(40)}"} if n % 2 else {}
        views = []
        for k in range(rng.choice([1, 1, 2, 3, 5])):
            props: dict[str, Any] = {"path": rng.choice(PATHS), "screen_width": 1280}
            if k == 0 and referrer:
                props["referrer"] = referrer
                if rng.random() < 0.5:
                    props["utm_source"] = rng.choice(["newsletter", "mastodon"])
            moment = start + timedelta(minutes=2 * k, seconds=rng.randrange(60))
            views.append(
                {
                    "namespace": "site",
                    "name": "pageView",
                    "timestamp": moment.isoformat(),
                    "session_id": f"visit-{n}",
                    "properties": props,
                    "context": {"library": {"name": "tidings.js", "version": "2"}},
                    **person,
                }
            )
        visits.append((rng.choice(AGENTS), views))
    return visits


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path / "data") as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (bash scripts/install installs it)")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_web_page_in_chromium(server: Server, browser: Any, artifacts: Path) -> None:  # noqa: F811
    expect = sync_api.expect
    key = server.create_source("site")
    total = 0
    for agent, events in _visits():
        answer = httpx.post(
            f"{server.url}/api/v1/events",
            json={"writeKey": key, "events": events},
            headers={"User-Agent": agent},
        )
        assert answer.status_code == 200, answer.text
        total += len(events)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, server, *server.admin)

    page.get_by_role("link", name="Web", exact=True).click()
    page.wait_for_url("**/web")
    expect(page.locator("#web-empty")).to_be_visible()  # nothing in the last 30 days

    query = "namespace=site&range=custom&from=2026-03-01&to=2026-03-07&tz=UTC"
    page.goto(f"{server.url}/web?{query}")
    expect(page.locator("#stat-pageviews")).to_have_text(str(total))
    expect(page.locator("#stat-sessions")).to_have_text("60")
    expect(page.locator("#top-referrers tbody tr")).to_have_count(3)
    expect(page.locator("#top-devices")).to_contain_text("tablet")
    drawn = page.evaluate(
        "!!(window.Chart && Chart.getChart(document.getElementById('web-chart')))"
    )
    assert drawn
    page.screenshot(path=str(artifacts / "web-summary.png"), full_page=True)

    # A row filters the page; the URL keeps it, and the chip takes it off again.
    page.locator("#top-devices a", has_text="mobile").click()
    page.wait_for_url("**prop.device=mobile**")
    expect(page.locator("#web-filters")).to_contain_text("device = mobile")
    mobile = int(page.locator("#stat-pageviews").inner_text())
    assert 0 < mobile < total
    page.screenshot(path=str(artifacts / "web-filtered.png"), full_page=True)
    page.locator("#web-filters a").click()
    expect(page.locator("#stat-pageviews")).to_have_text(str(total))

    # The form's controls change the range; the custom fields show only for custom.
    page.select_option("#range", "7d")
    expect(page.locator("#from")).to_be_hidden()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**range=7d**")
    assert errors == []
    context.close()
