"""Secrets only as hashes: after making every kind of credential (and using each), no
plaintext secret is anywhere in the database, neither in any table nor in the raw bytes of
the SQLite files (main file, WAL and shared memory)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from starlette.testclient import TestClient

from tests.security.conftest import Credentials
from tests.services import postgres_schema
from tidings.config import Settings
from tidings.http.deps import Runtime

NEW_SECRET = re.compile(r'id="new-secret" class="secret-value">([^<]+)<')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _dashboard_secrets(client: TestClient, creds: Credentials) -> list[str]:
    """Make a user, source, API token and OAuth client through the admin pages."""
    cookie, csrf = creds.sessions["session_admin"]
    client.cookies.clear()
    made = ["dashboard-made-password-1", "changed-by-admin-password-2"]
    forms = [
        ("/admin/users", {"username": "carol", "password": made[0], "role": "viewer"}),
        ("/admin/users/password", {"username": "carol", "password": made[1]}),
        ("/admin/sources", {"name": "dash-source"}),
        ("/admin/tokens", {"username": "carol", "label": "ci"}),
        ("/admin/clients", {"name": "dash-client", "scope": "write"}),
    ]
    for path, form in forms:
        answer = client.post(path, data={**form, "csrf": csrf}, headers={"Cookie": cookie})
        assert answer.status_code in (200, 201, 303), (path, answer.text[:300])
        made += NEW_SECRET.findall(answer.text)
    assert len(made) == 5, made
    return made


def _use_them(client: TestClient, creds: Credentials) -> list[str]:
    """Ingest with the write key, start a Microticks session and click; returns the session
    token (a secret too)."""
    event = {"namespace": "n", "name": "e", "properties": {"marker": "PLAINTEXT-MARKER-1"}}
    answer = client.post("/api/v1/events", json=event, headers={"X-Write-Key": creds.write_key})
    assert answer.status_code == 200
    answer = client.post(
        "/sessions", data={"consumer_key": creds.consumer_key, "ts": "2026-01-01T00:00:00Z"}
    )
    token: str = answer.json()["token"]
    click = {"token": token, "action": "click", "data": "{}", "ts": "2026-01-01T00:00:01Z"}
    assert client.post("/events", data=click).status_code == 200
    return [token]


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield settings
        return
    with postgres_schema() as url:
        yield settings.replace(database_url=url)


def _database_files(settings: Settings) -> list[Path]:
    files = [p for p in Path(settings.data_dir).iterdir() if p.name.startswith("tidings.db")]
    assert any(p.name == "tidings.db" for p in files), files
    return files


def test_no_plaintext_secret_is_stored(
    client: TestClient, creds: Credentials, rt: Runtime, settings: Settings
) -> None:
    secrets = creds.secrets + _dashboard_secrets(client, creds) + _use_them(client, creds)
    assert len(set(secrets)) == len(secrets) >= 18

    # Every value of every row of every table, as text.
    meta = MetaData()
    meta.reflect(rt.storage.engine)
    with rt.storage.engine.connect() as conn:
        cells = [
            str(value)
            for table in meta.sorted_tables
            for row in conn.execute(select(table))
            for value in row
        ]
    text = "\n".join(cells)
    assert "PLAINTEXT-MARKER-1" in text, "the table scan sees stored data"
    assert [s for s in secrets if s in text] == []

    if not rt.settings.resolved_database_url.startswith("sqlite"):
        return  # PostgreSQL's files are the server's; the table scan above covers it.
    # The raw bytes of the database files: nothing hides in free pages or the WAL.
    raw = b"".join(p.read_bytes() for p in _database_files(settings))
    assert b"PLAINTEXT-MARKER-1" in raw, "the byte scan sees stored data"
    assert [s for s in secrets if s.encode() in raw] == []
