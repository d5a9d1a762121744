"""Secrets never logged: every log record written while credentials are made, used, guessed
and refused (in process, at DEBUG), and a real server's whole stderr, hold none of them."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tests.http.dashboard.helpers import csrf_of
from tests.security.conftest import Credentials
from tests.server import running_server
from tidings.app import create_app
from tidings.config import Settings

WEBHOOK = "webhook-secret-not-for-logs-1"
MICROTICKS = "microticks-key-not-for-logs-1"
CLIENT_LOGGERS = ("httpx", "httpcore")
#: Wrong passwords and keys are secrets too: often a typo of the right one.
GUESSES = ["guessed-password-not-for-logs", "wk_guessed_key_not_for_logs"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(segmentio_webhook_secret=WEBHOOK, microticks_key=MICROTICKS)


def _use_everything(http: httpx.Client | TestClient, key: str, consumer: str) -> list[str]:
    """Ingest, log in, fail to log in, get and use tokens in every way the API takes them.
    Returns the secrets that were made on the way."""
    event = {"namespace": "n", "name": "e"}
    basic_key = base64.b64encode(f"{key}:".encode()).decode()
    http.post("/api/v1/events", json=event, headers={"X-Write-Key": key})
    http.post("/api/v1/events", json=event, headers={"Authorization": f"Bearer {key}"})
    http.post(
        "/v1/track",
        json={"event": "e", "userId": "u"},
        headers={"Authorization": f"Basic {basic_key}"},
    )
    http.post("/v1/track", json={"event": "e", "userId": "u", "writeKey": key})
    http.post(f"/event?writeKey={key}", data={"event_type": "e", "event": "{}", "page": "/"})
    http.post(f"/segmentio/event?key={WEBHOOK}", json={})
    http.get(f"/events?key={MICROTICKS}")
    for guess in GUESSES:
        http.post("/api/v1/events", json=event, headers={"X-Write-Key": guess})
        http.get("/api/v1/events", auth=("admin", guess))
        http.post(f"/segmentio/event?key={guess}", json={})
        http.get(f"/events?key={guess}")
    token = http.post("/sessions", data={"consumer_key": consumer, "ts": "2026-01-01T00:00:00Z"})
    session = token.json()["token"]
    http.post(
        "/events",
        data={"token": session, "action": "a", "data": "{}", "ts": "2026-01-01T00:00:01Z"},
    )
    # The wrong password first: after the right one, /login redirects instead of a form.
    for password in (GUESSES[0], ADMIN[1]):
        login = csrf_of(http.get("/login").text)
        http.post("/login", data={"csrf": login, "username": "admin", "password": password})
    return [session]


def test_no_secret_reaches_the_log_records(
    client: TestClient, creds: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    made = _use_everything(client, creds.write_key, creds.consumer_key)
    for headers in creds.headers.values():
        client.get("/api/v1/events", headers=headers)
    secrets = creds.secrets + made + GUESSES + [WEBHOOK, MICROTICKS]
    # The server's records only: the test's own HTTP client logs the URLs it calls.
    records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    logged = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text}" for r in records)
    assert caplog.records, "nothing was logged at all: the capture is not working"
    assert [s for s in secrets if s in logged] == []


def test_a_generated_admin_password_is_shown_on_stderr_but_not_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(Settings(data_dir=str(tmp_path), admin_password=""))):
        pass
    shown = capsys.readouterr().err
    password = shown.split("with password: ", 1)[1].split()[0]
    assert len(password) >= 16
    assert password not in "\n".join(r.getMessage() for r in caplog.records)


@pytest.mark.serial
def test_a_real_servers_output_holds_no_secret(tmp_path: Path) -> None:
    env = {
        "TIDINGS_LOG_LEVEL": "debug",
        "TIDINGS_SEGMENTIO_WEBHOOK_SECRET": WEBHOOK,
        "TIDINGS_MICROTICKS_KEY": MICROTICKS,
    }
    with running_server(tmp_path, env) as server:
        key = server.create_source("web")
        consumer = json.loads(server.cli("consumer", "create", "lib", "--json"))["key"]
        made = json.loads(server.cli("client", "create", "c", "--scope", "write", "--json"))
        token = json.loads(server.cli("token", "create", "--user", "admin", "--json"))["token"]
        with httpx.Client(base_url=server.url) as http:
            secrets = _use_everything(http, key, consumer)
            answer = http.post(
                "/o/token/",
                data={
                    "grant_type": "client_credentials",
                    "client_id": made["client_id"],
                    "client_secret": made["client_secret"],
                },
            )
            access = answer.json()["access_token"]
            http.post(
                "/api/v1/events",
                json={"namespace": "n", "name": "e"},
                headers={"Authorization": f"Bearer {access}"},
            )
            http.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
            http.post(
                "/o/token/",
                data={
                    "grant_type": "client_credentials",
                    "client_id": made["client_id"],
                    "client_secret": GUESSES[0],
                },
            )
        secrets += [key, consumer, made["client_secret"], token, access, ADMIN[1]]
        secrets += [*GUESSES, WEBHOOK, MICROTICKS]
    output = server.log.read_text()
    assert "Started server process" in output, "the server's output was not captured"
    assert [s for s in secrets if s in output] == []
