from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.http.dashboard.helpers import csrf_of, log_in

SECRET = re.compile(r'id="new-secret" class="secret-value">([^<]+)<')
TS = "2017-08-25T17:10:00.000Z"


def _start_session(client: TestClient, key: str) -> dict[str, object]:
    answer: dict[str, object] = client.post(
        "/sessions", data={"consumer_key": key, "ts": TS}
    ).json()
    return answer


def test_admin_creates_a_consumer_sees_its_key_once_and_deactivates_it(
    client: TestClient, admin
) -> None:
    log_in(client, *admin)
    page = client.get("/admin/consumers")
    assert page.status_code == 200 and "No consumers yet" in page.text
    token = csrf_of(page.text)
    created = client.post("/admin/consumers", data={"csrf": token, "name": "course-site"})
    assert created.status_code == 201
    key = SECRET.search(created.text).group(1)
    assert _start_session(client, key)["status"] == 200
    listing = client.get("/admin/consumers").text
    assert key not in listing
    assert "course-site" in listing and ">active<" in listing
    gone = client.post("/admin/consumers/deactivate", data={"csrf": token, "name": "course-site"})
    assert gone.status_code == 200  # the redirect back to the list, followed
    assert "inactive since" in gone.text
    assert 'aria-label="Deactivate consumer course-site"' not in gone.text
    assert _start_session(client, key) == {"error": "Consumer is not active.", "status": 400}
    # The name is free again; both rows stay listed, the new one active.
    again = client.post("/admin/consumers", data={"csrf": token, "name": "course-site"})
    assert again.status_code == 201
    assert again.text.count("<td>course-site</td>") == 2


def test_consumer_forms_check_the_name_csrf_and_existence(client: TestClient, admin) -> None:
    log_in(client, *admin)
    token = csrf_of(client.get("/admin/consumers").text)
    bad = client.post("/admin/consumers", data={"csrf": token, "name": "no spaces"})
    assert bad.status_code == 400 and "<code>name</code>" in bad.text
    assert client.post("/admin/consumers", data={"name": "lib"}).status_code == 403
    assert "No consumers yet" in client.get("/admin/consumers").text
    client.post("/admin/consumers", data={"csrf": token, "name": "lib"})
    taken = client.post("/admin/consumers", data={"csrf": token, "name": "lib"})
    assert taken.status_code == 409
    unknown = client.post("/admin/consumers/deactivate", data={"csrf": token, "name": "nope"})
    assert unknown.status_code == 404 and "nope" in unknown.text
    no_csrf = client.post("/admin/consumers/deactivate", data={"name": "lib"})
    assert no_csrf.status_code == 403
    assert ">active<" in client.get("/admin/consumers").text


def test_a_viewer_cannot_create_or_deactivate_consumers(client: TestClient, viewer) -> None:
    log_in(client, *viewer)
    assert client.get("/admin/consumers").status_code == 403
    assert client.post("/admin/consumers", data={"name": "x"}).status_code == 403
    assert client.post("/admin/consumers/deactivate", data={"name": "x"}).status_code == 403
