"""Segment commands: `huoke segments preview | create | update | list | show | refresh | members`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from huoke.platform.clock import ClockError, parse_instant
from huoke.platform.console import emit, progress_bar, stdout, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.migrate import require_current
from huoke.platform.runtime import Runtime
from huoke.segments import refresh as refreshing
from huoke.segments import service

JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="evaluation time, ISO 8601 (default: the clock's now)")]
RuleFile = Annotated[Path, typer.Argument(help="the rule: a JSON file in the segment DSL (CONTRACTS.md §3)")]
Schedule = Annotated[
    str | None, typer.Option("--schedule", help="cron expression in the business time zone, e.g. '0 6 * * *'")
]
NoSync = Annotated[
    bool, typer.Option("--no-sync", help="evaluate the lake as it is, without `lake sync` first (faster; may be stale)")
]
Description = Annotated[str | None, typer.Option("--description", help="what the segment is for")]


def register(app: typer.Typer) -> None:
    segments = typer.Typer(help="segments: rules over profiles, holdings and activity", no_args_is_help=True)
    for name, command in (
        ("preview", preview),
        ("create", create),
        ("update", update),
        ("list", list_all),
        ("show", show),
        ("refresh", refresh),
        ("members", members),
    ):
        segments.command(name)(command)
    app.add_typer(segments, name="segments")


def _runtime(ctx: typer.Context) -> Runtime:
    runtime: Runtime = ctx.obj.runtime()
    require_current(runtime.engine)
    return runtime


def _rule(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the rule file {path}: {exc}", code="unreadable_rule") from exc


def _as_of(runtime: Runtime, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text, runtime.settings.zone)
    except ClockError as exc:
        raise InvalidInput(f"--as-of: {exc}", code="bad_as_of") from exc


def preview(
    ctx: typer.Context, rule: RuleFile, as_of: AsOf = None, no_sync: NoSync = False, as_json: JsonFlag = False
) -> None:
    """Evaluate a rule without saving it: how many customers, a sample of them, and the query it runs."""
    with user_errors(as_json=as_json):
        runtime = _runtime(ctx)
        result = service.preview_rule(runtime, rule=_rule(rule), as_of=_as_of(runtime, as_of), sync=not no_sync)
    emit(result, as_json=as_json, render=_render_preview)


def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help='the segment\'s name (used in rules as {"segment": NAME})')],
    rule: RuleFile,
    schedule: Schedule = None,
    description: Description = None,
    as_json: JsonFlag = False,
) -> None:
    """Save a segment (version 1). Its members are computed by `huoke segments refresh` or its schedule."""
    with user_errors(as_json=as_json):
        result = service.create_segment(
            _runtime(ctx), name=name, rule=_rule(rule), schedule=schedule, description=description
        )
    emit(result, as_json=as_json, render=_render_segment)


def update(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the saved segment")],
    rule: Annotated[Path | None, typer.Argument(help="a new rule (JSON file); omit to keep the rule")] = None,
    schedule: Schedule = None,
    no_schedule: Annotated[bool, typer.Option("--no-schedule", help="refresh on demand only")] = False,
    description: Description = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a segment's rule, schedule or description; a new rule or schedule makes a new version."""
    changes: dict[str, Any] = {}
    if rule is not None:
        changes["rule"] = _rule(rule)
    if schedule is not None or no_schedule:
        changes["schedule"] = None if no_schedule else schedule
    if description is not None:
        changes["description"] = description
    with user_errors(as_json=as_json):
        result = service.update_segment(_runtime(ctx), name=name, **changes)
    emit(result, as_json=as_json, render=_render_segment)


def list_all(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every saved segment with its version, schedule, member count and last refresh."""
    with user_errors(as_json=as_json):
        found = service.list_segments(_runtime(ctx))
    emit({"segments": found}, as_json=as_json, render=_render_list)


def show(ctx: typer.Context, name: Annotated[str, typer.Argument()], as_json: JsonFlag = False) -> None:
    """One saved segment with its rule and every version it has had."""
    with user_errors(as_json=as_json):
        result = service.show_segment(_runtime(ctx), name=name)
    emit(result, as_json=as_json, render=lambda r: stdout.print_json(json.dumps(r, ensure_ascii=False)))


def refresh(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="segments to refresh (default: all)")] = None,
    as_of: AsOf = None,
    no_sync: NoSync = False,
    as_json: JsonFlag = False,
) -> None:
    """Recompute members, store the difference and publish segment.entered / segment.exited for journeys."""
    with user_errors(as_json=as_json):
        runtime = _runtime(ctx)
        when = _as_of(runtime, as_of)
        queue = ctx.obj.work_queue()
        with progress_bar("refresh segments", len(names) if names else None, enabled=not as_json) as advance:
            results = refreshing.refresh_segments(
                runtime, queue.subscriptions, names=names or (), as_of=when, sync=not no_sync,
                progress=lambda _name, done, _total: advance(done - 1),
            )  # fmt: skip
    emit({"segments": results}, as_json=as_json, render=_render_refresh)


def members(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the saved segment")],
    output: Annotated[Path | None, typer.Option("--output", help="write members to CSV or .parquet")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The members stored by the last refresh: customer numbers, or a file with ONE_IDs and entry times."""
    with user_errors(as_json=as_json):
        runtime = _runtime(ctx)
        result = service.segment_members(runtime, name=name)
        if output is not None:
            result["output"] = service.export_members(runtime, name=name, path=output)["path"]
    emit(result, as_json=as_json, render=_render_members)


def _render_preview(result: dict[str, Any]) -> None:
    stdout.print(f"[bold]{result['count']:,}[/] customers match")
    if result["sample"]:
        stdout.print("sample: " + ", ".join(result["sample"]))
    stdout.print("[dim]" + result["sql"] + "[/]", highlight=False)


def _render_segment(result: dict[str, Any]) -> None:
    schedule = result["schedule"] or "on demand"
    stdout.print(f"segment [bold]{result['name']}[/] version {result['version']} ({schedule})")


def _render_list(result: dict[str, Any]) -> None:
    table = Table("segment", "version", "members", "schedule", "real time", "refreshed as of")
    for row in result["segments"]:
        table.add_row(row["name"], str(row["version"]), f"{row['count']:,}", row["schedule"] or "-",
                      "yes" if row["realtime"] else "no", row["refreshed_as_of"] or "never")  # fmt: skip
    stdout.print(table)


def _render_refresh(result: dict[str, Any]) -> None:
    table = Table("segment", "version", "members", "entered", "exited", "as of")
    for row in result["segments"]:
        table.add_row(row["segment"], str(row["version"]), f"{row['count']:,}", f"{row['entered']:,}",
                      f"{row['exited']:,}", row["as_of"])  # fmt: skip
    stdout.print(table)


def _render_members(result: dict[str, Any]) -> None:
    stdout.print(f"{result['segment']}: {result['count']:,} members")
    if "output" in result:
        stdout.print(f"written to {result['output']}")
    else:
        for number in result["customer_nos"][:50]:
            stdout.print(number)
        if result["count"] > 50:  # noqa: PLR2004 - a screenful; --output or --json for all
            stdout.print(f"… and {result['count'] - 50:,} more (use --output FILE or --json)")
