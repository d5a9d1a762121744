"""``tidings analytics rebuild``: the analytics tier built afresh from the stored events."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from tidings.cli.common import emit, fail, opened_storage, settings_from
from tidings.core.analytics.tier import TierBusy, rebuild


@click.group()
def analytics() -> None:
    """The columnar analytics tier (DuckDB; see docs/analytics.md)."""


@analytics.command("rebuild")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def rebuild_command(ctx: click.Context, as_json: bool) -> None:
    """Rebuild the tier from the stored events, with a progress bar (stop the server
    first: it holds the tier's file while it runs)."""
    settings = settings_from(ctx)
    if not settings.resolved_database_url.startswith("sqlite"):
        # The PostgreSQL tier is Parquet files its writer fills from the mark in the manifest.
        fail(
            "with PostgreSQL the tier is Parquet files (docs/analytics.md): stop the servers "
            "and empty TIDINGS_ANALYTICS_DIR; the next server copies every event again"
        )
    with opened_storage(settings) as storage:
        total = storage.count_events()
        columns = (
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, disable=as_json, transient=False) as bar:
            task = bar.add_task("copying events", total=total)
            try:
                done = rebuild(
                    storage,
                    settings.resolved_analytics_dir,
                    settings.analytics_memory,
                    settings.analytics_threads,
                    lambda n: bar.advance(task, n),
                )
            except TierBusy as exc:
                fail(f"the analytics tier is in use (is the server running?): {exc}")
    emit(as_json, {"events": done}, f"analytics tier rebuilt: {done} events")
