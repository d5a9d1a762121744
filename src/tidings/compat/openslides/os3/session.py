"""OpenSlides' Django secret and session values (spec section 2).

A session value is standard base64 of ``<hex digest>:<session json>``; the digest is
Django's ``salted_hmac`` with the salt OpenSlides' session store uses, keyed with the secret.
Neither the secret nor a session id is ever logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re

import orjson

from tidings.errors import ConfigError

DEFAULT_SECRET_FILE = "/run/secrets/django"  # noqa: S105 - a path, not a secret
SALT = b"openslides.utils.sessions.SessionStore"
_SECRET_LINE = re.compile(r"""DJANGO_SECRET_KEY\s*=\s*['"](.*)['"]""")


def secret_path(configured: str) -> str:
    return configured or DEFAULT_SECRET_FILE


def read_secret(path: str) -> bytes:
    """The secret from the first line of ``path`` that sets ``DJANGO_SECRET_KEY``.

    Raises:
        ConfigError: the file is missing or unreadable, or no line sets the secret.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                found = _SECRET_LINE.search(line)
                if found:
                    return found.group(1).encode()
    except OSError as exc:
        raise ConfigError(
            f"openslides_secret_file: cannot read {path} ({os.strerror(exc.errno or 0)}); "
            "the OpenSlides mode needs the Django secret (or openslides_fake_auth)"
        ) from None
    raise ConfigError(f"openslides_secret_file: no DJANGO_SECRET_KEY line in {path}")


def digest(secret: bytes, session_json: bytes) -> str:
    key = hashlib.sha1(SALT + secret).digest()  # noqa: S324 - Django's salted_hmac key
    return hmac.new(key, session_json, hashlib.sha1).hexdigest()


def session_user(value: bytes, secret: bytes) -> int | None:
    """The user id a stored session names; None when it is malformed or not signed with
    ``secret``."""
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    signature, sep, session_json = decoded.partition(b":")
    if not sep:
        return None
    try:
        expected = digest(secret, session_json)
        if not hmac.compare_digest(signature.decode("ascii"), expected):
            return None
        uid = orjson.loads(session_json).get("_auth_user_id")
    except (UnicodeDecodeError, orjson.JSONDecodeError, AttributeError):
        return None
    if isinstance(uid, str) and uid.isdigit() and uid.isascii():
        return int(uid)
    if isinstance(uid, int) and not isinstance(uid, bool) and uid >= 0:
        return uid
    return None


def encode_session(secret: bytes, session_json: bytes) -> bytes:
    """A session value as Django stores it (for tests and the benchmark)."""
    return base64.b64encode(digest(secret, session_json).encode() + b":" + session_json)
