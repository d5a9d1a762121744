"""Opencast adopter payloads: decoding the bodies real clients send, and validating them.

Every parser returns only the fields present in the payload: Opencast serialises with Gson,
which omits null fields, so an absent field means "unchanged", never "erase" (seed-systems.md
1.2). Errors are :class:`~tidings.errors.Invalid` with the message in generation A's words
where it had one (seed-systems.md 1.4).
"""

from __future__ import annotations

import codecs
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

from tidings.compat.opencast.store import ADOPTER_BOOL, ADOPTER_TEXT, KEY_MAX, STATISTIC_COUNTS
from tidings.errors import FieldError, Invalid
from tidings.http.json_keys import refuse_duplicate_keys

INT64_MAX = 2**63 - 1
HOSTNAME_MAX = 2048
SERVICES_MAX = 65_536
HOSTS_MAX = 1000
VERSION_MAX = 255
TYPE_MAX = 255
DATA_MAX = 32 * 1024

#: Generation A field names and the column each one shares with generation C.
ADOPTER_ALIASES = {
    "mail": "email",
    "allows_statistics": "send_usage",
    "allows_error_reports": "send_errors",
}
#: Generation A's required adopter fields, checked in this order (seed-systems.md 1.4).
LEGACY_REQUIRED = (
    "country",
    "postal_code",
    "city",
    "street",
    "street_no",
    "allows_statistics",
    "allows_error_reports",
    "allows_tech_data",
    "contact_me",
    "organisation_name",
)
GENDERS = ("male", "female")


def decode_body(body: bytes, content_type: str | None) -> Any:
    """Decode a JSON body the way Opencast clients need it.

    Opencast sends ``Content-Type: application/json; utf-8`` (a malformed charset), so the
    charset is honoured only when it names a real codec. Opencast before 12.12 sent latin-1
    despite that header (seed-systems.md 1.2), so a body that is not UTF-8 is read as latin-1.

    Raises:
        Invalid: empty body or not JSON.
    """
    if not body.strip():
        raise invalid("body", "The request body is empty; send a JSON object.")
    text: str | None = None
    charset = _charset(content_type)
    if charset is not None:
        try:
            text = body.decode(charset)
        except UnicodeDecodeError:
            text = None
    if text is None:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = body.decode("latin-1")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise invalid("body", f"The request body is not valid JSON: {exc}") from None
    refuse_duplicate_keys(text, data)
    if not isinstance(data, dict):
        raise invalid("body", "The request body must be a JSON object.")
    return data


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        name, sep, value = part.partition("=")
        if sep and name.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                return None
    return None


def invalid(field: str, message: str) -> Invalid:
    return Invalid(message, [FieldError(field, message)])


def _bad(field: str, why: str) -> Invalid:
    return invalid(field, f"Invalid argument for '{field}': {why}")


def missing(field: str) -> Invalid:
    return invalid(field, f"ERROR: At least one required field is missing: '{field}'")


def text(obj: dict[str, Any], field: str, limit: int, *, source: str | None = None) -> str | None:
    """A string field of at most ``limit`` characters (None when null)."""
    value = obj.get(source or field)
    if value is None:
        return None
    name = source or field
    if not isinstance(value, str):
        raise _bad(name, "must be a string")
    if len(value) > limit:
        raise _bad(name, f"must be at most {limit} characters long")
    if "\x00" in value:
        raise _bad(name, "must not contain NUL characters")
    return value


def key(obj: dict[str, Any], field: str) -> str:
    """A required key (``adopter_key``, ``statistic_key``): a non-empty string."""
    if obj.get(field) is None:
        raise missing(field)
    value = text(obj, field, KEY_MAX)
    if not value or not value.strip():
        raise _bad(field, "must not be empty")
    return value


def _bool(obj: dict[str, Any], field: str) -> bool | None:
    value = obj.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise _bad(field, "must be true or false")


def _int(obj: dict[str, Any], field: str, minimum: int = 0) -> int | None:
    value = obj.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, "must be an integer")
    if not minimum <= value <= INT64_MAX:
        raise _bad(field, f"must be between {minimum} and {INT64_MAX}")
    return value


