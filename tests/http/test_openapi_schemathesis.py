"""Schemathesis against ``/openapi.json``: every documented operation of every slice, called
in process with the credentials its ``security`` names, answers without a 5xx and as the
document says (status code, content type, body schema), for generated valid input and for
generated invalid input.

One app serves the whole module (starting one per operation would cost more than the calls),
with rate limits off so hundreds of calls from one client are not throttled. Examples per
case are bounded so the run stays well under two minutes on the CI machine.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ADMIN
from tests.credentials import make_client
from tidings.app import create_app
from tidings.config import Settings
from tidings.core import oauth
from tidings.core.auth import new_secret, secret_hash
from tidings.http.deps import Runtime
from tidings.http.openapi import document
from tidings.routes import ROUTES

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
#: Endless streams never finish a call; tests/http/api/test_live.py and
#: tests/compat/openslides cover them. Everything else is called.
STREAM_PATHS = {"/api/v1/live", "/api/v1/live/counters", "/system/autoupdate", "/system/notify"}
DOCUMENT = document(ROUTES)
STREAMS = {
    (method, path)
    for path, methods in DOCUMENT["paths"].items()
    if path in STREAM_PATHS
    for method in methods
}


def _has_input(operation: dict[str, Any]) -> bool:
    """Invalid input can only be made where there is input that has a form: query
    parameters or a body (a path segment may be any string)."""
    query = [p for p in operation.get("parameters", ()) if p["in"] != "path"]
    return bool(query) or "requestBody" in operation


CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
    if (method, path) not in STREAMS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_input(operation)
]
EXAMPLES = 6


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    """The document as the running app serves it; schemathesis runs the app's lifespan in its
    own event-loop thread, shut down when the module is done."""
    data = Path(tmp_path_factory.mktemp("schemathesis")) / "data"
    settings_ = Settings(
        data_dir=str(data),
        admin_password=ADMIN[1],
        anonymous_rate_limit=0,
        rate_limit=0,
    )
    app = create_app(settings_)
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def credentials(api_schema: schemathesis.BaseSchema) -> dict[str, dict[str, str]]:
    """Headers per security scheme: a write key, the admin's Basic, an OAuth2 token with
    every scope."""
    runtime: Runtime = api_schema.app.state.runtime
    key = new_secret("wk_")
    runtime.storage.create_source("fuzz", secret_hash(key), None)
    client_id, secret = make_client(runtime, "read", "write", "aggregation")
    client = oauth.authenticate_client(runtime.storage, client_id, secret)
    assert client is not None
    token = oauth.issue_access_token(runtime.storage, client, client.scopes, 3600)
    basic = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    return {
        "writeKey": {"X-Write-Key": key},
        "oauth2": {"Authorization": f"Bearer {token}"},
        "basic": {"Authorization": f"Basic {basic}"},
    }


def _headers(operation: dict[str, Any], credentials: dict[str, dict[str, str]]) -> dict[str, str]:
    """The first scheme the operation accepts that the run holds; Basic otherwise (open
    routes ignore it)."""
    for requirement in operation.get("security", []):
        for scheme in requirement:
            if scheme in credentials:
                return credentials[scheme]
    return credentials["basic"]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_operation_answers_as_documented(
    api_schema: schemathesis.BaseSchema,
    credentials: dict[str, dict[str, str]],
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    operation = api_schema[path][method.upper()]
    headers = _headers(DOCUMENT["paths"][path][method], credentials)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
