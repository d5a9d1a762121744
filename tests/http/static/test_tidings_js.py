"""The browser snippet in headless Chromium, on a page from another origin than Tidings."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Event, Thread
from typing import Any

import httpx
import pytest

from tests.server import Server, free_port, running_server

pytestmark = pytest.mark.serial

CHROMIUM = "/usr/bin/chromium"
PAGE = """<!doctype html>
<html><head><title>Shop</title><link rel="icon" href="data:,">
<script src="{tidings}/tidings.js" data-write-key="{key}" data-namespace="shop" {extra}></script>
</head><body style="margin:0">
<div style="height:100px"></div>
<button id="buy" style="width:200px;height:50px">Buy</button>
<a id="away" href="/other">away</a>
</body></html>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("browser") / "data") as started:
        yield started


@pytest.fixture(scope="module")
def site() -> Iterator[dict[str, str]]:
    """A page server on another port (another origin); tests put pages in the dict."""
    pages: dict[str, str] = {
        "/other": '<!doctype html><title>Other</title><link rel="icon" href="data:,"><p>other'
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0], "not found").encode()
            self.send_response(200 if self.path.split("?")[0] in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    pages["base"] = f"http://localhost:{httpd.server_address[1]}"
    yield pages
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (scripts/install installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.console_errors = errors
    yield opened
    context.close()


def _fetcher(server: Server, source: str) -> Callable[[], list[dict[str, Any]]]:
    def fetch() -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{server.url}/api/v1/events", params={"source": source}, auth=server.admin
        )
        events: list[dict[str, Any]] = answer.json()["events"]
        return events

    return fetch


def _arrived(server: Server, source: str, count: int) -> list[dict[str, Any]]:
    """The events of ``source``, once ``count`` have been committed: the live stream replays
    the stored ones, then sends each new one as it commits (bounded; no timing asserted)."""
    deadline = time.monotonic() + 20
    seen = 0
    params = {"source": source, "after": "0", "format": "ndjson"}
    url = f"{server.url}/api/v1/live"
    with httpx.stream("GET", url, params=params, auth=server.admin, timeout=20) as live:
        for line in live.iter_lines():
            seen += bool(line.strip())  # blank lines are keepalives
            if seen >= count or time.monotonic() > deadline:
                break
    return _fetcher(server, source)()


def _publish(site: dict[str, str], path: str, server_url: str, key: str, extra: str = "") -> str:
    site[path] = PAGE.format(tidings=server_url, key=key, extra=extra)
    return site["base"] + path


def test_page_view_click_and_custom_event_arrive_in_one_session(server, site, page) -> None:
    key = server.create_source("browser-basic")
    page.goto(_publish(site, "/basic", server.url, key))
    page.mouse.click(30, 120)  # inside #buy, which starts 100px down
    page.evaluate("tidings.track('signup', {plan: 'pro'}, 3)")
    session = page.evaluate("tidings.sessionId")
    page.evaluate("tidings.flush()")
    events = _arrived(server, "browser-basic", 3)
    by_name = {e["name"]: e for e in events}
    assert sorted(by_name) == ["click", "pageView", "signup"]
    assert {e["namespace"] for e in events} == {"shop"}
    assert {e["session_id"] for e in events} == {session}
    click = by_name["click"]["properties"]
    assert (click["target"], click["clickX"], click["clickY"]) == ("buy", 30, 120)
    assert by_name["pageView"]["properties"]["path"] == "/basic"
    assert by_name["pageView"]["properties"]["title"] == "Shop"
    # Every browser event also gets what the server derives from the User-Agent.
    signup = by_name["signup"]["properties"]
    assert signup == {
        "plan": "pro",
        "browser": "HeadlessChrome",
        "os": "Linux",
        "device": "desktop",
    }
    assert by_name["signup"]["value"] == 3
    assert by_name["signup"]["context"]["page"]["url"].endswith("/basic")
    assert page.console_errors == []


def test_session_id_survives_navigation_within_the_tab(server, site, page) -> None:
    key = server.create_source("browser-session")
    url = _publish(site, "/session", server.url, key)
    page.goto(url)
    first = page.evaluate("tidings.sessionId")
    page.goto(url)
    assert page.evaluate("tidings.sessionId") == first


def test_events_pending_at_unload_are_sent_by_beacon(server, site, page) -> None:
    key = server.create_source("browser-unload")
    page.goto(_publish(site, "/unload", server.url, key, 'data-page-views="false"'))
    page.evaluate("tidings.track('leaving', {step: 1})")
    # Navigate away at once: the 1 s batch timer never fires, only pagehide can send it.
    page.click("#away")
    page.wait_for_url("**/other")
    events = _arrived(server, "browser-unload", 2)
    assert sorted(e["name"] for e in events) == ["click", "leaving"]


def test_unreachable_server_does_not_block_leaving_the_page(server, site, page) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    extra = f'data-host="{dead}"'
    page.goto(_publish(site, "/dead", server.url, "wk_unused", extra))
    page.evaluate("tidings.track('lost')")
    page.goto(site["base"] + "/other")
    assert page.title() == "Other"
    page.close(run_before_unload=True)


def test_snippet_without_a_write_key_sends_nothing_and_throws_nothing(server, site, page):
    page.goto(_publish(site, "/nokey", server.url, ""))
    assert page.evaluate("typeof window.tidings") == "undefined"
    assert [e for e in page.console_errors if "tidings" in e] == []


class RefusingProxy:
    """In front of Tidings: every POST is forwarded, but the first answer is lost and
    replaced by 503 (Retry-After: 0), as when a proxy times out after the commit."""

    def __init__(self, upstream: str) -> None:
        self.posts = 0
        self.answered = 0
        #: Set once the first (lost) answer and the resend's answer have both gone out.
        self.both_answered = Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.posts += 1
                forwarded = httpx.post(
                    upstream + self.path,
                    content=body,
                    headers={"Content-Type": self.headers["Content-Type"]},
                )
                status, content = forwarded.status_code, forwarded.content
                if proxy.posts == 1:
                    status, content = 503, b'{"detail": "try again"}'
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Expose-Headers", "Retry-After")
                self.send_header("Retry-After", "0")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
                proxy.answered += 1
                if proxy.answered >= 2:
                    proxy.both_answered.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_batch_whose_answer_is_lost_is_resent_and_stored_once(server, site, page) -> None:
    key = server.create_source("browser-retry")
    proxy = RefusingProxy(server.url)
    try:
        extra = f'data-host="{proxy.url}" data-clicks="false"'
        page.goto(_publish(site, "/retry", server.url, key, extra))
        page.evaluate("tidings.track('checkout'); tidings.flush()")
        proxy.both_answered.wait(20)
        assert proxy.posts == 2
        # The resend carried the same message ids, so nothing was stored twice.
        events = _fetcher(server, "browser-retry")()
        assert sorted(e["name"] for e in events) == ["checkout", "pageView"]
    finally:
        proxy.httpd.shutdown()
        proxy.httpd.server_close()


def test_landing_from_another_site_with_utm_stores_origin_campaign_and_device(
    server, site, page
) -> None:
    key = server.create_source("browser-web")
    landing = _publish(site, "/landing", server.url, key, 'data-clicks="false"')
    _publish(site, "/next", server.url, key, 'data-clicks="false"')
    # Another site (another host name on the same test server) links to the landing page.
    port = site["base"].rsplit(":", 1)[1]
    other_site = f"http://127.0.0.1:{port}"
    query = "?utm_source=news&utm_medium=email&utm_campaign=winter&utm_term=t&utm_content=c"
    site["/from"] = (
        '<!doctype html><title>From</title><link rel="icon" href="data:,">'
        f'<a id="go" href="{landing}{query}">go</a>'
    )
    page.goto(other_site + "/from")
    page.click("#go")
    page.wait_for_url("**/landing?*")
    first_session = page.evaluate("tidings.sessionId")
    page.evaluate("tidings.flush()")
    page.goto(site["base"] + "/next")  # inside the site: no referrer
    page.evaluate("tidings.flush()")
    events = _arrived(server, "browser-web", 2)
    by_path = {e["properties"]["path"]: e for e in events}
    entry, inner = by_path["/landing"], by_path["/next"]
    props = entry["properties"]
    assert props["referrer"] == other_site
    assert {k: props[k] for k in props if k.startswith("utm_")} == {
        "utm_source": "news",
        "utm_medium": "email",
        "utm_campaign": "winter",
        "utm_term": "t",
        "utm_content": "c",
    }
    assert props["screen_width"] == page.evaluate("screen.width")
    assert (props["os"], props["device"]) == ("Linux", "desktop")
    assert "Chrome" in props["browser"]
    assert "referrer" not in inner["properties"]
    assert "utm_source" not in inner["properties"]
    # One visitor, one session; nothing that identifies the browser beyond today is kept.
    assert entry["session_id"] == inner["session_id"] == first_session
    assert entry["anonymous_id"] and entry["anonymous_id"] == inner["anonymous_id"]
    user_agent = page.evaluate("navigator.userAgent")
    for event in events:
        assert user_agent not in repr(event)
        assert "userAgent" not in event["context"]
        assert "referrer" not in event["context"]["page"]
    assert page.console_errors == []


def test_session_ends_after_thirty_idle_minutes(server, site, page) -> None:
    key = server.create_source("browser-idle")
    page.goto(_publish(site, "/idle", server.url, key, 'data-clicks="false"'))
    first = page.evaluate("tidings.sessionId")
    # Pretend the last event was 31 minutes ago: the next event starts a new session.
    page.evaluate(
        "(() => { const s = JSON.parse(sessionStorage.getItem('tidings.session'));"
        " s.last -= 31 * 60 * 1000; sessionStorage.setItem('tidings.session', JSON.stringify(s));"
        " })()"
    )
    page.goto(site["base"] + "/idle")
    assert page.evaluate("tidings.sessionId") != first
