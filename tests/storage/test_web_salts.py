"""The web visitor hash's daily salts, on every engine: shared, made once, rotated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tidings.storage import open_storage
from tidings.storage.base import Storage
from tidings.storage.web_salts import daily_salt, salt_days


def test_a_day_has_one_salt_shared_by_every_process(storage: Storage, storage_url: str) -> None:
    salt = daily_salt(storage.engine, "2026-12-07")
    assert len(salt) == 16
    assert daily_salt(storage.engine, "2026-12-07") == salt
    other = open_storage(storage_url)
    other.startup()
    try:
        assert daily_salt(other.engine, "2026-12-07") == salt
    finally:
        other.shutdown()


def test_processes_racing_on_a_new_day_agree(storage: Storage) -> None:
    with ThreadPoolExecutor(6) as pool:
        salts = set(pool.map(lambda _: daily_salt(storage.engine, "2026-12-08"), range(6)))
    assert len(salts) == 1


def test_a_new_day_gets_a_new_salt_and_the_old_one_is_deleted(storage: Storage) -> None:
    monday = daily_salt(storage.engine, "2026-12-07")
    tuesday = daily_salt(storage.engine, "2026-12-08")
    assert tuesday != monday
    assert salt_days(storage.engine) == ["2026-12-08"]
    # Asking for a deleted day makes a fresh salt: the old one cannot come back.
    assert daily_salt(storage.engine, "2026-12-07") not in (monday, tuesday)
