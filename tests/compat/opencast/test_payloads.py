from __future__ import annotations

import pytest

from tidings.compat.opencast.payloads import (
    adopter_values,
    decode_body,
    legacy_adopter_values,
    parse_offset_timestamp,
    statistic_values,
)
from tidings.errors import Invalid


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"city": "Osnabrück"}'.encode(), "application/json; utf-8"),
        ('{"city": "Osnabrück"}'.encode("latin-1"), "application/json; utf-8"),
        ('{"city": "Osnabrück"}'.encode("latin-1"), None),
        ('{"city": "Osnabrück"}'.encode("latin-1"), "application/json; charset=latin-1"),
        ('{"city": "Osnabrück"}'.encode("utf-8-sig"), "application/json"),
        ('{"city": "Osnabrück"}'.encode(), "application/json; charset=no-such-codec"),
        ('{"city": "Osnabrück"}'.encode(), "text/plain"),
    ],
)
def test_bodies_decode_whatever_the_charset_claims(body: bytes, content_type: str | None) -> None:
    assert decode_body(body, content_type) == {"city": "Osnabrück"}


@pytest.mark.parametrize("body", [b"", b"  ", b"{", b"[1]", b'"text"', b"null"])
def test_bodies_that_are_not_json_objects_are_invalid(body: bytes) -> None:
    with pytest.raises(Invalid) as caught:
        decode_body(body, "application/json")
    assert caught.value.errors[0].field == "body"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2019-02-24T12:34:56+0100", "2019-02-24T12:34:56+01:00"),
        ("2019-02-24T12:34:56+01:00", "2019-02-24T12:34:56+01:00"),
        ("2019-02-24T12:34:56Z", "2019-02-24T12:34:56+00:00"),
        ("2019-02-24T12:34:56", "2019-02-24T12:34:56+00:00"),
        ("2019-02-24T12:34:56.250-0330", "2019-02-24T12:34:56.250000-03:30"),
    ],
)
def test_error_timestamps_keep_their_offset(text: str, iso: str) -> None:
    assert parse_offset_timestamp(text).isoformat() == iso


def test_generation_a_names_map_onto_the_shared_columns() -> None:
    values = adopter_values(
        {"mail": "a@b.c", "allows_statistics": True, "allows_error_reports": False}
    )
    assert values == {"email": "a@b.c", "send_usage": True, "send_errors": False}
    # When both generations' names are sent, generation C's wins.
    assert adopter_values({"mail": "old@x", "email": "new@x"}) == {"email": "new@x"}


def test_only_present_fields_are_returned() -> None:
    assert adopter_values({"adopter_key": "k"}) == {}
    assert statistic_values({"statistic_key": "s"}) == ({}, None)
    assert statistic_values({"statistic_key": "s", "version": None}) == ({"version": None}, None)


def test_legacy_put_reports_the_first_missing_field() -> None:
    with pytest.raises(Invalid) as caught:
        legacy_adopter_values({"country": "DE", "city": "X"})
    assert caught.value.detail == "ERROR: At least one required field is missing: 'postal_code'"


def test_camel_case_max_load_is_read_when_snake_case_is_absent() -> None:
    _, hosts = statistic_values({"hosts": [{"maxLoad": 20.0}, {"max_load": 1, "maxLoad": 2}]})
    assert hosts is not None
    assert [h["max_load"] for h in hosts] == [20.0, 1.0]
