"""Restriction of ``users/user`` (spec section 4, "Users"): which fields, by rule."""

from __future__ import annotations

from typing import Any

from tidings.compat.openslides.os3.perms import Caller

Element = dict[str, Any]

LITTLE = (
    "id username title first_name last_name structure_level number about_me groups_id "
    "is_present is_committee vote_weight gender"
).split()
MANY = [
    *LITTLE,
    *"email last_email_send comment is_active auth_type vote_delegated_to_id".split(),
    "vote_delegated_from_users_id",
]
ALL = [*MANY, "default_password"]
OWN = [*LITTLE, "email", "vote_delegated_to_id", "vote_delegated_from_users_id"]


def _pick(element: Element, fields: list[str]) -> Element:
    return {field: element.get(field) for field in fields}


def user(element: Element, who: Caller, required: dict[int, set[str]]) -> Element | None:
    uid = element.get("id")
    own = who.uid != 0 and uid == who.uid
    if who.has("users.can_see_name"):
        if who.has("users.can_see_extra_data"):
            return _pick(element, ALL if who.has("users.can_manage") else MANY)
        return _pick(element, OWN if own else LITTLE)
    if own:
        return _pick(element, OWN)
    if who.uid != 0 and uid in who.delegated_from:
        return _pick(element, LITTLE)
    perms = required.get(uid) if isinstance(uid, int) else None
    if perms and any(who.has(perm) for perm in perms):
        return _pick(element, LITTLE)
    return None
