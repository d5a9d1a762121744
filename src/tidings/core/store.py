"""The system of record as the edges hold it: the Storage interface, and opening it.

Commands and the app's handlers carry a :class:`Storage` and pass it to the services; they
name its type from here so that nothing above core imports the storage layer.
"""

from __future__ import annotations

from tidings.storage import open_storage
from tidings.storage.base import Storage as Storage


def open_started(url: str) -> Storage:
    """The storage at ``url``, connected and migrated to head; the caller shuts it down.

    Raises:
        ConfigError: no engine for the URL's scheme (or its driver is missing).
        TidingsError: the database cannot be reached or migrated.
    """
    storage = open_storage(url)
    storage.startup()
    return storage
