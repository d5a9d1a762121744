"""The exceptions processors raise are importable where processors written for the tracking
library import them from."""

from __future__ import annotations

import pytest

import tidings.sdk
from tidings.sdk import exceptions
from tidings.sdk.processors import exceptions as processor_exceptions


@pytest.mark.parametrize(
    "name", ["EventEmissionExit", "NoTransformerImplemented", "NoBackendEnabled"]
)
def test_processor_exceptions_are_one_class_under_every_import_path(name: str) -> None:
    cls = getattr(processor_exceptions, name)
    assert issubclass(cls, Exception)
    assert cls is getattr(exceptions, name) is getattr(tidings.sdk, name)


def test_transformer_and_backend_exceptions_are_not_emission_exits() -> None:
    # A router treats only EventEmissionExit as "drop silently"; the others are logged.
    for cls in (
        processor_exceptions.NoTransformerImplemented,
        processor_exceptions.NoBackendEnabled,
    ):
        assert not issubclass(cls, processor_exceptions.EventEmissionExit)
