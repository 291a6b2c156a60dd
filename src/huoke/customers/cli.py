"""Customer commands: `huoke import KIND FILE` and `huoke customers show|conflicts|merges|unmerge`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from huoke.customers import service
from huoke.customers.import_service import IMPORTERS, import_file
from huoke.platform.console import emit, progress_bar, stderr, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.migrate import require_current
from huoke.platform.service import PlatformFactory


class Encoding(StrEnum):
    auto = "auto"
    utf8 = "utf-8"
    gbk = "gbk"


JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]
LATER_KINDS = ("transactions", "events")


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    customers = typer.Typer(help="customer profiles (ONE_ID) and the 360° view", no_args_is_help=True)
    customers.command("show")(show)
    customers.command("conflicts")(conflicts)
    customers.command("merges")(merges)
    customers.command("unmerge")(unmerge)
    app.add_typer(customers, name="customers")


def _runtime(ctx: typer.Context) -> Any:
    factory: PlatformFactory = ctx.obj
    runtime = factory.runtime()
    require_current(runtime.engine)
    return runtime


def import_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=f"one of {', '.join((*IMPORTERS, *LATER_KINDS))}")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK), Parquet or JSON lines")],
    mapping: Annotated[Path | None, typer.Option(help="YAML column/value mapping")] = None,
    encoding: Annotated[Encoding, typer.Option(help="file encoding; auto detects UTF-8 (BOM) or GBK/GB18030")] = (
        Encoding.auto
    ),
    history: Annotated[bool, typer.Option("--history", help="history load straight to the lake")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import a file of KIND; rejected rows go to an errors CSV, the rest is stored (idempotent)."""
    with user_errors(as_json=as_json):
        if kind in LATER_KINDS:
            emit(
                _activity_import(ctx, kind, file, history=history, quiet=as_json), as_json=as_json, render=_render_live
            )
            return
        if history:
            raise InvalidInput("--history applies to transactions and events only", code="bad_option")
        runtime = _runtime(ctx)
        size = file.stat().st_size if file.is_file() else None
        with progress_bar(f"import {kind}", size, enabled=not as_json) as advance:
            summary = import_file(
                runtime,
                kind=kind,
                path=file,
                mapping=mapping,
                encoding=encoding.value,
                progress=lambda done, _total: advance(done),
            )
    emit(summary.as_dict(), as_json=as_json, render=_render_import)


def _activity_import(ctx: typer.Context, kind: str, file: Path, *, history: bool, quiet: bool) -> dict[str, Any]:
    """Transactions and events belong to the events context, which the composition root plugs in here."""
    importer = ctx.meta.get("huoke.importers", {}).get(kind)
    if importer is None:
        raise InvalidInput(
            f"importing {kind} needs the events context, which is not installed", code="kind_not_available"
        )
    result: dict[str, Any] = importer(ctx, kind, file, history=history, quiet=quiet)
    return result


def _render_live(r: dict[str, Any]) -> None:
    stderr.print(f"{r['accepted']} accepted, {r['duplicates']} duplicates, {r['rejected']} rejected")
    if r.get("errors_file"):
        stderr.print(f"rejected rows and reasons: {r['errors_file']}")


def _render_import(r: dict[str, Any]) -> None:
    stderr.print(
        f"{r['kind']}: {r['accepted']} accepted, {r['duplicates']} duplicates, "
        f"{r['rejected']} rejected  (encoding {r['encoding']})"
    )
    if r["errors_file"]:
        stderr.print(f"rejected rows and reasons: {r['errors_file']}")


def show(
    ctx: typer.Context,
    customer_no: Annotated[str | None, typer.Option("--customer-no")] = None,
    one_id: Annotated[str | None, typer.Option("--one-id")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The 360° view of one customer, PII masked."""
    with user_errors(as_json=as_json):
        lookup = service.CustomerLookup(customer_no=customer_no, one_id=one_id, phone=phone)
        runtime = _runtime(ctx)
        view = service.show_customer(runtime, lookup)
        for name, section in ctx.meta.get("huoke.customer_sections", {}).items():
            view[name] = section(runtime, view["one_id"])  # e.g. the timeline, from the events context
    emit(view, as_json=as_json, render=_render_view)


def _render_view(v: dict[str, Any]) -> None:
    p = v["profile"]
    stderr.print(f"[bold]{p['name'] or '—'}[/] {v['customer_no'] or '(anonymous)'}  one_id {v['one_id']}")
    stderr.print(
        f"{p['gender'] or '-'} · age {p['age']} · {p['city'] or '-'} · branch {p['branch_code']} · "
        f"RM {p['rm_staff_no']} · risk {p['risk_level']}"
    )
    stderr.print(f"phone {p['phone']} · e-mail {p['email']} · ID {p['id_card_no']}")
    _table("holdings", v["holdings"], ("account_no", "product_name", "product_type", "status", "balance"))
    _table("consents in force", v["consents"], ("channel", "purpose", "status", "recorded_at", "source"))
    _table("identities", v["identities"], ("kind", "value"))
    if v.get("tags"):
        _table("tags", v["tags"], ("name", "kind", "assigned_at"))
    if v.get("messages"):
        _table(
            "contact history (newest first)", v["messages"], ("enqueued_at", "template", "channel", "status", "reason")
        )
    if "timeline" in v:
        _table("timeline (newest first)", v["timeline"], ("occurred_at", "kind", "type", "amount", "channel", "source"))


def _table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row.get(c) if row.get(c) is not None else "") for c in columns))
    stderr.print(table)


def conflicts(ctx: typer.Context, limit: int = 100, as_json: JsonFlag = False) -> None:
    """ONE_ID conflicts waiting for review."""
    with user_errors(as_json=as_json):
        found = service.list_conflicts(_runtime(ctx), limit=limit)
    emit(
        {"conflicts": found},
        as_json=as_json,
        render=lambda r: _table("identity conflicts", r["conflicts"], ("id", "reason", "kind", "value", "one_ids")),
    )


def merges(
    ctx: typer.Context,
    one_id: Annotated[str | None, typer.Option("--one-id")] = None,
    limit: int = 100,
    as_json: JsonFlag = False,
) -> None:
    """Merges and unmerges ONE_ID performed (newest first)."""
    with user_errors(as_json=as_json):
        found = service.list_merges(_runtime(ctx), one_id=one_id, limit=limit)
    emit(
        {"merges": found},
        as_json=as_json,
        render=lambda r: _table("profile merges", r["merges"], ("merge_id", "kind", "unit_one_id", "to", "at")),
    )


def unmerge(
    ctx: typer.Context,
    merge_id: int,
    actor: Annotated[str, typer.Option()] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Undo a merge: split the unit back out and keep it apart."""
    with user_errors(as_json=as_json):
        result = service.undo_merge(_runtime(ctx), merge_id=merge_id, actor=actor)
    emit(result, as_json=as_json, render=lambda r: stderr.print(f"merge {r['merge_id']} undone"))
