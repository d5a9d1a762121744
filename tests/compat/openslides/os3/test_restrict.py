"""The restriction rules of spec openslides3.md section 4, per collection, on the fixture."""

from __future__ import annotations

from typing import Any

import orjson

from tests.compat.openslides.os3.fixture import ADMIN, ALICE, CAROL, DAVE, EVE, FRANK, meeting
from tidings.compat.openslides.os3.data import Data
from tidings.compat.openslides.os3.lines import Lines

View = dict[str, dict[int, dict[str, Any]]]


def _data(**changes: Any) -> Data:
    data = Data()
    elements = meeting()
    elements.update(changes)
    data.replace(elements, {}, 100)
    return data


def view(uid: int, data: Data | None = None) -> View:
    line = orjson.loads(Lines(data or _data()).all_data(uid, 0))
    return {c: {e["id"]: e for e in es} for c, es in line["changed"].items()}


def ids(v: View, collection: str) -> set[int]:
    return set(v.get(collection, {}))


def test_config_tags_and_groups_are_seen_by_everyone_even_without_permissions() -> None:
    nobody = view(999)  # unknown user: no permissions at all
    assert set(nobody) == {"core/config", "core/tag", "users/group"}


def test_unknown_collections_are_seen_by_nobody_not_even_admins() -> None:
    assert "foo/bar" not in view(ADMIN)


def test_anonymous_has_the_default_group_permissions() -> None:
    anon = view(0)
    assert ids(anon, "topics/topic") == {1}
    assert ids(anon, "core/projector") == {1, 2}
    assert "users/personal-note" not in anon


def test_agenda_items_hidden_internal_and_their_fields() -> None:
    dave, alice, carol = view(DAVE), view(ALICE), view(CAROL)
    assert ids(dave, "agenda/item") == {1}
    assert "duration" not in dave["agenda/item"][1] and "comment" not in dave["agenda/item"][1]
    assert ids(alice, "agenda/item") == {1, 3}
    assert alice["agenda/item"][1]["duration"] == 10 and "comment" not in alice["agenda/item"][1]
    assert ids(carol, "agenda/item") == {1, 2, 3}
    assert carol["agenda/item"][1]["comment"] == "c"


def test_speaker_notes_only_for_the_speaker_managers_or_when_configured() -> None:
    def notes(v: View) -> list[Any]:
        return [s.get("note") for s in v["agenda/list-of-speakers"][1]["speakers"]]

    assert notes(view(DAVE)) == ["dave's note", None]
    assert notes(view(0)) == [None, None]
    assert notes(view(CAROL)) == ["dave's note", "eve's note"]
    key = "agenda_list_of_speakers_speaker_note_for_everyone"
    everyone = _data(**{"core/config:2": {"id": 2, "key": key, "value": True}})
    assert notes(view(DAVE, everyone)) == ["dave's note", "eve's note"]


def test_motions_by_state_restriction_and_comments_by_read_groups() -> None:
    dave, alice, carol, frank = view(DAVE), view(ALICE), view(CAROL), view(FRANK)
    assert ids(dave, "motions/motion") == {1, 3}  # 3 as its submitter
    assert ids(frank, "motions/motion") == {1}
    assert ids(alice, "motions/motion") == {1, 2}
    assert ids(carol, "motions/motion") == {1, 2, 3}
    assert 4 not in ids(view(ADMIN), "motions/motion")  # no comments field: hidden
    assert dave["motions/motion"][1]["comments"] == []
    assert [c["id"] for c in alice["motions/motion"][1]["comments"]] == [2]
    assert [c["id"] for c in carol["motions/motion"][1]["comments"]] == [1]
    assert [c["id"] for c in view(ADMIN)["motions/motion"][1]["comments"]] == [1, 2]


def test_motion_blocks_comment_sections_and_states() -> None:
    assert ids(view(DAVE), "motions/motion-block") == {2}
    assert ids(view(CAROL), "motions/motion-block") == {1, 2}
    assert ids(view(ALICE), "motions/motion-comment-section") == {2}
    assert ids(view(CAROL), "motions/motion-comment-section") == {1, 2}
    assert ids(view(DAVE), "motions/state") == {1}
    assert "motions/state" not in view(999)


