from __future__ import annotations

from pathlib import Path

import pytest

from tidings.config import load
from tidings.errors import ConfigError


def test_flags_beat_env_beat_file_beat_defaults(tmp_path: Path) -> None:
    file = tmp_path / "tidings.toml"
    file.write_text('port = 9001\nhost = "0.0.0.0"\nlog-level = "debug"\n')
    settings = load(
        {"port": 9003}, env={"TIDINGS_PORT": "9002", "TIDINGS_HOST": "::1"}, config_file=str(file)
    )
    assert (settings.port, settings.host, settings.log_level, settings.workers) == (
        9003,
        "::1",
        "debug",
        1,
    )
    from_env = load({}, env={"TIDINGS_CONFIG": str(file)})
    assert from_env.port == 9001


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load({"data_dir": str(tmp_path)}, env={})
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'tidings.db'}"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TIDINGS_PORT": "eighty"}, "TIDINGS_PORT"),
        ({"TIDINGS_PORT": "70000"}, "port"),
        ({"TIDINGS_DATABASE_URL": "mysql://x"}, "database_url"),
        ({"TIDINGS_BUS_URL": "kafka://x"}, "bus_url"),
        ({"TIDINGS_LOG_LEVEL": "loud"}, "log_level"),
        ({"TIDINGS_MAX_BODY_BYTES": "-1"}, "TIDINGS_MAX_BODY_BYTES"),
        ({"TIDINGS_DEDUP_WINDOW_DAYS": "0"}, "dedup_window_days"),
        ({"TIDINGS_CONFIG": "/nonexistent.toml"}, "not found"),
    ],
)
def test_bad_config_is_one_clear_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load({}, env=env)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_file_key_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "t.toml"
    file.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load({}, env={}, config_file=str(file))


def test_the_dedup_window_is_read_from_the_environment() -> None:
    assert load({}, env={}).dedup_window_days == 7
    assert load({}, env={"TIDINGS_DEDUP_WINDOW_DAYS": "2"}).dedup_window_days == 2
