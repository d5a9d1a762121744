"""What makes two callers see an element alike, so its restricted form is computed and
encoded once per data version for all callers alike, not once per stream.

A caller's groups, permissions and admin flag decide most rules; a few rules also look at
the caller's id, and only through its relation to the element (its own user, a submitter, a
speaker, a voter). :func:`relation` names that relation; callers with equal permissions and
an equal relation get the same bytes.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from tidings.compat.openslides.os3.perms import Caller

Element = dict[str, Any]


def _has_user(entries: object, uid: int) -> bool:
    return isinstance(entries, list) and any(
        isinstance(e, dict) and e.get("user_id") == uid for e in entries
    )


def relation(collection: str, element: Element, who: Caller) -> Hashable:
    """The caller's relation to ``element`` as far as its rule can tell (None: none)."""
    uid = who.uid
    if uid == 0:
        return None
    if collection == "users/user":
        eid = element.get("id")
        return (eid == uid, eid in who.delegated_from)
    if collection == "users/personal-note":
        return element.get("user_id") == uid
    if collection == "motions/motion":
        return _has_user(element.get("submitters"), uid)
    if collection == "agenda/list-of-speakers":
        return _has_user(element.get("speakers"), uid)
    if collection in ("motions/motion-poll", "assignments/assignment-poll"):
        voted = element.get("voted_id")
        if not isinstance(voted, list):
            return True  # logged in: the added fields depend on nothing else then
        return (uid in voted, tuple(d for d in who.delegated_from if d in voted))
    if collection in ("motions/motion-vote", "assignments/assignment-vote"):
        return uid in (element.get("user_id"), element.get("delegated_user_id"))
    return True  # logged in (some rules differ for anonymous only)


def signature(collection: str, element: Element, who: Caller) -> Hashable:
    return (who.groups, who.perms, who.admin, relation(collection, element, who))
