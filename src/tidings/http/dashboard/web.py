"""The dashboard's Web page (``/web``): the web summary at a glance, Plausible-style.

The page's form speaks in presets ("last 30 days") or whole local days, a time zone, a
namespace and property filters; :func:`api_params` turns it into the ``/api/v1/web`` query, so
the page shows exactly what the API answers for the link it offers. Everything is in the URL,
so a view can be bookmarked and shared. A row of a top list links to the same view filtered by
that value (a property filter on the page views, ``prop.KEY=VALUE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from tidings.core.product.web import TOP_LISTS
from tidings.errors import Invalid
from tidings.http.api.web import answer_of, parse_web_query, summarise
from tidings.http.dashboard.auth import Visitor
from tidings.http.dashboard.render import page, render
from tidings.model.timeparse import now_us, to_iso

#: Range presets: (key, label, days).
PRESETS = (
    ("24h", "Last 24 hours", 1),
    ("7d", "Last 7 days", 7),
    ("30d", "Last 30 days", 30),
    ("90d", "Last 90 days", 90),
    ("365d", "Last 12 months", 365),
)
_DAYS = {key: days for key, _label, days in PRESETS}
DAY_US = 86_400_000_000
#: The top lists as the page titles them, with the property a row's link filters on (None:
#: a session-level list whose value is not a property of every page view).
LISTS = (
    ("pages", "Top pages", "Page", "path"),
    ("entry_pages", "Entry pages", "Page", None),
    ("referrers", "Referrers", "Origin", "referrer"),
    ("utm_sources", "UTM sources", "Source", "utm_source"),
    ("browsers", "Browsers", "Browser", "browser"),
    ("os", "Operating systems", "OS", "os"),
    ("devices", "Devices", "Device", "device"),
)
assert [name for name, *_ in LISTS] == [name for name, _ in TOP_LISTS]


@dataclass(frozen=True)
class WebForm:
    """The page's fields as the URL keeps them."""

    namespace: str = "web"
    range: str = "30d"
    start: str = ""
    end: str = ""
    tz: str = "UTC"
    source: str = ""
    props: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_params(cls, params: QueryParams) -> WebForm:
        return cls(
            namespace=params.get("namespace", "web").strip(),
            range=params.get("range", "30d"),
            start=params.get("from", "").strip(),
            end=params.get("to", "").strip(),
            tz=params.get("tz", "UTC").strip() or "UTC",
            source=params.get("source", "").strip(),
            props=tuple((k[5:], v) for k, v in params.multi_items() if k.startswith("prop.")),
        )

    def query(self, **changes: Any) -> list[tuple[str, str]]:
        """This form's URL parameters, with ``changes`` (``props`` replaces the filters)."""
        fields = {
            "namespace": self.namespace,
            "range": self.range,
            "from": self.start,
            "to": self.end,
            "tz": self.tz,
            "source": self.source,
            **{k: v for k, v in changes.items() if k != "props"},
        }
        pairs = [(k, str(v)) for k, v in fields.items() if v]
        props = changes.get("props", self.props)
        return pairs + [(f"prop.{k}", v) for k, v in props]

    def link(self, **changes: Any) -> str:
        return "/web?" + urlencode(self.query(**changes))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid.field("tz", f"{name!r} is not an IANA time zone") from None


def _day(field: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid.field(field, f"{raw!r} is not a date like 2026-03-01") from None


def _midnight(day: date, tz: ZoneInfo) -> str:
    return datetime.combine(day, time(0), tzinfo=tz).isoformat()


def api_params(form: WebForm, now: int) -> list[tuple[str, str]]:
    """The ``/api/v1/web`` parameters that answer this form at time ``now`` (us)."""
    tz = _zone(form.tz)
    if form.range == "custom":
        if not form.start:
            raise Invalid.field("from", "is required for a custom range")
        first = _day("from", form.start)
        last = _day("to", form.end) if form.end else first
        if last < first:
            raise Invalid.field("to", "must not be before 'from'")
        # Whole local days, the last one included.
        start, end = _midnight(first, tz), _midnight(last + timedelta(days=1), tz)
    elif form.range in _DAYS:
        start, end = to_iso(now - _DAYS[form.range] * DAY_US), to_iso(now)
    else:
        raise Invalid.field("range", f"must be one of {', '.join(_DAYS)} or custom")
    params = [("from", start), ("to", end), ("tz", tz.key)]
    if form.range == "24h":
        params.append(("granularity", "hour"))
    elif form.range == "365d":
        params.append(("granularity", "week"))
    if form.namespace:
        params.append(("namespace", form.namespace))
    if form.source:
        params.append(("source", form.source))
    return params + [(f"prop.{k}", v) for k, v in form.props]


def chart_of(answer: dict[str, Any]) -> dict[str, Any]:
    """Labels and the two series (visitors, page views) for the chart script."""
    series: list[dict[str, Any]] = answer["series"]
    short = 16 if answer["granularity"] == "hour" else 10
    return {
        "labels": [p["start"][:short].replace("T", " ") for p in series],
        "visitors": [p["visitors"] for p in series],
        "pageviews": [p["pageviews"] for p in series],
    }


@page()
async def web_page(request: Request, who: Visitor) -> Response:
    form = WebForm.from_params(request.query_params)
    context: dict[str, Any] = {"form": form, "presets": PRESETS, "lists": LISTS}
    try:
        params = api_params(form, now_us())
        query = parse_web_query(QueryParams(params), now_us())
        answer = answer_of(await summarise(request, query), query)
    except Invalid as exc:
        return render(
            request, "web.html", who, status=400, error=exc.detail, answer=None, **context
        )
    return render(
        request,
        "web.html",
        who,
        error=None,
        answer=answer,
        chart=chart_of(answer),
        api_url="/api/v1/web?" + urlencode(params),
        **context,
    )
