"""Tag commands: `huoke tags define NAME RULE.json`, `refresh [--as-of T]`, `import FILE`, `list [--customer-no N]`."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from huoke.events.lake_service import sync_lake
from huoke.platform.clock import ClockError, parse_instant
from huoke.platform.console import emit, progress_bar, stderr, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.migrate import require_current
from huoke.platform.runtime import Runtime
from huoke.segments import tag_service
from huoke.segments.tag_import import import_manual_tags

JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]
CLI_ACTOR = "cli"


class Encoding(StrEnum):
    auto = "auto"
    utf8 = "utf-8"
    gbk = "gbk"


def register(app: typer.Typer) -> None:
    tags = typer.Typer(help="customer tags: computed, rule and manual (docs/tags.md)", no_args_is_help=True)
    tags.command("define")(define)
    tags.command("refresh")(refresh)
    tags.command("import")(import_tags)
    tags.command("list")(list_tags)
    app.add_typer(tags, name="tags")


def _runtime(ctx: typer.Context) -> Runtime:
    runtime: Runtime = ctx.obj.runtime()
    require_current(runtime.engine)
    return runtime


def define(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the tag name, e.g. payroll_wealth")],
    rule_file: Annotated[Path, typer.Argument(help="the rule: one JSON object in the segment rule DSL")],
    description: Annotated[str | None, typer.Option(help="what the tag means, for marketers")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Define a rule tag (or give it a new rule); customers get it at the next `huoke tags refresh`."""
    with user_errors(as_json=as_json):
        rule = _read_json(rule_file)
        result = tag_service.define_rule_tag(
            _runtime(ctx), name=name, rule=rule, description=description, actor=CLI_ACTOR
        )
    emit(result, as_json=as_json, render=_render_define)


def refresh(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="evaluation time, ISO 8601 (default now)")] = None,
    no_sync: Annotated[
        bool, typer.Option("--no-sync", help="use the lake as it is, without `lake sync` first")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Compute every computed and rule tag, record assignments and removals, and write the lake's tags."""
    with user_errors(as_json=as_json):
        runtime = _runtime(ctx)
        when = _instant(as_of, runtime) if as_of else None
        if not no_sync:
            sync_lake(runtime)  # tags are computed over the lake: it must show the store as it is now
        with progress_bar("refresh tags (steps)", None, enabled=not as_json) as advance:
            result = tag_service.refresh_tags(
                runtime, as_of=when, actor=CLI_ACTOR, progress=lambda done, _total: advance(done)
            )
    emit(result, as_json=as_json, render=_render_refresh)


def import_tags(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) with customer_no, tag[, action add|remove]")],
    encoding: Annotated[Encoding, typer.Option(help="file encoding; auto detects UTF-8 (BOM) or GBK/GB18030")] = (
        Encoding.auto
    ),
    as_json: JsonFlag = False,
) -> None:
    """Import manual tags; rejected rows go to an errors CSV, the rest is stored (idempotent)."""
    with user_errors(as_json=as_json):
        runtime = _runtime(ctx)
        size = file.stat().st_size if file.is_file() else None
        with progress_bar("import tags", size, enabled=not as_json) as advance:
            summary = import_manual_tags(
                runtime,
                path=file,
                encoding=encoding.value,
                actor=CLI_ACTOR,
                progress=lambda done, _total: advance(done),
            )
    emit(summary.as_dict(), as_json=as_json, render=_render_import)


def list_tags(
    ctx: typer.Context,
    customer_no: Annotated[str | None, typer.Option("--customer-no", help="this customer's tags and history")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every tag with how many customers hold it, or one customer's tags with their history."""
    with user_errors(as_json=as_json):
        runtime = _runtime(ctx)
        if customer_no is None:
            result = tag_service.list_tags(runtime)
        else:
            result = tag_service.customer_tags(runtime, customer_no=customer_no)
    emit(result, as_json=as_json, render=_render_customer if customer_no else _render_list)


def tags_section(runtime: Runtime, one_id: str) -> list[dict[str, Any]]:
    """The customer's tags now, for `huoke customers show`."""
    return tag_service.tags_section(runtime, one_id)


def _instant(text: str, runtime: Runtime) -> datetime:
    try:
        return parse_instant(text, runtime.settings.zone)
    except ClockError as exc:
        raise InvalidInput(str(exc), code="bad_time") from exc


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})", code="unreadable_file") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", code="malformed_json"
        ) from exc


def _render_define(r: dict[str, Any]) -> None:
    state = "defined" if r["changed"] else "unchanged"
    stderr.print(f"rule tag {r['name']} version {r['version']} ({state}); run `huoke tags refresh` to assign it")


def _render_refresh(r: dict[str, Any]) -> None:
    stderr.print(f"tags as of {r['as_of']}: {r['assigned']} assigned, {r['removed']} removed, {r['held']} held")
    table = Table("tag", "customers")
    for name, count in r["by_tag"].items():
        table.add_row(name, str(count))
    stderr.print(table)
    for error in r["errors"]:
        stderr.print(f"[bold red]not refreshed:[/] {error['tag']}: {error['reason']}")


def _render_import(r: dict[str, Any]) -> None:
    stderr.print(f"tags: {r['accepted']} accepted, {r['duplicates']} duplicates, {r['rejected']} rejected")
    if r["errors_file"]:
        stderr.print(f"rejected rows and reasons: {r['errors_file']}")


def _render_list(r: dict[str, Any]) -> None:
    table = Table("tag", "kind", "customers", "meaning")
    for tag in r["tags"]:
        meaning = tag.get("description") or (json.dumps(tag["rule"], ensure_ascii=False) if tag.get("rule") else "")
        table.add_row(tag["name"], tag["kind"], str(tag["holders"]), meaning)
    stderr.print(table)


def _render_customer(r: dict[str, Any]) -> None:
    stderr.print(f"customer {r['customer_no'] or '(anonymous)'}  one_id {r['one_id']}")
    table = Table("tag", "kind", "assigned_at", "removed_at", title="tags and their history", title_justify="left")
    for row in r["history"]:
        table.add_row(row["name"], row["kind"], row["assigned_at"], row["removed_at"] or "")
    stderr.print(table)
