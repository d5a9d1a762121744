"""The analytics tier's settings: on/off/auto, DuckDB memory and threads."""

from __future__ import annotations

import pytest

from tidings.config import load
from tidings.errors import ConfigError


def test_the_tier_is_on_by_default_with_sqlite_and_off_with_postgresql() -> None:
    assert load(env={}).analytics_on
    postgres = load(env={"TIDINGS_DATABASE_URL": "postgresql://db/tidings"})
    assert not postgres.analytics_on
    assert not load(env={"TIDINGS_ANALYTICS": "off"}).analytics_on


def test_with_postgresql_the_tier_is_on_when_its_shared_directory_is_named() -> None:
    env = {"TIDINGS_DATABASE_URL": "postgresql://db/tidings", "TIDINGS_ANALYTICS_DIR": "/shared"}
    assert load(env=env).analytics_on
    assert load(env={**env, "TIDINGS_ANALYTICS": "on"}).analytics_on
    assert not load(env={**env, "TIDINGS_ANALYTICS": "off"}).analytics_on


def test_memory_and_threads_come_from_the_environment() -> None:
    settings = load(env={"TIDINGS_ANALYTICS_MEMORY": "1GB", "TIDINGS_ANALYTICS_THREADS": "1"})
    assert (settings.analytics_memory, settings.analytics_threads) == ("1GB", 1)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TIDINGS_ANALYTICS": "maybe"}, "analytics"),
        ({"TIDINGS_ANALYTICS_MEMORY": "lots"}, "analytics_memory"),
        ({"TIDINGS_ANALYTICS_THREADS": "0"}, "analytics_threads"),
        (
            {"TIDINGS_ANALYTICS": "on", "TIDINGS_DATABASE_URL": "postgresql://db/tidings"},
            "analytics_dir",
        ),
    ],
)
def test_bad_tier_settings_are_refused_naming_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load(env=env)
