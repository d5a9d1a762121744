"""Credentials: argon2 passwords, hashed random keys, roles, and a small verified-cache.

Keys and tokens are 192 random bits, so a SHA-256 of them is a safe lookup hash (no need for
a slow KDF); passwords are human-chosen and get argon2. Every comparison of secrets or their
hashes is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tidings.errors import Invalid
from tidings.model.records import Source, User
from tidings.model.timeparse import now_us
from tidings.storage import credentials
from tidings.storage.base import Storage

ROLES = ("viewer", "admin")
#: OAuth2 scopes, in the order a token answer lists them.
SCOPES = ("read", "write", "aggregation")
#: What a user's role grants in scope terms: users read and aggregate; they never ingest
#: (sources and OAuth2 clients do).
ROLE_SCOPES = frozenset(("read", "aggregation"))
MIN_PASSWORD_LENGTH = 8
#: Remembered unknown write keys, per process, before the memory of them is reset.
UNKNOWN_KEYS_MAX = 10_000
_hasher = PasswordHasher()
# Verified against when the user does not exist, so both paths take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str) -> str:
    """A fresh random credential with a readable prefix (``tk_``, ``wk_``)."""
    return prefix + secrets.token_urlsafe(24)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string equality."""
    return hmac.compare_digest(a.encode(), b.encode())


def _pair_digest(username: str, password: str) -> str:
    # The cache key of a verified login: the password itself is never kept in memory.
    return hashlib.sha256(f"{username}\x00{password}".encode()).hexdigest()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid.field("role", f"must be one of {', '.join(ROLES)}")
    return role


def check_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Known scopes, deduplicated, in canonical order."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise Invalid.field("scope", f"{unknown[0]!r} is not one of {', '.join(SCOPES)}")
    if not scopes:
        raise Invalid.field("scope", "give at least one scope")
    return tuple(s for s in SCOPES if s in scopes)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (with a role), a source (write only) or an OAuth2 client
    (with the scopes of its token). ``credential`` identifies the credential itself, for
    rate limits."""

    kind: str
    name: str
    role: str | None = None
    source_id: int | None = None
    scopes: frozenset[str] = frozenset()
    credential: str = ""

    @property
    def can_read(self) -> bool:
        return self.has_scope("read")

    def has_scope(self, scope: str) -> bool:
        """Users get scopes from their role; clients from their token; sources none."""
        if self.kind == "user":
            return self.role in ROLES and scope in ROLE_SCOPES
        if self.kind == "client":
            return scope in self.scopes
        return False

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and self.role == "admin"


class Authenticator:
    """Resolves credentials against storage, caching successes briefly.

    The cache keeps hot ingest and read paths off the database and off argon2; entries
    expire after ``ttl`` seconds so a revoked key or changed password stops working soon
    even in another process.
    """

    def __init__(self, storage: Storage, ttl: float = 10.0) -> None:
        self.storage = storage
        self.ttl = ttl
        self._sources: dict[str, tuple[float, Source]] = {}
        self._users: dict[str, tuple[float, User]] = {}
        self._unknown: dict[str, float] = {}
        self._tokens: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def _remember_unknown(self, name: str, now: float) -> None:
        # Misses are remembered too, so a flood of made-up keys costs a dict lookup, not a
        # database query each. Keys and tokens are random, so a miss cannot turn into a hit
        # later (a new source gets a new key); the bound keeps the memory fixed.
        with self._lock:
            if len(self._unknown) >= UNKNOWN_KEYS_MAX:
                self._unknown.clear()
            self._unknown[name] = now + self.ttl

    def source_for_key(self, key: str) -> Source | None:
        cached = self.cached_source(key)
        if cached is not None:
            return cached if isinstance(cached, Source) else None
        digest = secret_hash(key)
        now = time.monotonic()
        source = self.storage.source_by_key_hash(digest)
        if source is None or source.key_hash is None or not same(source.key_hash, digest):
            self._remember_unknown(digest, now)
            return None
        with self._lock:
            self._sources[digest] = (now + self.ttl, source)
        return source

    def cached_source(self, key: str) -> Source | bool | None:
        """A cache-only lookup, for the event loop: the source, False for a key known to be
        unknown, or None for "not cached; ask source_for_key"."""
        digest = secret_hash(key)
        now = time.monotonic()
        hit = self._sources.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        if self._unknown.get(digest, 0.0) > now:
            return False
        return None

    def cached_user(self, username: str, password: str) -> User | None:
        """A cache-only password check: the user, if this pair was verified recently."""
        hit = self._users.get(_pair_digest(username, password))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def user_for_password(self, username: str, password: str) -> User | None:
        digest = _pair_digest(username, password)
        now = time.monotonic()
        hit = self._users.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        user = self.storage.get_user(username)
        if user is None:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password):
            return None
        with self._lock:
            self._users[digest] = (now + self.ttl, user)
        return user

    def cached_token(self, token: str) -> Principal | None:
        """A cache-only lookup of a Bearer token, for the event loop."""
        hit = self._tokens.get(secret_hash(token))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def principal_for_token(self, token: str) -> Principal | None:
        """The user (API token) or OAuth2 client (access token) behind a Bearer token.

        Cached for at most ``ttl`` seconds, and never past an OAuth2 token's expiry.
        """
        digest = secret_hash(token)
        now = time.monotonic()
        hit = self._tokens.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        # Unknown tokens are remembered like unknown write keys.
        if self._unknown.get("t" + digest, 0.0) > now:
            return None
        found: Principal | None = None
        until = now + self.ttl
        api = credentials.api_token_by_hash(self.storage.engine, digest)
        if api is not None and same(api.token_hash, digest):
            found = Principal(
                kind="user", name=api.username, role=api.role, credential="token:" + digest[:32]
            )
        else:
            wall = now_us()
            oauth = credentials.oauth_token_by_hash(self.storage.engine, digest, wall)
            if oauth is not None and same(oauth.token_hash, digest):
                found = Principal(
                    kind="client",
                    name=oauth.client,
                    source_id=oauth.source_id,
                    scopes=frozenset(oauth.scopes),
                    credential=f"client:{oauth.client_id}",
                )
                until = min(until, now + (oauth.expires_at - wall) / 1e6)
        if found is None:
            self._remember_unknown("t" + digest, now)
        else:
            with self._lock:
                self._tokens[digest] = (until, found)
        return found

    def forget(self) -> None:
        """Drop every cached credential (after a revocation in this process)."""
        with self._lock:
            self._sources.clear()
            self._users.clear()
            self._unknown.clear()
            self._tokens.clear()
