"""Logging a TestClient into the dashboard and reading CSRF tokens out of pages."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str, next_path: str = "/") -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"csrf": token, "username": username, "password": password, "next": next_path},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
