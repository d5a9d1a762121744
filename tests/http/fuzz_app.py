"""One running app per fuzz module, with a credential for every ingest route.

Refused requests change nothing, so the examples of a module share one app; use as
``world = pytest.fixture(scope="module")(fuzz_world)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN
from tests.credentials import oauth_token
from tests.http.hostile import Watch
from tidings.app import create_app
from tidings.compat.microticks import sessions as microticks
from tidings.config import Settings
from tidings.core.auth import new_secret, secret_hash
from tidings.http.deps import Runtime
from tidings.storage import persons

EDX_SECRET = "edx-webhook-secret"
EDX_USER = 10
ADOPTER_KEY = "3f1c2d8e-5b7a-4c1e-9f2d-8a6b4c3e2d1f"
STATISTIC_KEY = "8d0e6f4a-2c1b-4e3d-a5f6-7b8c9d0e1f2a"
LEGACY_KEY = "0123456789abcdef0123456789abcdef"


class World:
    """The app and the credentials of every ingest route. (A plain class: Hypothesis would
    print a dataclass's every field, settings included, in each failure report.)"""

    def __init__(self, client: TestClient, rt: Runtime, watch: Watch, **keys: str) -> None:
        self.client = client
        self.rt = rt
        self.watch = watch
        self.write_key = keys["write_key"]
        self.oauth_write = keys["oauth_write"]
        self.consumer_key = keys["consumer_key"]
        self.session_token = keys["session_token"]

    def __repr__(self) -> str:
        return "World()"


def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    settings = Settings(
        data_dir=str(data_dir),
        admin_password=ADMIN[1],
        segmentio_webhook_secret=EDX_SECRET,
        segmentio_allowed_channels="mobile",
        segmentio_allowed_actions="Track",
        # Opencast's open routes are limited per address; the fuzzer is one address.
        opencast_rate_per_minute=0,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        write_key = new_secret("wk_")
        rt.storage.create_source("fuzz", secret_hash(write_key), None)
        persons.identify(rt.storage.engine, str(EDX_USER), None, {"username": "fuzz-user"})
        _, consumer_key = microticks.create_consumer(rt.storage, "fuzz-consumer")
        started = client.post(
            "/sessions", data={"consumer_key": consumer_key, "ts": "2017-08-25T17:10:00.000Z"}
        )
        assert started.status_code == 200, started.text
        legacy = {
            "country": "DE",
            "postal_code": "49074",
            "city": "Osnabrück",
            "street": "Main Street",
            "street_no": "1A",
            "allows_statistics": True,
            "allows_error_reports": True,
            "allows_tech_data": True,
            "contact_me": False,
            "organisation_name": "Example University",
        }
        for key in (ADOPTER_KEY, LEGACY_KEY):
            made = client.post("/api/1.0/adopter", json={"adopter_key": key, **legacy})
            assert made.status_code == 200, made.text
        statistic = {"statistic_key": STATISTIC_KEY, "adopter_key": ADOPTER_KEY, "job_count": 1}
        made = client.post("/api/1.0/statistic", json=statistic)
        assert made.status_code == 200, made.text
        watch = Watch(settings.resolved_database_url)
        yield World(
            client=client,
            rt=rt,
            watch=watch,
            write_key=write_key,
            oauth_write=oauth_token(client, rt, "write"),
            consumer_key=consumer_key,
            session_token=started.json()["token"],
        )
        watch.close()
