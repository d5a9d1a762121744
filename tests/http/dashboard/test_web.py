"""The Web page in process: the form's URL -> the API query, figures, filters, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import orjson
import pytest
from starlette.datastructures import QueryParams
from starlette.testclient import TestClient

from tests.core.test_visitors import CHROME_WINDOWS, IPHONE
from tests.http.dashboard.helpers import log_in
from tidings.errors import Invalid
from tidings.http.dashboard.web import WebForm, api_params

SNIPPET = {"library": {"name": "tidings.js", "version": "2"}}
DAYS = {"namespace": "site", "range": "custom", "from": "2026-03-01", "to": "2026-03-02"}


def _view(ts: str, path: str, session: str, **props: str) -> dict[str, object]:
    return {
        "namespace": "site",
        "name": "pageView",
        "timestamp": ts,
        "session_id": session,
        "properties": {"path": path, **props},
        "context": SNIPPET,
    }


@pytest.fixture
def logged_in(client: TestClient, write_key: str, viewer: tuple[str, str]) -> TestClient:
    for events, ua in (
        (
            [
                _view("2026-03-01T10:00:00Z", "/", "s1", referrer="https://news.example"),
                _view("2026-03-01T10:03:00Z", "/pricing", "s1"),
            ],
            CHROME_WINDOWS,
        ),
        ([_view("2026-03-02T09:00:00Z", "/pricing", "s2")], IPHONE),
    ):
        body = orjson.dumps({"writeKey": write_key, "events": events})
        answer = client.post("/api/v1/events", content=body, headers={"User-Agent": ua})
        assert answer.status_code == 200, answer.text
    log_in(client, *viewer)
    return client


def test_custom_days_are_whole_local_days_with_the_last_included() -> None:
    form = WebForm.from_params(QueryParams({**DAYS, "tz": "Europe/Berlin", "prop.os": "iOS"}))
    params = dict(api_params(form, 0))
    assert params["from"] == "2026-03-01T00:00:00+01:00"
    assert params["to"] == "2026-03-03T00:00:00+01:00"
    assert (params["namespace"], params["prop.os"], params["tz"]) == (
        "site",
        "iOS",
        "Europe/Berlin",
    )


def test_presets_end_now() -> None:
    now = int(datetime(2026, 3, 31, tzinfo=UTC).timestamp() * 1_000_000)
    params = dict(api_params(WebForm(range="7d"), now))
    assert (params["from"], params["to"]) == (
        "2026-03-24T00:00:00.000000Z",
        "2026-03-31T00:00:00.000000Z",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"range": "forever"}, "range"),
        ({"range": "custom"}, "from"),
        ({"range": "custom", "from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"range": "custom", "from": "March"}, "from"),
        ({"tz": "Nowhere/Else"}, "tz"),
    ],
)
def test_bad_fields_name_the_field(fields: dict[str, str], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        api_params(WebForm.from_params(QueryParams(fields)), 0)
    assert caught.value.errors[0].field == field


def test_page_shows_the_figures_and_links_that_filter(
    logged_in: TestClient, viewer: tuple[str, str]
) -> None:
    answer = logged_in.get("/web?" + urlencode(DAYS))
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert 'id="stat-visitors">2<' in html
    assert 'id="stat-pageviews">3<' in html
    assert 'id="stat-bounce">50%<' in html
    assert 'id="stat-duration">1m 30s<' in html
    assert "https://news.example" in html
    assert 'aria-current="page">Web</a>' in html
    link = "/web?" + urlencode({**DAYS, "tz": "UTC", "prop.device": "mobile"})
    assert f'href="{link.replace("&", "&amp;")}"' in html
    filtered = logged_in.get(link).text
    assert 'id="stat-pageviews">1<' in filtered
    assert "device = mobile" in filtered
    # The API link answers the same figures.
    api = filtered.split('id="api-link" href="')[1].split('"')[0].replace("&amp;", "&")
    assert dict(parse_qsl(api.split("?", 1)[1]))["prop.device"] == "mobile"
    assert logged_in.get(api, auth=viewer).json()["pageviews"] == 1


def test_a_bad_field_is_a_400_page(logged_in: TestClient) -> None:
    answer = logged_in.get("/web?range=forever")
    assert answer.status_code == 400
    assert "must be one of 24h, 7d, 30d, 90d, 365d or custom" in answer.text


def test_strangers_are_sent_to_log_in(client: TestClient) -> None:
    answer = client.get("/web?range=7d", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=/web")
