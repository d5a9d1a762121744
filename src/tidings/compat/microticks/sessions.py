"""Microticks: consumers start sessions, sessions carry click events (seed-systems.md 4).

A Microticks event is a core event: source = the consumer's source, namespace
``microticks``, name = ``action``, session_id = the session's public id, timestamp = ``ts``.
``data`` becomes ``properties`` when it is a JSON object; any other text is kept verbatim in
``context.data``, so the read API can give back exactly what was sent.

Errors are domain errors whose ``detail`` is the client-facing message: Invalid for a bad or
missing field, NotFound for an unknown token, Conflict for a stopped session.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from tidings.compat.microticks import queries
from tidings.compat.microticks import store as db
from tidings.compat.microticks.queries import EventRow, ListQuery, SessionFilter, SessionRow
from tidings.compat.microticks.store import CLICK, NAMESPACE, Consumer
from tidings.core.auth import secret_hash
from tidings.core.ingest import Batch, draft, ingest
from tidings.core.writer import Writer
from tidings.errors import Conflict, FieldError, Invalid, NotFound
from tidings.model.events import NAME_MAX
from tidings.model.ids import uuid7
from tidings.model.timeparse import EPOCH, TimestampError, parse_timestamp
from tidings.storage.base import Storage

__all__ = [
    "CLICK",
    "NAMESPACE",
    "ListQuery",
    "SessionSummary",
    "create_consumer",
    "delete_consumer",
    "event_data",
    "list_consumers",
    "list_events",
    "list_sessions",
    "parse_list_query",
    "record_event",
    "start_session",
    "stop_session",
]

#: Sortable columns of each listing (the answer's keys); anything else is a 400, never SQL.
EVENT_SORTS = ("id", "time", "action", "session_id")
SESSION_SORTS = ("id", "consumer_id", "started_at", "stopped_at", "clicks", "last_action")
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
_DATE_FORMATS = (
    ("%Y", 4),
    ("%Y-%m", 7),
    ("%Y-%m-%d", 10),
    ("%Y-%m-%dT%H", 13),
    ("%Y-%m-%dT%H:%M", 16),
    ("%Y-%m-%dT%H:%M:%S", 19),
)


def _invalid(field: str, message: str) -> Invalid:
    """An Invalid whose detail is exactly ``message`` (the compat answer shows it as is)."""
    return Invalid(message, [FieldError(field, message)])


def new_key() -> str:
    """A consumer key or session token: 128 random bits as 32 hex digits, the shape the
    original clients and scripts are used to."""
    return secrets.token_hex(16)


# -- consumers --------------------------------------------------------------------------------
def create_consumer(storage: Storage, name: str) -> tuple[Consumer, str]:
    """Create a consumer (and its source); returns it with its key, shown only this once.

    Raises:
        Conflict: a live consumer or source has this name.
    """
    key = new_key()
    return db.create_consumer(storage.engine, name, secret_hash(key)), key


def list_consumers(storage: Storage, *, include_inactive: bool = False) -> list[Consumer]:
    """Active consumers by name (then deactivated ones, with ``include_inactive``)."""
    return db.list_consumers(storage.engine, include_inactive=include_inactive)


def has_active_consumer(storage: Storage) -> bool:
    """Whether Microticks clients can start sessions here (an active consumer exists)."""
    return db.has_active_consumer(storage.engine)


def delete_consumer(storage: Storage, name: str) -> bool:
    """Deactivate a consumer (its key then gets "Consumer is not active."); False when no
    active consumer has this name. Its events and sessions stay."""
    return db.delete_consumer(storage.engine, name)


# -- ingest -----------------------------------------------------------------------------------
def _required(fields: Mapping[str, Any], name: str) -> Any:
    value = fields.get(name)
    if value is None:
        raise _invalid(name, f'No "{name}" parameter provided')
    return value


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = _required(fields, name)
    if not isinstance(value, str):
        raise _invalid(name, f'The "{name}" parameter must be a string')
    return value


def _ts(fields: Mapping[str, Any]) -> int:
    value = _required(fields, "ts")
    try:
        return parse_timestamp(value)
    except TimestampError as exc:
        raise _invalid("ts", f'Invalid "ts" parameter: {exc}') from None


def _session_token(fields: Mapping[str, Any]) -> str:
    return _text(fields, "token")


async def start_session(storage: Storage, fields: Mapping[str, Any], ip: str | None) -> str:
    """Check ``consumer_key`` then ``ts`` (the original order) and open a session.

    Returns:
        The session token (random, stored only as a hash).

    Raises:
        Invalid: unknown or missing key, deleted consumer, missing or bad ts.
    """
    key = fields.get("consumer_key")
    consumer = None
    if isinstance(key, str) and key:
        consumer = await asyncio.to_thread(
            db.consumer_by_key_hash, storage.engine, secret_hash(key)
        )
    if consumer is None:
        raise _invalid("consumer_key", "Invalid consumer_key")
    if not consumer.active:
        raise _invalid("consumer_key", "Consumer is not active.")
    started_at = _ts(fields)
    token = new_key()
    await asyncio.to_thread(
        lambda: db.create_session(
            storage.engine,
            consumer_id=consumer.id,
            public_id=uuid7(),
            token_hash=secret_hash(token),
            ip=ip,
            started_at=started_at,
        )
    )
    return token


async def _open_session(storage: Storage, token: str) -> db.SessionRef:
    session = await asyncio.to_thread(db.session_by_token_hash, storage.engine, secret_hash(token))
    if session is None:
        raise NotFound("Could not find session")
    if session.stopped_at is not None:
        raise Conflict("Session was already stopped.")
    if not session.consumer_active:
        raise _invalid("consumer_key", "Consumer is not active.")
    return session


async def stop_session(storage: Storage, fields: Mapping[str, Any]) -> None:
    """Check ``ts`` then ``token`` and stop the session.

    Raises:
        Invalid: a missing or bad field. NotFound: unknown token. Conflict: already stopped.
    """
    stopped_at = _ts(fields)
    token = _session_token(fields)
    session = await _open_session(storage, token)
    if not await asyncio.to_thread(db.stop_session, storage.engine, session.id, stopped_at):
        raise Conflict("Session was already stopped.")


def _action(fields: Mapping[str, Any]) -> str:
    action = _text(fields, "action")
    # Core event names are 1-200 characters, so an empty action cannot be stored.
    if not 1 <= len(action) <= NAME_MAX:
        raise _invalid("action", f'The "action" parameter must be 1 to {NAME_MAX} characters')
    if "\x00" in action:
        raise _invalid("action", 'The "action" parameter must not contain NUL characters')
    return action


def _data_text(fields: Mapping[str, Any]) -> str:
    value = _required(fields, "data")
    if isinstance(value, str):
        return value
    # A JSON body may carry data as a JSON value rather than as text holding JSON.
    return orjson.dumps(value).decode()


def _properties_and_context(data: str, limit: int) -> tuple[str | None, str | None]:
    if len(data.encode()) > limit:
        raise _invalid("data", f'The "data" parameter is over the limit of {limit} bytes')
    if "\x00" in data:
        raise _invalid("data", 'The "data" parameter must not contain NUL characters')
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError:
        decoded = None
    if isinstance(decoded, dict):
        text = orjson.dumps(decoded)
        if b"\\u0000" in text:
            raise _invalid("data", 'The "data" parameter must not contain NUL characters')
        return (text.decode() if decoded else None), None
    return None, orjson.dumps({"data": data}).decode()


async def record_event(
    storage: Storage, writer: Writer, fields: Mapping[str, Any], max_event_bytes: int
) -> int:
    """Check ``token``, ``action``, ``data``, ``ts`` in that order, then store the event.

    Returns:
        The core event id, after the event is committed.

    Raises:
        Invalid: a missing or bad field. NotFound: unknown token. Conflict: stopped session.
    """
    token = _session_token(fields)
    action = _action(fields)
    data = _data_text(fields)
    timestamp = _ts(fields)
    properties, context = _properties_and_context(data, max_event_bytes)
    session = await _open_session(storage, token)
    event = draft(
        session.source_id,
        NAMESPACE,
        action,
        timestamp,
        properties=properties,
        context=context,
        session_id=session.public_id,
    )
    (result,) = await ingest(writer, Batch([event]))
    return result.id


def event_data(properties: str | None, context: str | None) -> Any:
    """The ``data`` an event was sent with: JSON-decoded when it is JSON, else the text."""
    if context:
        kept = orjson.loads(context)
        if isinstance(kept, dict) and isinstance(kept.get("data"), str):
            try:
                return orjson.loads(kept["data"])
            except orjson.JSONDecodeError:
                return kept["data"]
    return orjson.loads(properties) if properties else {}


# -- reading ----------------------------------------------------------------------------------
def _date_range(value: str) -> tuple[int, int]:
    """``date`` matched the start of the session's timestamp text; as a time range that is
    the period the prefix names (a year, month, day, hour, minute or second, in UTC)."""
    for fmt, length in _DATE_FORMATS:
        if len(value) != length:
            continue
        try:
            start = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            break
        if length == 4:
            end = start.replace(year=start.year + 1)
        elif length == 7:
            end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        else:
            step = {10: 86_400, 13: 3_600, 16: 60, 19: 1}[length]
            return _us(start), _us(start) + step * 1_000_000
        return _us(start), _us(end)
    raise _invalid("date", 'The "date" parameter must look like 2017, 2017-08 or 2017-08-25')


def _us(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _int(params: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) > high:
        raise _invalid(name, f'The "{name}" parameter must be an integer from 0 to {high}')
    return int(raw)


def _sort(params: Mapping[str, str], allowed: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    order: list[tuple[str, bool]] = []
    for name, desc in (("sort", False), ("sort.desc", True)):
        column = params.get(name)
        if column is None or column == "":
            continue
        if column not in allowed:
            raise _invalid(name, f'The "{name}" parameter must be one of {", ".join(allowed)}')
        order.append((column, desc))
    return tuple(order)


def parse_list_query(params: Mapping[str, str], *, sessions: bool) -> ListQuery:
    """Filters ``ip``, ``date``, ``consumer`` and ``sort``, ``sort.desc``, ``limit``,
    ``offset`` of ``GET /events`` and ``GET /sessions``.

    Raises:
        Invalid: a bad date, an unknown sort column, a limit or offset that is no integer.
    """
    date = params.get("date") or None
    started = _date_range(date) if date else (None, None)
    flt = SessionFilter(
        ip=params.get("ip") or None,
        started_from=started[0],
        started_to=started[1],
        consumer=params.get("consumer") or None,
    )
    return ListQuery(
        filter=flt,
        order=_sort(params, SESSION_SORTS if sessions else EVENT_SORTS),
        limit=_int(params, "limit", DEFAULT_LIMIT, MAX_LIMIT),
        offset=_int(params, "offset", 0, 2**62),
    )


def list_events(storage: Storage, query: ListQuery) -> list[EventRow]:
    return queries.list_events(storage.engine, query)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A session with its figures; ``duration`` is in microseconds: to the stop, or for an
    open session to its last event (None without either)."""

    row: SessionRow

    @property
    def duration(self) -> int | None:
        end = self.row.stopped_at if self.row.stopped_at is not None else self.row.last_action
        return None if end is None else max(0, end - self.row.started_at)


def list_sessions(storage: Storage, query: ListQuery) -> list[SessionSummary]:
    """Sessions, clickless ones included, with clicks, events, last action and duration."""
    rows = queries.list_sessions(storage.engine, query)
    return [SessionSummary(row) for row in rows]
