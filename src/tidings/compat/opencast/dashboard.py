"""The Opencast page: adopters with their latest statistics, totals, countries and versions.

Adopter and statistic keys are capabilities, so the page never shows them (not even to admins);
admins get edit and delete forms (admin.py) that name records by pseudonym.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tidings.compat.opencast import records
from tidings.compat.opencast.store import STATISTIC_COUNTS, RecordQuery
from tidings.http.dashboard.auth import Visitor
from tidings.http.dashboard.render import page, render
from tidings.http.deps import runtime
from tidings.model.timeparse import to_iso
from tidings.storage.base import Storage

#: Adopters one page lists; the totals cover the same adopters.
PAGE = 200
#: Statistics reports and error events one page lists (the newest).
RECORDS = 50


def _records(storage: Storage, name: str) -> list[dict[str, Any]]:
    """Generation A's records, newest first; rows name adopters by pseudonym. Without the
    ``opencast`` source there are none, and a page view must not create it."""
    if records.SOURCE not in storage.source_names().values():
        return []
    return records.records(storage, RecordQuery(name, limit=RECORDS))


def summary(storage: Storage) -> dict[str, Any]:
    adopters = records.adopters_with_latest_statistics(storage, PAGE, 0)
    totals = dict.fromkeys(STATISTIC_COUNTS, 0)
    for adopter in adopters:
        stat = adopter["statistic"] or {}
        for name in STATISTIC_COUNTS:
            totals[name] += int(stat.get(name) or 0)
    return {
        "adopters": adopters,
        "adopter_count": len(adopters),
        "totals": totals,
        "countries": records.adopters_per_country(storage),
        "versions": records.statistics_per_version(storage),
        "reports": _records(storage, "statistics_report"),
        "errors": _records(storage, "error_event"),
        "names": {records.pseudonym(a["adopter_key"]): a["organisation_name"] for a in adopters},
    }


@page()
async def opencast(request: Request, who: Visitor) -> Response:
    data = await run_in_threadpool(summary, runtime(request).storage)
    # Admins' edit and delete forms name records by pseudonym (admin.py), never by key.
    return render(request, "opencast.html", who, data=data, iso=to_iso, pseudonym=records.pseudonym)
