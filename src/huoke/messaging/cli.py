"""Messaging commands: `huoke templates …`, `huoke messages …` and `huoke tasks …` (CONTRACTS.md §1, §4)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from huoke.messaging import addresses, operations, service, task_service
from huoke.messaging.policy import REASONS
from huoke.platform.clock import ClockError, parse_instant
from huoke.platform.console import emit, stdout, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.migrate import require_current
from huoke.platform.runtime import Runtime

JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]
CustomerNo = Annotated[str, typer.Option("--customer-no", help="the core-banking customer number")]
ACTOR = "cli"


def register(app: typer.Typer) -> None:
    templates = typer.Typer(help="message templates (CONTRACTS.md §4)", no_args_is_help=True)
    commands: tuple[tuple[str, Callable[..., None]], ...] = (
        ("create", create_template),
        ("list", list_templates),
        ("preview", preview),
    )
    for name, command in commands:
        templates.command(name)(command)
    messages = typer.Typer(help="messages: send, inspect, dispatch, dead letters, suppressions", no_args_is_help=True)
    commands = (
        ("send", send),
        ("list", list_messages),
        ("dispatch", dispatch),
        ("health", health),
        ("dead-letters", dead_letters),
        ("retry", retry),
        ("suppress", suppress),
        ("unsuppress", unsuppress),
        ("address", address),
        ("addresses", import_addresses),
    )
    for name, command in commands:
        messages.command(name)(command)
    tasks = typer.Typer(help="RM follow-up tasks", no_args_is_help=True)
    tasks.command("list")(list_tasks)
    tasks.command("close")(close_task)
    app.add_typer(templates, name="templates")
    app.add_typer(messages, name="messages")
    app.add_typer(tasks, name="tasks")


def _runtime(ctx: typer.Context) -> Runtime:
    runtime: Runtime = ctx.obj.runtime()
    require_current(runtime.engine)
    return runtime


def _json_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", code="unreadable_file") from exc
    if not isinstance(document, dict):
        raise InvalidInput(f"{path}: a template file is one JSON object", code="bad_template")
    return document


def create_template(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="the template, JSON")], as_json: JsonFlag = False
) -> None:
    """Save a template (its syntax and the SMS rules are checked now); saving again makes a new version."""
    with user_errors(as_json=as_json):
        result = service.create_template(_runtime(ctx), _json_file(file), actor=ACTOR)
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"template {r['name']} version {r['version']}"))


def list_templates(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Saved templates with their live version."""
    with user_errors(as_json=as_json):
        result = {"templates": service.list_templates(_runtime(ctx))}
    emit(result, as_json=as_json, render=lambda r: _table(r["templates"], ("name", "version", "channel", "purpose")))


def preview(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="template name")],
    customer_no: CustomerNo,
    as_json: JsonFlag = False,
) -> None:
    """Render a saved template for a real customer (nothing is sent)."""
    with user_errors(as_json=as_json):
        result = service.preview_template(_runtime(ctx), name, customer_no=customer_no)
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"{r.get('subject') or ''}\n{r['body']}"))


def send(
    ctx: typer.Context,
    customer_no: CustomerNo,
    template: Annotated[str, typer.Option("--template", help="the template's name")],
    priority: Annotated[int, typer.Option("--priority", help="0 (lowest) … 9 (highest)")] = 5,
    campaign: Annotated[str | None, typer.Option("--campaign", help="campaign the message belongs to")] = None,
    to: Annotated[str | None, typer.Option("--to", help="a test address instead of the customer's own")] = None,
    key: Annotated[str | None, typer.Option("--key", help="idempotency key: the same key sends once")] = None,
    quiet_hours: Annotated[str, typer.Option("--quiet-hours", help="defer | drop inside quiet hours")] = "defer",
    as_json: JsonFlag = False,
) -> None:
    """Enqueue one message now; the contact policy decides (send, defer or suppress) and says why."""
    with user_errors(as_json=as_json):
        result = service.send_message(
            _runtime(ctx),
            customer_no=customer_no,
            template=template,
            priority=priority,
            source=ACTOR,
            idempotency_key=key,
            campaign=campaign,
            recipient=to,
            quiet_hours=_quiet(quiet_hours),
        )
    emit(result, as_json=as_json, render=_render_sent)


def list_messages(ctx: typer.Context, customer_no: CustomerNo, as_json: JsonFlag = False) -> None:
    """A customer's messages with every policy decision and delivery attempt."""
    with user_errors(as_json=as_json):
        result = service.list_messages(_runtime(ctx), customer_no=customer_no)
    columns = ("message_id", "template", "channel", "purpose", "status", "reason", "enqueued_at", "sent_at")
    emit(result, as_json=as_json, render=lambda r: _table(r["messages"], columns))


def dispatch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="send what is due now, then stop")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Run the outbox dispatcher (`huoke worker` and `huoke serve` run it too)."""
    with user_errors(as_json=as_json):
        runtime = _runtime(ctx)
        handle = ctx.meta["huoke.dispatcher"](runtime)
        try:
            dispatcher = handle.get()
            if once:
                sent = 0
                while done := dispatcher.dispatch_once():
                    sent += done
            else:
                sent = dispatcher.run_forever(threading.Event(), runtime.settings.worker_poll_seconds)
        finally:
            handle.close()
    emit({"processed": sent}, as_json=as_json, render=lambda r: stdout.print(f"{r['processed']} messages processed"))


def health(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Queue depth, last hour's sends and failures per channel, and the dead letters waiting."""
    with user_errors(as_json=as_json):
        result = operations.health(_runtime(ctx))
    emit(result, as_json=as_json, render=_render_health)


