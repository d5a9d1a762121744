"""An OpenSlides 3 meeting in its Redis shape: users, groups with permissions, motions in
several states, agenda items, projectors, polls and the rest, for the restriction rules."""

from __future__ import annotations

from typing import Any

Element = dict[str, Any]

ADMIN, ALICE, CAROL, DAVE, EVE, FRANK = 1, 2, 3, 4, 5, 6
SEE = [
    "agenda.can_see",
    "agenda.can_see_list_of_speakers",
    "core.can_see_projector",
    "motions.can_see",
    "assignments.can_see",
    "mediafiles.can_see",
]
DELEGATE = [*SEE, "agenda.can_see_internal_items", "motions.can_see_internal", "users.can_see_name"]
STAFF = [
    *DELEGATE,
    "agenda.can_manage",
    "agenda.can_manage_list_of_speakers",
    "motions.can_manage",
    "motions.can_manage_polls",
    "users.can_see_extra_data",
    "users.can_manage",
    "assignments.can_manage",
    "chat.can_manage",
]


def _user(uid: int, name: str, groups: list[int], **extra: Any) -> Element:
    return {
        "id": uid,
        "username": name,
        "title": "",
        "first_name": name.capitalize(),
        "last_name": "",
        "structure_level": "",
        "number": "",
        "about_me": "",
        "groups_id": groups,
        "is_present": False,
        "is_committee": False,
        "vote_weight": "1.000000",
        "gender": "",
        "email": f"{name}@example.org",
        "last_email_send": None,
        "comment": f"comment on {name}",
        "is_active": True,
        "auth_type": "default",
        "vote_delegated_to_id": None,
        "vote_delegated_from_users_id": [],
        "default_password": f"pw-{name}",
        "session_auth_hash": "secret-hash",
        **extra,
    }


def _config(id_: int, key: str, value: Any) -> tuple[str, Element]:
    return f"core/config:{id_}", {"id": id_, "key": key, "value": value}