def test_mediafiles_by_inherited_access_groups() -> None:
    assert ids(view(DAVE), "mediafiles/mediafile") == {1}
    assert ids(view(ALICE), "mediafiles/mediafile") == {1, 3}
    assert ids(view(ADMIN), "mediafiles/mediafile") == {1, 2, 3}


def test_chat_by_read_or_write_groups_or_manage() -> None:
    assert ids(view(DAVE), "chat/chat-group") == set()
    assert ids(view(ALICE), "chat/chat-group") == {1}
    assert ids(view(CAROL), "chat/chat-group") == {1}


def test_personal_notes_only_the_callers_own() -> None:
    assert ids(view(ALICE), "users/personal-note") == {1}
    assert ids(view(ADMIN), "users/personal-note") == set()


def test_running_poll_hides_votes_and_counts_for_non_managers() -> None:
    alice = view(ALICE)["motions/motion-poll"][1]
    assert alice["user_has_voted"] is True
    assert alice["user_has_voted_for_delegations"] == [EVE]
    for field in ("voted_id", "votesvalid", "votesinvalid", "votescast"):
        assert field not in alice
    carol = view(CAROL)["motions/motion-poll"][1]
    assert carol["votescast"] == 2 and "voted_id" not in carol and "votesvalid" not in carol
    assert "user_has_voted" not in view(0)["motions/motion-poll"][1]


def test_published_poll_shows_sorted_voters_to_everyone_who_sees_motions() -> None:
    dave = view(DAVE)["motions/motion-poll"][2]
    assert dave["voted_id"] == [CAROL, FRANK] and dave["votesvalid"] == "2.0"


def test_finished_assignment_poll_hides_global_amounts_unless_manager() -> None:
    alice = view(ALICE)["assignments/assignment-poll"][1]
    assert "amount_global_yes" not in alice and "votesvalid" not in alice
    assert view(CAROL)["assignments/assignment-poll"][1]["voted_id"] == [ALICE]


def test_options_hide_results_until_published() -> None:
    dave = view(DAVE)["motions/motion-option"]
    assert "yes" not in dave[1] and dave[2]["yes"] == "2.0"
    assert view(CAROL)["motions/motion-option"][1]["yes"] == "1.0"


def test_votes_own_or_delegated_and_tokens() -> None:
    alice = view(ALICE)["motions/motion-vote"]
    assert set(alice) == {1, 2, 4}  # own, delegated to her, published
    assert "user_token" not in alice[1] and alice[4]["user_token"] == "tok4"
    carol = view(CAROL)["motions/motion-vote"]
    assert set(carol) == {1, 2, 3, 4}
    assert "user_token" not in carol[1] and carol[3]["user_token"] == "tok3"


def test_users_field_sets_by_permission() -> None:
    carol = view(CAROL)["users/user"]  # can_see_name + extra data + manage: all
    assert carol[DAVE]["default_password"] == "pw-dave"
    assert all("session_auth_hash" not in u for u in carol.values())
    alice = view(ALICE)["users/user"]  # can_see_name: own for herself, little for others
    assert set(alice) == {ADMIN, ALICE, CAROL, DAVE, EVE, FRANK}
    assert "email" in alice[ALICE] and "email" not in alice[DAVE]
    assert alice[ALICE]["vote_delegated_from_users_id"] == [EVE]


def test_users_without_can_see_name_see_themselves_delegators_and_required_users() -> None:
    dave = view(DAVE)["users/user"]
    # Himself (own fields); Eve speaks on a list of speakers; Carol and Frank voted in a
    # published poll; Alice voted only in a running poll; the admin is required by nothing.
    assert set(dave) == {DAVE, EVE, CAROL, FRANK}
    assert ADMIN not in view(FRANK)["users/user"]
    assert "email" in dave[DAVE] and "email" not in dave[EVE]
    assert set(dave[EVE]) == {
        "id", "username", "title", "first_name", "last_name", "structure_level", "number",
        "about_me", "groups_id", "is_present", "is_committee", "vote_weight", "gender",
    }  # fmt: skip
    nobody = view(999)
    assert "users/user" not in nobody


def test_a_user_without_can_see_name_sees_those_who_delegated_to_them() -> None:
    data = _data()
    frank = {**data.elements["users/user:6"], "vote_delegated_from_users_id": [ADMIN]}
    data.apply(101, {"users/user:6": frank})
    assert set(view(FRANK, data)["users/user"]) == {ADMIN, FRANK, CAROL, DAVE, EVE}
