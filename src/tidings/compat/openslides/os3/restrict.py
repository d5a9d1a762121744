"""What one caller may see of one element (spec section 4): the element as it may see it,
or None when it is hidden. Hidden elements are left out of all-data lines and listed as
deleted on change lines (see :mod:`tidings.compat.openslides.os3.lines`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tidings.compat.openslides.os3 import polls, users
from tidings.compat.openslides.os3.data import Data
from tidings.compat.openslides.os3.perms import Caller

Element = dict[str, Any]


class Context:
    """Everything a rule may consult besides the element: the caller and the data."""

    __slots__ = ("data", "required", "who")

    def __init__(self, who: Caller, data: Data, required: dict[int, set[str]]) -> None:
        self.who = who
        self.data = data
        self.required = required


Rule = Callable[[str, Element, Context], "Element | None"]


def _everyone(collection: str, element: Element, ctx: Context) -> Element | None:
    return element


def _perm(perm: str) -> Rule:
    def rule(collection: str, element: Element, ctx: Context) -> Element | None:
        return element if ctx.who.has(perm) else None

    return rule


def _item(collection: str, element: Element, ctx: Context) -> Element | None:
    who = ctx.who
    if not who.has("agenda.can_see"):
        return None
    manage, internal = who.has("agenda.can_manage"), who.has("agenda.can_see_internal_items")
    if (element.get("is_hidden") and not manage) or (element.get("is_internal") and not internal):
        return None
    if internal and manage:
        return element
    drop = {f for f, keep in (("duration", internal), ("comment", manage)) if not keep}
    return {k: v for k, v in element.items() if k not in drop}


def _list_of_speakers(collection: str, element: Element, ctx: Context) -> Element | None:
    who = ctx.who
    if not who.has("agenda.can_see_list_of_speakers"):
        return None
    if who.has("agenda.can_manage_list_of_speakers") or (
        ctx.data.config("agenda_list_of_speakers_speaker_note_for_everyone") is True
    ):
        return element
    speakers = element.get("speakers")
    if not isinstance(speakers, list):
        return element
    out = dict(element)
    out["speakers"] = [
        s
        if not isinstance(s, dict) or (who.uid != 0 and s.get("user_id") == who.uid)
        else {k: v for k, v in s.items() if k != "note"}
        for s in speakers
    ]
    return out


MOTION_RESTRICTIONS = ("motions.can_see_internal", "motions.can_manage_metadata")


def _motion(collection: str, element: Element, ctx: Context) -> Element | None:
    who = ctx.who
    if not who.has("motions.can_see") or "comments" not in element:
        return None
    restriction = element.get("state_restriction") or []
    if not (who.has("motions.can_manage") or not restriction):
        allowed = any(
            r in (*MOTION_RESTRICTIONS, "motions.can_manage") and who.has(r) for r in restriction
        )
        if not allowed and "is_submitter" in restriction and who.uid != 0:
            submitters = element.get("submitters") or []
            allowed = any(isinstance(s, dict) and s.get("user_id") == who.uid for s in submitters)
        if not allowed:
            return None
    comments = element.get("comments")
    out = dict(element)
    out["comments"] = [
        c
        for c in (comments if isinstance(comments, list) else ())
        if isinstance(c, dict) and who.in_groups(c.get("read_groups_id"))
    ]
    return out


def _internal(collection: str, element: Element, ctx: Context) -> Element | None:
    if not ctx.who.has("motions.can_see"):
        return None
    if element.get("internal") is True and not ctx.who.has("motions.can_manage"):
        return None
    return element


def _comment_section(collection: str, element: Element, ctx: Context) -> Element | None:
    who = ctx.who
    if not who.has("motions.can_see"):
        return None
    if who.has("motions.can_manage") or who.in_groups(element.get("read_groups_id")):
        return element
    return None


def _mediafile(collection: str, element: Element, ctx: Context) -> Element | None:
    who = ctx.who
    if not who.has("mediafiles.can_see"):
        return None
    if who.admin:
        return element
    access = element.get("inherited_access_groups_id")
    if access is True or (isinstance(access, list) and who.in_groups(access)):
        return element
    return None


def _chat(collection: str, element: Element, ctx: Context) -> Element | None:
    who = ctx.who
    if who.has("chat.can_manage"):
        return element
    if who.in_groups(element.get("read_groups_id")) or who.in_groups(
        element.get("write_groups_id")
    ):
        return element
    return None


def _user(collection: str, element: Element, ctx: Context) -> Element | None:
    return users.user(element, ctx.who, ctx.required)


def _personal_note(collection: str, element: Element, ctx: Context) -> Element | None:
    uid = ctx.who.uid
    return element if uid != 0 and element.get("user_id") == uid else None


def _poll(collection: str, element: Element, ctx: Context) -> Element | None:
    return polls.poll(collection, element, ctx.who)


def _option(collection: str, element: Element, ctx: Context) -> Element | None:
    return polls.option(collection, element, ctx.who)


def _vote(collection: str, element: Element, ctx: Context) -> Element | None:
    return polls.vote(collection, element, ctx.who)


RULES: dict[str, Rule] = {
    "core/config": _everyone,
    "core/tag": _everyone,
    "users/group": _everyone,
    **dict.fromkeys(
        ("core/projector", "core/projection-default", "core/projector-message", "core/countdown"),
        _perm("core.can_see_projector"),
    ),
    "topics/topic": _perm("agenda.can_see"),
    "agenda/item": _item,
    "agenda/list-of-speakers": _list_of_speakers,
    "motions/motion": _motion,
    **dict.fromkeys(
        (
            "motions/category",
            "motions/statute-paragraph",
            "motions/workflow",
            "motions/state",
        ),
        _perm("motions.can_see"),
    ),
    "motions/motion-block": _internal,
    "motions/motion-change-recommendation": _internal,
    "motions/motion-comment-section": _comment_section,
    "motions/motion-poll": _poll,
    "assignments/assignment-poll": _poll,
    "motions/motion-option": _option,
    "assignments/assignment-option": _option,
    "motions/motion-vote": _vote,
    "assignments/assignment-vote": _vote,
    "assignments/assignment": _perm("assignments.can_see"),
    "mediafiles/mediafile": _mediafile,
    "chat/chat-group": _chat,
    "chat/chat-message": _chat,
    "users/user": _user,
    "users/personal-note": _personal_note,
}


def restrict(collection: str, element: Element, ctx: Context) -> Element | None:
    """``element`` as ``ctx.who`` may see it; None: hidden (unknown collections: always)."""
    rule = RULES.get(collection)
    return None if rule is None else rule(collection, element, ctx)
