"""The dashboard in a real browser (Debian's chromium via Playwright) against a real server.

Screenshots of every page go to ``$TIDINGS_TEST_ARTIFACTS`` when set, else to
``<pytest tmp dir>/artifacts``; the test prints where.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server import Server, running_server

pytestmark = pytest.mark.serial

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")

# Across the Europe/Berlin switch to summer time (2026-03-29 01:00 UTC).
EXPLORE_EVENTS = [
    {"namespace": "shop", "name": "buy", "value": v, "timestamp": ts, "properties": {"plan": p}}
    for v, ts, p in [
        (10, "2026-03-29T00:10:00Z", "pro"),
        (5, "2026-03-29T00:50:00Z", "free"),
        (7, "2026-03-29T01:20:00Z", "pro"),
        (1, "2026-03-29T03:05:00Z", "pro"),
    ]
]


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


def _log_in(page, server: Server, username: str, password: str) -> None:
    page.goto(f"{server.url}/")
    assert "/login" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/")


def _send(server: Server, key: str, events: list[dict[str, object]]) -> None:
    answer = httpx.post(
        f"{server.url}/api/v1/events", json={"events": events}, headers={"X-Write-Key": key}
    )
    assert answer.status_code == 200, answer.text


def test_dashboard_end_to_end_in_chromium(
    server: Server, browser, artifacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    shot = 0

    def screenshot(name: str) -> None:
        nonlocal shot
        shot += 1
        page.screenshot(path=str(artifacts / f"{shot:02d}-{name}.png"), full_page=True)

    # Log in; an empty store says how to send the first event.
    page.goto(f"{server.url}/")
    screenshot("login")
    _log_in(page, server, *server.admin)
    expect(page.get_by_role("heading", name="No events yet")).to_be_visible()
    screenshot("overview-empty")

    # Admin creates a source; its key is shown once.
    page.goto(f"{server.url}/admin/sources")
    page.get_by_label("Name").fill("web")
    page.get_by_role("button", name="Create source").click()
    key = page.locator("#new-secret").inner_text().strip()
    assert key.startswith("wk_")
    screenshot("admin-sources-created")

    # The live tail shows events as they are sent through the API, pushed over one
    # Server-Sent Events stream (no polling), filtered and pausable.
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{server.url}/live")
    expect(page.locator("#live-status")).to_have_text("Live")
    _send(server, key, [{"namespace": "app", "name": "signup", "properties": {"plan": "pro"}}])
    expect(page.locator("#live-table tbody tr")).to_have_count(1, timeout=10_000)
    expect(page.locator("#live-table tbody")).to_contain_text("signup")
    streams = [u for u in requests if "/dashboard/data/live?" in u]
    assert len(streams) == 1 and "after=" in streams[0]
    page.wait_for_timeout(2000)
    assert len([u for u in requests if "/dashboard/data/events" in u]) == 1  # no polling
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#live-status")).to_have_text("Paused")
    _send(server, key, [{"namespace": "app", "name": "paused-one"}])
    page.wait_for_timeout(1500)
    expect(page.locator("#live-table tbody")).not_to_contain_text("paused-one")
    page.get_by_role("button", name="Resume").click()
    # Resuming replays what was sent while paused.
    expect(page.locator("#live-table tbody")).to_contain_text("paused-one", timeout=10_000)
    expect(page.locator("#live-table tbody tr")).to_have_count(2)
    page.locator("#live-namespace").fill("other")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.locator("#live-table tbody tr")).to_have_count(0)
    expect(page.locator("#live-status")).to_have_text("Live")
    assert "namespace=other" in page.url
    _send(
        server,
        key,
        [{"namespace": "app", "name": "filtered-out"}, {"namespace": "other", "name": "kept"}],
    )
    expect(page.locator("#live-table tbody")).to_contain_text("kept", timeout=10_000)
    expect(page.locator("#live-table tbody")).not_to_contain_text("filtered-out")
    screenshot("live")

    # The overview counts them and updates live while open.
    page.goto(f"{server.url}/")
    expect(page.locator("#stat-total")).to_have_text("4")
    expect(page.locator("#top-names")).to_contain_text("signup")
    _send(server, key, [{"namespace": "app", "name": "signup"}] * 3)
    expect(page.locator("#stat-total")).to_have_text("7", timeout=15_000)
    expect(page.locator("#stat-hour")).to_have_text("7")
    screenshot("overview")

    # An explorer query through the form: its table equals the aggregate API.
    _send(server, key, EXPLORE_EVENTS)
    page.goto(f"{server.url}/explore")
    page.get_by_label("Namespace").fill("shop")
    page.get_by_label("Name", exact=True).fill("buy")
    page.get_by_label("Function").select_option("sum")
    page.get_by_label("Granularity").select_option("hour")
    page.get_by_label("Time range").select_option("custom")
    page.get_by_label("From (in time zone)").fill("2026-03-29T00:00:00")
    page.get_by_label("To (exclusive)").fill("2026-03-29T06:00:00")
    page.get_by_label("Time zone", exact=True).fill("Europe/Berlin")
    page.get_by_role("button", name="Run query").click()
    expect(page.locator("#result-table")).to_be_visible()
    assert "range=custom" in page.url  # the URL holds the query
    rows = page.locator("#result-table tbody tr").all_inner_texts()
    table = [tuple(cell.strip() for cell in row.split("\t")) for row in rows]
    api = httpx.get(
        f"{server.url}/api/v1/aggregate",
        params={
            "namespace": "shop",
            "name": "buy",
            "fn": "sum",
            "granularity": "hour",
            "tz": "Europe/Berlin",
            "fill": "true",
            "from": "2026-03-28T23:00:00Z",
            "to": "2026-03-29T04:00:00Z",
        },
        auth=server.admin,
    ).json()
    expected = [
        (b["start"], "" if b["value"] is None else str(b["value"]), str(b["count"]))
        for b in api["buckets"]
    ]
    assert table == expected
    assert sum(float(v) for _, v, _ in table if v) == 23
    screenshot("explorer")

    # The CSV download holds the same numbers.
    with page.expect_download() as download_info:
        page.locator("#csv-link").click()
    content = Path(download_info.value.path()).read_text()
    rows_csv = list(csv.DictReader(io.StringIO(content)))
    assert [(r["start"], r["value"], r["count"]) for r in rows_csv] == expected

    # Group by a property, bar chart.
    page.get_by_label("Group by").fill("prop.plan")
    page.get_by_label("Granularity").select_option("total")
    page.get_by_label("Chart", exact=True).select_option("bar")
    page.get_by_role("button", name="Run query").click()
    expect(page.locator("#result-table")).to_contain_text("free")
    screenshot("explorer-grouped")

    # Sessions, Opencast, admin areas render.
    for path, name in [
        ("/sessions", "sessions"),
        ("/opencast", "opencast"),
        ("/admin/tokens", "admin-tokens"),
        ("/admin/clients", "admin-clients"),
    ]:
        page.goto(f"{server.url}{path}")
        expect(page.locator("h1")).to_be_visible()
        screenshot(name)

    # A Microticks consumer: its key is shown once, it starts sessions until deactivated.
    page.goto(f"{server.url}/admin/consumers")
    page.get_by_label("Name").fill("course-site")
    page.get_by_role("button", name="Create consumer").click()
    consumer_key = page.locator("#new-secret").inner_text().strip()
    session = {"consumer_key": consumer_key, "ts": "2026-03-29T00:00:00.000Z"}
    assert httpx.post(f"{server.url}/sessions", data=session).json()["status"] == 200
    screenshot("admin-consumers-created")
    page.get_by_role("button", name="Deactivate consumer course-site").click()
    expect(page.locator("#consumers-table")).to_contain_text("inactive since")
    refused = httpx.post(f"{server.url}/sessions", data=session).json()
    assert refused == {"error": "Consumer is not active.", "status": 400}
    screenshot("admin-consumers")

    # Revoke the key as admin: the API refuses it afterwards.
    page.goto(f"{server.url}/admin/sources")
    page.get_by_role("button", name="Revoke source web").click()
    expect(page.locator("#sources-table")).to_have_count(0)
    refused = httpx.post(
        f"{server.url}/api/v1/events",
        json={"namespace": "app", "name": "late"},
        headers={"X-Write-Key": key},
    )
    assert refused.status_code == 401
    screenshot("admin-sources-revoked")

    # A viewer, made in the dashboard, cannot reach admin pages.
    page.goto(f"{server.url}/admin/users")
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password (8+ characters)").fill("vera-password-1")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#users-table")).to_contain_text("vera")
    screenshot("admin-users")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/login")
    _log_in(page, server, "vera", "vera-password-1")
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    answer = page.goto(f"{server.url}/admin/sources")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
    screenshot("viewer-forbidden")

    # Phone width: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in [
        ("/", "phone-overview"),
        ("/explore", "phone-explorer"),
        ("/live", "phone-live"),
    ]:
        page.goto(f"{server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a phone"
        screenshot(name)
    context.close()
    with capsys.disabled():
        sys.stderr.write(f"\nscreenshots: {artifacts}\n")
