"""Commands that change stored data in place: ``prune``, ``seal`` and ``erase``."""

from __future__ import annotations

import time

import click

from tidings.cli.common import emit, fail, opened_storage, settings_from, time_option
from tidings.core import retention, sealing
from tidings.core.erasure import erase_person
from tidings.model.records import EventFilter


@click.command("prune")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def prune(ctx: click.Context, as_json: bool) -> None:
    """Delete events past their retention now (the server also does this by itself)."""
    settings = settings_from(ctx)
    with opened_storage(settings) as storage:
        deleted = retention.prune(storage, settings.retention_days)
    emit(as_json, {"deleted": deleted}, f"pruned {deleted} events past their retention")


@click.command("seal")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def seal(ctx: click.Context, as_json: bool) -> None:
    """Seal every past day now: store its distinct users, percentiles and sketches, so
    those functions stop scanning raw events (the server also does this by itself)."""
    with opened_storage(settings_from(ctx)) as storage:
        began = time.perf_counter()
        sealed = sealing.seal(storage)
        seconds = round(time.perf_counter() - began, 3)
    emit(
        as_json,
        {"sealed": sealed, "seconds": seconds},
        f"sealed {sealed} stream-days in {seconds:.1f} s",
    )


def _prop(value: str) -> tuple[str, str]:
    key, sep, wanted = value.partition("=")
    if not sep or not key or not wanted:
        fail(f"--prop takes KEY=VALUE, both non-empty; got {value!r}", 2)
    return key, wanted


@click.command("erase")
@click.option("--user-id", help="This user's events (alone: the person, everywhere).")
@click.option("--anonymous-id", help="Every event of this anonymous id (the person).")
@click.option("--source", help="Only this source's events.")
@click.option("--namespace", help="Only this namespace.")
@click.option("--name", "names", multiple=True, help="Only this name (repeatable).")
@click.option("--session-id", help="Only this session's events.")
@click.option("--from", "from_", metavar="TIME", help="Only events at or after TIME.")
@click.option("--to", metavar="TIME", help="Only events before TIME.")
@click.option("--prop", "props", multiple=True, metavar="KEY=VALUE", help="Property match.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def erase(
    ctx: click.Context,
    user_id: str | None,
    anonymous_id: str | None,
    source: str | None,
    namespace: str | None,
    names: tuple[str, ...],
    session_id: str | None,
    from_: str | None,
    to: str | None,
    props: tuple[str, ...],
    as_json: bool,
) -> None:
    """Erase a person's events in every source, or the events matching filters (as
    ``DELETE /api/v1/events``); rollups and sealed days are rebuilt to match."""
    given = {
        "--source": source,
        "--namespace": namespace,
        "--session-id": session_id,
        "--from": from_,
        "--to": to,
    }
    for option, value in [*given.items(), *(("--name", n) for n in names)]:
        # An empty filter would be ignored, and a delete must never widen silently.
        if value is not None and not value.strip():
            fail(f"{option} must not be empty", 2)
    filtered = any(v is not None for v in given.values()) or bool(names) or bool(props)
    if not filtered:
        if not user_id and not anonymous_id:
            fail("--user-id (or --anonymous-id, or a filter) is required", 2)
        with opened_storage(settings_from(ctx)) as storage:
            done = erase_person(storage, user_id or None, anonymous_id or None)
        per_id = ", ".join(f"{i}: {n}" for i, n in done["ids"].items())
        emit(
            as_json,
            dict(done),
            f"erased {done['deleted']} events ({per_id}) and"
            f" {done['person_records']} person records",
        )
        return
    if anonymous_id:
        fail("--anonymous-id cannot be combined with filters", 2)
    flt = EventFilter(
        source=source,
        namespace=namespace,
        names=names,
        user_id=user_id or None,
        session_id=session_id,
        from_us=time_option(from_, "--from"),
        to_us=time_option(to, "--to"),
        props=tuple(_prop(p) for p in props),
    )
    with opened_storage(settings_from(ctx)) as storage:
        deleted = storage.delete_events(flt)
    emit(as_json, {"deleted": deleted}, f"erased {deleted} events")