def _float(obj: dict[str, Any], field: str) -> float | None:
    value = obj.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(field, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise _bad(field, "must be a finite number")
    return number


# -- adopters --------------------------------------------------------------------------------
def adopter_values(obj: dict[str, Any]) -> dict[str, Any]:
    """The adopter columns present in ``obj`` (either generation's names), validated."""
    values: dict[str, Any] = {}
    for legacy, column in ADOPTER_ALIASES.items():
        if legacy in obj and column not in obj:
            if column in ADOPTER_TEXT:
                values[column] = text(obj, column, ADOPTER_TEXT[column], source=legacy)
            else:
                values[column] = _bool(obj, legacy)
    for column, limit in ADOPTER_TEXT.items():
        if column in obj:
            values[column] = text(obj, column, limit)
    for column in ADOPTER_BOOL:
        if column in obj:
            values[column] = _bool(obj, column)
    if values.get("gender") not in (None, *GENDERS):
        raise invalid("gender", "Invalid argument for 'gender'")
    return values


def legacy_adopter_values(obj: dict[str, Any]) -> dict[str, Any]:
    """Generation A's full-record checks (for ``PUT /api/1.0/adopter/<key>``)."""
    for field in LEGACY_REQUIRED:
        if obj.get(field) is None:
            raise missing(field)
    # The key and the timestamps come from the URL and the server, never from the body.
    body = {k: v for k, v in obj.items() if k not in ("adopter_key", "created", "last_activity")}
    return adopter_values(body)


# -- statistics ------------------------------------------------------------------------------
def statistic_values(obj: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The statistic columns present in ``obj`` and the host list (None when absent)."""
    values: dict[str, Any] = {}
    if "adopter_key" in obj:
        values["adopter_key"] = text(obj, "adopter_key", KEY_MAX)
    for column in STATISTIC_COUNTS:
        if column in obj:
            values[column] = _int(obj, column)
    if "version" in obj:
        values["version"] = text(obj, "version", VERSION_MAX)
    raw_hosts = obj.get("hosts")
    if raw_hosts is None:
        return values, None
    if not isinstance(raw_hosts, list):
        raise _bad("hosts", "must be a list of host objects")
    if len(raw_hosts) > HOSTS_MAX:
        raise _bad("hosts", f"must have at most {HOSTS_MAX} entries")
    return values, [_host(raw, index) for index, raw in enumerate(raw_hosts)]


def _host(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _bad(f"hosts.{index}", "must be a JSON object")
    try:
        # The CI payload of the registration server sends camelCase ``maxLoad`` for one host
        # (seed-systems.md 1.2); Opencast itself sends ``max_load``.
        load_field = "max_load" if raw.get("max_load") is not None else "maxLoad"
        return {
            "hostname": text(raw, "hostname", HOSTNAME_MAX),
            "cores": _int(raw, "cores"),
            "max_load": _float(raw, load_field),
            "memory": _int(raw, "memory"),
            # Opencast never sets disk_space (always 0); the CI payload sends -1.
            "disk_space": _int(raw, "disk_space", minimum=-INT64_MAX),
            "services": text(raw, "services", SERVICES_MAX),
        }
    except Invalid as exc:
        field = f"hosts.{index}.{exc.errors[0].field}"
        raise invalid(field, exc.detail.replace("'", f"'hosts.{index}.", 1)) from None


def tobira_data(obj: dict[str, Any]) -> str:
    """Tobira's own statistics object (``data``) as JSON text."""
    data = obj.get("data")
    if data is None:
        raise missing("data")
    if not isinstance(data, dict):
        raise _bad("data", "must be a JSON object")
    encoded = orjson.dumps(data)
    if len(encoded) > DATA_MAX:
        raise _bad("data", f"must be at most {DATA_MAX} bytes of JSON")
    if b"\\u0000" in encoded:
        raise _bad("data", "must not contain NUL characters")
    return encoded.decode()


# -- generation A records (kept as core events) ----------------------------------------------
@dataclass(frozen=True, slots=True)
class StatisticsReport:
    adopter_key: str
    from_date: date
    to_date: date
    opencast_version: str | None


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    adopter_key: str
    timestamp: datetime
    error_type: str
    data: Any
    opencast_version: str | None


def _date(obj: dict[str, Any], field: str) -> date:
    if obj.get(field) is None:
        raise missing(field)
    value = text(obj, field, 10)
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        raise _bad(field, "must be a date in the form YYYY-MM-DD") from None
    if not 1970 <= day.year < 2200:
        raise _bad(field, "must be between 1970 and 2199")
    return day


def statistics_report(obj: dict[str, Any]) -> StatisticsReport:
    adopter_key = key(obj, "adopter_key")
    from_date = _date(obj, "from_date")
    to_date = _date(obj, "to_date")
    if from_date > to_date:
        raise _bad("to_date", "must not be before from_date")
    version = text(obj, "opencast_version", VERSION_MAX)
    return StatisticsReport(adopter_key, from_date, to_date, version)


def parse_offset_timestamp(value: str, field: str = "timestamp") -> datetime:
    """An ISO 8601 time, keeping its UTC offset (naive means UTC). Generation A's own form
    ``%Y-%m-%dT%H:%M:%S%z`` (offset ``+0100``) is accepted too."""
    for parse in (_strptime, datetime.fromisoformat):
        try:
            moment = parse(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            year = moment.astimezone(UTC).year
        except OverflowError:  # year 1 or 9999 shifted past the calendar by its offset
            year = moment.year
        if not 1970 <= year < 2200:
            raise _bad(field, "must be between 1970 and 2199")
        return moment
    raise _bad(field, "must be an ISO 8601 time such as 2019-02-24T12:34:56+01:00")


def _strptime(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def error_event(obj: dict[str, Any]) -> ErrorEvent:
    adopter_key = key(obj, "adopter_key")
    if obj.get("timestamp") is None:
        raise missing("timestamp")
    raw_ts = text(obj, "timestamp", 64) or ""
    moment = parse_offset_timestamp(raw_ts)
    if obj.get("error_type") is None:
        raise missing("error_type")
    error_type = text(obj, "error_type", TYPE_MAX) or ""
    data = obj.get("data")
    if data is not None and not isinstance(data, str | dict | list):
        raise _bad("data", "must be a string or a JSON object")
    if data is not None and len(orjson.dumps(data)) > DATA_MAX:
        raise _bad("data", f"must be at most {DATA_MAX} bytes")
    if data is not None and b"\\u0000" in orjson.dumps(data):
        raise _bad("data", "must not contain NUL characters")
    version = text(obj, "opencast_version", VERSION_MAX)
    return ErrorEvent(adopter_key, moment, error_type, data, version)