def meeting(anonymous: bool = True) -> dict[str, Element]:
    e: dict[str, Element] = dict(
        [
            _config(1, "general_system_enable_anonymous", anonymous),
            _config(2, "agenda_list_of_speakers_speaker_note_for_everyone", False),
            _config(3, "agenda_countdown_warning_time", 10),
            _config(4, "general_system_stream_applause_timeout", 5),
        ]
    )
    groups = {
        1: ("Default", SEE),
        2: ("Admin", []),
        3: ("Delegates", DELEGATE),
        4: ("Staff", STAFF),
    }
    for gid, (name, perms) in groups.items():
        e[f"users/group:{gid}"] = {"id": gid, "name": name, "permissions": perms}
    users = [
        _user(ADMIN, "admin", [2]),
        _user(ALICE, "alice", [3], is_present=True, vote_delegated_from_users_id=[EVE]),
        _user(CAROL, "carol", [4], title="Dr.", structure_level="Berlin"),
        _user(DAVE, "dave", []),
        _user(EVE, "eve", [3], is_present=True, vote_delegated_to_id=ALICE),
        _user(FRANK, "frank", [1]),
    ]
    for user in users:
        e[f"users/user:{user['id']}"] = user
    e["core/tag:1"] = {"id": 1, "name": "budget"}
    e["foo/bar:1"] = {"id": 1}
    # Agenda: a public item, a hidden one, an internal one.
    e["agenda/item:1"] = {
        "id": 1,
        "item_number": "TOP 1",
        "is_hidden": False,
        "is_internal": False,
        "duration": 10,
        "comment": "c",
        "weight": 1,
        "title_information": {"title": "Welcome"},
    }
    e["agenda/item:2"] = {
        "id": 2,
        "item_number": "TOP 2",
        "is_hidden": True,
        "is_internal": False,
        "duration": 5,
        "comment": "",
        "weight": 2,
    }
    e["agenda/item:3"] = {
        "id": 3,
        "item_number": "TOP 3",
        "is_hidden": False,
        "is_internal": True,
        "duration": 5,
        "comment": "",
        "weight": 3,
    }
    e["topics/topic:1"] = {"id": 1, "title": "Welcome", "text": "<p>hi</p>", "agenda_item_id": 1}
    e["agenda/list-of-speakers:1"] = {
        "id": 1,
        "closed": False,
        "speakers": [
            {
                "id": 1,
                "user_id": DAVE,
                "note": "dave's note",
                "weight": 1,
                "begin_time": None,
                "end_time": None,
                "marked": False,
            },
            {
                "id": 2,
                "user_id": EVE,
                "note": "eve's note",
                "weight": 2,
                "begin_time": None,
                "end_time": None,
                "marked": False,
            },
        ],
    }
    # Motions: public with a staff-only comment, internal state, submitter-only state, broken.
    e["motions/motion:1"] = {
        "id": 1,
        "title": "Public",
        "identifier": "A1",
        "text": "t",
        "reason": "",
        "state_restriction": [],
        "submitters": [{"id": 1, "user_id": DAVE, "weight": 1}],
        "supporters_id": [],
        "comments": [
            {"id": 1, "section_id": 1, "comment": "staff only", "read_groups_id": [4]},
            {"id": 2, "section_id": 2, "comment": "delegates", "read_groups_id": [3]},
        ],
    }
    e["motions/motion:2"] = {
        "id": 2,
        "title": "Internal",
        "state_restriction": ["motions.can_see_internal"],
        "submitters": [],
        "supporters_id": [],
        "comments": [],
    }
    e["motions/motion:3"] = {
        "id": 3,
        "title": "Draft",
        "state_restriction": ["motions.can_manage", "is_submitter"],
        "submitters": [{"id": 2, "user_id": DAVE, "weight": 1}],
        "supporters_id": [],
        "comments": [],
    }
    e["motions/motion:4"] = {
        "id": 4,
        "title": "No comments field",
        "state_restriction": [],
        "submitters": [],
        "supporters_id": [],
    }
    e["motions/state:1"] = {"id": 1, "name": "submitted", "restriction": []}
    e["motions/motion-block:1"] = {"id": 1, "title": "Internal block", "internal": True}
    e["motions/motion-block:2"] = {"id": 2, "title": "Block", "internal": False}
    e["motions/motion-comment-section:1"] = {"id": 1, "name": "Staff", "read_groups_id": [4]}
    e["motions/motion-comment-section:2"] = {"id": 2, "name": "Delegates", "read_groups_id": [3]}
    # Polls: one running, one published (its voters become required users), one finished.
    e["motions/motion-poll:1"] = {
        "id": 1,
        "state": 2,
        "voted_id": [EVE, ALICE],
        "votesvalid": "2.0",
        "votesinvalid": "0.0",
        "votescast": "2.0",
        "is_pseudoanonymized": False,
    }
    e["motions/motion-poll:2"] = {
        "id": 2,
        "state": 4,
        "voted_id": [FRANK, CAROL],
        "votesvalid": "2.0",
        "votesinvalid": "0.0",
        "votescast": "2.0",
        "is_pseudoanonymized": False,
    }
    e["assignments/assignment-poll:1"] = {
        "id": 1,
        "state": 3,
        "voted_id": [ALICE],
        "votesvalid": "1.0",
        "votesinvalid": "0.0",
        "votescast": "1.0",
        "amount_global_yes": "1.0",
        "amount_global_no": "0.0",
        "amount_global_abstain": "0.0",
        "is_pseudoanonymized": True,
    }
    e["motions/motion-option:1"] = {
        "id": 1,
        "pollstate": 2,
        "yes": "1.0",
        "no": "1.0",
        "abstain": "0.0",
    }
    e["motions/motion-option:2"] = {
        "id": 2,
        "pollstate": 4,
        "yes": "2.0",
        "no": "0.0",
        "abstain": "0.0",
    }
    e["motions/motion-vote:1"] = {
        "id": 1,
        "pollstate": 2,
        "user_id": ALICE,
        "delegated_user_id": ALICE,
        "user_token": "tok1",
        "value": "Y",
    }
    e["motions/motion-vote:2"] = {
        "id": 2,
        "pollstate": 2,
        "user_id": EVE,
        "delegated_user_id": ALICE,
        "user_token": "tok2",
        "value": "N",
    }
    e["motions/motion-vote:3"] = {
        "id": 3,
        "pollstate": 3,
        "user_id": CAROL,
        "delegated_user_id": CAROL,
        "user_token": "tok3",
        "value": "Y",
    }
    e["motions/motion-vote:4"] = {
        "id": 4,
        "pollstate": 4,
        "user_id": CAROL,
        "delegated_user_id": CAROL,
        "user_token": "tok4",
        "value": "Y",
    }
    e["assignments/assignment:1"] = {"id": 1, "title": "Board", "assignment_related_users": []}
    e["mediafiles/mediafile:1"] = {
        "id": 1,
        "path": "a.pdf",
        "mimetype": "application/pdf",
        "inherited_access_groups_id": True,
    }
    e["mediafiles/mediafile:2"] = {
        "id": 2,
        "path": "b.pdf",
        "mimetype": "application/pdf",
        "inherited_access_groups_id": False,
    }
    e["mediafiles/mediafile:3"] = {
        "id": 3,
        "path": "c.pdf",
        "mimetype": "application/pdf",
        "inherited_access_groups_id": [3],
    }
    e["chat/chat-group:1"] = {
        "id": 1,
        "name": "delegates",
        "read_groups_id": [3],
        "write_groups_id": [],
    }
    e["users/personal-note:1"] = {"id": 1, "user_id": ALICE, "notes": {}}
    e["users/personal-note:2"] = {"id": 2, "user_id": DAVE, "notes": {}}
    # Projectors: a topic, the clock, an unknown slide, a missing user; a motion.
    e["core/projector:1"] = {
        "id": 1,
        "name": "Main",
        "elements": [
            {"name": "topics/topic", "id": 1},
            {"name": "core/clock", "stable": True},
            {"name": "nope"},
            {"name": "users/user", "id": 99},
        ],
    }
    e["core/projector:2"] = {
        "id": 2,
        "name": "Side",
        "elements": [{"name": "core/countdown", "id": 1}],
    }
    e["core/countdown:1"] = {"id": 1, "description": "talk", "running": False, "countdown_time": 60}
    e["core/projector-message:1"] = {"id": 1, "message": "Hello"}
    return e
