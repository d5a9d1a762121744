"""The Funnels, Retention and People pages: they show what the API they link to answers,
keep their state in the URL, show bad input in the page with 400, and let admins erase."""

from __future__ import annotations

import html
import re

import pytest
from starlette.testclient import TestClient

from tests.conftest import VIEWER
from tests.http.dashboard.helpers import csrf_of, log_in
from tidings.http.deps import Runtime
from tidings.storage import persons

EVENTS = [
    {
        "namespace": "shop",
        "name": "view",
        "anonymous_id": "c1",
        "timestamp": "2026-03-02T10:00:00Z",
    },
    {"namespace": "shop", "name": "buy", "user_id": "ada", "timestamp": "2026-03-02T10:30:00Z"},
    {"namespace": "shop", "name": "view", "user_id": "bob", "timestamp": "2026-03-03T09:00:00Z"},
    {"namespace": "shop", "name": "view", "user_id": "bob", "timestamp": "2026-03-10T09:00:00Z"},
]
RANGE = {"range": "custom", "from": "2026-03-01T00:00", "to": "2026-04-01T00:00", "tz": "UTC"}


@pytest.fixture
def logged_in(client: TestClient, rt: Runtime, admin, write_key: str) -> TestClient:
    persons.identify(rt.storage.engine, "ada", "c1", {"email": "ada@example.org"})
    answer = client.post(
        "/api/v1/events", json={"events": EVENTS}, headers={"X-Write-Key": write_key}
    )
    assert answer.status_code == 200
    log_in(client, *admin)
    return client


def _api_link(page: str) -> str:
    match = re.search(r'id="api-link" href="([^"]+)"', page)
    assert match, "page links no API query"
    return html.unescape(match.group(1))


def test_funnel_page_shows_what_its_api_link_answers(logged_in: TestClient, admin) -> None:
    page = logged_in.get(
        "/funnels", params={**RANGE, "step": ["shop/view", "shop/buy", ""], "window": "3600"}
    )
    assert page.status_code == 200, page.text
    api = logged_in.get(_api_link(page.text), auth=admin).json()
    assert [s["count"] for s in api["steps"]] == [2, 1]
    assert 'id="funnel-chart"' in page.text
    assert '<td>2. shop/buy</td><td class="n">1</td><td class="n">50.0%</td>' in page.text
    # The form keeps the steps (state in the URL) and offers a spare step field.
    assert 'value="shop/buy"' in page.text and 'id="step-3"' in page.text


def test_retention_page_shows_cohorts(logged_in: TestClient, admin) -> None:
    query = {**RANGE, "start": "shop/view", "return": "shop/view", "period": "week", "periods": "3"}
    page = logged_in.get("/retention", params=query)
    assert page.status_code == 200, page.text
    api = logged_in.get(_api_link(page.text), auth=admin).json()
    assert api["cohorts"] == [
        {"start": "2026-03-02T00:00:00+00:00", "size": 2, "returned": [2, 1, 0]}
    ]
    assert "<td>2026-03-02T00:00:00+00:00</td>" in page.text and "50%" in page.text


def test_people_list_search_and_person_page(logged_in: TestClient) -> None:
    listing = logged_in.get("/people", params={**RANGE, "search": "EXAMPLE"})
    assert listing.status_code == 200
    assert ">ada</a>" in listing.text and ">bob</a>" not in listing.text
    person = logged_in.get("/people/ada", params=RANGE)
    assert person.status_code == 200
    assert "ada@example.org" in person.text and "c1" in person.text
    assert 'id="person-events">2<' in person.text
    assert logged_in.get("/people/nobody", params=RANGE).status_code == 404


def test_bad_input_shows_in_the_page_with_400(logged_in: TestClient) -> None:
    answer = logged_in.get("/funnels", params={"step": ["shop/view"]})
    assert answer.status_code == 400 and "step" in answer.text
    answer = logged_in.get("/retention", params={"start": "shop/view", "return": "x", **RANGE})
    assert answer.status_code == 400 and "return" in answer.text
    answer = logged_in.get("/people", params={"range": "forever"})
    assert answer.status_code == 400 and "range" in answer.text


def test_admins_erase_a_person_from_the_person_page(logged_in: TestClient, admin) -> None:
    page = logged_in.get("/people/ada", params=RANGE)
    erased = logged_in.post(
        "/people/erase", data={"csrf": csrf_of(page.text), "person": "ada"}, follow_redirects=False
    )
    assert erased.status_code == 303
    assert logged_in.get("/people/ada", params=RANGE).status_code == 404
    # The anonymous id's events went with the person.
    left = logged_in.get(
        "/api/v1/persons",
        params={"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"},
        auth=admin,
    )
    assert [p["person"] for p in left.json()["persons"]] == ["bob"]


def test_viewers_see_people_but_no_erase_button(
    client: TestClient, rt: Runtime, viewer: tuple[str, str], write_key: str
) -> None:
    client.post("/api/v1/events", json={"events": EVENTS}, headers={"X-Write-Key": write_key})
    log_in(client, *VIEWER)
    page = client.get("/people/bob", params=RANGE)
    assert page.status_code == 200 and "Erase person" not in page.text
    token = csrf_of(page.text)
    assert client.post("/people/erase", data={"csrf": token, "person": "bob"}).status_code == 403


def test_navigation_names_the_new_pages(logged_in: TestClient) -> None:
    page = logged_in.get("/").text
    for href in ("/funnels", "/retention", "/people"):
        assert f'href="{href}"' in page
