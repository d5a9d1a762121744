from __future__ import annotations

from pathlib import Path

import orjson
from starlette.testclient import TestClient

from tests.http.dashboard.helpers import log_in

PAYLOADS = Path(__file__).parent / "payloads"
OPENCAST_HEADERS = {"Content-Type": "application/json; utf-8"}


def _send(client: TestClient, name: str) -> dict:
    body = (PAYLOADS / f"opencast_{name}.json").read_bytes()
    answer = client.post(
        "/api/1.0/" + ("adopter" if name == "general_data" else "statistic"),
        content=body,
        headers=OPENCAST_HEADERS,
    )
    assert answer.status_code == 200, answer.text
    return orjson.loads(body)


def test_opencast_page_without_adopters_says_how_they_register(client: TestClient, viewer) -> None:
    log_in(client, *viewer)
    page = client.get("/opencast")
    assert page.status_code == 200
    assert "No adopters yet" in page.text
    assert "/api/1.0/adopter" in page.text


def test_opencast_page_lists_adopters_with_latest_statistics_but_no_keys(
    client: TestClient, viewer
) -> None:
    adopter = _send(client, "general_data")
    statistic = _send(client, "statistics_ci")
    log_in(client, *viewer)
    page = client.get("/opencast").text
    assert adopter["organisation_name"] in page
    assert adopter["country"] in page
    assert statistic["version"] in page
    assert adopter["adopter_key"] not in page
    assert statistic["statistic_key"] not in page
