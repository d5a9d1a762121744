"""The hostile-input tests every ingest route runs: a module subclasses a suite with its
routes (see tests/http/hostile.py for the inputs and tests/http/fuzz_app.py for the app)."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

import httpx2
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.http.hostile import (
    BOMB,
    FAR_TIMES,
    FORM_HEADERS,
    FORM_SPOILERS,
    FUZZ,
    HUGE_NUMBERS,
    MALFORMED_BODIES,
    NON_FINITE,
    Target,
    all_paths,
    far_timestamps,
    form,
    is_number,
    nul_strings,
    peak_memory,
    put,
    raw_values,
    refused,
    refused_or_dropped,
    splice,
    spoil_stored,
    walk,
)


# -- JSON bodies -----------------------------------------------------------------------------
def _named(path: str) -> tuple[str, ...]:
    """The names an error about ``path`` may use: its non-index steps."""
    return tuple(step for step in path.split(".") if not step.isdigit())


class HostileSuite:
    """Tests shared by every ingest route. A module subclasses it as ``Test...`` with
    ``TARGETS`` (name -> builder of the :class:`Target` from the module's ``world``) and
    defines the ``world`` fixture (see tests/http/fuzz_app.py)."""

    TARGETS: ClassVar[dict[str, Callable[[Any], Target]]] = {}

    def pytest_generate_tests(self, metafunc: Any) -> None:
        if "make" in metafunc.fixturenames:
            metafunc.parametrize("make", list(self.TARGETS.values()), ids=list(self.TARGETS))

    def test_template_is_accepted_and_stored(self, world: Any, make: Any) -> None:
        """The unspoiled body is accepted: the refusals below are about what was spoiled."""
        target: Target = make(world)
        before = world.watch.version()
        answer = target.send(world.client, orjson.dumps(target.template))
        assert answer.is_success, answer.text
        assert world.watch.version() != before

    @pytest.mark.parametrize("body", sorted(MALFORMED_BODIES))
    def test_malformed_body_is_refused(self, world: Any, make: Any, body: str) -> None:
        target: Target = make(world)
        raw = MALFORMED_BODIES[body]
        if body == "invalid_utf8" and not target.strict_utf8:
            raw = b"\xff"
        names = ("body", "json", *target.body_names)
        refused(world.watch, lambda: target.send(world.client, raw), *names)

    def test_gzip_bomb_is_413_without_inflating_it(self, world: Any, make: Any) -> None:
        target: Target = make(world)

        def send() -> httpx2.Response:
            return target.send(world.client, BOMB, **{"Content-Encoding": "gzip"})

        answer, peak = peak_memory(lambda: refused(world.watch, send))
        assert answer.status_code == 413, answer.text
        # Inflating all of it would take 64 MiB; the limit is at most 1 MiB.
        assert peak < 8 * 1024 * 1024, peak

    @pytest.mark.parametrize("kind", ["corrupt", "truncated", "trailing_bytes", "unknown"])
    def test_bad_compressed_body_is_refused(self, world: Any, make: Any, kind: str) -> None:
        target: Target = make(world)
        packed = gzip.compress(orjson.dumps(target.template))
        encoding, body = {
            "corrupt": ("gzip", packed[:10] + bytes(len(packed) - 10)),
            "truncated": ("gzip", packed[: len(packed) // 2]),
            "trailing_bytes": ("gzip", packed + b"junk"),
            "unknown": ("br", packed),
        }[kind]
        refused(
            world.watch,
            lambda: target.send(world.client, body, **{"Content-Encoding": encoding}),
            "body",
            "gzip",
            "encoding",
        )

    @FUZZ
    @given(data=st.data())
    def test_a_non_json_value_anywhere_is_refused(self, world: Any, make: Any, data: Any) -> None:
        target: Target = make(world)
        path = data.draw(st.sampled_from(all_paths(target.template)), label="path")
        raw = data.draw(raw_values(target.strict_utf8), label="raw")
        body = splice(target.template, path, raw)
        if raw in NON_FINITE and path.startswith(target.non_finite_ok):
            # Python's json writes these; where the route tolerates them they are null.
            answer = target.send(world.client, body)
            assert answer.is_success, (path, answer.text[:300])
            return
        refused(world.watch, lambda: target.send(world.client, body), "body", "json")

    def test_huge_numbers_are_stored_or_refused_never_a_500(self, world: Any, make: Any) -> None:
        """Numbers JSON can carry but a 64-bit column or a double barely can, in every number
        field: each is either refused with nothing stored, or accepted and stored."""
        target: Target = make(world)
        numeric = [
            path
            for path in all_paths(target.template)
            if is_number(walk(target.template, path)[0][walk(target.template, path)[1]])
        ]
        for path in numeric:
            for number in HUGE_NUMBERS:
                spoilt = put(target.template, path, number)
                if "messageId" in spoilt:
                    # A repeated id is acknowledged and rightly not stored again.
                    spoilt["messageId"] = uuid.uuid4().hex
                body = json.dumps(spoilt).encode()
                before = world.watch.version()
                answer = target.send(world.client, body)
                assert answer.status_code < 500, (path, number, answer.text[:300])
                changed = world.watch.version() != before
                assert changed == answer.is_success, (path, number, answer.text[:300])

    @FUZZ
    @given(data=st.data())
    def test_nul_in_a_stored_field_is_refused(self, world: Any, make: Any, data: Any) -> None:
        target: Target = make(world)
        if not target.stored:
            return
        path = data.draw(st.sampled_from(target.stored), label="path")
        body = spoil_stored(target.template, path, data.draw(nul_strings, label="nul"))
        refused_or_dropped(
            target,
            world.watch,
            path,
            lambda: target.send(world.client, orjson.dumps(body)),
            *_named(path),
        )

    def test_listed_far_times_are_refused(self, world: Any, make: Any) -> None:
        target: Target = make(world)
        for path in target.timestamps:
            for moment in FAR_TIMES:
                body = json.dumps(put(target.template, path, moment)).encode()
                refused_or_dropped(
                    target,
                    world.watch,
                    path,
                    lambda body=body: target.send(world.client, body),
                    _named(path)[-1],
                )

    @FUZZ
    @given(data=st.data())
    def test_a_time_outside_1970_to_2199_is_refused(self, world: Any, make: Any, data: Any) -> None:
        target: Target = make(world)
        if not target.timestamps:
            return
        path = data.draw(st.sampled_from(target.timestamps), label="path")
        body = put(target.template, path, data.draw(far_timestamps, label="time"))
        # json, not orjson: it writes integers of any size (10**30 stays an integer literal).
        refused_or_dropped(
            target,
            world.watch,
            path,
            lambda: target.send(world.client, json.dumps(body).encode()),
            _named(path)[-1],
        )


class FormSuite:
    """Form-data tests for routes that read ``application/x-www-form-urlencoded`` bodies:
    ``FORMS`` maps a name to a builder of ``(target, fields, spoilable field names)``."""

    FORMS: ClassVar[dict[str, Callable[[Any], tuple[Target, dict[str, str], tuple[str, ...]]]]] = {}

    def pytest_generate_tests(self, metafunc: Any) -> None:
        if "make_form" in metafunc.fixturenames:
            metafunc.parametrize("make_form", list(self.FORMS.values()), ids=list(self.FORMS))

    def test_form_template_is_accepted(self, world: Any, make_form: Any) -> None:
        target, fields, _ = make_form(world)
        before = world.watch.version()
        answer = target.send(world.client, form(fields), **FORM_HEADERS)
        assert answer.is_success, answer.text
        assert world.watch.version() != before

    @pytest.mark.parametrize("spoiler", sorted(FORM_SPOILERS))
    def test_spoilt_form_field_is_refused(self, world: Any, make_form: Any, spoiler: str) -> None:
        target, fields, spoilable = make_form(world)
        for name in spoilable:
            body = form(fields, name, FORM_SPOILERS[spoiler])
            refused(
                world.watch,
                lambda body=body: target.send(world.client, body, **FORM_HEADERS),
                name,
                "body",
                "form",
                "utf-8",
            )
