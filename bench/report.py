"""Render benchmark JSON reports (bench/results/*.json) as the Markdown tables of BENCHMARKS.md.

python bench/report.py bench/results/ingest-*.json bench/results/aggregate-*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def ingest(report: dict[str, Any]) -> list[str]:
    lines = [
        f"Machine: {report['machine']}; peak tool: {report['peak_tool']}; "
        f"{report['duration_s']:.0f} s per run; load average {report['load_average_start']} "
        f"at the start, {report['load_average_end']} at the end.",
        "",
        "| target | run | req/s | events/s | p50 ms | p99 ms | server CPU us/req | RSS MB | "
        "x baseline | load avg |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    base = report["targets"].get("baseline", {}).get("runs", {}).get("single_peak", {})
    base_events = base.get("events_s") or 0
    for target, result in report["targets"].items():
        if "skipped" in result:
            lines.append(f"| {target} | skipped: {result['skipped']} | | | | | | | | |")
            continue
        for name, run in result["runs"].items():
            run = {k: (float("nan") if v is None else v) for k, v in run.items()}
            ratio = f"{run['events_s'] / base_events:.1f}x" if base_events else ""
            errors = "" if not run["non_200"] and not run["errors"] else " (errors)"
            lines.append(
                f"| {target} | {name}{errors} | {run['req_s']:,.0f} | {run['events_s']:,.0f} | "
                f"{run['p50_ms']:.1f} | {run['p99_ms']:.1f} | "
                f"{run['server_cpu_us_per_request']:,.0f} | {run['rss_mb']:.0f} | {ratio} | "
                f"{run['load_average']} |"
            )
    lines += [
        "",
        "| target | start-up s | idle RSS MB | RSS after load MB |",
        "|---|---:|---:|---:|",
    ]
    for target, result in report["targets"].items():
        if "skipped" not in result:
            lines.append(
                f"| {target} | {result['startup_s']:.2f} | {result['idle_rss_mb']:.0f} | "
                f"{result['rss_after_mb']:.0f} |"
            )
    return lines


def aggregate(report: dict[str, Any]) -> list[str]:
    lines = [
        f"Database: `{report['database']}`: {report['events']:,} events, "
        f"{report['database_bytes'] / 1e6:,.0f} MB, {report['bytes_per_event']:.0f} bytes/event; "
        f"load average {report['load_average_start']} -> {report['load_average_end']}.",
        "",
        "| query | buckets | p50 ms | best ms | load avg |",
        "|---|---:|---:|---:|---|",
    ]
    for name, timing in report["queries"].items():
        lines.append(
            f"| {name} | {timing['buckets']} | {timing['p50_ms']:,.1f} | "
            f"{timing['min_ms']:,.1f} | {timing['load_average']} |"
        )
    return lines


def main() -> None:
    for path in sys.argv[1:]:
        report = json.loads(Path(path).read_text())
        render = ingest if "targets" in report else aggregate
        print(f"<!-- {Path(path).name} -->")
        print("\n".join(render(report)))
        print()


if __name__ == "__main__":
    main()
