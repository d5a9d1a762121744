"""Segment tracking-spec messages -> core events, with client clock-skew correction.

One message becomes one :class:`EventDraft`:

- ``track``: name = ``event``, properties = ``properties``;
- ``page`` / ``screen``: name ``page`` / ``screen``, the page name (and category) added to
  the properties;
- ``identify``: name ``identify``, properties = ``traits`` (merged over ``context.traits``);
- ``group``: name ``group``, properties = ``{"group_id", "traits"}``;
- ``alias``: name ``alias``, properties = ``{"previous_id"}``.

Namespace is ``context.namespace`` when the message gives one, else the source's name. The
value is ``properties.value`` when it is a finite number, else 1. Event time is ``timestamp``,
else ``originalTimestamp``, else the server clock; when the client also said when it sent the
message (``sentAt``), its clock's skew is removed: ``time + (received_at - sentAt)``.
A time that is still before 2000 or more than a day ahead of the server after that is
clamped to the server's receive time (the message is kept, not refused).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection

from tidings.core.ingest import draft
from tidings.errors import FieldError, Invalid, TooLarge
from tidings.model.events import ID_MAX, NAME_MAX, EventDraft
from tidings.model.timeparse import (
    MAX_US,
    MIN_US,
    TimestampError,
    implausible,
    parse_timestamp,
)
from tidings.storage import persons

TYPES = ("track", "identify", "page", "screen", "group", "alias")
#: The message field an event's properties come from, to name it in errors.
_PROPERTIES_FROM = {"identify": "traits", "group": "traits", "alias": "previousId"}


@dataclass(slots=True)
class PersonUpdate:
    """What an identify, group or alias message changes in the person tables."""

    kind: str
    user_id: str | None
    anonymous_id: str | None
    traits: dict[str, Any] = field(default_factory=dict)
    group_id: str | None = None
    previous_id: str | None = None

    def link(self, links: dict[str, str]) -> None:
        """Add the link this update makes to ``links`` (anonymous or previous id -> user
        id), as :meth:`apply` makes it in the person tables."""
        if self.kind == "identify" and self.user_id and self.anonymous_id:
            if self.anonymous_id != self.user_id:
                links[self.anonymous_id] = self.user_id
        elif self.kind == "alias" and self.previous_id and self.user_id:
            if self.previous_id == self.user_id:
                return
            for linked, user in list(links.items()):
                if user == self.previous_id:
                    links[linked] = self.user_id
            links[self.previous_id] = self.user_id

    def apply(self, conn: Connection) -> None:
        """Write the update in the transaction of its request's events (a side write): a
        rejected request changes no person, and a retried one merges the same traits again,
        which changes nothing."""
        if self.kind == "identify":
            persons.identify_in(conn, self.user_id, self.anonymous_id, self.traits)
        elif self.kind == "group" and self.group_id is not None:
            member = self.user_id or self.anonymous_id
            persons.group_in(conn, self.group_id, member, self.traits)
        elif self.kind == "alias" and self.previous_id and self.user_id:
            persons.alias_in(conn, self.previous_id, self.user_id)


@dataclass(slots=True)
class Dropped:
    """A batch message left out, by its index, with what is wrong with it."""

    index: int
    errors: list[FieldError]


@dataclass(slots=True)
class Translated:
    """Each stored message's event with its person update, in the batch's order, and the
    messages dropped."""

    messages: list[tuple[EventDraft, PersonUpdate | None]]
    dropped: list[Dropped]

    @property
    def drafts(self) -> list[EventDraft]:
        return [event for event, _ in self.messages]

    @property
    def updates(self) -> list[PersonUpdate]:
        return [update for _, update in self.messages if update is not None]

    def attribute(self, stored: dict[str, str]) -> None:
        """Give anonymous events the user their anonymous id is linked to: by ``stored``
        (the links before this batch, anonymous id -> user id) and by the batch's own
        identify and alias messages, each seen by the messages after it."""
        links = dict(stored)
        for event, update in self.messages:
            if event.user_id is None and event.anonymous_id in links:
                event.user_id = links[event.anonymous_id]
            if update is not None:
                update.link(links)


class _Errors:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[FieldError] = []

    def add(self, name: str, message: str) -> None:
        full = self.prefix + name if name else (self.prefix.rstrip(".") or "body")
        self.items.append(FieldError(full, message))


def _id(msg: dict[str, Any], key: str, errors: _Errors) -> str | None:
    value = msg.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Numeric ids are common in the wild (edX sends integers); keep their integer spelling.
        value = str(int(value)) if float(value).is_integer() else str(value)
    if not isinstance(value, str):
        errors.add(key, "must be a string")
        return None
    if len(value) > ID_MAX:
        errors.add(key, f"must be at most {ID_MAX} characters long")
        return None
    if "\x00" in value:
        errors.add(key, "must not contain NUL characters")
        return None
    return value


def _obj(msg: dict[str, Any], key: str, errors: _Errors) -> dict[str, Any]:
    value = msg.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(key, "must be a JSON object")
        return {}
    return value


def _json(value: dict[str, Any], key: str, errors: _Errors) -> str | None:
    if not value:
        return None
    try:
        text = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError) as exc:
        errors.add(key, f"cannot be stored as JSON ({exc})")
        return None
    if b"\\u0000" in text:
        errors.add(key, "must not contain NUL characters")
        return None
    return text.decode()


def storable(value: dict[str, Any], key: str) -> list[FieldError]:
    """What keeps ``value`` (the object named ``key``) from being stored as JSON."""
    errors = _Errors("")
    _json(value, key, errors)
    return errors.items


@lru_cache(maxsize=64)
def _sent_at(text: str) -> int:
    # SDKs send one sentAt per batch, which every message of it would parse again: a third
    # of the time of translating a message went to parsing ISO timestamps.
    return parse_timestamp(text)


def _time(msg: dict[str, Any], defaults: dict[str, Any], received: int, errors: _Errors) -> int:
    chosen = None
    for key in ("timestamp", "originalTimestamp"):
        if msg.get(key) is not None:
            chosen = key
            break
    if chosen is None:
        return received
    try:
        moment = parse_timestamp(msg[chosen])
    except TimestampError as exc:
        errors.add(chosen, str(exc))
        return received
    sent_raw = msg.get("sentAt", defaults.get("sentAt"))
    if sent_raw is None:
        return _clamped(moment, received)
    try:
        sent = _sent_at(sent_raw) if isinstance(sent_raw, str) else parse_timestamp(sent_raw)
    except TimestampError as exc:
        errors.add("sentAt", str(exc))
        return received
    corrected = moment + (received - sent)
    if not MIN_US <= corrected < MAX_US:
        errors.add(chosen, "is out of range after correcting for the client clock (sentAt)")
        return received
    return _clamped(corrected, received)


def _clamped(moment: int, received: int) -> int:
    """A time before 2000 or more than a day ahead of the server, even after the skew
    correction, is a client clock past repair: the message is kept (an SDK drops a refused
    one for good) at the server's receive time, as if it had carried no time."""
    return received if implausible(moment, received) else moment


