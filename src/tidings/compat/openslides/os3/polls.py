"""Restriction of polls, options and votes (spec section 4, "Polls")."""

from __future__ import annotations

from typing import Any

from tidings.compat.openslides.os3.perms import Caller

Element = dict[str, Any]
FINISHED, PUBLISHED = 3, 4
#: collection -> (see-perm, manage-perm)
POLL_PERMS = {
    "motions/motion-poll": ("motions.can_see", "motions.can_manage_polls"),
    "assignments/assignment-poll": ("assignments.can_see", "assignments.can_manage"),
    "motions/motion-option": ("motions.can_see", "motions.can_manage_polls"),
    "assignments/assignment-option": ("assignments.can_see", "assignments.can_manage"),
    "motions/motion-vote": ("motions.can_see", "motions.can_manage_polls"),
    "assignments/assignment-vote": ("assignments.can_see", "assignments.can_manage"),
}
ASSIGNMENT_AMOUNTS = ("amount_global_yes", "amount_global_no", "amount_global_abstain")


def poll(collection: str, element: Element, who: Caller) -> Element | None:
    see, manage = POLL_PERMS[collection]
    if not who.has(see):
        return None
    voted = element.get("voted_id")
    state = element.get("state")
    if not isinstance(voted, list) or "state" not in element:
        return None
    out = dict(element)
    if who.uid != 0:
        out["user_has_voted"] = who.uid in voted
        out["user_has_voted_for_delegations"] = [u for u in who.delegated_from if u in voted]
    if state not in (FINISHED, PUBLISHED):
        out["votescast"] = len(voted)
        for field in ("voted_id", "votesvalid", "votesinvalid"):
            out.pop(field, None)
    manager = who.has(manage)
    if not manager and state != PUBLISHED:
        for field in ("votesvalid", "votesinvalid", "voted_id"):
            out.pop(field, None)
        if collection == "assignments/assignment-poll":
            for field in ASSIGNMENT_AMOUNTS:
                out.pop(field, None)
    if not (manager or who.has("agenda.can_manage_list_of_speakers") or state == PUBLISHED):
        out.pop("votescast", None)
    if isinstance(out.get("voted_id"), list):
        out["voted_id"] = sorted(out["voted_id"])
    return out


def option(collection: str, element: Element, who: Caller) -> Element | None:
    see, manage = POLL_PERMS[collection]
    if not who.has(see):
        return None
    if who.has(manage) or element.get("pollstate") == PUBLISHED:
        return element
    return {k: v for k, v in element.items() if k not in ("yes", "no", "abstain")}


def vote(collection: str, element: Element, who: Caller) -> Element | None:
    see, manage = POLL_PERMS[collection]
    if not who.has(see):
        return None
    state = element.get("pollstate")
    if state == PUBLISHED:
        return element
    manager = who.has(manage)
    if not manager and who.uid not in (element.get("user_id"), element.get("delegated_user_id")):
        return None
    if manager and state == FINISHED:
        return element
    return {k: v for k, v in element.items() if k != "user_token"}
