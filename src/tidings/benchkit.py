"""What ``tidings bench`` checks: the issue's targets, read off the benchmark reports.

The benchmarks themselves live in the source checkout's ``bench/`` (they need a load
generator, a baseline server and minutes of machine time); this module only turns their JSON
reports into met / not met lines, so the summary has one definition of each target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PARTS = ("ingest", "baseline", "footprint", "aggregate", "live")


@dataclass(frozen=True)
class Target:
    part: str
    what: str
    goal: float
    unit: str
    higher_is_better: bool
    measure: Callable[[dict[str, Any]], float | None]


@dataclass(frozen=True)
class Check:
    target: Target
    value: float | None

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        if self.target.higher_is_better:
            return self.value >= self.target.goal
        return self.value < self.target.goal

    def line(self) -> str:
        t = self.target
        sign = ">=" if t.higher_is_better else "<"
        goal = f"{sign} {t.goal:,.0f} {t.unit}"
        if self.value is None:
            return f"  {t.what:48} {'not measured':>12}   target {goal}"
        verdict = "met" if self.met else "NOT met"
        return f"  {t.what:48} {self.value:>12,.1f}   target {goal}: {verdict}"


def _run(report: dict[str, Any], target: str, run: str, key: str) -> float | None:
    found = report.get("targets", {}).get(target, {}).get("runs", {}).get(run, {}).get(key)
    return float(found) if found is not None else None


def _best_batch(report: dict[str, Any]) -> float | None:
    values = [
        _run(report, "sqlite", f"{name}_peak", "events_s") for name in ("batch100", "batch1000")
    ]
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _ratio(report: dict[str, Any], baseline: str = "baseline") -> float | None:
    ours = _run(report, "sqlite", "single_peak", "req_s")
    base = _run(report, baseline, "single_peak", "req_s")
    return ours / base if ours is not None and base else None


def _query(report: dict[str, Any], *names: str) -> float | None:
    found = [report.get("queries", {}).get(name, {}).get("p50_ms") for name in names]
    present = [float(v) for v in found if v is not None]
    return max(present) if present else None


def _idle(report: dict[str, Any]) -> float | None:
    found = report.get("targets", {}).get("sqlite", {}).get("idle_rss_mb")
    return float(found) if found is not None else None


TARGETS = (
    Target(
        "ingest",
        "single-event req/s (SQLite, 1 process)",
        8_000,
        "req/s",
        True,
        lambda r: _run(r, "sqlite", "single_peak", "req_s"),
    ),
    Target("ingest", "batch events/s (SQLite, 1 process)", 100_000, "events/s", True, _best_batch),
    Target("baseline", "single-event req/s over the Flask baseline", 15, "x", True, _ratio),
    # The same baseline in SQLite's default rollback-journal mode, as the original servers
    # ran: the shape the 15x goal was set against (~515 req/s measured for one of them).
    Target(
        "baseline",
        "... over the baseline in rollback-journal mode",
        15,
        "x",
        True,
        lambda r: _ratio(r, "baseline-rollback"),
    ),
    Target(
        "aggregate",
        "2-year day buckets from rollups (count, avg)",
        25,
        "ms",
        False,
        lambda r: _query(r, "count day 2y rollups", "avg day 2y rollups"),
    ),
    Target(
        "aggregate",
        # Day buckets, exact, from sealed days (bench/aggregate.py seals before it measures).
        "2-year raw-scan function (p95, distinct users)",
        1_000,
        "ms",
        False,
        lambda r: _query(r, "p95 day 2y sealed exact", "distinct_users day 2y sealed exact"),
    ),
    Target("footprint", "idle RSS (SQLite, 1 process)", 120, "MB", False, _idle),
)


def checks(reports: dict[str, dict[str, Any]]) -> list[Check]:
    """One check per target whose part ran; ``reports`` maps a part to its JSON report
    (ingest, baseline and footprint all read an ingest report)."""
    out = []
    for target in TARGETS:
        report = reports.get(target.part)
        if report is None and target.part in ("baseline", "footprint"):
            report = reports.get("ingest")
        if report is not None:
            out.append(Check(target, target.measure(report)))
    return out
