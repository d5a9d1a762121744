"""RegexFilter, including the cases of the tracking library's own regex filter tests."""

from __future__ import annotations

import pytest

from tidings.sdk import RegexFilter as ExportedFilter
from tidings.sdk.exceptions import ImproperlyConfigured
from tidings.sdk.processors.exceptions import EventEmissionExit
from tidings.sdk.processors.regex_filter import ALLOWLIST, BLOCKLIST, RegexFilter

# An event shaped as the legacy field mapping leaves it: the filter reads only ``name``.
LEGACY_SHAPED = {
    "name": "sentinel.name",
    "event_type": "edx.test.event",
    "time": "2020-01-01T12:12:12.000000+00:00",
    "event": {"key": "value"},
    "session": "0000",
}


def test_filter_type_constants_name_the_two_types() -> None:
    assert (ALLOWLIST, BLOCKLIST) == ("allowlist", "blocklist")
    assert RegexFilter().filter_type == ALLOWLIST
    assert ExportedFilter is RegexFilter


@pytest.mark.parametrize(
    ("filter_type", "patterns", "kept"),
    [
        (ALLOWLIST, ["sentinel.name", "any"], True),
        (ALLOWLIST, ["not_matching", "NOT_MATCHING"], False),
        (ALLOWLIST, [""], True),
        (ALLOWLIST, [], False),
        (BLOCKLIST, ["sentinel.name", "any"], False),
        (BLOCKLIST, ["not_matching", "NOT_MATCHING"], True),
        (BLOCKLIST, [""], False),
        (BLOCKLIST, [], True),
    ],
)
def test_event_is_kept_or_dropped_by_type_and_patterns(filter_type, patterns, kept) -> None:
    regex_filter = RegexFilter(filter_type=filter_type, regular_expressions=patterns)
    if kept:
        assert regex_filter(dict(LEGACY_SHAPED)) == LEGACY_SHAPED
    else:
        with pytest.raises(EventEmissionExit):
            regex_filter(dict(LEGACY_SHAPED))


def test_allowlist_of_empty_pattern_passes_everything() -> None:
    event = {"name": "anything"}
    assert RegexFilter("allowlist", [""])(event) is event


def test_allowlist_without_patterns_drops_everything() -> None:
    with pytest.raises(EventEmissionExit):
        RegexFilter("allowlist", [])({"name": "anything"})


def test_blocklist_without_patterns_passes_everything() -> None:
    event = {"name": "anything"}
    assert RegexFilter("blocklist", [])(event) is event


def test_blocklist_drops_names_matching_at_the_start() -> None:
    block = RegexFilter("blocklist", [r"edx\.video"])
    with pytest.raises(EventEmissionExit):
        block({"name": "edx.video.played"})
    assert block({"name": "x.edx.video"}) == {"name": "x.edx.video"}


def test_allowlist_keeps_only_names_matching_at_the_start() -> None:
    allow = RegexFilter("allowlist", [r"edx\.", r"problem_check$"])
    assert allow({"name": "edx.course"})["name"] == "edx.course"
    assert allow({"name": "problem_check"})["name"] == "problem_check"
    with pytest.raises(EventEmissionExit):
        allow({"name": "my.edx.course"})


def test_unknown_filter_type_is_improperly_configured() -> None:
    with pytest.raises(ImproperlyConfigured, match="filter_type"):
        RegexFilter("whitelist", [])


def test_invalid_regex_is_improperly_configured() -> None:
    with pytest.raises(ImproperlyConfigured, match="invalid regular expression"):
        RegexFilter("allowlist", ["("])


def test_configuration_errors_start_with_the_library_words() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^Invalid filter type is configured"):
        RegexFilter(filter_type="INVALID_TYPE", regular_expressions=[])
    with pytest.raises(ImproperlyConfigured, match=r"^Invalid Regular Expressions are configured"):
        RegexFilter(filter_type=ALLOWLIST, regular_expressions=["***"])


def test_every_invalid_pattern_is_named_at_once() -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        RegexFilter(BLOCKLIST, ["ok", "(", "[a"])
    assert "'('" in str(raised.value)
    assert "'[a'" in str(raised.value)
