"""The Funnels, Retention and People pages' forms (kept in the URL) -> API parameters.

Like the explorer, the pages speak in presets ("last 30 days"), wall-clock times in a chosen
zone and ``key=value`` filters; the analytics endpoints speak in instants and ``prop.KEY``
parameters. Each page computes exactly what the API answers for the parameters it links to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from tidings.errors import Invalid
from tidings.http.api.analytics_params import zone
from tidings.http.dashboard.explorer import PRESETS
from tidings.model.timeparse import to_iso

Params = list[tuple[str, str]]
_SPANS = {key: span for key, _label, span, _g in PRESETS}
#: Conversion windows offered by the Funnels page: (seconds, label).
WINDOWS = (
    (3600, "1 hour"),
    (86_400, "1 day"),
    (7 * 86_400, "7 days"),
    (14 * 86_400, "14 days"),
    (30 * 86_400, "30 days"),
)
MAX_STEP_FIELDS = 10


@dataclass(frozen=True)
class RangeForm:
    """The date-range and filter controls every analytics page shares."""

    range: str = "30d"
    start: str = ""
    end: str = ""
    tz: str = "UTC"
    source: str = ""
    namespace: str = ""
    #: Property filters as ``key=value``, one per field.
    props: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: QueryParams) -> RangeForm:
        return cls(
            range=params.get("range", "30d"),
            start=params.get("from", "").strip(),
            end=params.get("to", "").strip(),
            tz=params.get("tz", "UTC").strip() or "UTC",
            source=params.get("source", "").strip(),
            namespace=params.get("namespace", "").strip(),
            props=tuple(p.strip() for p in params.getlist("filter") if p.strip()),
        )


def _instant(field: str, raw: str, tz: ZoneInfo) -> str:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid.field(
            field, f"{raw!r} is not a date and time like 2026-03-01T09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return to_iso(int(moment.timestamp() * 1_000_000))


def pair(field: str, raw: str) -> tuple[str, str]:
    """``key=value`` as a property filter."""
    key, eq, value = raw.partition("=")
    if not eq or not key.strip():
        raise Invalid.field(field, f"{raw!r} is not KEY=VALUE")
    return key.strip(), value.strip()


def range_params(form: RangeForm, now_us: int) -> Params:
    """``from``, ``to``, ``tz`` and the list filters of the API for this form at ``now_us``."""
    tz = zone(QueryParams([("tz", form.tz)]))
    if form.range == "custom":
        if not form.start:
            raise Invalid.field("from", "is required for a custom range")
        start = _instant("from", form.start, tz)
        end = _instant("to", form.end, tz) if form.end else to_iso(now_us)
    elif form.range in _SPANS:
        span: timedelta = _SPANS[form.range]
        start, end = to_iso(now_us - int(span.total_seconds() * 1_000_000)), to_iso(now_us)
    else:
        raise Invalid.field("range", f"must be one of {', '.join(_SPANS)} or custom")
    params = [("from", start), ("to", end), ("tz", tz.key)]
    if form.source:
        params.append(("source", form.source))
    if form.namespace:
        params.append(("namespace", form.namespace))
    for raw in form.props:
        key, value = pair("filter", raw)
        params.append((f"prop.{key}", value))
    return params


def funnel_params(params: QueryParams) -> Params:
    """Steps (``step`` fields, blanks skipped) with their ``key=value`` filters (``sf``
    fields, one beside each step field), window and by."""
    steps = params.getlist("step")
    filters = params.getlist("sf")
    out: Params = []
    number = 0
    for i, raw in enumerate(steps):
        if not raw.strip():
            continue
        number += 1
        out.append(("step", raw.strip()))
        text = filters[i].strip() if i < len(filters) else ""
        if text:
            key, value = pair(f"step {number} filter", text)
            out.append((f"step.{number}.prop.{key}", value))
    out += [("window", params.get("window", "86400")), ("by", params.get("by", "person"))]
    return out


def retention_params(params: QueryParams) -> Params:
    return [
        (key, params.get(key, default).strip())
        for key, default in (("start", ""), ("return", ""), ("period", "week"), ("periods", "8"))
    ]


def api_url(path: str, params: Params) -> str:
    return f"{path}?{urlencode(params)}"


def step_rows(params: QueryParams) -> list[tuple[str, str]]:
    """The step fields to show: those filled in, then blanks up to at least three and one
    spare, at most :data:`MAX_STEP_FIELDS`."""
    steps = params.getlist("step")
    filters = params.getlist("sf")
    rows = [
        (s.strip(), filters[i].strip() if i < len(filters) else "")
        for i, s in enumerate(steps)
        if s.strip()
    ]
    wanted = min(MAX_STEP_FIELDS, max(3, len(rows) + 1))
    return (rows + [("", "")] * wanted)[:wanted]


def funnel_chart(answer: dict[str, object]) -> dict[str, object]:
    steps = answer["steps"]
    assert isinstance(steps, list)
    return {
        "labels": [f"{i}. {s['name']}" for i, s in enumerate(steps, 1)],
        "series": [{"label": "reached", "values": [s["count"] for s in steps]}],
    }


def retention_chart(answer: dict[str, object]) -> dict[str, object]:
    """Percent of each cohort back in each period (period 0 is 100%)."""
    cohorts = answer["cohorts"]
    assert isinstance(cohorts, list)
    periods = len(cohorts[0]["returned"]) if cohorts else 0
    return {
        "labels": [f"{answer['period']} {k}" for k in range(periods)],
        "series": [
            {
                "label": str(c["start"])[:10],
                "values": [round(100 * n / c["size"], 1) for n in c["returned"]],
            }
            for c in cohorts[-8:]
        ],
    }
