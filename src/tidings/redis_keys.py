"""Where Tidings keeps things in a Redis that other installations may share.

Everything lives under ``tidings:<installation id>:`` (the id is made once per database, see
storage/installation.py), so two installations on one Redis never see each other's live
events, applause or rate-limit buckets.
"""

from __future__ import annotations

ROOT = "tidings"


def key_prefix(scope: str, part: str = "") -> str:
    """``tidings:<scope>:<part>:``; without a scope ``tidings:<part>:``, without a part the
    scope's own prefix."""
    head = f"{ROOT}:{scope}:" if scope else f"{ROOT}:"
    return f"{head}{part}:" if part else head
