"""The Opencast page: adopters with their latest statistics, totals, countries and versions.

Adopter and statistic keys are capabilities, so the page never shows them (not even to admins).
"""

from __future__ import annotations

from typing import Any

from tidings.core import opencast_records as records
from tidings.storage.adopters import STATISTIC_COUNTS
from tidings.storage.base import Storage

#: Adopters one page lists; the totals cover the same adopters.
PAGE = 200


def summary(storage: Storage) -> dict[str, Any]:
    adopters = records.adopters_with_latest_statistics(storage, PAGE, 0)
    totals = dict.fromkeys(STATISTIC_COUNTS, 0)
    for adopter in adopters:
        stat = adopter["statistic"] or {}
        for name in STATISTIC_COUNTS:
            totals[name] += int(stat.get(name) or 0)
    return {
        "adopters": adopters,
        "adopter_count": len(adopters),
        "totals": totals,
        "countries": records.adopters_per_country(storage),
        "versions": records.statistics_per_version(storage),
    }
