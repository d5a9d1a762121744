"""Domain errors become RFC 9457 problem+json answers with the right status and headers."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import orjson
import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tidings.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    Overloaded,
    RateLimited,
    TidingsError,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from tidings.http.problems import (
    HANDLERS,
    error_headers,
    http_error,
    problem,
    server_error,
    status_of,
    tidings_error,
)


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": []})


def _answer(handler, exc: Exception) -> tuple[Response, dict]:  # type: ignore[no-untyped-def]
    response: Response = asyncio.run(handler(_request(), exc))
    return response, orjson.loads(response.body)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Invalid("bad"), 400),
        (Unauthenticated(), 401),
        (Forbidden("no"), 403),
        (NotFound("gone"), 404),
        (Conflict("taken"), 409),
        (TooLarge("big"), 413),
        (RateLimited(3), 429),
        (Overloaded(), 503),
        (Unavailable("down"), 503),
    ],
)
def test_each_domain_error_has_its_status(error: TidingsError, status: int) -> None:
    assert status_of(error) == status


def test_a_subclass_takes_its_parents_status_and_an_unknown_error_is_a_bad_request() -> None:
    class Gone(NotFound):
        pass

    class Odd(TidingsError):
        pass

    assert status_of(Gone("x")) == 404
    assert status_of(Odd("x")) == 400


def test_problem_body_names_type_title_status_detail_and_code() -> None:
    response = problem(409, "taken", code="conflict")
    assert response.status_code == 409
    assert response.media_type == "application/problem+json"
    assert response.headers["content-type"] == "application/problem+json"
    assert orjson.loads(response.body) == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "taken",
        "code": "conflict",
    }


def test_problem_lists_field_errors_only_when_there_are_some() -> None:
    with_errors = problem(400, "x", code="invalid", errors=[{"field": "a", "message": "b"}])
    assert orjson.loads(with_errors.body)["errors"] == [{"field": "a", "message": "b"}]
    assert "errors" not in orjson.loads(problem(400, "x", code="invalid", errors=[]).body)


def test_a_status_without_a_title_is_titled_error() -> None:
    assert orjson.loads(problem(418, "teapot", code="x").body)["title"] == "Error"


def test_retry_after_for_overload_rate_limit_and_outage() -> None:
    assert error_headers(Overloaded(retry_after=7)) == {"Retry-After": "7"}
    assert error_headers(RateLimited(12)) == {"Retry-After": "12"}
    assert error_headers(Unavailable("down")) == {"Retry-After": "1"}


def test_unauthenticated_challenges_with_its_scheme() -> None:
    assert error_headers(Unauthenticated()) == {"WWW-Authenticate": 'Basic realm="tidings"'}
    challenge = error_headers(Unauthenticated("x", scheme="Bearer"))
    assert challenge == {"WWW-Authenticate": 'Bearer realm="tidings"'}
    assert error_headers(Forbidden("no")) == {}


def test_invalid_input_answers_400_with_each_field_error() -> None:
    exc = Invalid("two problems", [FieldError("a", "is missing"), FieldError("b.1", "too long")])
    response, body = _answer(tidings_error, exc)
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert body["detail"] == "two problems"
    assert body["errors"] == [
        {"field": "a", "message": "is missing"},
        {"field": "b.1", "message": "too long"},
    ]


def test_rate_limited_answers_429_with_retry_after_and_no_field_errors() -> None:
    response, body = _answer(tidings_error, RateLimited(5))
    assert response.status_code == 429
    assert response.headers["retry-after"] == "5"
    assert body["detail"] == "Too many requests. Retry after 5 s."
    assert "errors" not in body


def test_framework_errors_keep_their_status_and_headers_with_a_derived_code() -> None:
    exc = HTTPException(405, "Method Not Allowed", headers={"Allow": "GET"})
    response, body = _answer(http_error, exc)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert body["code"] == "method_not_allowed"
    assert body["title"] == "Method Not Allowed"
    _, odd = _answer(http_error, HTTPException(418))
    assert odd["code"] == "error"


def test_a_bug_answers_500_with_a_request_id_that_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="tidings.http"):
        response, body = _answer(server_error, RuntimeError("boom"))
    assert response.status_code == 500
    assert body["code"] == "internal"
    request_id = body["detail"].removeprefix("Internal error; request id ").removesuffix(".")
    assert len(request_id) == 16
    assert any(request_id in record.getMessage() for record in caplog.records)
    assert "boom" not in body["detail"]


def test_an_outage_answers_503_with_retry_after_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="tidings.http"):
        response, body = _answer(server_error, sqlite3.OperationalError("database is locked"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert body["code"] == "unavailable"
    assert "OperationalError" in body["detail"]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert caplog.records[0].exc_info is None


def test_every_error_class_has_a_handler() -> None:
    assert HANDLERS[TidingsError] is tidings_error
    assert HANDLERS[HTTPException] is http_error
    assert HANDLERS[Exception] is server_error
