"""Events commands: `huoke events ingest`, `huoke transactions ingest`, `huoke events types list|register`,
and the live/history branch of `huoke import transactions|events`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from huoke.events import lake_service, service, timeline
from huoke.events.files import LiveKind, errors_file_path, ingest_file
from huoke.platform.console import emit, progress_bar, stderr, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.migrate import require_current
from huoke.platform.runtime import Runtime

JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]
IngestionFactory = Callable[[Runtime], service.Ingestion]
CLI_ACTOR = "cli"


def register(app: typer.Typer) -> None:
    events = typer.Typer(help="live behaviour events (埋点) and their types", no_args_is_help=True)
    events.command("ingest")(ingest_events)
    types = typer.Typer(help="the event catalogue: standard and custom types", no_args_is_help=True)
    types.command("list")(list_types)
    types.command("register")(register_type)
    events.add_typer(types, name="types")
    app.add_typer(events, name="events")
    lake = typer.Typer(help="the Parquet lake: export live rows, compact", no_args_is_help=True)
    lake.command("sync")(lake_sync)
    lake.command("compact")(lake_compact)
    app.add_typer(lake, name="lake")
    transactions = typer.Typer(help="live transactions", no_args_is_help=True)
    transactions.command("ingest")(ingest_transactions)
    app.add_typer(transactions, name="transactions")


def _ingestion(ctx: typer.Context) -> service.Ingestion:
    runtime: Runtime = ctx.obj.runtime()
    require_current(runtime.engine)
    factory: IngestionFactory = ctx.meta["huoke.ingestion"]
    return factory(runtime)


def ingest_events(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON lines: one event per line (CONTRACTS.md §2)")],
    as_json: JsonFlag = False,
) -> None:
    """Ingest live events from a file, exactly as the HTTP API does (subscribers get work)."""
    _ingest(ctx, "events", file, as_json=as_json)


def ingest_transactions(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON lines or CSV with a header row (CONTRACTS.md §2)")],
    as_json: JsonFlag = False,
) -> None:
    """Ingest live transactions from a file, exactly as the HTTP API does (subscribers get work)."""
    _ingest(ctx, "transactions", file, as_json=as_json)


def _ingest(ctx: typer.Context, kind: LiveKind, file: Path, *, as_json: bool) -> None:
    with user_errors(as_json=as_json):
        result = live_import(_ingestion(ctx), kind, file, quiet=as_json)
    emit(result, as_json=as_json, render=_render_ingest)


def live_import(ingestion: service.Ingestion, kind: LiveKind, file: Path, *, quiet: bool) -> dict[str, Any]:
    """Ingest FILE item by item through the live path; the result names every item's outcome."""
    size = file.stat().st_size if file.is_file() else None
    with progress_bar(f"ingest {kind}", size, enabled=not quiet) as advance:
        report, errors = ingest_file(
            ingestion, kind=kind, path=file, actor=CLI_ACTOR, progress=lambda done, _total: advance(done)
        )
    return {**report.as_dict(), "errors_file": str(errors) if errors else None}


def import_activity(ctx: typer.Context, kind: str, file: Path, *, history: bool, quiet: bool) -> dict[str, Any]:
    """`huoke import transactions|events FILE [--history]`: live ingestion, or a history load into the lake."""
    if kind not in ("events", "transactions"):
        raise InvalidInput(f"{kind} is not an activity kind", code="bad_kind")
    live_kind: LiveKind = "events" if kind == "events" else "transactions"
    if history:
        return _history(ctx, live_kind, file, quiet=quiet)
    result = live_import(_ingestion(ctx), live_kind, file, quiet=quiet)
    return {key: result[key] for key in ("accepted", "rejected", "duplicates", "errors_file")}


def _history(ctx: typer.Context, kind: LiveKind, file: Path, *, quiet: bool) -> dict[str, Any]:
    runtime: Runtime = ctx.obj.runtime()
    require_current(runtime.engine)
    errors_path = errors_file_path(runtime.settings.data_dir, kind, file, runtime.now())
    with progress_bar(f"history {kind} (rows)", None, enabled=not quiet) as advance:
        summary = lake_service.history_load(runtime, kind=kind, path=file, errors_path=errors_path, progress=advance)
    return summary.as_dict()


def lake_sync(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Export live events and transactions past their watermarks to the lake; refresh the snapshots."""
    with user_errors(as_json=as_json):
        runtime: Runtime = ctx.obj.runtime()
        require_current(runtime.engine)
        result = lake_service.sync_lake(runtime)
    emit(
        result, as_json=as_json, render=lambda r: stderr.print(f"exported {r['exported']}; snapshots {r['snapshots']}")
    )


def lake_compact(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Merge each date's small lake files into large ones sorted by customer; remove replaced files later."""
    with user_errors(as_json=as_json):
        runtime: Runtime = ctx.obj.runtime()
        require_current(runtime.engine)
        result = lake_service.compact_lake(runtime)
    emit(result, as_json=as_json, render=lambda r: stderr.print(f"compacted {r['compacted']}"))


def _render_ingest(r: dict[str, Any]) -> None:
    stderr.print(f"{r['accepted']} accepted, {r['duplicates']} duplicates, {r['rejected']} rejected")
    if r.get("errors_file"):
        stderr.print(f"rejected items and reasons: {r['errors_file']}")


def list_types(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every event type ingestion accepts, with its property schema."""
    with user_errors(as_json=as_json):
        runtime: Runtime = ctx.obj.runtime()
        require_current(runtime.engine)
        types = service.list_event_types(runtime)
    emit({"types": types}, as_json=as_json, render=_render_types)


def _render_types(r: dict[str, Any]) -> None:
    table = Table("type", "kind", "version", "required properties")
    for t in r["types"]:
        required = ", ".join(t["schema"].get("required", []))
        table.add_row(t["name"], "standard" if t["standard"] else "custom", str(t["version"]), required or "—")
    stderr.print(table)


def register_type(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the type name, e.g. loan_calculator_used")],
    schema_file: Annotated[Path, typer.Argument(help="JSON Schema of the event's properties (type: object)")],
    description: Annotated[str | None, typer.Option(help="what the event means, for analysts")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a custom event type (or a new version of one) with a JSON Schema for its properties."""
    with user_errors(as_json=as_json):
        schema = _read_json(schema_file)
        runtime: Runtime = ctx.obj.runtime()
        require_current(runtime.engine)
        result = service.register_event_type(
            runtime, name=name, schema=schema, description=description, actor=CLI_ACTOR
        )
    emit(result, as_json=as_json, render=lambda r: stderr.print(f"event type {r['name']} version {r['version']}"))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})", code="unreadable_file") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", code="malformed_json"
        ) from exc


def timeline_section(runtime: Runtime, one_id: str) -> list[dict[str, Any]]:
    """The newest 20 items of a customer's timeline, for `huoke customers show`."""
    query = timeline.TimelineQuery(one_id, limit=20)
    return list(timeline.timeline(runtime, query, lake_service.history_reader(runtime))["entries"])
