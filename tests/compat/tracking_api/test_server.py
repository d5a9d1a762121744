"""The Tracking API's client flow against a real ``tidings serve``: a client made on the
command line gets a token, tracks, aggregates; a user's API token reads the same events."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.server import running_server

pytestmark = pytest.mark.serial


def test_client_credentials_flow_end_to_end(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server:
        made = json.loads(
            server.cli(
                "client",
                "create",
                "tracker",
                "--scope",
                "write",
                "--scope",
                "aggregation",
                "--json",
            )
        )
        grant = httpx.post(
            f"{server.url}/o/token/",
            data={"grant_type": "client_credentials"},
            auth=(made["client_id"], made["client_secret"]),
        )
        assert grant.status_code == 200
        assert grant.json()["scope"] == "write aggregation"
        headers = {"Authorization": f"Bearer {grant.json()['access_token']}"}
        for value in (3, 9):
            answer = httpx.post(
                f"{server.url}/api/track/",
                json={
                    "namespace": "andy",
                    "name": "cpu",
                    "value": value,
                    "timestamp": "2020-08-01T13:20:30",
                },
                headers=headers,
            )
            assert answer.status_code == 201
        aggregate = httpx.get(f"{server.url}/api/events/andy/cpu?granularity=day", headers=headers)
        assert aggregate.json() == [{"value": 6.0, "aggregatedTimestamp": "2020-08-01T13:20:30Z"}]
        token = json.loads(server.cli("token", "create", "--user", "admin", "--json"))["token"]
        listed = httpx.get(
            f"{server.url}/api/v1/events?namespace=andy",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert listed.status_code == 200
        assert {e["source"] for e in listed.json()["events"]} == {"oauth.tracker"}
