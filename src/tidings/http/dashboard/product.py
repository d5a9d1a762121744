"""The Funnels, Retention and People pages: forms in the URL, answers from the same core
questions as the API (so a view equals the API link it shows), charts, and erasure (admins)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tidings.core.erasure import erase_person
from tidings.core.event_sql import PERSON_PREFIX
from tidings.core.product.funnel import funnel
from tidings.core.product.persons import get_person, latest_events, list_persons, user_of
from tidings.core.product.retention import PERIODS, retention
from tidings.errors import Invalid, NotFound
from tidings.http.api.analytics_params import analytics_filter
from tidings.http.api.people import parse_persons
from tidings.http.api.product import event_sql, parse_funnel, parse_retention
from tidings.http.dashboard import product_forms as forms
from tidings.http.dashboard.auth import Visitor, check_csrf, read_form
from tidings.http.dashboard.explorer import PRESETS
from tidings.http.dashboard.render import page, render
from tidings.http.deps import runtime
from tidings.model.timeparse import now_us

LATEST = 50


def _context(request: Request) -> dict[str, Any]:
    return {
        "rf": forms.RangeForm.from_params(request.query_params),
        "presets": PRESETS,
        "error": None,
        "answer": None,
        "chart": None,
        "api_url": None,
    }


@page()
async def funnels(request: Request, who: Visitor) -> Response:
    params = request.query_params
    context = _context(request)
    context.update(
        steps=forms.step_rows(params),
        windows=forms.WINDOWS,
        window=params.get("window", "86400"),
        by=params.get("by", "person"),
    )
    if not any(s.strip() for s in params.getlist("step")):
        return render(request, "funnels.html", who, **context)
    try:
        api = forms.funnel_params(params) + forms.range_params(context["rf"], now_us())
        qp = QueryParams(api)
        answer = await funnel(event_sql(request), analytics_filter(qp), parse_funnel(qp))
    except Invalid as exc:
        context["error"] = exc.detail
        return render(request, "funnels.html", who, status=400, **context)
    context.update(
        answer=answer,
        chart=forms.funnel_chart(answer),
        api_url=forms.api_url("/api/v1/funnel", api),
    )
    return render(request, "funnels.html", who, **context)


@page()
async def retention_page(request: Request, who: Visitor) -> Response:
    params = request.query_params
    context = _context(request)
    fields = dict(forms.retention_params(params))
    context.update(fields=fields, periods=PERIODS)
    if not params.get("start") and not params.get("return"):
        return render(request, "retention.html", who, **context)
    try:
        api = forms.retention_params(params) + forms.range_params(context["rf"], now_us())
        qp = QueryParams(api)
        answer = await retention(event_sql(request), analytics_filter(qp), parse_retention(qp))
    except Invalid as exc:
        context["error"] = exc.detail
        return render(request, "retention.html", who, status=400, **context)
    context.update(
        answer=answer,
        chart=forms.retention_chart(answer),
        api_url=forms.api_url("/api/v1/retention", api),
    )
    return render(request, "retention.html", who, **context)


@page()
async def people(request: Request, who: Visitor) -> Response:
    params = request.query_params
    context = _context(request)
    search = params.get("search", "").strip()
    context.update(search=search, erased=params.get("erased"), next_url=None)
    try:
        api = forms.range_params(context["rf"], now_us())
        extra = [("search", search), ("limit", "50"), ("after", params.get("after", ""))]
        qp = QueryParams(api + extra)
        answer = await list_persons(
            event_sql(request), runtime(request).storage, analytics_filter(qp), parse_persons(qp)
        )
    except Invalid as exc:
        context["error"] = exc.detail
        return render(request, "people.html", who, status=400, **context)
    if answer["next"]:
        keep = [(k, v) for k, v in params.multi_items() if k != "after"]
        context["next_url"] = forms.api_url("/people", [*keep, ("after", answer["next"])])
    context.update(
        answer=answer,
        api_url=forms.api_url("/api/v1/persons", [*api, ("search", search)]),
        person_link=lambda p: "/people/" + quote(p, safe=""),
    )
    return render(request, "people.html", who, **context)


@page()
async def person_page(request: Request, who: Visitor) -> Response:
    person = request.path_params["person"]
    context = _context(request)
    api = forms.range_params(context["rf"], now_us())
    flt = analytics_filter(QueryParams(api))
    sql = event_sql(request)
    answer = await get_person(sql, runtime(request).storage, flt, person)
    if answer is None:
        raise NotFound(f"No person {person!r} in this range (or on record).")
    events = await latest_events(sql, flt, person, LATEST)
    context.update(
        person=answer,
        events=events,
        query=str(request.query_params),
        api_url=forms.api_url("/api/v1/persons/" + quote(person, safe=""), api),
    )
    return render(request, "person.html", who, **context)


@page(admin=True)
async def erase(request: Request, who: Visitor) -> Response:
    """Erase one person everywhere (their events, those of linked ids, the person record)."""
    form = await read_form(request)
    check_csrf(form, who)
    person = form.get("person", "")
    if not person:
        raise Invalid.field("person", "is required")
    user = user_of(person)
    anonymous = None if user is not None else person[len(PERSON_PREFIX) :]
    await run_in_threadpool(erase_person, runtime(request).storage, user, anonymous)
    return RedirectResponse("/people?erased=" + quote(person, safe=""), status_code=303)
