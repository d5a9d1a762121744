"""The Funnels, Retention and People pages in a real browser (Debian's chromium via
Playwright) against a real server: forms keep their state in the URL, the tables equal the
API, the charts draw, and an admin erases a person. Screenshots of each page go to
``$TIDINGS_TEST_ARTIFACTS`` when set, else to ``<pytest tmp dir>/artifacts``."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.server import Server, running_server

pytestmark = pytest.mark.serial

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    base = os.environ.get("TIDINGS_TEST_ARTIFACTS")
    path = Path(base) if base else tmp_path / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path / "data") as running:
        yield running


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (bash scripts/install installs it)")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _shop(server: Server, key: str) -> None:
    """Three weeks of a small shop: anonymous visits, sign-ins (identify), purchases."""
    monday = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday() + 14)
    events = []
    for i in range(6):
        visitor = f"device-{i}"
        start = monday + timedelta(days=i % 3, hours=i)
        events.append(
            {"namespace": "shop", "name": "view", "anonymous_id": visitor, "timestamp": _iso(start)}
        )
        if i % 2 == 0:
            events.append(
                {
                    "namespace": "shop",
                    "name": "cart",
                    "anonymous_id": visitor,
                    "timestamp": _iso(start + timedelta(minutes=5)),
                }
            )
        if i % 3 == 0:
            events.append(
                {
                    "namespace": "shop",
                    "name": "buy",
                    "anonymous_id": visitor,
                    "timestamp": _iso(start + timedelta(minutes=9 + i)),
                    "properties": {"plan": "pro"},
                }
            )
        if i < 3:
            events.append(
                {
                    "namespace": "shop",
                    "name": "view",
                    "anonymous_id": visitor,
                    "timestamp": _iso(start + timedelta(days=7)),
                }
            )
    answer = httpx.post(
        f"{server.url}/api/v1/events", json={"events": events}, headers={"X-Write-Key": key}
    )
    assert answer.status_code == 200, answer.text
    for i in (0, 1):
        identify = {
            "userId": f"user-{i}",
            "anonymousId": f"device-{i}",
            "traits": {"email": f"u{i}@example.org", "plan": "pro"},
            "context": {"namespace": "shop"},
        }
        assert (
            httpx.post(
                f"{server.url}/v1/identify", json=identify, headers={"X-Write-Key": key}
            ).status_code
            == 200
        )


def test_product_pages_in_chromium(
    server: Server, browser, artifacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect = sync_api.expect
    key = server.create_source("web")
    _shop(server, key)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    def screenshot(name: str) -> None:
        page.screenshot(path=str(artifacts / f"product-{name}.png"), full_page=True)

    page.goto(f"{server.url}/login?next=/funnels")
    page.get_by_label("Username").fill(server.admin[0])
    page.get_by_label("Password").fill(server.admin[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/funnels")

    # Funnels: three steps with a filter on the last; the table equals the API it links to.
    page.get_by_label("Step 1 (namespace/name)").fill("shop/view")
    page.get_by_label("Step 2 (namespace/name)").fill("shop/cart")
    page.get_by_label("Step 3 (namespace/name)").fill("shop/buy")
    page.get_by_label("Step 3 filter").fill("plan=pro")
    page.get_by_label("Conversion window").select_option("3600")
    page.get_by_role("button", name="Show funnel").click()
    expect(page.locator("#funnel-table")).to_be_visible()
    assert "step=shop%2Fcart" in page.url and "window=3600" in page.url
    api = httpx.get(
        f"{server.url}{page.locator('#api-link').get_attribute('href')}", auth=server.admin
    ).json()
    assert [s["count"] for s in api["steps"]] == [6, 3, 1]
    cells = page.locator("#funnel-table tbody tr td:nth-child(2)").all_inner_texts()
    assert cells == ["6", "3", "1"]
    page.wait_for_function("document.getElementById('funnel-chart').width > 0")
    bookmarked = page.url
    page.goto(f"{server.url}/")
    page.goto(bookmarked)  # a bookmark shows the same funnel
    expect(page.locator("#funnel-table")).to_contain_text("shop/buy")
    screenshot("funnels")

    # Retention by week: everyone starts in one week; half come back the next.
    page.goto(f"{server.url}/retention")
    page.get_by_label("First event (namespace/name)").fill("shop/view")
    page.get_by_label("Returning event (namespace/name)").fill("shop/view")
    page.get_by_label("Periods shown").fill("3")
    page.get_by_role("button", name="Show retention").click()
    expect(page.locator("#retention-table")).to_be_visible()
    row = page.locator("#retention-table tbody tr").first.inner_text().split("\t")
    assert row[1:] == ["6", "100%", "50%", "0%"]
    assert "period=week" in page.url
    screenshot("retention")

    # People: identified persons carry traits; search finds them by a trait.
    page.goto(f"{server.url}/people")
    expect(page.locator("#people-table tbody tr")).to_have_count(6)
    page.get_by_label("Search").fill("U1@EXAMPLE")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#people-table tbody tr")).to_have_count(1)
    assert "search=U1%40EXAMPLE" in page.url
    screenshot("people")
    page.get_by_role("link", name="user-1").click()
    expect(page.locator("h1")).to_have_text("user-1")
    expect(page.locator("#person-traits")).to_contain_text("u1@example.org")
    expect(page.locator("#person-ids")).to_contain_text("device-1")
    expect(page.locator("#person-events-table tbody tr")).to_have_count(
        3
    )  # two views and the identify call
    screenshot("person")

    # The admin erases the person from its page; the API no longer knows them.
    page.get_by_role("button", name="Erase user-1").click()
    expect(page.locator("#erased")).to_contain_text("user-1")
    gone = httpx.get(f"{server.url}/api/v1/persons/user-1", auth=server.admin)
    assert gone.status_code == 404
    screenshot("people-after-erasure")
    context.close()
    with capsys.disabled():
        sys.stderr.write(f"\nproduct page screenshots: {artifacts}\n")
