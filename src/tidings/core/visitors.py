"""Who a browser event comes from, without storing who it is (api.md section 8, "Web").

- :func:`describe` derives ``browser``, ``os`` and ``device`` (``desktop``, ``mobile``,
  ``tablet`` or ``bot``) from a User-Agent with ua-parser (the maintained uap-core regexes, on
  its Rust regex backend). Results are cached per User-Agent string: a site's visitors send a
  few hundred distinct ones, and a cached answer costs a dict lookup on the ingest hot path.
- :class:`VisitorHasher` gives the anonymous id of a browser event that has neither user id nor
  anonymous id: a keyed hash of (source, client address, User-Agent) under a salt that changes
  every UTC day and is then deleted (Plausible's method). The same browser gets the same id all
  day and an unrelated one the next; the address and the User-Agent are never stored.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import ua_parser

from tidings.storage import web_salts
from tidings.storage.base import Storage

DAY_US = 86_400 * 1_000_000
#: Longer User-Agent strings are cut before parsing (real ones are a few hundred characters),
#: so a client cannot make each parse arbitrarily slow.
MAX_UA = 512

_MOBILE_OS = frozenset(
    ("iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Firefox OS", "Symbian OS")
)
_MOBILE_DEVICES = frozenset(("iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone"))
_UNKNOWN = frozenset(("Other", ""))


@dataclass(frozen=True, slots=True)
class Device:
    """What a User-Agent says, as stored properties; None where the parser knows nothing."""

    browser: str | None
    os: str | None
    device: str | None


def _known(value: str | None) -> str | None:
    return None if value is None or value in _UNKNOWN else value


def _kind(ua: str, os: str | None, family: str, brand: str) -> str:
    """desktop, mobile, tablet or bot, from the parser's device and OS families.

    ua-parser names devices, not their kind: crawlers are the device family ``Spider``;
    tablets are iPads, Kindles, the ``Generic_Android_Tablet`` brand, and Android browsers
    without ``Mobile`` in the string (Google's rule for telling tablets from phones). iPadOS
    Safari asks for desktop pages with a Mac User-Agent by default and is counted as desktop.
    """
    if family == "Spider":
        return "bot"
    if (
        family == "iPad"
        or family.startswith("Kindle")
        or "tablet" in brand.lower()
        or "tablet" in family.lower()
        or (os == "Android" and "Mobile" not in ua)
    ):
        return "tablet"
    if os in _MOBILE_OS or family in _MOBILE_DEVICES:
        return "mobile"
    return "desktop"


@lru_cache(maxsize=4096)
def describe(user_agent: str) -> Device:
    """The browser, OS and device kind of ``user_agent`` (cached)."""
    ua = user_agent[:MAX_UA]
    if not ua.strip():
        return Device(None, None, None)
    result = ua_parser.parse(ua)
    browser = _known(result.user_agent.family if result.user_agent else None)
    os = _known(result.os.family if result.os else None)
    family = result.device.family if result.device else ""
    brand = (result.device.brand if result.device else None) or ""
    return Device(browser, os, _kind(ua, os, family, brand))


def utc_day(us: int) -> str:
    """``YYYY-MM-DD`` of the UTC day holding ``us``."""
    days = us // DAY_US
    return date.fromordinal(date(1970, 1, 1).toordinal() + days).isoformat()


class VisitorHasher:
    """Daily-salted visitor ids; the salt is read from the store once a day per process."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._day = ""
        self._salt = b""

    async def salt(self, now_us: int) -> bytes:
        """Today's salt (UTC), made by whichever process asks first."""
        day = utc_day(now_us)
        if day != self._day:
            salt = await asyncio.to_thread(web_salts.daily_salt, self._storage.engine, day)
            self._day, self._salt = day, salt
        return self._salt

    async def anonymous_id(self, now_us: int, source_id: int, address: str, ua: str) -> str:
        """The visitor id of (source, address, User-Agent) today: 32 hex digits."""
        return visitor_id(await self.salt(now_us), source_id, address, ua)


def visitor_id(salt: bytes, source_id: int, address: str, ua: str) -> str:
    """BLAKE2b keyed with ``salt`` over the source, address and User-Agent."""
    message = f"{source_id}\x00{address}\x00{ua}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(message, key=salt, digest_size=16).hexdigest()
