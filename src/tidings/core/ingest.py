"""Ingest for adapters: validated drafts -> writer -> results after commit."""

from __future__ import annotations

from collections.abc import Sequence

from tidings.core.writer import Writer
from tidings.model.events import EventDraft
from tidings.model.records import InsertResult


async def ingest(writer: Writer, drafts: Sequence[EventDraft]) -> list[InsertResult]:
    """Queue ``drafts`` and wait until they are committed.

    Raises:
        Overloaded: the write queue is full.
        Unavailable: storage failed or the server is stopping.
    """
    return await writer.submit(drafts)
