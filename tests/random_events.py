"""Random events for tests that compare two ways of computing the same figures."""

from __future__ import annotations

import random
from collections.abc import Sequence

from tests.storage.test_contract import DAY, draft
from tidings.storage.base import Storage


def fill_randomly(
    storage: Storage,
    src: int,
    *,
    start: int,
    days: int,
    per_day: int,
    seed: int,
    names: Sequence[str] = ("n",),
    users: int = 15,
) -> None:
    """``days * per_day`` events from ``start``: repeated and fractional values, some with a
    user, some with only an anonymous id and some with neither, spread over ``names``."""
    rng = random.Random(seed)
    drafts = []
    for i in range(days * per_day):
        user = rng.choice([None, *(f"u{k}" for k in range(users))])
        name = rng.choice(names)
        drafts.append(
            draft(
                src,
                start + rng.randrange(days * DAY),
                f"{name}-{seed}-{i}",
                value=rng.choice([float(rng.randrange(10)), round(rng.uniform(-5, 90), 2)]),
                name=name,
                user_id=user,
                anonymous_id=None if user or rng.random() < 0.3 else f"a{rng.randrange(5)}",
            )
        )
    storage.insert_batch(drafts)
