"""Which exceptions count as a service outage (503 + Retry-After) rather than a bug (500)."""

from __future__ import annotations

import asyncio
import sqlite3

import psycopg
import pytest
import redis.exceptions
from sqlalchemy import exc as sa_exc
from starlette.requests import Request

from tidings.http.problems import server_error
from tidings.outages import describe, is_outage


def _wrapped(orig: BaseException) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError("SELECT * FROM sources WHERE key_hash = ?", ("h4sh",), orig)


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("database is locked"),
        psycopg.OperationalError("connection failed: Connection refused"),
        _wrapped(psycopg.OperationalError("server closed the connection unexpectedly")),
        _wrapped(sqlite3.OperationalError("database is locked")),
        sa_exc.TimeoutError("QueuePool limit reached"),
        redis.exceptions.ConnectionError("Error 111 connecting"),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_unreachable_services_are_outages(exc: BaseException) -> None:
    assert is_outage(exc)


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("no such table: events"),
        _wrapped(sqlite3.OperationalError("no such column: x")),
        psycopg.errors.UndefinedTable("relation does not exist"),
        sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint")),
        ValueError("a bug"),
        KeyError("a bug"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_bugs_are_not_outages(exc: BaseException) -> None:
    assert not is_outage(exc)


def test_describe_keeps_the_driver_message_and_drops_sql_and_parameters() -> None:
    text = describe(_wrapped(psycopg.OperationalError("connection failed\nIs the server up?")))
    assert text == "OperationalError: connection failed"
    assert "h4sh" not in text and "SELECT" not in text


def test_an_outage_on_any_route_is_a_503_with_retry_after() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    outage = _wrapped(psycopg.OperationalError("refused"))
    response = asyncio.run(server_error(request, outage))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert b'"code":"unavailable"' in response.body
    assert asyncio.run(server_error(request, ValueError("a bug"))).status_code == 500
