"""Dashboard pages everyone logged in may see: login, overview, explorer, live tail, sessions."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from tidings.core.activity import session_summaries
from tidings.core.aggregate import FUNCTIONS, aggregate
from tidings.core.buckets import GRANULARITIES
from tidings.errors import Invalid, RateLimited, TidingsError
from tidings.http.api.aggregates import parse_params
from tidings.http.dashboard import auth, explorer
from tidings.http.dashboard.auth import Visitor
from tidings.http.dashboard.overview import overview
from tidings.http.dashboard.render import page, render, safe_next
from tidings.http.deps import check_password, limit_anonymous, runtime
from tidings.http.problems import status_of
from tidings.model.records import EventFilter
from tidings.model.timeparse import now_us, to_iso

DAY_US = 86_400_000_000


async def login_form(request: Request) -> Response:
    who = await auth.visitor(request)
    target = safe_next(request.query_params.get("next"))
    if who is not None:
        return RedirectResponse(target, status_code=303)
    return _login_page(request, target, error=None, status=200)


def _login_page(request: Request, target: str, error: str | None, status: int) -> Response:
    token, fresh = auth.login_token(request)
    response = render(
        request, "login.html", None, status=status, csrf=token, next=target, error=error
    )
    if fresh is not None:
        auth.set_login_nonce(request, response, fresh)
    return response


async def login(request: Request) -> Response:
    try:
        form = await auth.read_form(request)
        auth.check_login_token(request, form)
    except TidingsError as exc:
        return _login_page(request, "/", error=exc.detail, status=status_of(exc))
    target = safe_next(form.get("next"))
    username, password = form.get("username", ""), form.get("password", "")
    user = None
    try:
        if username and password:
            user = await check_password(request, username, password)
        if user is None:
            # Failures also count against the address, like failed HTTP Basic logins, which
            # slows trying many usernames from one place.
            await limit_anonymous(request)
    except RateLimited as exc:
        response = _login_page(request, target, error=exc.detail, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        return _login_page(request, target, error="Wrong username or password.", status=401)
    response = RedirectResponse(target, status_code=303)
    await auth.start_session(request, response, user)
    return response


@page()
async def logout(request: Request, who: Visitor) -> Response:
    auth.check_csrf(await auth.read_form(request), who)
    response = RedirectResponse("/login", status_code=303)
    await auth.end_session(request, response)
    return response


@page()
async def show_overview(request: Request, who: Visitor) -> Response:
    data = await run_in_threadpool(overview, runtime(request).storage, now_us())
    return render(request, "overview.html", who, data=data, url=str(request.base_url))


def _pickers(request: Request) -> tuple[list[str], list[str]]:
    streams = runtime(request).storage.streams(EventFilter())
    namespaces = sorted({s.namespace for s in streams})
    chosen = request.query_params.get("namespace")
    names = sorted({s.name for s in streams if not chosen or s.namespace == chosen})
    return namespaces, names


@page()
async def explore(request: Request, who: Visitor) -> Response:
    form = explorer.ExplorerForm.from_params(request.query_params)
    namespaces, names = await run_in_threadpool(_pickers, request)
    context: dict[str, Any] = {
        "form": form,
        "namespaces": namespaces,
        "names": names,
        "presets": explorer.PRESETS,
        "functions": FUNCTIONS,
        "granularities": GRANULARITIES,
        "groups": explorer.GROUP_CHOICES,
        "error": None,
        "buckets": [],
        "chart": None,
        "api_url": None,
        "csv_url": None,
    }
    if not request.query_params:
        return render(request, "explore.html", who, **context)
    try:
        params = explorer.api_params(form, now_us())
        query = parse_params(QueryParams(params))
        buckets = await run_in_threadpool(aggregate, runtime(request).storage, query)
    except (Invalid, ValueError) as exc:
        context["error"] = exc.detail if isinstance(exc, Invalid) else str(exc)
        return render(request, "explore.html", who, status=400, **context)
    context.update(
        buckets=buckets,
        grouped=query.group_by is not None,
        chart=explorer.chart_data(buckets, query.granularity),
        api_url=explorer.api_url(params),
        csv_url="/explore.csv?" + str(request.query_params),
    )
    return render(request, "explore.html", who, **context)


@page()
async def explore_csv(request: Request, who: Visitor) -> Response:
    form = explorer.ExplorerForm.from_params(request.query_params)
    try:
        query = parse_params(QueryParams(explorer.api_params(form, now_us())))
        buckets = await run_in_threadpool(aggregate, runtime(request).storage, query)
    except ValueError as exc:
        raise Invalid.field("granularity", str(exc)) from None
    return StreamingResponse(
        explorer.csv_lines(buckets, query.group_by is not None),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tidings-aggregate.csv"'},
    )


@page()
async def live(request: Request, who: Visitor) -> Response:
    namespaces, names = await run_in_threadpool(_pickers, request)
    return render(request, "live.html", who, namespaces=namespaces, names=names)


@page()
async def sessions(request: Request, who: Visitor) -> Response:
    namespace = request.query_params.get("namespace", "microticks").strip()
    days = request.query_params.get("days", "7")
    if days not in ("1", "7", "30", "365"):
        raise Invalid.field("days", "must be 1, 7, 30 or 365")
    since = now_us() - int(days) * DAY_US
    rows = await run_in_threadpool(
        session_summaries, runtime(request).storage, namespace or None, since, 200
    )
    return render(
        request,
        "sessions.html",
        who,
        rows=rows,
        namespace=namespace,
        days=days,
        iso=to_iso,
    )
