"""Commands that change stored data in place: ``prune``, ``seal`` and ``erase``."""

from __future__ import annotations

import time

import click

from tidings.cli.common import emit, fail, opened_storage, settings_from, time_option
from tidings.cli.progress import progress
from tidings.core import retention, sealing
from tidings.core.erasure import Erasure, erase_person
from tidings.core.store import Storage
from tidings.model.records import EventFilter

TIME_HELP = (
    "ISO 8601 (2024-01-31T12:00:00Z; no offset means UTC) or Unix epoch seconds, milliseconds "
    "or microseconds"
)


@click.command("prune")
@click.option("--json", "as_json", is_flag=True, help='Print one JSON object: {"deleted"}.')
@click.pass_context
def prune(ctx: click.Context, as_json: bool) -> None:
    """Delete events past their retention now (the server also does this by itself)."""
    settings = settings_from(ctx)
    with opened_storage(settings) as storage, progress(None, "pruning", "events"):
        deleted = retention.prune(storage, settings.retention_days)
    emit(as_json, {"deleted": deleted}, f"pruned {deleted} events past their retention")


@click.command("seal")
@click.option(
    "--json", "as_json", is_flag=True, help='Print one JSON object: {"sealed", "seconds"}.'
)
@click.pass_context
def seal(ctx: click.Context, as_json: bool) -> None:
    """Seal every past day now: store its distinct users, percentiles and sketches, so
    those functions stop scanning raw events (the server also does this by itself)."""
    with opened_storage(settings_from(ctx)) as storage, progress(None, "sealing", "days"):
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


def _confirmed(count: int, what: str, yes: bool) -> None:
    """Ask before erasing anything (unless ``--yes``); no answer (not a terminal) is no."""
    if count == 0 or yes:
        return
    try:
        agreed = click.confirm(f"Erase {what}? This cannot be undone", err=True, default=False)
    except click.Abort:  # end of input: no one to answer
        agreed = False
    if not agreed:
        fail("nothing erased (give --yes to erase without asking)")


def _person_text(done: Erasure, verb: str) -> str:
    per_id = ", ".join(f"{i}: {n}" for i, n in done["ids"].items())
    return f"{verb} {done['deleted']} events ({per_id}) and {done['person_records']} person records"


def _erase_person(
    storage: Storage, user_id: str | None, anonymous_id: str | None, dry_run: bool, yes: bool
) -> tuple[Erasure, str]:
    preview = erase_person(storage, user_id, anonymous_id, dry_run=True)
    if dry_run:
        return preview, _person_text(preview, "would erase")
    click.echo(_person_text(preview, "tidings: would erase"), err=True)
    found = preview["deleted"] + preview["person_records"]
    _confirmed(found, "this person's events and records", yes)
    with progress(None, "erasing", "events"):
        done = erase_person(storage, user_id, anonymous_id)
    return done, _person_text(done, "erased")


@click.command("erase")
@click.option("--user-id", help="This user's events (alone: the person, everywhere).")
@click.option("--anonymous-id", help="Every event of this anonymous id (the person).")
@click.option("--source", help="Only this source's events.")
@click.option("--namespace", help="Only this namespace.")
@click.option("--name", "names", multiple=True, help="Only this name (repeatable).")
@click.option("--session-id", help="Only this session's events.")
@click.option("--from", "from_", metavar="TIME", help=f"Only events at or after TIME: {TIME_HELP}.")
@click.option("--to", metavar="TIME", help="Only events before TIME (same format).")
@click.option(
    "--prop", "props", multiple=True, metavar="KEY=VALUE", help="Property match (repeatable)."
)
@click.option("--dry-run", is_flag=True, help="Only say what would be erased.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help='Print one JSON object: {"deleted": N, ...}.')
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
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Erase a person's events in every source, or the events matching filters (as
    ``DELETE /api/v1/events``); rollups and sealed days are rebuilt to match.

    Says first what it would erase and asks for confirmation (--yes skips the question;
    without a terminal there is no answer, so nothing is erased without --yes). --dry-run
    only says it. With --json, the object has "deleted" (or "would_delete" with
    --dry-run)."""
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
            done, text = _erase_person(storage, user_id or None, anonymous_id or None, dry_run, yes)
        shown = dict(done)
        if dry_run:
            shown["would_delete"] = shown.pop("deleted")
        emit(as_json, shown, text)
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
        matching = storage.delete_events(flt, dry_run=True)
        if dry_run:
            emit(as_json, {"would_delete": matching}, f"would erase {matching} events")
            return
        click.echo(f"tidings: would erase {matching} events", err=True)
        _confirmed(matching, f"these {matching} events", yes)
        with progress(None, "erasing", "events"):
            deleted = storage.delete_events(flt)
    emit(as_json, {"deleted": deleted}, f"erased {deleted} events")
