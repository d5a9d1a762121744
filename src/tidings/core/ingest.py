"""The funnel every way in ends in: one :class:`Batch` in, its results out after commit.

Each entry point (native API, compat slices, import) parses its wire format into one Batch
(event drafts plus the side writes they need) and awaits :func:`ingest`; the writer commits
the batch's events and side writes in one transaction, runs the after-commit effects
(registered on :class:`AfterCommit`), and only then answers.
"""

from __future__ import annotations

from tidings.core.batch import AfterCommit, Batch, commit, draft
from tidings.core.writer import Writer
from tidings.model.records import InsertResult

__all__ = ["AfterCommit", "Batch", "commit", "draft", "ingest"]


async def ingest(writer: Writer, batch: Batch) -> list[InsertResult]:
    """Queue ``batch`` and wait until its events and side writes are committed.

    Returns:
        One result per draft, in order (``duplicate`` for a repeat already stored).

    Raises:
        Overloaded: the write queue is full.
        Unavailable: storage failed or the server is stopping.
    """
    return await writer.submit(batch)
