"""Opencast data as core events, and the read side the dashboard uses.

Statistics, statistics reports, error events and Tobira statistics become core events in
namespace ``opencast`` of the built-in source ``opencast`` (created on first use, with no write
key: only this adapter writes to it).

Adopter and statistic keys are capabilities (whoever knows one may change or delete the
record), and every viewer can read events, so events carry :func:`pseudonym` s of the keys,
never the keys. The adopter's pseudonym is the event's ``user_id``, so its events can be
listed, and erased, like any person's.

Event names: ``statistic`` (value 1, every count in ``properties``), one event per count
(``total_minutes``, ``event_count``, ..., ``hosts``; value = the count, ``properties.version``
for grouping), ``statistics_report``, ``error_event`` and ``tobira``. Statistic events are
kept once per statistic key and UTC day (see :func:`statistic_drafts`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson

from tidings.compat.opencast import store as tables
from tidings.compat.opencast.payloads import ErrorEvent, StatisticsReport
from tidings.core.ingest import draft
from tidings.model.events import EventDraft
from tidings.model.timeparse import EPOCH, now_us, to_iso
from tidings.storage.base import Storage

SOURCE = "opencast"
NAMESPACE = "opencast"
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def pseudonym(key: str) -> str:
    """A stable stand-in for an adopter or statistic key that grants nothing."""
    return "oc-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def _maybe(key: str | None) -> str | None:
    return pseudonym(key) if key is not None else None


def source_id(storage: Storage) -> int:
    return tables.builtin_source_id(storage.engine, SOURCE)


def _micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _draft(
    source: int,
    name: str,
    value: float,
    props: dict[str, Any],
    user: str | None,
    ts: int,
    message_id: str | None = None,
) -> EventDraft:
    properties = orjson.dumps(props).decode()
    return draft(
        source,
        NAMESPACE,
        name,
        ts,
        value=value,
        properties=properties,
        message_id=message_id,
        user_id=user,
    )


def _daily_id(key: str, name: str, ts: int) -> str:
    day = to_iso(ts)[:10]
    return hashlib.sha256(f"opencast\x00{key}\x00{name}\x00{day}".encode()).hexdigest()


def statistic_drafts(source: int, stat: dict[str, Any]) -> list[EventDraft]:
    """One ``statistic`` event with everything, plus one event per count for charting.

    Their message ids are derived from the statistic key, the name and the UTC day, so an
    installation counts once per day (its first report of the day; later ones are stored as
    duplicates, i.e. not at all) and a daily ``sum`` of ``total_minutes`` is the total over
    installations. Opencast reports once a day, plus once at every start.
    """
    hosts = stat.get("hosts") or []
    user = _maybe(stat.get("adopter_key"))
    summary = {
        "statistic_key": pseudonym(stat["statistic_key"]),
        "adopter_key": user,
        "version": stat.get("version"),
        **{count: stat.get(count) for count in tables.STATISTIC_COUNTS},
        "hosts": len(hosts),
        "cores": sum(h.get("cores") or 0 for h in hosts),
        "memory": sum(h.get("memory") or 0 for h in hosts),
    }
    now = now_us()
    key = stat["statistic_key"]
    drafts = [
        _draft(source, "statistic", 1.0, summary, user, now, _daily_id(key, "statistic", now))
    ]
    tags = {"statistic_key": summary["statistic_key"], "version": stat.get("version")}
    for count in (*tables.STATISTIC_COUNTS, "hosts"):
        value = summary[count]
        if value is not None:
            daily = _daily_id(key, count, now)
            drafts.append(_draft(source, count, float(value), tags, user, now, daily))
    return drafts


def report_draft(source: int, report: StatisticsReport) -> EventDraft:
    """A statistics report, timed at the end of its period (lists sort by it)."""
    props = {
        "adopter_key": pseudonym(report.adopter_key),
        "from_date": report.from_date.isoformat(),
        "to_date": report.to_date.isoformat(),
        "opencast_version": report.opencast_version,
    }
    ts = _micros(datetime(*report.to_date.timetuple()[:3], tzinfo=UTC))
    return _draft(source, "statistics_report", 1.0, props, props["adopter_key"], ts)


def error_draft(source: int, error: ErrorEvent) -> EventDraft:
    """An error event, timed when it happened; ``properties.timestamp`` keeps the offset."""
    props = {
        "adopter_key": pseudonym(error.adopter_key),
        "timestamp": error.timestamp.isoformat(),
        "error_type": error.error_type,
        "data": error.data,
        "opencast_version": error.opencast_version,
    }
    ts = _micros(error.timestamp.astimezone(UTC))
    return _draft(source, "error_event", 1.0, props, props["adopter_key"], ts)


def tobira_draft(source: int, statistic_key: str, data: str) -> EventDraft:
    props = {"statistic_key": pseudonym(statistic_key), "data": orjson.loads(data)}
    return _draft(source, "tobira", 1.0, props, None, now_us())


def records(
    storage: Storage, wanted: tables.RecordQuery, reveal: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Statistics reports or error events (``wanted.name``), newest first, as generation A
    shows them: the stored properties plus the event id as ``id``. ``wanted.adopter_key`` is
    a key (events are looked up by its pseudonym); a row's ``adopter_key`` is the stored
    pseudonym unless ``reveal`` maps it back to the key."""
    stored = replace(wanted, adopter_key=_maybe(wanted.adopter_key))
    found = tables.opencast_events(storage.engine, source_id(storage), stored)
    rows = []
    for record in found:
        row = {**orjson.loads(record.properties or "{}"), "id": record.id}
        if reveal is not None and row.get("adopter_key") in reveal:
            row["adopter_key"] = reveal[row["adopter_key"]]
        rows.append(row)
    return rows


def known_keys(storage: Storage) -> dict[str, str]:
    """Pseudonym -> adopter key for every registered adopter (for admins' lists)."""
    return {pseudonym(key): key for key in tables.adopter_keys(storage.engine)}


# -- read side for the dashboard -------------------------------------------------------------
# Rows carry the real keys: show them to admins only, and pseudonym(key) to viewers.
def adopters_with_latest_statistics(
    storage: Storage, limit: int | None = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Adopters (most recently updated first), each with ``statistic``: its most recently
    updated statistic (hosts included) or None."""
    adopters = tables.list_adopters(storage.engine, limit, offset)
    latest = tables.latest_statistics(storage.engine, [a["adopter_key"] for a in adopters])
    return [{**a, "statistic": latest.get(a["adopter_key"])} for a in adopters]


def adopters_per_country(storage: Storage) -> list[tuple[str | None, int]]:
    """(country, adopters), most common first."""
    return tables.count_by(storage.engine, "country")


def adopters_per_system_type(storage: Storage) -> list[tuple[str | None, int]]:
    return tables.count_by(storage.engine, "system_type")


def statistics_per_version(storage: Storage) -> list[tuple[str | None, int]]:
    """(Opencast version, installations reporting it), most common first."""
    return tables.count_by(storage.engine, "version")
