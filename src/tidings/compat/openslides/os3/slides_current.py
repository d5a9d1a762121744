"""Slides that show what the reference projector shows now: the current list of speakers (as a
slide and as an overlay), the current speaker chyron; and the poll slides. They carry the
fields the OS3 projector templates show (a subset of the original's data)."""

from __future__ import annotations

from typing import Any

from tidings.compat.openslides.os3.data import Data
from tidings.compat.openslides.os3.slides import speakers, user_name

Element = dict[str, Any]
REFERENCE_PROJECTOR = 1


def current_list_of_speakers(data: Data) -> Element | None:
    """The list of speakers of the first element on the reference projector that has one."""
    default = data.get("core/projector", REFERENCE_PROJECTOR) or {}
    reference = data.get("core/projector", default.get("reference_projector_id")) or default
    for entry in reference.get("elements") or ():
        if not isinstance(entry, dict):
            continue
        shown = data.get(str(entry.get("name")), entry.get("id"))
        if shown is not None and shown.get("list_of_speakers_id") is not None:
            return data.get("agenda/list-of-speakers", shown["list_of_speakers_id"])
    return None


def _current(data: Data, entry: Element, _: Element) -> Any:
    los = current_list_of_speakers(data)
    return {} if los is None else speakers(data, los)


def _chyron(data: Data, entry: Element, _: Element) -> Any:
    projector = data.get("core/projector", REFERENCE_PROJECTOR) or {}
    los = current_list_of_speakers(data)
    current = None if los is None else speakers(data, los)["current"]
    return {
        "current_speaker": None if current is None else current["user"],
        "background_color": projector.get("chyron_background_color"),
        "font_color": projector.get("chyron_font_color"),
    }


def _poll(data: Data, entry: Element, poll: Element) -> Any:
    fields = ("title", "type", "pollmethod", "state", "onehundred_percent_base")
    shown = {f: poll.get(f) for f in fields}
    if poll.get("state") == 4:  # published: the results too
        shown.update({f: poll.get(f) for f in ("votesvalid", "votesinvalid", "votescast")})
        options = []
        for option_id in poll.get("options_id") or ():
            collection = entry.get("name", "").replace("-poll", "-option")
            option = data.get(collection, option_id)
            if option is not None:
                user = data.get("users/user", option.get("user_id"))
                options.append(
                    {
                        "user": user_name(user) if user else None,
                        **{f: option.get(f) for f in ("yes", "no", "abstain")},
                    }
                )
        shown["options"] = options
    return {"poll": shown}


CURRENT_SLIDES = {
    "agenda/current-list-of-speakers": (None, _current),
    "agenda/current-list-of-speakers-overlay": (None, _current),
    "agenda/current-speaker-chyron": (None, _chyron),
    "motions/motion-poll": ("motions/motion-poll", _poll),
    "assignments/assignment-poll": ("assignments/assignment-poll", _poll),
}
