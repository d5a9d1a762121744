"""Schemathesis against ``/openapi.json``: every documented operation, called in process with
valid credentials, answers without a 5xx and as the document says (status code, content type,
body schema), for generated valid input and for generated invalid input."""

from __future__ import annotations

import base64
from collections.abc import Iterator

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
from tidings.app import create_app
from tidings.config import Settings
from tidings.core.auth import new_secret, secret_hash
from tidings.http.deps import Runtime
from tidings.http.openapi import document

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Invalid input can only be made where there is input: parameters or a body.
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for path, methods in document()["paths"].items()
    for method, operation in methods.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or "parameters" in operation or "requestBody" in operation
]
EXAMPLES = 25


@pytest.fixture
def api_schema(settings: Settings) -> Iterator[schemathesis.BaseSchema]:
    """The document as the running app serves it. Schemathesis runs the app's lifespan in its
    own event-loop thread; it is shut down after each test so every test has a fresh app."""
    app = create_app(settings)
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()


def _headers(schema: schemathesis.BaseSchema, method: str) -> dict[str, str]:
    """A write key for ingest, the admin's Basic credentials for everything else."""
    if method == "post":
        runtime: Runtime = schema.app.state.runtime
        key = new_secret("wk_")
        runtime.storage.create_source("fuzz", secret_hash(key), None)
        return {"X-Write-Key": key}
    basic = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    return {"Authorization": f"Basic {basic}"}


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_operation_answers_as_documented(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method.upper()]
    headers = _headers(api_schema, method)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
