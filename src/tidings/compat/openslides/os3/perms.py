"""Who the caller is to the restriction rules: groups and permissions (spec section 4), and
the users other elements require, recomputed once per data version."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tidings.compat.openslides.os3.data import Data

DEFAULT_GROUP = 1
ADMIN_GROUP = 2


@dataclass(frozen=True, slots=True)
class Caller:
    uid: int
    groups: frozenset[int]
    perms: frozenset[str]
    admin: bool
    #: The caller's own ``vote_delegated_from_users_id``.
    delegated_from: tuple[int, ...] = ()

    def has(self, perm: str) -> bool:
        return self.admin or perm in self.perms

    def in_groups(self, ids: object) -> bool:
        """One of the caller's groups is in ``ids`` (or the caller is an admin)."""
        if self.admin:
            return True
        return isinstance(ids, list) and any(g in self.groups for g in ids)


def _ints(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]


def _permissions(data: Data, groups: Iterable[int]) -> frozenset[str]:
    perms: set[str] = set()
    for gid in groups:
        group = data.get("users/group", gid)
        if group is not None:
            perms.update(p for p in group.get("permissions") or () if isinstance(p, str))
    return frozenset(perms)


def caller(data: Data, uid: int) -> Caller:
    if uid == 0:
        return Caller(0, frozenset(), _permissions(data, [DEFAULT_GROUP]), False)
    user = data.get("users/user", uid)
    if user is None:
        return Caller(uid, frozenset(), frozenset(), False)
    groups = frozenset(_ints(user.get("groups_id")) or [DEFAULT_GROUP])
    return Caller(
        uid,
        groups,
        _permissions(data, groups),
        ADMIN_GROUP in groups,
        tuple(_ints(user.get("vote_delegated_from_users_id"))),
    )


class Callers:
    """Callers by user id, kept while their user element and every group are unchanged
    (a change replaces an element's dict, so identity tells)."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self._groups_version = -1
        self._callers: dict[int, tuple[object, Caller]] = {}

    def get(self, uid: int) -> Caller:
        data = self.data
        if self._groups_version != data.groups_version:
            self._callers = {}
            self._groups_version = data.groups_version
        user = data.elements.get(f"users/user:{uid}")
        found = self._callers.get(uid)
        if found is not None and found[0] is user:
            return found[1]
        made = caller(data, uid)
        self._callers[uid] = (user, made)
        return made


def _user_ids(entries: object, field: str) -> list[int]:
    if not isinstance(entries, list):
        return []
    return [e[field] for e in entries if isinstance(e, dict) and isinstance(e.get(field), int)]


def required_users(data: Data) -> dict[int, set[str]]:
    """User id -> the permissions any of which lets a caller see that user's little fields."""
    required: dict[int, set[str]] = {}

    def need(ids: Iterable[int], perm: str) -> None:
        for uid in ids:
            required.setdefault(uid, set()).add(perm)

    for motion in data.collection("motions/motion"):
        need(_user_ids(motion.get("submitters"), "user_id"), "motions.can_see")
        need(_ints(motion.get("supporters_id")), "motions.can_see")
    for los in data.collection("agenda/list-of-speakers"):
        need(_user_ids(los.get("speakers"), "user_id"), "agenda.can_see_list_of_speakers")
    for assignment in data.collection("assignments/assignment"):
        related = assignment.get("assignment_related_users")
        need(_user_ids(related, "user_id"), "assignments.can_see")
    for option in data.collection("assignments/assignment-option"):
        if isinstance(option.get("user_id"), int):
            need([option["user_id"]], "assignments.can_see")
    for collection, perm in (
        ("motions/motion-poll", "motions.can_see"),
        ("assignments/assignment-poll", "assignments.can_see"),
    ):
        for poll in data.collection(collection):
            if poll.get("state") == 4 and not poll.get("is_pseudoanonymized"):
                need(_ints(poll.get("voted_id")), perm)
    return required


class Required:
    """:func:`required_users`, recomputed only when the data changed."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self._version = -1
        self._users: dict[int, set[str]] = {}

    def get(self) -> dict[int, set[str]]:
        if self._version != self.data.version:
            self._users = required_users(self.data)
            self._version = self.data.version
        return self._users
