"""``tidings bench``: run the benchmark suite of a source checkout on this machine."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from tidings import benchkit
from tidings.cli.common import fail

_CHECKOUT_BENCH = Path(__file__).resolve().parents[3] / "bench"


def _module(bench_dir: Path, name: str) -> ModuleType:
    if str(bench_dir) not in sys.path:
        sys.path.insert(0, str(bench_dir))
    return importlib.import_module(name)


def _aggregate(bench_dir: Path, data_dir: Path | None, events: int, quick: bool) -> Any:
    data = data_dir or bench_dir / "results" / f"aggregate-{events}"
    marker = data / "prefilled"
    if not marker.exists():
        data.mkdir(parents=True, exist_ok=True)
        click.echo(f"prefilling {events:,} events into {data} (kept for the next run) ...")
        _module(bench_dir, "prefill").prefill(f"sqlite:///{data / 'tidings.db'}", events)
        marker.write_text(str(events))
    repeat = ["--repeat", "3", "--raw-repeat", "1"] if quick else []
    return _module(bench_dir, "aggregate").main(["--data-dir", str(data), *repeat])


@click.command()
@click.argument("parts", nargs=-1, type=click.Choice(benchkit.PARTS))
@click.option("--quick", is_flag=True, help="Short runs, SQLite only, a small database.")
@click.option("--duration", type=float, help="Seconds per ingest run [10; 3 with --quick].")
@click.option("--events", type=int, help="Events to prefill for aggregate [10M; 100k quick].")
@click.option(
    "--aggregate-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Prefilled database directory to reuse (default: bench/results/aggregate-N).",
)
@click.option("--postgres-url", help="PostgreSQL for the postgres ingest targets.")
@click.option(
    "--bench-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=_CHECKOUT_BENCH if _CHECKOUT_BENCH.is_dir() else None,
    help="The checkout's bench/ folder.",
)
def bench(
    parts: tuple[str, ...],
    quick: bool,
    duration: float | None,
    events: int | None,
    aggregate_dir: Path | None,
    postgres_url: str | None,
    bench_dir: Path | None,
) -> None:
    """Measure ingest, aggregation, live delivery and footprint on this machine.

    PARTS: any of ingest, baseline, footprint, aggregate, live (default: all). Each part
    prints its own table and saves JSON under bench/results/; the summary at the end checks
    the figures against the project's targets. Results depend on this machine and on
    whatever else runs on it: the load average is printed with every figure.
    """
    if bench_dir is None or not (bench_dir / "ingest.py").is_file():
        fail("tidings bench needs the bench/ folder of a source checkout (--bench-dir)")
    chosen = parts or benchkit.PARTS
    began = time.monotonic()
    reports: dict[str, dict[str, Any]] = {}
    common = ["--duration", str(duration)] if duration else []
    common += ["--postgres-url", postgres_url] if postgres_url else []
    common += ["--quick"] if quick else []
    if "ingest" in chosen:
        reports["ingest"] = _module(bench_dir, "ingest").main(common)
    else:
        if "baseline" in chosen:
            argv = [
                *common,
                "--targets",
                "sqlite,baseline,baseline-rollback",
                "--payloads",
                "single",
            ]
            reports["baseline"] = _module(bench_dir, "ingest").main(argv)
        if "footprint" in chosen:
            argv = [*common, "--targets", "sqlite", "--payloads", "single", "--fractions", ""]
            reports["footprint"] = _module(bench_dir, "ingest").main(argv)
    if "aggregate" in chosen:
        count = events or (100_000 if quick else 10_000_000)
        reports["aggregate"] = _aggregate(bench_dir, aggregate_dir, count, quick)
    if "live" in chosen:
        argv = ["--subscribers", "100", "--rate", "200", "--duration", "5"] if quick else []
        reports["live"] = _module(bench_dir, "live").main(argv)
    click.echo(f"\nsummary ({time.monotonic() - began:.0f} s):")
    for check in benchkit.checks(reports):
        click.echo(check.line())