def _value(properties: dict[str, Any]) -> float:
    raw = properties.get("value")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            number = float(raw)
        except OverflowError:
            return 1.0
        if math.isfinite(number):
            return number
    return 1.0


def _name_and_properties(  # noqa: C901 - one branch per message type, flat on purpose
    kind: str, msg: dict[str, Any], errors: _Errors
) -> tuple[str, dict[str, Any], PersonUpdate | None, str | None, str | None]:
    """(event name, properties, person update) of one message; also user and anonymous id."""
    user_id = _id(msg, "userId", errors)
    anonymous_id = _id(msg, "anonymousId", errors)
    if kind == "track":
        event = msg.get("event")
        if not isinstance(event, str) or not event:
            errors.add("event", "is required for track and must be a non-empty string")
            event = ""
        elif len(event) > NAME_MAX:
            errors.add("event", f"must be at most {NAME_MAX} characters long")
        elif "\x00" in event:
            errors.add("event", "must not contain NUL characters")
        return event, _obj(msg, "properties", errors), None, user_id, anonymous_id
    if kind in ("page", "screen"):
        properties = dict(_obj(msg, "properties", errors))
        for key in ("name", "category"):
            value = msg.get(key)
            if value is not None:
                if not isinstance(value, str):
                    errors.add(key, "must be a string")
                elif "\x00" in value:
                    errors.add(key, "must not contain NUL characters")
                else:
                    properties.setdefault(key, value)
        return kind, properties, None, user_id, anonymous_id
    if kind == "identify":
        # Some SDKs send identify traits only as ``context.traits``; top-level traits win.
        context = msg.get("context")
        inner = context.get("traits") if isinstance(context, dict) else None
        traits = {**(inner if isinstance(inner, dict) else {}), **_obj(msg, "traits", errors)}
        update = PersonUpdate("identify", user_id, anonymous_id, traits=traits)
        return kind, dict(traits), update, user_id, anonymous_id
    if kind == "group":
        group_id = _id(msg, "groupId", errors)
        if group_id is None and "groupId" not in [e.field for e in errors.items]:
            errors.add("groupId", "is required for group")
        traits = _obj(msg, "traits", errors)
        update = PersonUpdate("group", user_id, anonymous_id, traits=traits, group_id=group_id)
        props: dict[str, Any] = {"group_id": group_id}
        if traits:
            props["traits"] = traits
        return kind, props, update, user_id, anonymous_id
    # alias
    previous_id = _id(msg, "previousId", errors)
    if previous_id is None:
        errors.add("previousId", "is required for alias")
    if user_id is None:
        errors.add("userId", "is required for alias")
    update = PersonUpdate("alias", user_id, anonymous_id, previous_id=previous_id)
    return kind, {"previous_id": previous_id}, update, user_id, anonymous_id


