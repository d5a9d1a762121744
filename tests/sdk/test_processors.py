"""Processors: the name whitelist and the regex allow/block filter."""

from __future__ import annotations

import pytest

from tidings.sdk import EventEmissionExit, ImproperlyConfigured, NameWhitelistProcessor, RegexFilter


def test_whitelist_passes_listed_names() -> None:
    event = {"name": "ok"}
    assert NameWhitelistProcessor(whitelist=["ok"])(event) is event


def test_whitelist_drops_unlisted_names() -> None:
    with pytest.raises(EventEmissionExit):
        NameWhitelistProcessor(whitelist=["ok"])({"name": "other"})


@pytest.mark.parametrize("bad", [None, "ok", 3], ids=["none", "string", "not-iterable"])
def test_whitelist_must_be_an_iterable_of_names(bad) -> None:
    with pytest.raises(TypeError):
        NameWhitelistProcessor(whitelist=bad)


def test_whitelist_filters_a_list_of_events() -> None:
    events = [{"name": "ok"}, {"name": "no"}, {"name": "ok"}]
    assert NameWhitelistProcessor(whitelist={"ok"})(events) == [{"name": "ok"}, {"name": "ok"}]


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
