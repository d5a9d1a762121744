"""The original OpenSlides service's variables as aliases (spec openslides3.md 5 and 6)."""

from __future__ import annotations

import pytest

from tidings.config import load
from tidings.errors import ConfigError


def test_message_bus_host_and_port_turn_the_mode_on_with_a_db0_url() -> None:
    settings = load(env={"MESSAGE_BUS_HOST": "redis", "MESSAGE_BUS_PORT": "6380"})
    assert settings.openslides_redis_url == "redis://redis:6380/0"
    assert load(env={"MESSAGE_BUS_PORT": "7"}).openslides_redis_url == "redis://localhost:7/0"


def test_aliases_count_only_in_the_mode() -> None:
    off = load(env={"COOKIE_NAME": "c", "AUTOUPDATE_PORT": "9000", "FAKE_AUTH": "3"})
    assert off.openslides_cookie_name == "OpenSlidesSessionID" and off.port == 8000
    on = load(
        env={
            "TIDINGS_OPENSLIDES_REDIS_URL": "redis://r/0",
            "COOKIE_NAME": "c",
            "SESSION_PREFIX": "s:",
            "FAKE_AUTH": "3",
            "APPLAUSE_INTERVAL_MS": "250",
            "AUTOUPDATE_PORT": "9000",
            "AUTOUPDATE_HOST": "",
        }
    )
    assert (on.openslides_cookie_name, on.openslides_session_prefix) == ("c", "s:")
    assert (on.openslides_fake_auth, on.applause_interval_ms) == ("3", 250)
    assert (on.port, on.host) == (9000, "0.0.0.0")


def test_tidings_names_and_flags_win_over_the_original_names() -> None:
    env = {"MESSAGE_BUS_HOST": "r", "AUTOUPDATE_PORT": "9000", "TIDINGS_PORT": "9100"}
    assert load(env=env).port == 9100
    assert load({"port": 9200}, env=env).port == 9200
    explicit = {"MESSAGE_BUS_HOST": "r", "TIDINGS_OPENSLIDES_REDIS_URL": "redis://x:1/2"}
    assert load(env=explicit).openslides_redis_url == "redis://x:1/2"


def test_write_url_from_the_write_host_and_port() -> None:
    env = {"MESSAGE_BUS_HOST": "r", "REDIS_WRITE_PORT": "6390"}
    assert load(env=env).openslides_redis_write_url == "redis://r:6390/0"


@pytest.mark.parametrize("value", ["x", "1.5", "--2"])
def test_fake_auth_must_be_a_user_id(value: str) -> None:
    with pytest.raises(ConfigError, match="openslides_fake_auth"):
        load(env={"TIDINGS_OPENSLIDES_FAKE_AUTH": value})


def test_tls_needs_both_files() -> None:
    with pytest.raises(ConfigError, match="ssl_certfile and ssl_keyfile"):
        load(env={"TIDINGS_SSL_CERTFILE": "cert.pem"})
