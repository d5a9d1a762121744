"""The explorer's query: dashboard form fields (kept in the URL) -> aggregate API parameters.

The page speaks in presets ("last 24 hours") and local wall-clock times (``datetime-local``
inputs, read in the chosen time zone); the aggregate API speaks in absolute instants. This
module translates one into the other, so the explorer shows exactly what the API would
answer for the parameters it links to.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import QueryParams

from tidings.core.aggregate import FUNCTIONS, Bucket
from tidings.core.buckets import GRANULARITIES
from tidings.errors import Invalid
from tidings.model.timeparse import to_iso

#: Range presets: (key, label, span, default granularity).
PRESETS = (
    ("1h", "Last hour", timedelta(hours=1), "minute"),
    ("24h", "Last 24 hours", timedelta(days=1), "hour"),
    ("7d", "Last 7 days", timedelta(days=7), "hour"),
    ("30d", "Last 30 days", timedelta(days=30), "day"),
    ("90d", "Last 90 days", timedelta(days=90), "day"),
    ("365d", "Last year", timedelta(days=365), "week"),
)
_PRESET = {key: (span, granularity) for key, _label, span, granularity in PRESETS}
GROUP_CHOICES = ("", "name", "namespace", "source")
CHARTS = ("line", "bar")


@dataclass(frozen=True)
class ExplorerForm:
    """The explorer's fields as the page shows them (and the URL keeps them)."""

    namespace: str = ""
    name: str = ""
    fn: str = "count"
    granularity: str = ""
    range: str = "24h"
    start: str = ""
    end: str = ""
    tz: str = "UTC"
    group_by: str = ""
    chart: str = "line"
    fill: bool = True
    #: Sketches for distinct users / percentiles over multi-day buckets (API ``approx``).
    approx: bool = False

    @classmethod
    def from_params(cls, params: QueryParams) -> ExplorerForm:
        return cls(
            namespace=params.get("namespace", "").strip(),
            name=params.get("name", "").strip(),
            fn=params.get("fn", "count"),
            granularity=params.get("granularity", ""),
            range=params.get("range", "24h"),
            start=params.get("from", "").strip(),
            end=params.get("to", "").strip(),
            tz=params.get("tz", "UTC").strip() or "UTC",
            group_by=params.get("group_by", "").strip(),
            chart=params.get("chart", "line"),
            fill=params.get("fill", "true") in ("true", "1", "on"),
            approx=params.get("approx", "false") in ("true", "1", "on"),
        )

    @property
    def effective_granularity(self) -> str:
        if self.granularity:
            return self.granularity
        return _PRESET.get(self.range, (None, "day"))[1]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("tz", f"{name!r} is not an IANA time zone") from None


def _instant(field: str, raw: str, tz: ZoneInfo) -> str:
    """A ``datetime-local`` value (wall clock in ``tz``) or an ISO time with offset, as UTC."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid.field(
            field, f"{raw!r} is not a date and time like 2026-03-01T09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return to_iso(int(moment.timestamp() * 1_000_000))


def api_params(form: ExplorerForm, now_us: int) -> list[tuple[str, str]]:
    """The ``/api/v1/aggregate`` parameters that answer this form at time ``now_us``."""
    if form.fn not in FUNCTIONS:
        raise Invalid.field("fn", f"must be one of {', '.join(FUNCTIONS)}")
    if form.granularity and form.granularity not in GRANULARITIES:
        raise Invalid.field("granularity", f"must be one of {', '.join(GRANULARITIES)}")
    if form.chart not in CHARTS:
        raise Invalid.field("chart", "must be line or bar")
    tz = _zone(form.tz)
    if form.range == "custom":
        if not form.start:
            raise Invalid.field("from", "is required for a custom range")
        start = _instant("from", form.start, tz)
        end = _instant("to", form.end, tz) if form.end else to_iso(now_us)
    elif form.range in _PRESET:
        span = int(_PRESET[form.range][0].total_seconds() * 1_000_000)
        start, end = to_iso(now_us - span), to_iso(now_us)
    else:
        raise Invalid.field("range", f"must be one of {', '.join(_PRESET)} or custom")
    params = [("from", start), ("to", end), ("granularity", form.effective_granularity)]
    params += [("fn", form.fn), ("tz", tz.key), ("fill", "true" if form.fill else "false")]
    if form.namespace:
        params.append(("namespace", form.namespace))
    if form.name:
        params.append(("name", form.name))
    if form.group_by:
        params.append(("group_by", form.group_by))
    if form.approx:
        params.append(("approx", "true"))
    return params


def api_url(params: Sequence[tuple[str, str]]) -> str:
    return "/api/v1/aggregate?" + urlencode(params)


def short_label(start: str | None, granularity: str) -> str:
    """A compact axis label for a bucket start (ISO in the query's time zone)."""
    if start is None:
        return "total"
    if granularity in ("minute", "hour"):
        return start[:16].replace("T", " ")
    if granularity in ("day", "week"):
        return start[:10]
    if granularity == "month":
        return start[:7]
    return start[:4]


def chart_data(buckets: Sequence[Bucket], granularity: str) -> dict[str, object]:
    """Labels and one series per group, for the chart script."""
    starts = list(dict.fromkeys(b.start for b in buckets))
    position = {start: i for i, start in enumerate(starts)}
    series: dict[str, list[float | None]] = {}
    for bucket in buckets:
        key = bucket.group if bucket.group is not None else "(none)"
        values = series.setdefault(key, [None] * len(starts))
        values[position[bucket.start]] = bucket.value
    return {
        "labels": [short_label(s, granularity) for s in starts],
        "series": [{"label": k, "values": v} for k, v in series.items()],
    }


def _cell(text: str) -> str:
    # A group label is user data; a leading =, +, - or @ would run as a spreadsheet formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_lines(buckets: Sequence[Bucket], grouped: bool) -> Iterator[str]:
    """The table as CSV: start, [group,] value, count."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["start", "group", "value", "count"] if grouped else ["start", "value", "count"]
    )
    for bucket in buckets:
        value = "" if bucket.value is None else bucket.value
        row = [bucket.start or "", _cell(bucket.group or ""), value, bucket.count]
        writer.writerow(row if grouped else [row[0], *row[2:]])
    yield out.getvalue()
