"""The first thing every HTTP request meets: what is refused before any route runs.

Unstorable text in the path, query or credentials (400, :mod:`tidings.http.text_guard`),
more requests or request bodies in progress than the process admits (503 with Retry-After,
:mod:`tidings.http.admission`); everything else goes on to :class:`HotPath` unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tidings.errors import Invalid, Overloaded, TidingsError
from tidings.http.admission import Admission
from tidings.http.hotpath import Handler, HotPath
from tidings.http.middleware import SECURITY_HEADERS
from tidings.http.problems import error_headers, problem
from tidings.http.text_guard import request_problem


def _answer(exc: TidingsError, status: int) -> Response:
    errors = [e.as_dict() for e in exc.errors] if isinstance(exc, Invalid) else None
    response = problem(status, exc.detail, code=exc.code, errors=errors, headers=error_headers(exc))
    response.raw_headers.extend(SECURITY_HEADERS)
    return response


class Edge(HotPath):
    """:class:`HotPath` behind the text guard and admission control."""

    def __init__(
        self,
        app: Starlette,
        routes: Mapping[tuple[str, str], Handler],
        admission: Admission | None = None,
    ) -> None:
        super().__init__(app, routes)
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        refused = request_problem(scope)
        if refused is not None:
            await _answer(refused, 400)(scope, receive, send)
            return
        admission = self.admission
        if admission is None:
            await super().__call__(scope, receive, send)
            return
        try:
            ticket = admission.enter(scope)
        except Overloaded as exc:
            await _answer(exc, 503)(scope, receive, send)
            return
        try:
            if admission.chunked(scope):
                receive = admission.counting(receive, ticket)
            await super().__call__(scope, receive, send)
        finally:
            admission.leave(ticket)
