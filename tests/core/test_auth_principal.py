"""What each kind of caller may do: roles for users, scopes for OAuth2 clients."""

from __future__ import annotations

import pytest

from tidings.core.auth import Principal, check_scopes
from tidings.errors import Invalid


@pytest.mark.parametrize(
    ("who", "read", "write", "aggregation", "admin"),
    [
        (Principal("user", "v", role="viewer"), True, False, True, False),
        (Principal("user", "a", role="admin"), True, False, True, True),
        (Principal("source", "web", source_id=1), False, False, False, False),
        (Principal("client", "c", scopes=frozenset({"write"})), False, True, False, False),
        (Principal("client", "c", scopes=frozenset({"aggregation"})), False, False, True, False),
        (Principal("client", "c", scopes=frozenset({"read"})), True, False, False, False),
    ],
)
def test_scopes_by_kind_of_caller(
    who: Principal, read: bool, write: bool, aggregation: bool, admin: bool
) -> None:
    assert (who.has_scope("read"), who.has_scope("write"), who.has_scope("aggregation")) == (
        read,
        write,
        aggregation,
    )
    assert who.can_read == read
    assert who.is_admin == admin


def test_check_scopes_orders_and_rejects_unknown() -> None:
    assert check_scopes(["aggregation", "read", "read"]) == ("read", "aggregation")
    with pytest.raises(Invalid):
        check_scopes(["writhe"])
    with pytest.raises(Invalid):
        check_scopes([])
