"""User-Agent derivation and the daily-salted visitor id."""

from __future__ import annotations

import asyncio

import pytest

from tidings.core.visitors import DAY_US, Device, VisitorHasher, describe, utc_day, visitor_id
from tidings.storage.base import Storage
from tidings.storage.web_salts import salt_days

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.43 Mobile Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        pytest.param(CHROME_WINDOWS, Device("Chrome", "Windows", "desktop"), id="chrome"),
        pytest.param(FIREFOX_LINUX, Device("Firefox", "Linux", "desktop"), id="firefox"),
        pytest.param(SAFARI_MAC, Device("Safari", "Mac OS X", "desktop"), id="safari"),
        pytest.param(IPHONE, Device("Mobile Safari", "iOS", "mobile"), id="iphone"),
        pytest.param(IPAD, Device("Mobile Safari", "iOS", "tablet"), id="ipad"),
        pytest.param(ANDROID_TABLET, Device("Chrome", "Android", "tablet"), id="android-tablet"),
        pytest.param(
            ANDROID_PHONE, Device("Chrome Mobile", "Android", "mobile"), id="android-phone"
        ),
        pytest.param(GOOGLEBOT, Device("Googlebot", None, "bot"), id="googlebot"),
        pytest.param(
            GOOGLEBOT_SMARTPHONE, Device("Googlebot", "Android", "bot"), id="googlebot-mobile"
        ),
        pytest.param("", Device(None, None, None), id="empty"),
    ],
)
def test_user_agent_gives_browser_os_and_device_kind(ua: str, expected: Device) -> None:
    assert describe(ua) == expected


def test_a_huge_user_agent_is_cut_before_parsing() -> None:
    assert describe(CHROME_WINDOWS + " x" * 100_000).browser == "Chrome"


def test_visitor_id_depends_on_salt_source_address_and_agent() -> None:
    base = visitor_id(b"s" * 16, 1, "10.0.0.1", CHROME_WINDOWS)
    assert len(base) == 32 and int(base, 16) >= 0
    assert visitor_id(b"s" * 16, 1, "10.0.0.1", CHROME_WINDOWS) == base
    others = {
        visitor_id(b"t" * 16, 1, "10.0.0.1", CHROME_WINDOWS),
        visitor_id(b"s" * 16, 2, "10.0.0.1", CHROME_WINDOWS),
        visitor_id(b"s" * 16, 1, "10.0.0.2", CHROME_WINDOWS),
        visitor_id(b"s" * 16, 1, "10.0.0.1", FIREFOX_LINUX),
    }
    assert base not in others and len(others) == 4


def test_utc_day_of_instants() -> None:
    assert utc_day(0) == "1970-01-01"
    assert utc_day(DAY_US - 1) == "1970-01-01"
    assert utc_day(20_000 * DAY_US) == "2024-10-04"


def test_the_same_browser_is_one_visitor_all_day_and_another_the_next(
    shared_storage: Storage,
) -> None:
    hasher = VisitorHasher(shared_storage)
    day = 20_000 * DAY_US

    def visitor(at: int) -> str:
        return asyncio.run(hasher.anonymous_id(at, 1, "192.0.2.7", IPHONE))

    morning, evening = visitor(day + 1), visitor(day + DAY_US - 1)
    assert morning == evening
    # A second process (another hasher on the same store) agrees within the day.
    second = VisitorHasher(shared_storage)
    assert asyncio.run(second.anonymous_id(day + 5, 1, "192.0.2.7", IPHONE)) == morning
    assert visitor(day + DAY_US) != morning
    assert salt_days(shared_storage.engine) == [utc_day(day + DAY_US)]
