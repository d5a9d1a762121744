"""The bench summary reads each target off the reports and says met or not met."""

from __future__ import annotations

from tidings.benchkit import checks


def _ingest(single: float, batch: float, base: float, idle: float) -> dict[str, object]:
    return {
        "targets": {
            "sqlite": {
                "idle_rss_mb": idle,
                "runs": {
                    "single_peak": {"req_s": single, "events_s": single},
                    "batch100_peak": {"req_s": batch / 100, "events_s": batch},
                },
            },
            "baseline": {"runs": {"single_peak": {"req_s": base, "events_s": base}}},
            "baseline-rollback": {"runs": {"single_peak": {"req_s": base / 3, "events_s": 1}}},
        }
    }


def test_targets_are_met_or_not_from_the_reports() -> None:
    reports = {
        "ingest": _ingest(single=9000, batch=50_000, base=500, idle=80),
        "aggregate": {"queries": {"count day 2y rollups": {"p50_ms": 10.0}}},
    }
    found = {check.target.what: check for check in checks(reports)}
    assert found["single-event req/s (SQLite, 1 process)"].met is True
    assert found["batch events/s (SQLite, 1 process)"].met is False
    assert found["single-event req/s over the Flask baseline"].value == 18
    assert found["... over the baseline in rollback-journal mode"].value == 54
    assert found["idle RSS (SQLite, 1 process)"].met is True
    assert found["2-year day buckets from rollups (count, avg)"].met is True
    missing = found["2-year raw-scan function (p95, distinct users)"]
    assert missing.met is None and "not measured" in missing.line()


def test_the_raw_scan_target_reads_the_sealed_day_bucket_queries() -> None:
    queries = {
        "p95 day 2y sealed exact": {"p50_ms": 30.0},
        "distinct_users day 2y sealed exact": {"p50_ms": 1_500.0},
        "p95 day 2y raw (before)": {"p50_ms": 20_000.0},
    }
    found = {c.target.what: c for c in checks({"aggregate": {"queries": queries}})}
    check = found["2-year raw-scan function (p95, distinct users)"]
    assert check.value == 1_500.0 and check.met is False


def test_parts_that_did_not_run_are_left_out() -> None:
    assert [c.target.part for c in checks({"aggregate": {"queries": {}}})] == [
        "aggregate",
        "aggregate",
    ]
