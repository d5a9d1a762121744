"""Writing OpenSlides 3's Redis layout as its Django server does (spec openslides3.md
section 1): a cache build, then changes announced on the ``autoupdate`` stream. Every key
carries a prefix of the test's own, since other tests share the Redis."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import orjson
import redis

from tidings.compat.openslides.os3.session import encode_session

Element = dict[str, Any]
LOWEST = 157000000000
SECRET = b"test-secret-\xc3\xa4"


def key_prefix() -> str:
    return f"os3t{uuid.uuid4().hex[:10]}:"


class Layout:
    def __init__(self, url: str, prefix: str) -> None:
        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def k(self, name: str) -> str:
        return self.prefix + name

    def build(self, elements: Mapping[str, Element], lowest: int = LOWEST) -> None:
        """A cache build: the data anew, no element key in ``change_id``."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.k("change_id"), self.k("full_data"), self.k("cache_ready"))
        pipe.zadd(self.k("change_id"), {"_config:lowest_change_id": lowest})
        if elements:
            pipe.hset(
                self.k("full_data"), mapping={k: orjson.dumps(v) for k, v in elements.items()}
            )
        pipe.set(self.k("cache_ready"), "ok")
        pipe.execute()

    def current(self) -> int:
        top = self.redis.zrevrange(self.k("change_id"), 0, 0, withscores=True)
        return int(top[0][1]) if top else 0

    def write(self, elements: Mapping[str, Element | None]) -> int:
        """A change without its announcement (as if the stream entry were lost)."""
        change_id = self.current() + 1
        pipe = self.redis.pipeline(transaction=True)
        for key, element in elements.items():
            if element is None:
                pipe.hdel(self.k("full_data"), key)
            else:
                pipe.hset(self.k("full_data"), key, orjson.dumps(element))
            pipe.zadd(self.k("change_id"), {key: change_id})
        pipe.execute()
        return change_id

    def change(self, elements: Mapping[str, Element | None]) -> int:
        """A change as Django makes it: written, then announced. Returns its change id."""
        change_id = self.write(elements)
        content = orjson.dumps({"elements": elements, "change_id": change_id})
        self.redis.xadd(self.k("autoupdate"), {"content": content})
        return change_id

    def login(self, uid: int, secret: bytes = SECRET) -> str:
        """A Django session for ``uid``; returns the session id (the cookie value)."""
        session_id = uuid.uuid4().hex
        session = orjson.dumps(
            {
                "_auth_user_id": str(uid),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": "0" * 40,
            }
        )
        self.redis.set(self.k("session:") + session_id, encode_session(secret, session), ex=3600)
        return session_id

    def clean(self) -> None:
        keys = list(self.redis.scan_iter(match=self.prefix + "*", count=1000))
        if keys:
            self.redis.delete(*keys)
        self.redis.close()