def translate(
    msg: Any,
    *,
    kind: str | None,
    source_id: int,
    source_name: str,
    received: int,
    max_event_bytes: int,
    prefix: str = "",
    defaults: dict[str, Any] | None = None,
) -> tuple[EventDraft | None, PersonUpdate | None, list[FieldError], bool]:
    """Translate one message. ``kind`` is the endpoint's type (None for batch: use ``type``).

    Returns ``(draft, person update, errors, too_large)``; ``draft`` is None on errors.
    """
    errors = _Errors(prefix)
    defaults = defaults or {}
    if not isinstance(msg, dict):
        errors.add("", "must be a JSON object")
        return None, None, errors.items, False
    try:
        size = len(orjson.dumps(msg))
    except (TypeError, orjson.JSONEncodeError):
        size = 0
    if size > max_event_bytes:
        errors.add("", f"is {size} bytes of JSON; the limit per event is {max_event_bytes}")
        return None, None, errors.items, True
    if kind is None:
        raw_type = msg.get("type")
        kind = raw_type.lower() if isinstance(raw_type, str) else None
        if kind not in TYPES:
            errors.add("type", f"must be one of {', '.join(TYPES)}")
            return None, None, errors.items, False
    name, properties, update, user_id, anonymous_id = _name_and_properties(kind, msg, errors)
    if kind != "alias" and user_id is None and anonymous_id is None:
        errors.add("userId", "or anonymousId is required")
    context = dict(defaults.get("context") or {})
    context.update(_obj(msg, "context", errors))
    namespace = context.get("namespace", source_name)
    if not isinstance(namespace, str) or not 1 <= len(namespace) <= NAME_MAX:
        errors.add("context.namespace", f"must be a string of 1 to {NAME_MAX} characters")
    timestamp = _time(msg, defaults, received, errors)
    message_id = _id(msg, "messageId", errors)
    properties_json = _json(properties, _PROPERTIES_FROM.get(kind, "properties"), errors)
    context_json = _json(context, "context", errors)
    if errors.items:
        return None, None, errors.items, False
    event = draft(
        source_id,
        namespace,
        name,
        timestamp,
        received_at=received,
        value=_value(properties),
        properties=properties_json,
        context=context_json,
        message_id=message_id,
        user_id=user_id,
        anonymous_id=anonymous_id,
    )
    return event, update, [], False


def translate_all(
    messages: list[Any],
    *,
    kind: str | None,
    source_id: int,
    source_name: str,
    received: int,
    max_event_bytes: int,
    prefix: str,
    defaults: dict[str, Any] | None = None,
    drop_bad: bool = False,
) -> Translated:
    """Translate messages in order. A bad message rejects all of them, or with ``drop_bad``
    (a batch: Segment's SDKs drop a whole batch on a 400) is left out and named in
    :attr:`Translated.dropped`.

    Raises:
        TooLarge: a message is over ``max_event_bytes`` of JSON.
        Invalid: naming each bad message by index and field (``batch.3.event``), unless
            ``drop_bad``.
    """
    done = Translated([], [])
    problems: list[FieldError] = []
    for index, msg in enumerate(messages):
        event, update, errors, big = translate(
            msg,
            kind=kind,
            source_id=source_id,
            source_name=source_name,
            received=received,
            max_event_bytes=max_event_bytes,
            prefix=f"{prefix}{index}." if prefix else "",
            defaults=defaults,
        )
        if big:
            raise TooLarge(f"{errors[0].field} {errors[0].message}")
        if errors and drop_bad:
            done.dropped.append(Dropped(index, errors))
            continue
        problems.extend(errors)
        if event is not None:
            done.messages.append((event, update))
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Invalid(f"{first.field} {first.message}{more}", problems)
    return done
