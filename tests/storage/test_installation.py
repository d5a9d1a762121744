"""One installation id per database, on every engine."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from tidings.storage import open_storage
from tidings.storage.base import Storage
from tidings.storage.installation import installation_id


def test_the_id_is_made_once_and_kept(storage: Storage, storage_url: str) -> None:
    first = installation_id(storage.engine)
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert installation_id(storage.engine) == first
    # Another process on the same database (a second storage object) reads the same id.
    other = open_storage(storage_url)
    other.startup()
    try:
        assert installation_id(other.engine) == first
    finally:
        other.shutdown()


def test_processes_racing_to_make_it_agree(storage: Storage) -> None:
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: installation_id(storage.engine), range(8)))
    assert len(ids) == 1
