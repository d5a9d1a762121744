"""The OpenAPI descriptions of the product questions: funnel, retention and persons."""

from __future__ import annotations

from typing import Any

from tidings.core.product.funnel import DEFAULT_WINDOW, MAX_STEPS, MIN_STEPS
from tidings.core.product.persons import DEFAULT_LIMIT, MAX_LIMIT
from tidings.core.product.retention import DEFAULT_PERIODS, MAX_PERIODS, PERIODS
from tidings.http.openapi_parts import (
    ERRORS,
    FILTERS,
    INTEGER,
    NULLABLE_STRING,
    PROBLEM_REF,
    PROP_FILTERS,
    READERS,
    STRING,
    json_answer,
    obj,
    param,
)

#: Who may ask: readers, and OAuth2 tokens with scope aggregation.
ASKERS = [*READERS, {"oauth2": ["aggregation"]}]
RANGE = (
    " Every question reads the events matching the list filters; without `from` the range "
    "starts 30 days before `to` (default: now). A person is the user id, the user an "
    "anonymous id is linked to by identify or alias, else `anon:<anonymous_id>`."
)
TZ = param("tz", "IANA time zone (default UTC).")
NUMBER_OR_NULL = {"type": ["number", "null"]}
PERSON = obj(
    person=STRING,
    user_id=NULLABLE_STRING,
    anonymous_ids={"type": "array", "items": STRING},
    traits={"type": "object"},
    first_seen=NULLABLE_STRING,
    last_seen=NULLABLE_STRING,
    events=INTEGER,
)
NOT_FOUND = {
    "404": {
        "description": "No such person in the range, and none on record.",
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }
}


def _funnel() -> dict[str, Any]:
    step = obj(
        namespace=STRING,
        name=STRING,
        count=INTEGER,
        conversion={"type": "number"},
        drop_off=INTEGER,
        median_seconds=NUMBER_OR_NULL,
    )
    return {
        "operationId": "read_funnel",
        "summary": "How many persons (or sessions) did the steps in order within a window.",
        "description": "A person reaches step k when it did steps 1..k in that order, each "
        "strictly after the one before, all within `window` seconds (inclusive) of its first "
        "step-1 event in the range; each later step takes the earliest qualifying event. "
        "Per-step property filters: `step.K.prop.KEY=VALUE`, K counting from 1. "
        + RANGE
        + " "
        + PROP_FILTERS,
        "security": ASKERS,
        "parameters": [
            {
                **param(
                    "step",
                    f"{MIN_STEPS} to {MAX_STEPS} steps, in order, each NAMESPACE/NAME.",
                    {"type": "array", "items": STRING},
                ),
                "required": True,
            },
            param(
                "window",
                f"Seconds from step 1 (default {DEFAULT_WINDOW}).",
                {"type": "integer", "minimum": 0},
            ),
            param("by", "Follow persons or sessions.", {"enum": ["person", "session"]}),
            *FILTERS,
            TZ,
        ],
        "responses": {
            "200": json_answer(
                "Per step: count, conversion (count / step-1 count), drop_off (previous count "
                "- count) and median seconds from step 1 (null for step 1).",
                obj(by=STRING, window=INTEGER, steps={"type": "array", "items": step}),
            ),
            **ERRORS,
        },
    }


def _retention() -> dict[str, Any]:
    cohort = obj(start=STRING, size=INTEGER, returned={"type": "array", "items": INTEGER})
    return {
        "operationId": "read_retention",
        "summary": "Cohorts by first start event per period, and their returns later.",
        "description": "A cohort is the persons whose first `start` event in the range falls "
        "in a period (in `tz`; weeks start Monday); `returned[k]` counts its persons with a "
        "`return` event k periods later (`returned[0]` is the size). Only events in the range "
        "count, so periods past its end read 0." + RANGE + " " + PROP_FILTERS,
        "security": ASKERS,
        "parameters": [
            {**param("start", "Start event, NAMESPACE/NAME."), "required": True},
            {**param("return", "Return event, NAMESPACE/NAME."), "required": True},
            param("period", "Period (default week).", {"enum": list(PERIODS)}),
            param(
                "periods",
                f"Values in `returned` (1-{MAX_PERIODS}, default {DEFAULT_PERIODS}).",
                {"type": "integer", "minimum": 1, "maximum": MAX_PERIODS},
            ),
            *FILTERS,
            TZ,
        ],
        "responses": {
            "200": json_answer(
                "Cohorts with at least one person, ascending by start (ISO in `tz`).",
                obj(period=STRING, cohorts={"type": "array", "items": cohort}),
            ),
            **ERRORS,
        },
    }


def _persons() -> dict[str, Any]:
    return {
        "operationId": "read_persons",
        "summary": "List and search persons, most recently seen first.",
        "description": "Persons with at least one event matching the filters; `first_seen`, "
        "`last_seen` and `events` count those events. `search` matches the user id, "
        "anonymous ids and trait values as case-insensitive substrings." + RANGE,
        "security": ASKERS,
        "parameters": [
            param("search", "Text to look for (at most 200 characters)."),
            param(
                "limit",
                f"Page size (1-{MAX_LIMIT}, default {DEFAULT_LIMIT}).",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            ),
            param("after", "Cursor from a previous page's `next`."),
            *FILTERS,
            TZ,
        ],
        "responses": {
            "200": json_answer(
                "A page of persons.",
                obj(persons={"type": "array", "items": PERSON}, next=NULLABLE_STRING),
            ),
            **ERRORS,
        },
    }


def _person() -> dict[str, Any]:
    return {
        "operationId": "read_person",
        "summary": "One person: ids, traits, first and last seen, event count.",
        "description": "`person` is the user id, or `anon:<anonymous_id>`." + RANGE,
        "security": ASKERS,
        "parameters": [
            {
                "name": "person",
                "in": "path",
                "required": True,
                "description": "User id or anon:<anonymous_id>.",
                "schema": STRING,
            },
            *FILTERS,
            TZ,
        ],
        "responses": {"200": json_answer("The person.", PERSON), **NOT_FOUND, **ERRORS},
    }


#: The operations, as the route table's ``doc=`` entries.
FUNNEL = _funnel()
RETENTION = _retention()
PERSONS = _persons()
ONE_PERSON = _person()