def dead_letters(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Failed messages with the reason and each attempt's answer."""
    with user_errors(as_json=as_json):
        result = {"messages": operations.dead_letters(_runtime(ctx))}
    emit(
        result,
        as_json=as_json,
        render=lambda r: _table(r["messages"], ("message_id", "channel", "reason", "failed_at")),
    )


def retry(
    ctx: typer.Context,
    message_ids: Annotated[list[str], typer.Argument(help="failed message ids")],
    as_json: JsonFlag = False,
) -> None:
    """Queue failed messages again."""
    with user_errors(as_json=as_json):
        result = operations.retry_dead_letters(_runtime(ctx), message_ids=message_ids, actor=ACTOR)
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"queued again: {', '.join(r['retried'])}"))


def suppress(
    ctx: typer.Context,
    customer_no: CustomerNo,
    kind: Annotated[str, typer.Option("--kind", help="do_not_contact | complaint")] = "do_not_contact",
    until: Annotated[str | None, typer.Option("--until", help="end time, ISO 8601 (needed for complaint)")] = None,
    note: Annotated[str | None, typer.Option("--note", help="why")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Stop marketing to a customer: the do-not-contact list, or a complaint suppression until a time."""
    with user_errors(as_json=as_json):
        runtime = _runtime(ctx)
        end = _instant(runtime, until)
        result = operations.suppress(runtime, customer_no=customer_no, kind=kind, until=end, note=note, actor=ACTOR)
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"{r['customer_no']}: {r['kind']}"))


def unsuppress(
    ctx: typer.Context,
    customer_no: CustomerNo,
    kind: Annotated[str, typer.Option("--kind", help="do_not_contact | complaint")] = "do_not_contact",
    as_json: JsonFlag = False,
) -> None:
    """Lift a suppression."""
    with user_errors(as_json=as_json):
        result = operations.lift_suppression(_runtime(ctx), customer_no=customer_no, kind=kind, actor=ACTOR)
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"{r['customer_no']}: {r['lifted']} lifted"))


def address(
    ctx: typer.Context,
    customer_no: CustomerNo,
    channel: Annotated[str, typer.Option("--channel", help="wechat_template | wecom_text | push")],
    to: Annotated[str, typer.Option("--to", help="the openid, WeCom user id or device token")],
    as_json: JsonFlag = False,
) -> None:
    """Record a customer's WeChat, WeCom or push address (kept encrypted)."""
    with user_errors(as_json=as_json):
        result = addresses.set_address(
            _runtime(ctx), customer_no=customer_no, channel=channel, address=to, source=ACTOR, actor=ACTOR
        )
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"{r['customer_no']} {r['channel']}: {r['address']}"))


def import_addresses(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV: customer_no,channel,address")],
    as_json: JsonFlag = False,
) -> None:
    """Import customers' WeChat, WeCom and push addresses; bad rows are reported, the rest kept."""
    with user_errors(as_json=as_json):
        result = addresses.import_addresses(_runtime(ctx), file, actor=ACTOR)
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"accepted {r['accepted']}, rejected {r['rejected']}"))


def list_tasks(
    ctx: typer.Context,
    staff_no: Annotated[str | None, typer.Option("--staff-no", help="tasks of this staff member")] = None,
    customer_no: Annotated[str | None, typer.Option("--customer-no", help="tasks about this customer")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open | done | cancelled")] = None,
    as_json: JsonFlag = False,
) -> None:
    """RM follow-up tasks, earliest due first."""
    with user_errors(as_json=as_json):
        result = task_service.list_tasks(_runtime(ctx), staff_no=staff_no, customer_no=customer_no, status=status)
    columns = ("task_id", "customer_no", "staff_no", "journey", "due_at", "status")
    emit(result, as_json=as_json, render=lambda r: _table(r["tasks"], columns))


def close_task(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="the task")],
    outcome: Annotated[str, typer.Option("--outcome", help="reached | not_reached | interested | … | cancelled")],
    note: Annotated[str | None, typer.Option("--note", help="what happened")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record the outcome of a follow-up task."""
    with user_errors(as_json=as_json):
        result = task_service.close_task(_runtime(ctx), task_id=task_id, outcome=outcome, note=note, actor=ACTOR)
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"task {r['task_id']}: {r['status']}"))


def _quiet(value: str) -> Literal["defer", "drop"]:
    if value not in ("defer", "drop"):
        raise InvalidInput(f"--quiet-hours must be defer or drop, not {value!r}", code="bad_quiet_hours")
    return "defer" if value == "defer" else "drop"


def _instant(runtime: Runtime, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return parse_instant(text, runtime.settings.zone)
    except ClockError as exc:
        raise InvalidInput(f"--until: {exc}", code="bad_until") from exc


def _render_sent(result: dict[str, Any]) -> None:
    later = f" at {result['deliver_at']}" if result["decision"] == "defer" else ""
    why = REASONS.get(result["reason"], result["reason"])
    stdout.print(f"message {result['message_id']}: {result['decision']}{later} — {why}")


def _render_health(result: dict[str, Any]) -> None:
    _table(result["channels"], ("channel", "queued", "sent_last_hour", "failed_last_hour"))
    stdout.print(f"dead letters: {result['dead_letters']}")


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    stdout.print(table)
