"""Projector slides (spec section 3.2): the data a projector shows for one of its entries.

The simple slides are computed as the spec describes; the agenda, motion and assignment
slides give the fields the OS3 projector templates show (a subset of the original's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tidings.compat.openslides.os3.data import Data

Element = dict[str, Any]
Slide = Callable[[Data, Element, Element], Any]


def user_name(user: Element) -> str:
    parts = [str(user.get(f)) for f in ("title", "first_name", "last_name") if user.get(f)]
    name = " ".join(parts) or str(user.get("username") or "")
    if user.get("structure_level"):
        name += f" ({user['structure_level']})"
    return name


def _item_number(data: Data, element: Element) -> str:
    item = data.get("agenda/item", element.get("agenda_item_id"))
    return str(item.get("item_number") or "") if item else ""


def _topic(data: Data, entry: Element, topic: Element) -> Any:
    return {
        "title": topic.get("title"),
        "text": topic.get("text"),
        "item_number": _item_number(data, topic),
    }


def _user(data: Data, entry: Element, user: Element) -> Any:
    return {"user": user_name(user)}


def _countdown(data: Data, entry: Element, countdown: Element) -> Any:
    return {
        "description": countdown.get("description"),
        "running": countdown.get("running"),
        "countdown_time": countdown.get("countdown_time"),
        "warning_time": data.config("agenda_countdown_warning_time", 0),
    }


def _message(data: Data, entry: Element, message: Element) -> Any:
    return message


def _mediafile(data: Data, entry: Element, mediafile: Element) -> Any:
    return {
        "path": mediafile.get("path"),
        "mimetype": mediafile.get("mimetype"),
        "media_url_prefix": data.config("media_url_prefix", "/media/"),
    }


def _motion(data: Data, entry: Element, motion: Element) -> Any:
    submitters = sorted(
        (s for s in motion.get("submitters") or () if isinstance(s, dict)),
        key=lambda s: s.get("weight", 0),
    )
    names = []
    for submitter in submitters:
        user = data.get("users/user", submitter.get("user_id"))
        if user is not None:
            names.append(user_name(user))
    return {
        "identifier": motion.get("identifier"),
        "title": motion.get("title"),
        "text": motion.get("text"),
        "reason": motion.get("reason"),
        "submitters": names,
        "amendment_paragraphs": motion.get("amendment_paragraphs"),
        "is_child": bool(motion.get("parent_id")),
    }


def speakers(data: Data, los: Element) -> Any:
    waiting, current, finished = [], None, []
    for speaker in sorted(
        (s for s in los.get("speakers") or () if isinstance(s, dict)),
        key=lambda s: s.get("weight") or 0,
    ):
        user = data.get("users/user", speaker.get("user_id"))
        shown = {"user": user_name(user) if user else "", "marked": speaker.get("marked")}
        if speaker.get("begin_time") is None:
            waiting.append(shown)
        elif speaker.get("end_time") is None:
            current = shown
        else:
            finished.append(shown)
    return {
        "waiting": waiting,
        "current": current,
        "finished": finished,
        "closed": los.get("closed"),
    }


def _list_of_speakers(data: Data, entry: Element, los: Element) -> Any:
    return speakers(data, los)


def _item_list(data: Data, entry: Element, _: Element) -> Any:
    items = sorted(
        (
            i
            for i in data.collection("agenda/item")
            if not i.get("is_hidden") and not i.get("is_internal")
        ),
        key=lambda i: i.get("weight") or 0,
    )
    if entry.get("only_main_items"):
        items = [i for i in items if not i.get("parent_id")]
    return {
        "items": [
            {"title_information": i.get("title_information"), "depth": i.get("level", 0)}
            for i in items
        ]
    }


def _titled(data: Data, entry: Element, element: Element) -> Any:
    return {"title": element.get("title"), "description": element.get("description")}


#: slide name -> (collection the entry's ``id`` names, or None; slide)
SLIDES: dict[str, tuple[str | None, Slide]] = {
    "topics/topic": ("topics/topic", _topic),
    "users/user": ("users/user", _user),
    "core/clock": (None, lambda data, entry, _: {}),
    "core/countdown": ("core/countdown", _countdown),
    "core/projector-message": ("core/projector-message", _message),
    "mediafiles/mediafile": ("mediafiles/mediafile", _mediafile),
    "motions/motion": ("motions/motion", _motion),
    "motions/motion-block": ("motions/motion-block", _titled),
    "assignments/assignment": ("assignments/assignment", _titled),
    "agenda/list-of-speakers": ("agenda/list-of-speakers", _list_of_speakers),
    "agenda/item-list": (None, _item_list),
}
