"""Who calls in the OpenSlides mode (spec openslides3.md section 2): the session cookie,
anonymous as the live config allows, FAKE_AUTH; the secret file."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.compat.openslides.os3.fixture import DAVE
from tests.compat.openslides.os3.layout import Layout, key_prefix
from tests.compat.openslides.os3.server_fixtures import COOKIE, Meeting, data_line, mode_env, os3
from tests.server import free_port, running_server
from tests.services import redis_url
from tidings.compat.openslides.os3.session import digest, read_secret, session_user

pytestmark = pytest.mark.serial
__all__ = ["os3"]

VECTOR_SESSION = (
    b'{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend",'
    b'"_auth_user_hash":"25c24cd503d5ba76027341ee1909c377e8581057"}'
)


def test_the_original_test_vector() -> None:
    assert digest(b"test", VECTOR_SESSION) == "01f02ceceafae01769d065665c96029b8d5408c3"
    value = base64.b64encode(b"01f02ceceafae01769d065665c96029b8d5408c3:" + VECTOR_SESSION)
    assert session_user(value, b"test") == 1
    assert session_user(value, b"other") is None


@pytest.mark.parametrize(
    "value",
    [b"%%%not base64", base64.b64encode(b"no colon at all"), base64.b64encode(b"abc:{}")],
)
def test_malformed_sessions_name_nobody(value: bytes) -> None:
    assert session_user(value, b"test") is None


def test_the_secret_is_the_first_matching_line_with_either_quote(tmp_path: Path) -> None:
    path = tmp_path / "django"
    path.write_text('X = 1\nDJANGO_SECRET_KEY = "a\'b"\nDJANGO_SECRET_KEY = "second"\n')
    assert read_secret(str(path)) == b"a'b"


def _error(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["type"], error["msg"]


def test_a_cookie_with_a_session_signed_by_another_secret_is_invalid(os3: Meeting) -> None:
    session_id = os3.layout.login(DAVE, secret=b"another")
    response = httpx.get(
        f"{os3.server.url}/system/autoupdate", headers={"Cookie": f"{COOKIE}={session_id}"}
    )
    assert _error(response) == (400, "auth_required", "Invalid session data")
    assert "www-authenticate" not in response.headers


def test_unknown_and_malformed_sessions_are_invalid_never_500(os3: Meeting) -> None:
    os3.layout.redis.set(os3.layout.k("session:") + "bad", b"!!!")
    for session_id in ("unknown", "bad"):
        response = httpx.get(
            f"{os3.server.url}/system/autoupdate", headers={"Cookie": f"{COOKIE}={session_id}"}
        )
        assert _error(response) == (400, "auth_required", "Invalid session data")


def test_anonymous_follows_the_live_config(os3: Meeting) -> None:
    layout = os3.layout
    with os3.stream("/system/autoupdate", None) as reader:
        assert reader.status == 200
        assert "topics/topic" in data_line(reader)["changed"]
    config = {"id": 1, "key": "general_system_enable_anonymous", "value": False}
    layout.change({"core/config:1": config})
    try:
        deadline = 50
        while os3.get("/system/autoupdate").status_code == 200 and deadline:
            deadline -= 1  # the change reaches the server asynchronously
        assert _error(os3.get("/system/autoupdate")) == (
            400, "auth_required", "Anonymous is not enabled."
        )  # fmt: skip
        assert _error(os3.get("/system/projector?projector_ids=1"))[1] == "auth_required"
    finally:
        layout.change({"core/config:1": {**config, "value": True}})


def test_fake_auth_is_every_request_without_cookie_or_secret(tmp_path: Path) -> None:
    url = redis_url()
    layout = Layout(url, key_prefix())
    from tests.compat.openslides.os3.fixture import meeting

    layout.build(meeting(anonymous=False))
    env = mode_env(url, layout.prefix, tmp_path / "missing")
    env["FAKE_AUTH"] = "0"  # the original's name: anonymous even when disabled
    try:
        with running_server(tmp_path / "data", env) as server:
            response = httpx.get(f"{server.url}/system/notify/send", timeout=10)
            assert _error(response) == (
                400, "auth_required", "You have to be logged in to use the notify system."
            )  # fmt: skip
            assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
    finally:
        layout.clean()


def test_serve_refuses_to_start_without_the_secret_file(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TIDINGS_DATA_DIR": str(tmp_path / "data"),
        "MESSAGE_BUS_HOST": "127.0.0.1",
        "TIDINGS_OPENSLIDES_SECRET_FILE": str(tmp_path / "nope"),
        "TIDINGS_PORT": str(free_port()),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tidings", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert str(tmp_path / "nope") in done.stderr
